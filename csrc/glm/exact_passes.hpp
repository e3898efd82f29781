// The exact solver's passes over the data, exposed so that the rows can live elsewhere (the
// partitions of a Dask collection on other machines, ctxstats.dask).
//
// One pass at coefficients b (internal scale) sums, over the rows it reads, the loss f, the
// gradient g = sum s dloss z, the Hessian H = sum s v z z' (when asked), the weighted Gram
// matrix of the context basis M = sum s b(c) b(c)' and the total weight (ExactSums). Those
// are sums over rows: the sums of disjoint row sets added in a fixed order (partition order)
// are the whole data's pass up to rounding, and solve_linear_passes -- the linear encoder's
// normal equations / IRLS, the same code the in-memory fit runs -- needs nothing else.
#pragma once
#include <Eigen/Dense>
#include <functional>

#include "common/data.hpp"
#include "common/family.hpp"
#include "encoders/context_basis.hpp"
#include "glm/fit.hpp"
#include "glm/objective.hpp"
#include "glm/solver.hpp"

namespace ctxstats {

struct ExactSums {
  Eigen::MatrixXd H;   // sum s v z z' (empty when the pass was asked for no Hessian)
  Eigen::VectorXd g;   // sum s dloss z
  Eigen::MatrixXd M;   // sum s b b'
  double f = 0.0;      // sum s loss
  double total = 0.0;  // sum s
  double zz = 0.0;     // sum s v z_work^2 (sparse bases only)
  double rows = 0.0;   // rows of positive weight (sparse bases only): a quasi-likelihood fit's n
};

// The dense-basis pass (the linear encoder's) over every row of data, deterministic for any
// thread count. data.n = 0 gives zero sums of the right shapes.
ExactSums exact_pass(Family family, const DataView& data, const Scaling& scaling, const ContextBasis& basis,
                     const Eigen::VectorXd& b, bool hessian, int threads);

// into += part (shapes must agree; an empty H in either leaves into's H empty).
void add_exact_sums(ExactSums* into, const ExactSums& part);

// A pass over all the rows at b: whatever holds them.
using ExactPass = std::function<ExactSums(const Eigen::VectorXd& b, bool hessian)>;

// The linear-encoder exact solver over passes. poisson_start: the intercept's starting value
// for a poisson fit with an intercept, log(sum s y / sum s) (0 when sum s y = 0).
SolverResult solve_linear_passes(const ContextBasis& basis, Family family, const ExactPass& pass,
                                 const Scaling& scaling, const Penalty& penalty, const SolverOptions& options,
                                 double poisson_start, double* w);

// The spline encoder's penalised fit (REML/GCV smoothing; PQL for binomial and poisson) over
// passes: the same code the in-memory spline fit runs. A pass over a spline basis (one with
// penalties) is the sparse accumulation, with the working response's sum of squares zz.
SolverResult solve_penalised_passes(const ContextBasis& basis, Family family, const ExactPass& pass,
                                    const Scaling& scaling, const Penalty& penalty, const SolverOptions& options,
                                    double poisson_start, double* w);

// A fit of the linear encoder (solver exact) whose rows are reached only through `pass`, on
// the scaling of all the rows (scaling_from_sums): the FitResult fit() returns on the same
// rows, up to the rounding of summing them in another order. m: context columns. The spline
// encoder too, when options.encoder carries its knots and centres (spline_spec_from_summaries
// and spline_spec_with_centres place them from partition summaries). Other encoders and
// solvers are refused (InvalidArgument naming what works).
FitResult fit_exact_passes(const FitOptions& options, const Scaling& scaling, int m, const ExactPass& pass,
                           double poisson_start);

}  // namespace ctxstats
