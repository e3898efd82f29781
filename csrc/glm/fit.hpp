// The entry points the bindings call: fit a contextualized GLM, evaluate the objective (for
// gradient checks), and map new contexts to per-sample parameters.
#pragma once
#include <limits>
#include <string>
#include <vector>

#include "common/data.hpp"
#include "encoders/encoder.hpp"
#include "common/family.hpp"
#include "glm/objective.hpp"
#include "glm/solver.hpp"
#include "glm/location_scale_report.hpp"

namespace ctxstats {

// Filled from an option map by fit_options_from (options/schema.hpp), whose table holds every
// default; default_fit_options() is the struct with all of them.
struct FitOptions {
  std::string family;
  EncoderSpec encoder;
  bool intercept{};
  // binomial/poisson with dispersion "pearson": a quasi-likelihood fit (the same estimates; the
  // dispersion estimated for standard errors and tests, inference/fit_statistics.hpp). Always
  // false for gaussian, whose dispersion is estimated anyway.
  bool quasi{};
  Penalty penalty;
  std::string solver;  // auto | exact | lbfgs | varpro | adam
  SolverOptions solver_options;
  // Networks with lbfgs: the number of iterations is chosen on a held-out split
  // (glm/early_stopping.hpp).
  bool early_stopping{};
  // Gaussian networks with lbfgs, from the seeded start: the output layer starts at its least
  // squares solution for the seeded hidden weights (glm/output_layer.hpp: gaussian_output_start).
  bool output_start{};
  // constant: one residual variance (the GLM); context: gaussian log sigma(c) is a second output
  // of the encoder (glm/location_scale.hpp).
  std::string scale;
};

// Whether the fit estimates its dispersion: gaussian, or binomial/poisson quasi-likelihood
// (FitOptions::quasi). Its smooth-term tests are then F tests on the residual df.
bool estimates_dispersion(const FitOptions& options);

// Whether fit() starts a network at its least-squares output layer (FitOptions::output_start).
bool uses_output_start(const FitOptions& options, const Encoder& encoder, const std::string& solver);

struct FitResult {
  std::vector<double> weights;  // encoder weights on the internal scale
  Scaling scaling;
  std::string solver;           // the solver that ran
  SolverResult solve;
  EncoderSpec encoder;          // the encoder as fitted (a spline's knots and centres filled in)
  // Early stopping (glm/early_stopping.hpp), when it ran: the chosen number of iterations,
  // the held-out loss per iteration and the iterations of the training-rows fit (not in
  // solve.n_iter).
  bool early_stopped = false;
  int early_best_iter = 0;
  std::vector<double> early_val_loss;
  int early_split_iter = 0;
  // False when fit() was asked not to train: the weights are the initial ones (seeded, or
  // `init`), the objective is evaluated there, n_iter is 0 and converged is false.
  bool trained = true;
  // scale = "context": the scale weights, covariance and tests (glm/location_scale.hpp).
  LocationScaleReport location_scale;
  // family negativebinomial: the estimated dispersion theta (NB2, Var = mu + mu^2 / theta;
  // glm/negbin.hpp); NaN for the other families.
  double nb_theta = std::numeric_limits<double>::quiet_NaN();
};

// Whether fit() uses early stopping for these options: networks (an output layer) fitted by
// lbfgs with options.early_stopping.
bool uses_early_stopping(const FitOptions& options, const Encoder& encoder, const std::string& solver);

// "auto" resolves to exact for the linear encoder without archetypes or L1 penalty and for the
// spline encoder, and to lbfgs otherwise.
std::string resolve_solver(const FitOptions& options);

// Fits from `init` weights when given (warm start), otherwise from the seeded initialisation.
// train = false returns that starting point unfitted, with its objective (ContextualizedML's
// max_epochs=0: the untrained model, the reference its tests compare a fit against).
FitResult fit(const DataView& data, const FitOptions& options, const std::vector<double>* init = nullptr,
              bool train = true);

// Objective value and gradient at w, on the scaling the data imply (what fit minimises).
double objective_value_grad(const DataView& data, const FitOptions& options, const std::vector<double>& w,
                            std::vector<double>* grad);

// Per-sample parameters (rows x q, user units) for contexts C (rows x m, user units).
std::vector<double> predict_theta(const EncoderSpec& spec, const Scaling& scaling, const std::vector<double>& w,
                                  const double* C, std::size_t rows, int m, int threads);

std::size_t encoder_n_weights(const EncoderSpec& spec, int m, int q);

// The spec a fit on these data uses: a spline's knots and centres placed from the data when
// the spec carries none; other specs unchanged.
EncoderSpec resolve_encoder_spec(const DataView& data, const Scaling& scaling, const EncoderSpec& spec, int threads);

}  // namespace ctxstats
