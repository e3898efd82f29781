// The exact solver for the linear encoder. With theta_i = W [1; c_i] the model is a GLM on
// the interaction design z_i = [1; x_i] (x) [1; c_i], so
//   gaussian: (Z'SZ/S + P) b = Z'Sy/S, one pass over the data;
//   binomial, poisson: Newton (IRLS) on the penalised mean loss, halving steps that fail to
//   decrease it, until the Newton decrement vanishes.
// The L2 part of the elastic net is a quadratic form in b: for output k,
// alpha (1 - l1_ratio) r_k / 2 * W_k' M W_k with M = sum_i s_i [1; c_i][1; c_i]' / S.
// Z is never formed: each block of rows builds its slice, adds it into its group's Z'SZ by a
// symmetric rank update, and groups are summed in order (deterministic for any thread count).
#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "error.hpp"
#include "solver.hpp"

namespace ctxstats {

namespace {

constexpr int kExactBlock = 512;
constexpr int kExactGroups = 16;

struct Accumulated {
  Eigen::MatrixXd H;   // sum s v z z'  (lower triangle filled during accumulation)
  Eigen::VectorXd g;   // sum s dloss z
  Eigen::MatrixXd M;   // sum s c~ c~'
  double f = 0.0;      // sum s loss
  double total = 0.0;  // sum s
};

// One pass over the data at coefficients b: loss, gradient and (if hessian) the Hessian.
Accumulated accumulate(Family family, const DataView& data, const Scaling& scaling, const Eigen::VectorXd& b,
                       bool hessian, int threads) {
  const int m = data.m, m1 = data.m + 1, q = scaling.q();
  const int D = q * m1;
  const std::size_t n = data.n;
  const std::size_t blocks = (n + kExactBlock - 1) / kExactBlock;
  const int groups = reduction_groups(n, kExactBlock, kExactGroups);
  std::vector<Accumulated> parts(groups);

#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int gi = 0; gi < groups; ++gi) {
    Accumulated& a = parts[gi];
    a.g = Eigen::VectorXd::Zero(D);
    a.M = Eigen::MatrixXd::Zero(m1, m1);
    if (hessian) a.H = Eigen::MatrixXd::Zero(D, D);
    std::vector<double> C(static_cast<std::size_t>(kExactBlock) * m), X(static_cast<std::size_t>(kExactBlock) * q),
        y(kExactBlock), s(kExactBlock);
    Eigen::MatrixXd Zt(D, kExactBlock), Ct(m1, kExactBlock);
    Eigen::VectorXd eta(kExactBlock), coef(kExactBlock);
    const std::size_t b0 = blocks * gi / groups, b1 = blocks * (gi + 1) / groups;
    for (std::size_t blk = b0; blk < b1; ++blk) {
      const std::size_t start = blk * kExactBlock;
      const int rows = static_cast<int>(std::min<std::size_t>(kExactBlock, n - start));
      load_rows(data, scaling, nullptr, start, rows, C.data(), X.data(), y.data(), s.data());
      for (int r = 0; r < rows; ++r) {
        Ct(0, r) = 1.0;
        for (int l = 0; l < m; ++l) Ct(l + 1, r) = C[static_cast<std::size_t>(r) * m + l];
        for (int k = 0; k < q; ++k) {
          const double xk = X[static_cast<std::size_t>(r) * q + k];
          for (int l = 0; l < m1; ++l) Zt(k * m1 + l, r) = xk * Ct(l, r);
        }
      }
      auto Zb = Zt.leftCols(rows);
      eta.head(rows).noalias() = Zb.transpose() * b;
      for (int r = 0; r < rows; ++r) {
        a.f += s[r] * loss(family, y[r], eta[r]);
        a.total += s[r];
        coef[r] = s[r] * dloss(family, y[r], eta[r]);
      }
      a.g.noalias() += Zb * coef.head(rows);
      auto Cb = Ct.leftCols(rows);
      for (int r = 0; r < rows; ++r) Cb.col(r) *= std::sqrt(s[r]);
      a.M.selfadjointView<Eigen::Lower>().rankUpdate(Cb);
      if (hessian) {
        for (int r = 0; r < rows; ++r) Zb.col(r) *= std::sqrt(s[r] * variance(family, eta[r]));
        a.H.selfadjointView<Eigen::Lower>().rankUpdate(Zb);
      }
    }
  }
  Accumulated total = std::move(parts[0]);
  for (int gi = 1; gi < groups; ++gi) {
    total.g += parts[gi].g;
    total.M += parts[gi].M;
    if (hessian) total.H += parts[gi].H;
    total.f += parts[gi].f;
    total.total += parts[gi].total;
  }
  total.M = total.M.selfadjointView<Eigen::Lower>();
  if (hessian) total.H = total.H.selfadjointView<Eigen::Lower>();
  return total;
}

// The quadratic penalty matrix on b (already divided by the total weight where needed).
Eigen::MatrixXd penalty_matrix(const Penalty& pen, const Eigen::MatrixXd& M, int q, bool intercept) {
  const int m1 = static_cast<int>(M.rows()), D = q * m1;
  Eigen::MatrixXd P = Eigen::MatrixXd::Identity(D, D) * pen.weight_decay;
  const double l2 = pen.alpha * (1.0 - pen.l1_ratio);
  if (l2 > 0.0)
    for (int k = 0; k < q; ++k) {
      const double ratio = (intercept && k == 0) ? pen.mu_ratio : 1.0 - pen.mu_ratio;
      P.block(k * m1, k * m1, m1, m1) += l2 * ratio * M;
    }
  return P;
}

// Solves H x = g; falls back to the minimum-norm solution when H is singular.
Eigen::VectorXd solve_symmetric(const Eigen::MatrixXd& H, const Eigen::VectorXd& g, bool* rank_deficient) {
  Eigen::LLT<Eigen::MatrixXd> llt(H);
  if (llt.info() == Eigen::Success) {
    // Reject a factorisation that is numerically singular (pivot ratio near machine epsilon).
    const Eigen::VectorXd d = llt.matrixLLT().diagonal();
    if (d.minCoeff() > 1e-7 * d.maxCoeff()) return llt.solve(g);
  }
  *rank_deficient = true;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(H);
  const Eigen::VectorXd& ev = eig.eigenvalues();
  const double cutoff = 1e-12 * std::max(1.0, ev.cwiseAbs().maxCoeff()) * H.rows();
  Eigen::VectorXd inv = ev.unaryExpr([cutoff](double v) { return v > cutoff ? 1.0 / v : 0.0; });
  return eig.eigenvectors() * (inv.asDiagonal() * (eig.eigenvectors().transpose() * g));
}

}  // namespace

SolverResult solve_exact(const Encoder& encoder, Family family, const DataView& data, const Scaling& scaling,
                         const Penalty& penalty, const SolverOptions& options, double* w) {
  require(encoder.is_linear(), "solver='exact' needs encoder='linear' without archetypes");
  require(penalty.alpha == 0.0 || penalty.l1_ratio == 0.0,
          "solver='exact' handles only the L2 part of the elastic net (l1_ratio=0); use solver='lbfgs' for l1_ratio > 0");
  validate_penalty(penalty);
  const int threads = resolve_threads(options.threads);
  const int m1 = data.m + 1, q = scaling.q(), D = q * m1;
  const int max_iter = options.max_iter > 0 ? options.max_iter : 100;
  const double tol = options.tol > 0.0 ? options.tol : 1e-20;
  Eigen::Map<Eigen::VectorXd> b(w, D);
  SolverResult res;

  if (family == Family::kGaussian) {
    Eigen::VectorXd zero = Eigen::VectorXd::Zero(D);
    Accumulated a = accumulate(family, data, scaling, zero, true, threads);
    const double inv = 1.0 / a.total;
    // At b = 0 the gradient is -Z'Sy, so the normal equations read (H/S + P) b = -g/S.
    Eigen::MatrixXd H = a.H * inv + penalty_matrix(penalty, a.M * inv, q, scaling.intercept);
    b = solve_symmetric(H, -a.g * inv, &res.rank_deficient);
    Accumulated fin = accumulate(family, data, scaling, b, false, threads);
    const Eigen::MatrixXd P = penalty_matrix(penalty, fin.M / fin.total, q, scaling.intercept);
    res.objective = fin.f / fin.total + 0.5 * b.dot(P * b);
    res.history.push_back(res.objective);
    res.n_iter = 1;
    res.converged = true;
    return res;
  }

  b.setZero();
  if (family == Family::kPoisson && scaling.intercept) {
    double sy = 0.0, st = 0.0;
    for (std::size_t i = 0; i < data.n; ++i) {
      const double s = data.weights ? data.weights[i] : 1.0;
      sy += s * data.y[i];
      st += s;
    }
    if (sy > 0.0) b[0] = std::log(sy / st);
  }
  Accumulated a = accumulate(family, data, scaling, b, true, threads);
  Eigen::MatrixXd P = penalty_matrix(penalty, a.M / a.total, q, scaling.intercept);
  double f = a.f / a.total + 0.5 * b.dot(P * b);
  res.history.push_back(f);
  for (int it = 1; it <= max_iter; ++it) {
    const double inv = 1.0 / a.total;
    const Eigen::VectorXd grad = a.g * inv + P * b;
    const Eigen::MatrixXd H = a.H * inv + P;
    const Eigen::VectorXd step = solve_symmetric(H, grad, &res.rank_deficient);
    const double decrement = grad.dot(step);
    res.n_iter = it;
    if (!(decrement > tol * std::max(1.0, std::fabs(f)))) {
      res.converged = true;
      break;
    }
    const Eigen::VectorXd b_old = b;
    double t = 1.0;
    bool moved = false;
    for (int halving = 0; halving < 40; ++halving, t *= 0.5) {
      b = b_old - t * step;
      Accumulated trial = accumulate(family, data, scaling, b, true, threads);
      const double f_new = trial.f / trial.total + 0.5 * b.dot(P * b);
      if (std::isfinite(f_new) && f_new <= f + 1e-15 * std::fabs(f)) {
        a = std::move(trial);
        f = f_new;
        moved = true;
        break;
      }
    }
    res.history.push_back(f);
    if (!moved) {
      b = b_old;
      res.converged = decrement < 1e-12 * std::max(1.0, std::fabs(f));
      res.message = "step halving could not decrease the objective";
      break;
    }
  }
  if (!res.converged && res.message.empty())
    res.message = "IRLS did not converge in " + std::to_string(max_iter) +
                  " iterations (complete separation in a binomial fit is a common cause)";
  res.objective = f;
  return res;
}

}  // namespace ctxstats
