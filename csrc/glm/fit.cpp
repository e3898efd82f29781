#include "glm/fit.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "encoders/context_basis.hpp"
#include "glm/output_layer.hpp"
#include "glm/skip_start.hpp"
#include "glm/early_stopping.hpp"
#include "glm/location_scale.hpp"
#include "glm/negbin.hpp"
#include "options/schema.hpp"
#include "common/error.hpp"
#include "common/memory.hpp"
#include "common/convergence.hpp"

namespace ctxstats {

std::string resolve_solver(const FitOptions& o) {
  const std::string& s = o.solver;
  require(s == "auto" || s == "exact" || s == "lbfgs" || s == "adam" || s == "varpro",
          "solver must be one of 'exact', 'lbfgs', 'varpro', 'adam' (or None), not '" + s + "'");
  if (s != "auto") return s;
  if (o.encoder.type == "spline") return "exact";
  const bool linear = o.encoder.type == "linear" && o.encoder.archetypes == 0;
  const bool smooth = o.penalty.alpha == 0.0 || o.penalty.l1_ratio == 0.0;
  return (linear && smooth) ? "exact" : "lbfgs";
}

bool uses_early_stopping(const FitOptions& options, const Encoder& encoder, const std::string& solver) {
  return options.early_stopping && encoder.output_features() > 0 && solver == "lbfgs";
}

bool estimates_dispersion(const FitOptions& options) { return options.family == "gaussian" || options.quasi; }

bool uses_output_start(const FitOptions& options, const Encoder& encoder, const std::string& solver) {
  return options.output_start && options.family == "gaussian" && encoder.output_features() > 0 && solver == "lbfgs" &&
         !(options.penalty.alpha > 0.0 && options.penalty.l1_ratio > 0.0);
}

std::size_t encoder_n_weights(const EncoderSpec& spec, int m, int q) {
  if (spec.type == "spline" && spec.knots.empty()) {
    validate_encoder_spec(spec);
    require(m >= 1, "context must have at least one column");
    return static_cast<std::size_t>(q) * spline_basis_size(spec, m);
  }
  return make_encoder(spec, m, q)->n_weights();
}

EncoderSpec resolve_encoder_spec(const DataView& data, const Scaling& scaling, const EncoderSpec& spec, int threads) {
  if (spec.type != "spline") return spec;
  validate_encoder_spec(spec);
  return prepare_spline_spec(data, scaling, spec, threads);
}

namespace {

// A fit never returns NaN or inf parameters, converged or not (issue 13): an overflow says so.
FitResult checked(FitResult out) {
  if (out.solve.interrupted) return out;
  for (double w : out.weights)
    if (!std::isfinite(w))
      throw InvalidArgument("the fit produced non-finite parameters (" + out.solver +
                            " solver): the optimisation overflowed; lower learning_rate, add weight_decay or alpha, "
                            "or rescale exog and context");
  return out;
}

// What a fit of n_weights weights on n rows holds at once, refused before allocation when it
// cannot fit in memory (issue 13: width=30000 or a huge spline basis died with bad_alloc).
// exact: the Gram matrix and its factor (and REML's copies); iterative: L-BFGS's history of
// ten pairs and Adam's moments, plus the encoder's per-block workspace.
void check_fit_memory(const Encoder& encoder, const std::string& solver, const FitOptions& o, std::size_t n) {
  const double w = static_cast<double>(encoder.n_weights());
  const double doubles = solver == "exact" ? 4.0 * w * w + 8.0 * w
                                           : 30.0 * w + static_cast<double>(encoder.workspace_size(256)) * 2.0;
  const std::string& e = o.encoder.type;
  const std::string remedy = e == "spline"   ? "lower n_knots, interaction_knots or the number of interactions"
                             : e == "linear" ? "use fewer exog or context columns"
                                             : "lower width, depth or archetypes";
  require_memory(8.0 * doubles + 8.0 * static_cast<double>(n),
                 "the " + e + " encoder's " + std::to_string(encoder.n_weights()) + " weights with the " + solver +
                     " solver",
                 remedy);
}

}  // namespace

FitResult fit(const DataView& data, const FitOptions& options, const std::vector<double>* init, bool train) {
  if (options.family == "negativebinomial") {
    require(train, "an untrained model (max_epochs=0) is not available with family 'negativebinomial'");
    return checked(fit_negbin(data, options, init));
  }
  const Family family = parse_family(options.family);
  if (options.scale == "context") {
    require(train, "an untrained model (max_epochs=0) is not available with scale='context'");
    return checked(fit_location_scale(data, options, init));
  }
  validate_fit_options(options);
  FitResult out;
  out.solver = resolve_solver(options);
  out.scaling = compute_scaling(data, family, options.intercept);
  out.encoder = resolve_encoder_spec(data, out.scaling, options.encoder, options.solver_options.threads);
  auto encoder = make_encoder(out.encoder, data.m, out.scaling.q());
  check_fit_memory(*encoder, out.solver, options, data.n);
  out.weights.assign(encoder->n_weights(), 0.0);
  if (init) {
    require(init->size() == encoder->n_weights(), "the initial weights have the wrong length");
    out.weights = *init;
  } else {
    encoder->init(options.solver_options.seed, out.weights.data());
    if (out.encoder.linear_skip && train)
      linear_skip_start(*encoder, family, data, out.scaling, options.penalty, options.solver_options,
                        out.weights.data());
  }
  if (out.encoder.type == "spline" && family == Family::kGaussian) {
    // A constant response leaves no residual variance: the smoothing parameters and the scale
    // that REML/GCV estimate are undefined (the fit stopped at "scale must be positive").
    bool constant = true;
    for (std::size_t i = 1; i < data.n && constant; ++i) constant = data.y[i] == data.y[0];
    require(!constant, "endog is constant; a gaussian spline fit estimates its smoothing parameters and scale "
                       "from the residual variation, of which there is none (use encoder='linear')");
  }
  if (!train) {
    Objective objective(*encoder, family, data, out.scaling, options.penalty, options.solver_options.threads);
    out.trained = false;
    out.solve.objective = objective.value_grad(out.weights.data(), nullptr);
    out.solve.message = "not trained: the initial weights were returned unfitted (max_epochs=0)";
    return checked(std::move(out));
  }
  if (out.solver == "exact") {
    out.solve = solve_exact(*encoder, family, data, out.scaling, options.penalty, options.solver_options,
                            out.weights.data());
    return checked(std::move(out));
  }
  SolverOptions solver_options = options.solver_options;
  if (encoder->output_features() > 0) {  // non-convex: stop when the likelihood no longer moves
    double rows = 0.0;
    for (std::size_t i = 0; i < data.n; ++i) rows += data.weights ? data.weights[i] : 1.0;
    solver_options.loglik_tol = kNeuralLoglikTol;
    solver_options.loglik_rows = rows;
    solver_options.loglik_gaussian = family == Family::kGaussian;
  }
  if (uses_early_stopping(options, *encoder, out.solver)) {
    const EarlyStopping es = choose_iterations(*encoder, family, data, out.scaling, options.penalty, solver_options,
                                               out.weights.data(), !init && uses_output_start(options, *encoder, out.solver));
    Objective objective(*encoder, family, data, out.scaling, options.penalty, options.solver_options.threads);
    fit_after_early_stopping(
        es, encoder->n_weights(), [&objective](const double* x, double* g) { return objective.value_grad(x, g); },
        solver_options, out.weights.data(), &out);
    return checked(std::move(out));
  }
  if (!init && uses_output_start(options, *encoder, out.solver))
    gaussian_output_start(*encoder, data, out.scaling, options.penalty, options.solver_options.threads, nullptr,
                          out.weights.data(), nullptr);
  Objective objective(*encoder, family, data, out.scaling, options.penalty, options.solver_options.threads);
  if (out.solver == "varpro")
    out.solve = solve_varpro(objective, *encoder, family, data, out.scaling, options.penalty, out.weights.data(),
                             solver_options);
  else
    out.solve = out.solver == "lbfgs" ? solve_lbfgs(objective, out.weights.data(), solver_options)
                                      : solve_adam(objective, out.weights.data(), solver_options);
  return checked(std::move(out));
}

double objective_value_grad(const DataView& data, const FitOptions& options, const std::vector<double>& w,
                            std::vector<double>* grad) {
  const Family family = parse_family(options.family);
  const Scaling scaling = compute_scaling(data, family, options.intercept);
  const EncoderSpec spec = resolve_encoder_spec(data, scaling, options.encoder, options.solver_options.threads);
  auto encoder = make_encoder(spec, data.m, scaling.q());
  require(w.size() == encoder->n_weights(), "the weights have the wrong length");
  Objective objective(*encoder, family, data, scaling, options.penalty, options.solver_options.threads);
  if (grad) grad->assign(w.size(), 0.0);
  return objective.value_grad(w.data(), grad ? grad->data() : nullptr);
}

std::vector<double> predict_theta(const EncoderSpec& spec, const Scaling& scaling, const std::vector<double>& w,
                                  const double* C, std::size_t rows, int m, int threads) {
  require(m == static_cast<int>(scaling.c_mean.size()),
          "context has " + std::to_string(m) + " columns; the model was fitted with " +
              std::to_string(scaling.c_mean.size()));
  auto encoder = make_encoder(spec, m, scaling.q());
  require(w.size() == encoder->n_weights(), "the weights have the wrong length");
  std::vector<double> theta(rows * static_cast<std::size_t>(scaling.q()));
  encode_samples(*encoder, scaling, w.data(), C, rows, theta.data(), threads);
  return theta;
}

}  // namespace ctxstats
