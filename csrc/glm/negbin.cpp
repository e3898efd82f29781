#include "glm/negbin.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.hpp"
#include "encoders/context_basis.hpp"
#include "common/linear_solve.hpp"
#include "glm/exact_passes.hpp"
#include "inference/negbin.hpp"
#include "options/schema.hpp"

namespace ctxstats {

namespace {

constexpr int kBlock = 512;

// eta_i (the internal scale equals the user's for the log link: y is not standardised) for every row.
std::vector<double> linear_predictor(const DataView& data, const Scaling& scaling, const ContextBasis& basis,
                                     const Eigen::VectorXd& b, int threads) {
  const int m = data.m, m1 = basis.size(), q = scaling.q();
  const std::size_t n = data.n, blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> eta(n);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::ptrdiff_t blk = 0; blk < static_cast<std::ptrdiff_t>(blocks); ++blk) {
    const std::size_t start = static_cast<std::size_t>(blk) * kBlock;
    const int rows = static_cast<int>(std::min<std::size_t>(kBlock, n - start));
    std::vector<double> C(static_cast<std::size_t>(rows) * m), X(static_cast<std::size_t>(rows) * q), y(rows),
        s(rows), B(static_cast<std::size_t>(rows) * m1);
    load_rows(data, scaling, nullptr, start, rows, C.data(), X.data(), y.data(), s.data());
    basis.eval(C.data(), rows, B.data());
    for (int r = 0; r < rows; ++r) {
      double e = 0.0;
      for (int k = 0; k < q; ++k) {
        double t = 0.0;
        for (int l = 0; l < m1; ++l) t += b[k * m1 + l] * B[static_cast<std::size_t>(r) * m1 + l];
        e += X[static_cast<std::size_t>(r) * q + k] * t;
      }
      eta[start + r] = e;
    }
  }
  return eta;
}

}  // namespace

FitResult fit_negbin(const DataView& data, const FitOptions& options, const std::vector<double>* init) {
  validate_fit_options(options);
  require(options.encoder.type == "linear" && options.encoder.archetypes == 0,
          "the negative binomial family is available with encoder 'linear' (without archetypes) only");
  validate_data(data, Family::kPoisson);
  FitResult out;
  out.solver = "exact";
  out.encoder = options.encoder;
  out.scaling = compute_scaling(data, Family::kPoisson, options.intercept);
  const auto basis = make_linear_basis(data.m);
  const int q = out.scaling.q(), D = q * basis->size();
  const std::size_t n = data.n;
  const int threads = resolve_threads(options.solver_options.threads);
  if (init) require(init->size() == static_cast<std::size_t>(D), "the initial weights have the wrong length");

  double sw = 0.0, swy = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double w = data.weights ? data.weights[i] : 1.0;
    sw += w;
    swy += w * data.y[i];
  }
  require(swy > 0.0, "endog is zero in every row: the negative binomial mean is not identified");
  const double start = std::log(swy / sw);
  const Eigen::MatrixXd M0 =
      exact_pass(Family::kPoisson, data, out.scaling, *basis, Eigen::VectorXd::Zero(D), false, threads).M;

  // The NB pass at theta: the gradient is the poisson one with prior weights w theta / (theta
  // + mu), the Hessian the observed one, the poisson Hessian with prior weights w theta (theta +
  // y) / (theta + mu)^2 (positive: the objective is convex in eta, and Newton's method converges
  // quadratically, where Fisher scoring -- glm.nb's IRLS -- converges linearly: the exact
  // solver's stopping rule then leaves the estimates at rounding rather than ~1e-9 standard
  // errors away); the objective is the NB's, sum w [(y + theta) log(theta + mu) - y eta], with
  // the user weights' total and Gram.
  double theta = 0.0;
  std::vector<double> s(n), h(n);
  const ExactPass nb_pass = [&](const Eigen::VectorXd& b, bool hessian) {
    const std::vector<double> eta = linear_predictor(data, out.scaling, *basis, b, threads);
    double f = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double w = data.weights ? data.weights[i] : 1.0, mu = std::exp(eta[i]), y = data.y[i];
      s[i] = w * theta / (theta + mu);
      h[i] = s[i] * (theta + y) / (theta + mu);
      f += w * ((y + theta) * std::log1p(mu / theta) - y * eta[i]);  // + constants in theta
    }
    DataView ds = data;
    ds.weights = s.data();
    ExactSums a = exact_pass(Family::kPoisson, ds, out.scaling, *basis, b, false, threads);
    if (hessian) {
      DataView dh = data;
      dh.weights = h.data();
      a.H = exact_pass(Family::kPoisson, dh, out.scaling, *basis, b, true, threads).H;
    }
    a.f = std::isfinite(f) ? f : std::numeric_limits<double>::infinity();
    a.total = sw;
    a.M = M0;
    return a;
  };
  const ExactPass poisson_pass = [&](const Eigen::VectorXd& b, bool hessian) {
    return exact_pass(Family::kPoisson, data, out.scaling, *basis, b, hessian, threads);
  };

  std::vector<double> w(static_cast<std::size_t>(D), 0.0);
  // The exact solver stops before the step whose Newton decrement falls below its tol (1e-20
  // relative to the objective), which can leave the estimates ~1e-8 standard errors from the
  // maximum; one more Newton step (kept when tiny or not raising the objective) takes them to
  // rounding. Unpenalised fits only: a penalised one keeps the solver's stopping point.
  const bool unpenalised = options.penalty.alpha == 0.0 && options.penalty.weight_decay == 0.0;
  const auto polish = [&](std::vector<double>& coef) {
    if (!unpenalised) return;
    Eigen::Map<Eigen::VectorXd> b(coef.data(), D);
    const ExactSums a = nb_pass(b, true);
    bool singular = false;
    const Eigen::VectorXd step = solve_symmetric(a.H, a.g, &singular);
    const Eigen::VectorXd next = b - step;
    const bool tiny = step.cwiseAbs().maxCoeff() <= 1e-6 * (1.0 + b.cwiseAbs().maxCoeff());
    if (step.allFinite() && (tiny || nb_pass(next, false).f <= a.f)) b = next;
  };
  SolverOptions inner = options.solver_options;
  inner.max_iter = 0;  // the exact solver's own cap per theta
  int total_iter = 0;
  if (init) {
    w = *init;
  } else {
    out.solve = solve_linear_passes(*basis, Family::kPoisson, poisson_pass, out.scaling, options.penalty, inner, start,
                                    w.data());
    total_iter += out.solve.n_iter;
    if (out.solve.interrupted) {
      out.weights = w;
      return out;
    }
  }
  const auto means = [&]() {
    std::vector<double> mu = linear_predictor(data, out.scaling, *basis, Eigen::Map<Eigen::VectorXd>(w.data(), D), threads);
    for (double& v : mu) v = std::exp(v);
    return mu;
  };
  std::vector<double> mu = means();
  ThetaFit tf = negbin_theta_ml(data.y, mu.data(), data.weights, n);
  const int max_outer = options.solver_options.max_iter > 0 ? options.solver_options.max_iter : 100;
  bool converged = false;
  std::string message;
  int outer = 0;
  for (outer = 1; outer <= max_outer; ++outer) {
    theta = tf.theta;
    if (!tf.converged) {
      message = tf.message;
      break;
    }
    out.solve = solve_linear_passes(*basis, Family::kPoisson, nb_pass, out.scaling, options.penalty, inner, start,
                                    w.data());
    total_iter += out.solve.n_iter;
    if (out.solve.interrupted) break;
    if (!out.solve.converged) {
      message = out.solve.message;
      break;
    }
    polish(w);
    mu = means();
    tf = negbin_theta_ml(data.y, mu.data(), data.weights, n, theta);
    if (tf.converged && std::fabs(tf.theta - theta) <= 1e-11 * theta) {
      converged = true;
      break;
    }
  }
  if (!converged && message.empty() && !out.solve.interrupted)
    message = "the alternation of coefficients and theta reached max_iter=" + std::to_string(max_outer) +
              " before theta settled (relative change 1e-11); raise max_iter";
  out.weights = w;
  out.nb_theta = theta;
  out.solve.converged = converged;
  out.solve.n_iter = total_iter;
  if (!converged && !out.solve.interrupted) out.solve.message = message;
  for (double v : out.weights)
    if (!std::isfinite(v))
      throw InvalidArgument("the negative binomial fit produced non-finite parameters; rescale exog and context");
  return out;
}

}  // namespace ctxstats
