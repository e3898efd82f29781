// The output layer of a neural encoder, solved exactly for fixed hidden weights.
//
// Every neural encoder ends in a linear layer, theta_i = V f(c_i) + o_i (encoder.hpp), so with
// the hidden weights held fixed the objective of objective.hpp is a penalised GLM in V on the
// design z_i = x~_i (x) f(c_i):
//   (1/S) sum_i s_i [loss(y_i, z_i . v + x~_i . o_i) + alpha (1 - l1_ratio) sum_k r_k theta_ik^2 / 2]
//   + weight_decay / 2 ||v||^2  (+ terms free of v).
// Gaussian: one Newton step solves it (penalised normal equations). Binomial, poisson: Newton
// (IRLS) with step halving, stopped when the Newton decrement is at most 1e-18 relative to
// max(1, |objective|). Rows are processed in fixed blocks gathered into groups that depend on
// the row count only and summed in group order, so the result is bitwise identical for any
// thread count.
#pragma once
#include <vector>

#include "common/data.hpp"
#include "common/family.hpp"
#include "encoders/encoder.hpp"
#include "glm/objective.hpp"
#include "glm/solver.hpp"

namespace ctxstats {

struct OutputLayerResult {
  bool solved = false;  // false: the encoder has no output layer, or the penalty has an L1 part
  int n_iter = 0;
  double objective = 0.0;
};

// Replaces the output-layer weights in w by the minimiser over them (the other weights fixed).
OutputLayerResult solve_output_layer(const Encoder& encoder, Family family, const DataView& data,
                                     const Scaling& scaling, const Penalty& penalty, int threads, double* w,
                                     int max_iter = 50);

// The gaussian output start (option output_start): w_first's output layer replaced by the
// least-squares one at its hidden weights (one Newton step of the above, with the same penalty
// and jitter) on the rows whose held_out flag is 0 and, when held_out is given, w_all (n_weights
// doubles) set to w_first's hidden weights with the output layer of all rows -- both from one pass
// over the data, the two row sets summed apart and then added. Weights whose step is not finite
// stay as they were. Deterministic for any thread count, like solve_output_layer.
void gaussian_output_start(const Encoder& encoder, const DataView& data, const Scaling& scaling,
                           const Penalty& penalty, int threads, const std::vector<char>* held_out, double* w_first,
                           double* w_all);

// Variable projection (Golub & Pereyra 1973; Kaufman 1975): L-BFGS over the hidden weights u
// of the profiled objective F(u) = min_V L(u, V), the output layer V solved exactly by
// solve_output_layer at every evaluation. At the minimising V the gradient of F is the
// partial gradient of L in u (the V part of grad L vanishes), so no derivative of V*(u) is
// needed. Stopping criterion: solve_lbfgs's, on F.
SolverResult solve_varpro(Objective& objective, const Encoder& encoder, Family family, const DataView& data,
                          const Scaling& scaling, const Penalty& penalty, double* w, const SolverOptions& options);

}  // namespace ctxstats
