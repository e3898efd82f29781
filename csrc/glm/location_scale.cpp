#include "glm/location_scale.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "common/error.hpp"
#include "common/linear_solve.hpp"
#include "common/memory.hpp"
#include "encoders/context_basis.hpp"
#include "options/schema.hpp"
#include "glm/penalty_blocks.hpp"
#include "glm/objective.hpp"
#include "inference/spline_pointwise.hpp"
#include "smoothing/smoothing.hpp"

namespace ctxstats {

namespace {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
constexpr double kLog2Pi = 1.8378770664093454836;

// The rows on the internal scale, held once: x~ (n x q), b(c) (n x size), y', s.
struct Rows {
  std::size_t n = 0;
  int q = 0, nb = 0;
  RowMat X, B;
  Eigen::VectorXd y, s;
  double total = 0.0;
};

Rows load_all(const DataView& data, const Scaling& scaling, const ContextBasis& basis) {
  Rows R;
  R.n = data.n;
  R.q = scaling.q();
  R.nb = basis.size();
  const double doubles = static_cast<double>(data.n) * (data.m + R.q + R.nb + 2);
  require_memory(8.0 * doubles, "scale='context' with " + std::to_string(R.nb) + " basis functions",
                 "use fewer context columns or a smaller n_knots");
  R.X.resize(static_cast<Eigen::Index>(data.n), R.q);
  R.B.resize(static_cast<Eigen::Index>(data.n), R.nb);
  R.y.resize(static_cast<Eigen::Index>(data.n));
  R.s.resize(static_cast<Eigen::Index>(data.n));
  std::vector<double> Cs(static_cast<std::size_t>(kBlockRows) * data.m);
  for (std::size_t start = 0; start < data.n; start += kBlockRows) {
    const int rows = static_cast<int>(std::min<std::size_t>(kBlockRows, data.n - start));
    const auto i0 = static_cast<Eigen::Index>(start);
    load_rows(data, scaling, nullptr, start, rows, Cs.data(), R.X.row(i0).data(), R.y.data() + start,
              R.s.data() + start);
    basis.eval(Cs.data(), rows, R.B.row(i0).data());
  }
  R.total = R.s.sum();
  return R;
}

// theta = [W (q x nb row-major); g (first ks entries used)]; the scale part uses b's first ks
// columns (ks = nb, or 1 for the constant-sigma fit).
struct Sums {
  double f = 0.0;
  Eigen::VectorXd grad;
  Eigen::MatrixXd hess;    // observed
  Eigen::MatrixXd fisher;  // expected
};

Sums accumulate(const Rows& R, int ks, const Eigen::VectorXd& theta, bool second) {
  const int q = R.q, nb = R.nb, dm = q * nb, D = dm + ks;
  Sums out;
  out.grad = Eigen::VectorXd::Zero(D);
  if (second) {
    out.hess = Eigen::MatrixXd::Zero(D, D);
    out.fisher = Eigen::MatrixXd::Zero(D, D);
  }
  const Eigen::Map<const RowMat> W(theta.data(), q, nb);
  const Eigen::VectorXd g = theta.tail(ks);
  RowMat Z(kBlockRows, dm);
  Eigen::VectorXd wm(kBlockRows), wg(kBlockRows), wr(kBlockRows);
  for (std::size_t start = 0; start < R.n; start += kBlockRows) {
    const int rows = static_cast<int>(std::min<std::size_t>(kBlockRows, R.n - start));
    const auto i0 = static_cast<Eigen::Index>(start);
    for (int r = 0; r < rows; ++r) {
      const auto x = R.X.row(i0 + r);
      const auto b = R.B.row(i0 + r);
      for (int k = 0; k < q; ++k) Z.row(r).segment(k * nb, nb) = x(k) * b;
      const double eta = (W * b.transpose()).dot(x.transpose());
      const double zeta = b.head(ks).dot(g);
      const double res = R.y(i0 + r) - eta, e2 = std::exp(-2.0 * zeta), s = R.s(i0 + r);
      const double u = res * res * e2;
      out.f += s * (0.5 * u + zeta);
      wm(r) = s * e2;              // WW weights
      wr(r) = s * 2.0 * res * e2;  // Wg weights
      wg(r) = s * 2.0 * u;         // gg observed weights
      out.grad.head(dm).noalias() -= (s * res * e2) * Z.row(r).transpose();
      out.grad.tail(ks).noalias() += (s * (1.0 - u)) * b.head(ks).transpose();
    }
    if (!second) continue;
    const auto Zb = Z.topRows(rows);
    const auto Bb = R.B.block(i0, 0, rows, ks);
    const Eigen::MatrixXd WW = Zb.transpose() * wm.head(rows).asDiagonal() * Zb;
    const Eigen::MatrixXd Wg = Zb.transpose() * wr.head(rows).asDiagonal() * Bb;
    const Eigen::MatrixXd gg = Bb.transpose() * wg.head(rows).asDiagonal() * Bb;
    const Eigen::MatrixXd BB = Bb.transpose() * R.s.segment(i0, rows).asDiagonal() * Bb;
    out.hess.topLeftCorner(dm, dm) += WW;
    out.hess.topRightCorner(dm, ks) += Wg;
    out.hess.bottomRightCorner(ks, ks) += gg;
    out.fisher.topLeftCorner(dm, dm) += WW;
    out.fisher.bottomRightCorner(ks, ks) += 2.0 * BB;
  }
  if (second) {
    out.hess.bottomLeftCorner(ks, dm) = out.hess.topRightCorner(dm, ks).transpose();
  }
  return out;
}

// The quadratic penalty sum_j lambda_j S_j over theta's D entries (lambda empty: none).
Eigen::MatrixXd penalty_matrix_of(const std::vector<SmoothPenalty>& pens, const std::vector<double>& lambda, int D) {
  Eigen::MatrixXd S = Eigen::MatrixXd::Zero(D, D);
  for (std::size_t j = 0; j < lambda.size(); ++j) {
    const int o = pens[j].offset, k = static_cast<int>(pens[j].S.rows());
    S.block(o, o, k, k) += lambda[j] * pens[j].S;
  }
  return S;
}

struct NewtonResult {
  Eigen::VectorXd theta;
  Eigen::MatrixXd hess;  // penalised observed information at the end (Fisher where not positive definite)
  double f = 0.0;        // penalised
  int n_iter = 0;
  bool converged = false;
  bool interrupted = false;
  std::string message;
  std::vector<double> history;
};

// Penalised Newton (Fisher scoring where the observed information is not positive definite)
// with step halving.
NewtonResult newton(const Rows& R, int ks, Eigen::VectorXd theta, const Eigen::MatrixXd& S,
                    const SolverOptions& options) {
  const int max_iter = options.max_iter > 0 ? options.max_iter : 100;
  const double tol = options.tol > 0.0 ? options.tol : 1e-20;
  NewtonResult out;
  const auto pen_f = [&](const Eigen::VectorXd& t) { return accumulate(R, ks, t, false).f + 0.5 * t.dot(S * t); };
  // The step -H^-1 grad for H observed (fisher false) or expected; an observed H that is not
  // positive definite gives no step (empty).
  const auto direction = [&](const Eigen::MatrixXd& H, const Eigen::VectorXd& grad, bool fisher) {
    Eigen::LLT<Eigen::MatrixXd> llt(H);
    if (llt.info() == Eigen::Success) return Eigen::VectorXd(-llt.solve(grad));
    if (!fisher) return Eigen::VectorXd();
    bool rd = false;
    return Eigen::VectorXd(-solve_symmetric(H, grad, &rd));
  };
  for (int it = 1; it <= max_iter; ++it) {
    Sums a = accumulate(R, ks, theta, true);
    const double f = a.f + 0.5 * theta.dot(S * theta);
    const Eigen::VectorXd grad = a.grad + S * theta;
    const Eigen::MatrixXd Hobs = a.hess + S, Hexp = a.fisher + S;
    Eigen::VectorXd step = direction(Hobs, grad, false);
    bool observed = step.size() > 0;
    if (!observed) step = direction(Hexp, grad, true);
    const double dec = -grad.dot(step);
    out.n_iter = it;
    out.hess = observed ? Hobs : Hexp;
    out.f = f;
    out.theta = theta;
    if (options.callback && !options.callback(it, f / R.total)) {
      out.interrupted = true;
      out.message = "interrupted after iteration " + std::to_string(it);
      return out;
    }
    if (dec <= tol * std::max(1.0, std::abs(f))) {
      out.converged = true;
      break;
    }
    // Step halving until f decreases; the Fisher direction when the observed one gives none.
    double t = 1.0, fn = pen_f(theta + step);
    for (int pass = 0; pass < 2 && !(fn < f); ++pass) {
      if (pass == 1) {
        if (!observed) break;
        step = direction(Hexp, grad, true);
        t = 1.0;
        fn = pen_f(theta + step);
      }
      for (int h = 0; h < 40 && !(fn < f); ++h) {
        t *= 0.5;
        fn = pen_f(theta + t * step);
      }
    }
    if (!(fn < f)) {  // no decrease: at the rounding floor, or stuck
      out.converged = dec <= 1e-10 * std::max(1.0, std::abs(f));
      if (!out.converged)
        out.message = "Newton's method found no decrease of the likelihood at iteration " + std::to_string(it) +
                      " (Newton decrement " + std::to_string(dec) + ")";
      break;
    }
    theta += t * step;
    out.history.push_back(fn / R.total);
    if (it == max_iter) {
      Sums e = accumulate(R, ks, theta, true);
      out.theta = theta;
      out.f = fn;
      out.hess = e.hess + S;
      out.message = "Newton's method reached max_iter=" + std::to_string(max_iter) +
                    " before the Newton decrement fell below tol; raise max_iter or tol";
    }
  }
  return out;
}

// The start: least squares for W (sigma constant), log sigma at the residuals' RMS.
Eigen::VectorXd start_values(const Rows& R, int ks) {
  const int dm = R.q * R.nb;
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(dm + ks);
  const Sums a = accumulate(R, ks, theta, true);
  bool rd = false;
  theta.head(dm) = solve_symmetric(a.fisher.topLeftCorner(dm, dm), -a.grad.head(dm), &rd);
  // With zeta = 0, f = sum s r^2 / 2 + 0: the residuals' mean square.
  const double ms = 2.0 * accumulate(R, ks, theta, false).f / R.total;
  theta(dm) = 0.5 * std::log(std::max(ms, 1e-300));
  return theta;
}

double loglik_user(const Rows& R, const Eigen::VectorXd& theta, int ks, double y_scale) {
  return -accumulate(R, ks, theta, false).f - R.total * (std::log(y_scale) + 0.5 * kLog2Pi);
}

std::vector<double> to_vec(const Eigen::VectorXd& v) { return std::vector<double>(v.data(), v.data() + v.size()); }
std::vector<double> to_row_major_vec(const Eigen::MatrixXd& A) {
  std::vector<double> v(static_cast<std::size_t>(A.rows()) * A.cols());
  Eigen::Map<RowMat>(v.data(), A.rows(), A.cols()) = A;
  return v;
}

struct Prepared {
  Scaling scaling;
  EncoderSpec spec;
  std::unique_ptr<Encoder> encoder;
  std::unique_ptr<ContextBasis> linear;  // the linear encoder's basis [1, c]
  const ContextBasis* basis = nullptr;
};

// The basis b(c) of an encoder linear in its weights (linear: [1, c]; spline: its own).
const ContextBasis* basis_of(const Encoder& encoder, int m, std::unique_ptr<ContextBasis>* linear) {
  if (encoder.context_basis() != nullptr) return encoder.context_basis();
  require(encoder.is_linear(), "scale='context' needs encoder 'linear' or 'spline'");
  *linear = make_linear_basis(m);
  return linear->get();
}

Prepared prepare(const DataView& data, const FitOptions& options) {
  check_location_scale_options(options);
  validate_fit_options(options);
  Prepared P;
  P.scaling = compute_scaling(data, Family::kGaussian, options.intercept);
  P.spec = resolve_encoder_spec(data, P.scaling, options.encoder, options.solver_options.threads);
  P.encoder = make_encoder(P.spec, data.m, P.scaling.q());
  P.basis = basis_of(*P.encoder, data.m, &P.linear);
  return P;
}

// Wald statistic g' V^{r-} g, V^{r-} the pseudo-inverse of V truncated to its r largest eigenvalues.
double wald(const Eigen::VectorXd& g, const Eigen::MatrixXd& V, int r) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(V);
  const Eigen::VectorXd ev = es.eigenvalues();
  const Eigen::MatrixXd U = es.eigenvectors();
  double stat = 0.0;
  const int k = static_cast<int>(ev.size());
  for (int j = k - 1; j >= std::max(0, k - r); --j) {
    if (!(ev(j) > 1e-12 * std::max(1.0, ev(k - 1)))) break;
    const double c = U.col(j).dot(g);
    stat += c * c / ev(j);
  }
  return stat;
}

// The basis of a fitted model's encoder, checked against its scale report and the context's columns.
struct FittedBasis {
  std::unique_ptr<Encoder> encoder;
  std::unique_ptr<ContextBasis> linear;
  const ContextBasis* basis = nullptr;
  FittedBasis(const EncoderSpec& spec, const Scaling& scaling, const LocationScaleReport& report, int m) {
    require(report.present, "this fit has no context-dependent scale (fit with scale='context')");
    require(m == static_cast<int>(scaling.c_mean.size()),
            "context has " + std::to_string(m) + " columns; the model was fitted with " +
                std::to_string(scaling.c_mean.size()));
    encoder = make_encoder(spec, m, scaling.q());
    basis = basis_of(*encoder, m, &linear);
    validate_location_scale_report(report, encoder->n_weights(), scaling.q());
  }
};

}  // namespace

void check_location_scale_options(const FitOptions& o) {
  if (o.scale != "context") return;
  require(o.family == "gaussian", "scale='context' models a gaussian response's standard deviation; it needs "
                                  "family 'gaussian', not '" + o.family + "'");
  require(o.encoder.type == "linear" || o.encoder.type == "spline",
          "scale='context' is available for encoder 'linear' and 'spline', not '" + o.encoder.type + "'");
  require(o.encoder.archetypes == 0, "scale='context' is not available with archetypes");
  require(o.solver == "auto" || o.solver == "exact",
          "scale='context' is fitted by Newton's method (solver 'exact' or None), not solver '" + o.solver + "'");
  require(o.penalty.alpha == 0.0 && o.penalty.weight_decay == 0.0,
          "alpha and weight_decay are not available with scale='context' (a spline's smoothing penalties are)");
  require(o.encoder.smoothing.empty(),
          "smoothing (fixed smoothing parameters) is not available with scale='context'; they are chosen by REML");
  require(o.encoder.type != "spline" || o.encoder.smoothing_method == "REML",
          "method must be 'REML' with scale='context' (the smoothing parameters are chosen by PQL-REML), not '" +
              o.encoder.smoothing_method + "'");
}

FitResult fit_location_scale(const DataView& data, const FitOptions& options, const std::vector<double>* init) {
  Prepared P = prepare(data, options);
  const ContextBasis& basis = *P.basis;
  const Rows R = load_all(data, P.scaling, basis);
  const int q = R.q, nb = R.nb, dm = q * nb, D = dm + nb;
  require(R.total > 0.0, "weights must not all be zero");
  FitResult out;
  out.solver = "exact";
  out.scaling = P.scaling;
  out.encoder = P.spec;
  LocationScaleReport& rep = out.location_scale;
  rep.present = true;

  Eigen::VectorXd theta;
  if (init) {
    require(init->size() == static_cast<std::size_t>(D), "the initial weights have the wrong length: " +
                                                              std::to_string(D) + " (mean then scale weights)");
    theta = Eigen::Map<const Eigen::VectorXd>(init->data(), D);
  } else {
    const Eigen::VectorXd t1 = start_values(R, 1);
    theta = Eigen::VectorXd::Zero(D);
    theta.head(dm + 1) = t1;
  }

  std::vector<SmoothPenalty> pens;  // the mean's q outputs' then the scale's penalties, offsets in theta
  std::vector<double> lambda;
  const bool penalised = !basis.penalties().empty();
  SolverResult& solve = out.solve;
  if (penalised) {
    // PQL: REML smoothing parameters for each part's working model in turn.
    std::vector<SmoothPenalty> pm, ps;
    std::vector<PenaltyBlock> bm, bs;
    std::vector<int> po, pt;
    expand_penalties(basis, q, &pm, &bm, &po, &pt);
    expand_penalties(basis, 1, &ps, &bs, &po, &pt);
    SmoothingOptions so;
    so.known_scale = true;
    so.threads = options.solver_options.threads;
    Eigen::VectorXd rho_m, rho_s;
    const int max_outer = 100;
    bool settled = false;
    int outer = 0, smoothing_iter = 0;
    for (; outer < max_outer && !settled; ++outer) {
      const Eigen::VectorXd old = theta;
      // The mean's working model at the current sigma.
      Sums a = accumulate(R, nb, theta, true);
      WorkingModel wm;
      wm.H = a.fisher.topLeftCorner(dm, dm);
      wm.r = wm.H * theta.head(dm) - a.grad.head(dm);  // Z' W y': the gradient is -Z'W(y' - Z w)
      wm.n = R.total;
      if (rho_m.size() == 0) rho_m = initial_rho(wm, pm);
      SmoothingFit fm = fit_smoothing(wm, pm, bm, rho_m, false, so);
      rho_m = fm.rho;
      theta.head(dm) = fm.beta;
      smoothing_iter += fm.n_iter;
      // The scale's Fisher-scoring working model at the new mean.
      a = accumulate(R, nb, theta, true);
      WorkingModel ws;
      ws.H = a.fisher.bottomRightCorner(nb, nb);
      ws.r = ws.H * theta.tail(nb) - a.grad.tail(nb);
      ws.n = R.total;
      if (rho_s.size() == 0) rho_s = initial_rho(ws, ps);
      SmoothingFit fs = fit_smoothing(ws, ps, bs, rho_s, false, so);
      rho_s = fs.rho;
      theta.tail(nb) = fs.beta;
      smoothing_iter += fs.n_iter;
      if (fm.interrupted || fs.interrupted) {
        solve.interrupted = true;
        solve.message = "interrupted while choosing the smoothing parameters";
        break;
      }
      const double change = (theta - old).cwiseAbs().maxCoeff();
      settled = change <= 1e-8 * (1.0 + theta.cwiseAbs().maxCoeff());
    }
    rep.outer_iter = outer;
    solve.n_iter = smoothing_iter;
    if (!settled && !solve.interrupted)
      solve.message = "the PQL iterations for the smoothing parameters did not settle in " +
                      std::to_string(max_outer) + " iterations";
    for (auto& p : pm) pens.push_back(p);
    for (auto& p : ps) {
      p.offset += dm;
      pens.push_back(p);
    }
    for (int j = 0; j < rho_m.size(); ++j) lambda.push_back(std::exp(rho_m(j)));
    for (int j = 0; j < rho_s.size(); ++j) lambda.push_back(std::exp(rho_s(j)));
    rep.lambda = lambda;
    if (!settled || solve.interrupted) {
      solve.converged = false;
    }
  }
  const Eigen::MatrixXd S = penalty_matrix_of(pens, lambda, D);
  bool smoothing_ok = solve.message.empty();
  NewtonResult nr;
  if (!solve.interrupted) {
    nr = newton(R, nb, theta, S, options.solver_options);
    theta = nr.theta;
    solve.n_iter += nr.n_iter;
    solve.interrupted = nr.interrupted;
    solve.converged = nr.converged && smoothing_ok;
    if (!nr.message.empty()) solve.message = solve.message.empty() ? nr.message : solve.message + "; " + nr.message;
    solve.history = nr.history;
    solve.objective = nr.f / R.total;
  }
  out.weights = to_vec(theta.head(dm));
  rep.weights = to_vec(theta.tail(nb));
  if (solve.interrupted) return out;
  for (double w : theta)
    if (!std::isfinite(w))
      throw InvalidArgument("the scale='context' fit produced non-finite parameters: the likelihood is unbounded "
                            "(a context region with an exact fit); use fewer context columns or encoder='spline'");
  // The covariance: the inverse penalised observed information (Fisher where that is not
  // positive definite).
  Sums fin = accumulate(R, nb, theta, true);
  Eigen::MatrixXd H = fin.hess + S;
  Eigen::LLT<Eigen::MatrixXd> llt(H);
  if (llt.info() != Eigen::Success) {
    H = fin.fisher + S;
    llt.compute(H);
  }
  Eigen::MatrixXd V;
  if (llt.info() == Eigen::Success) {
    V = llt.solve(Eigen::MatrixXd::Identity(D, D));
  } else {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(H);
    Eigen::VectorXd inv = es.eigenvalues();
    const double cut = 1e-12 * std::max(1.0, inv.cwiseAbs().maxCoeff()) * D;
    for (int j = 0; j < D; ++j) inv(j) = inv(j) > cut ? 1.0 / inv(j) : 0.0;
    V = es.eigenvectors() * inv.asDiagonal() * es.eigenvectors().transpose();
    solve.rank_deficient = true;
  }
  rep.cov = to_row_major_vec(V);
  rep.loglik = loglik_user(R, theta, nb, P.scaling.y_scale);
  // Effective degrees of freedom: tr((I + S)^-1 I) over each part, I the expected information
  // (block diagonal); the counts when unpenalised.
  if (penalised) {
    const Eigen::MatrixXd If = fin.fisher + S;
    const Eigen::MatrixXd F = If.ldlt().solve(fin.fisher);
    rep.edf_mean = F.topLeftCorner(dm, dm).trace();
    rep.edf_scale = F.bottomRightCorner(nb, nb).trace();
  } else {
    rep.edf_mean = dm;
    rep.edf_scale = nb;
  }
  const Eigen::VectorXd gs = theta.tail(nb - 1);
  const Eigen::MatrixXd Vs = V.bottomRightCorner(nb - 1, nb - 1);
  if (!penalised) {
    const NewtonResult c = newton(R, 1, theta.head(dm + 1), Eigen::MatrixXd::Zero(dm + 1, dm + 1),
                                  options.solver_options);
    rep.constant_converged = c.converged;
    rep.loglik_constant = loglik_user(R, c.theta, 1, P.scaling.y_scale);
    rep.lr_statistic = std::max(0.0, 2.0 * (rep.loglik - rep.loglik_constant));
    rep.test_df = nb - 1;
    rep.wald_statistic = nb > 1 ? wald(gs, Vs, nb - 1) : 0.0;
  } else {
    rep.loglik_constant = std::numeric_limits<double>::quiet_NaN();
    rep.lr_statistic = std::numeric_limits<double>::quiet_NaN();
    // Wood (2013)'s rank: the scale smooth's edf beyond the constant, rounded as mgcv does.
    const double edf = std::max(1.0, rep.edf_scale - 1.0);
    const double fl = std::floor(edf);
    const int r = std::max(1, static_cast<int>(edf - fl <= 0.05 ? fl : fl + 1.0));
    rep.test_df = std::min(r, nb - 1);
    // On the smooth's fitted values (Wood 2013): f = R g_s with R'R the scale's information over
    // its non-constant columns, covariance R V_s R'.
    if (nb > 1) {
      const Eigen::MatrixXd G = fin.fisher.bottomRightCorner(nb - 1, nb - 1);
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(G);
      const Eigen::MatrixXd Rm =
          es.eigenvalues().cwiseMax(0.0).cwiseSqrt().asDiagonal() * es.eigenvectors().transpose();
      rep.wald_statistic = wald(Rm * gs, Rm * Vs * Rm.transpose(), static_cast<int>(rep.test_df));
    }
  }
  return out;
}

double location_scale_objective(const DataView& data, const FitOptions& options, const std::vector<double>& w,
                                const std::vector<double>& lambda, std::vector<double>* grad,
                                std::vector<double>* hessian) {
  Prepared P = prepare(data, options);
  const Rows R = load_all(data, P.scaling, *P.basis);
  const int nb = R.nb, D = R.q * nb + nb;
  require(w.size() == static_cast<std::size_t>(D), "the weights have the wrong length: " + std::to_string(D) +
                                                       " (mean then scale weights)");
  std::vector<SmoothPenalty> pens;
  if (!lambda.empty()) {
    std::vector<SmoothPenalty> ps;
    std::vector<PenaltyBlock> blocks;
    std::vector<int> po, pt;
    expand_penalties(*P.basis, R.q + 1, &pens, &blocks, &po, &pt);
    require(lambda.size() == pens.size(), "lambda must have one value per penalty (" + std::to_string(pens.size()) + ")");
  }
  const Eigen::MatrixXd S = penalty_matrix_of(pens, lambda, D);
  const Eigen::VectorXd theta = Eigen::Map<const Eigen::VectorXd>(w.data(), D);
  const Sums a = accumulate(R, nb, theta, hessian != nullptr);
  if (grad) *grad = to_vec((a.grad + S * theta) / R.total);
  if (hessian) *hessian = to_row_major_vec((a.hess + S) / R.total);
  return (a.f + 0.5 * theta.dot(S * theta)) / R.total;
}

LocationScalePrediction predict_location_scale(const EncoderSpec& spec, const Scaling& scaling,
                                               const std::vector<double>& weights, const LocationScaleReport& report,
                                               const double* X, const double* C, std::size_t rows, int p, int m) {
  require(p == static_cast<int>(scaling.x_mean.size()),
          "exog has " + std::to_string(p) + " columns; the model was fitted with " +
              std::to_string(scaling.x_mean.size()));
  const FittedBasis fb(spec, scaling, report, m);
  const ContextBasis* basis = fb.basis;
  const int q = scaling.q(), nb = basis->size(), dm = q * nb, D = dm + nb;
  require(weights.size() == static_cast<std::size_t>(dm), "the weights have the wrong length");
  check_finite(X, rows, p, "exog");
  check_finite(C, rows, m, "context");
  const Eigen::Map<const RowMat> V(report.cov.data(), D, D);
  const Eigen::Map<const RowMat> W(weights.data(), q, nb);
  const Eigen::Map<const Eigen::VectorXd> g(report.weights.data(), nb);
  DataView d;
  d.n = rows;
  d.p = p;
  d.m = m;
  d.C = C;
  d.X = X;
  std::vector<double> zeros(rows, 0.0);
  d.y = zeros.data();
  LocationScalePrediction out;
  out.eta.resize(rows);
  out.se_eta.resize(rows);
  out.sigma.resize(rows);
  std::vector<double> Cs(m), xs(q), bs(nb);
  Eigen::VectorXd z(dm);
  double ydum = 0.0, wdum = 0.0;
  for (std::size_t i = 0; i < rows; ++i) {
    load_rows(d, scaling, nullptr, i, 1, Cs.data(), xs.data(), &ydum, &wdum);
    basis->eval(Cs.data(), 1, bs.data());
    const Eigen::Map<const Eigen::VectorXd> b(bs.data(), nb);
    for (int k = 0; k < q; ++k) z.segment(k * nb, nb) = xs[k] * b;
    const double eta = (W * b).dot(Eigen::Map<const Eigen::VectorXd>(xs.data(), q));
    out.eta[i] = scaling.y_mean + scaling.y_scale * eta;
    out.se_eta[i] = scaling.y_scale * std::sqrt(std::max(0.0, z.dot(V.topLeftCorner(dm, dm) * z)));
    out.sigma[i] = scaling.y_scale * std::exp(g.dot(b));
  }
  return out;
}

std::vector<double> location_scale_average_cov(const EncoderSpec& spec, const Scaling& scaling,
                                               const LocationScaleReport& report, const double* C, std::size_t rows,
                                               int m) {
  require(rows > 0, "context has no rows");
  const FittedBasis fb(spec, scaling, report, m);
  const ContextBasis* basis = fb.basis;
  const int q = scaling.q(), nb = basis->size(), dm = q * nb, D = dm + nb;
  check_finite(C, rows, m, "context");
  // The average parameters are A w (inference/spline_pointwise.hpp: average_effects_map).
  const Eigen::MatrixXd A = average_effects_map(*basis, scaling, C, rows, m);
  const Eigen::Map<const RowMat> V(report.cov.data(), D, D);
  return to_row_major_vec(A * V.topLeftCorner(dm, dm) * A.transpose());
}

void validate_location_scale_report(const LocationScaleReport& r, std::size_t n_weights, int q) {
  if (!r.present) return;
  require(q > 0 && n_weights % static_cast<std::size_t>(q) == 0, "the scale report does not match the encoder");
  const std::size_t nb = n_weights / static_cast<std::size_t>(q), D = n_weights + nb;
  require(r.weights.size() == nb, "the scale weights have " + std::to_string(r.weights.size()) + " entries, not " +
                                      std::to_string(nb));
  require(r.cov.size() == D * D, "the scale fit's covariance has " + std::to_string(r.cov.size()) +
                                     " entries, not " + std::to_string(D * D));
  for (double v : r.weights) require(std::isfinite(v), "the scale weights must be finite");
  for (double v : r.cov) require(std::isfinite(v), "the scale fit's covariance must be finite");
}

}  // namespace ctxstats
