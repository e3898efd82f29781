#include "smoothing/smoothing.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/convergence.hpp"
#include "common/error.hpp"

namespace ctxstats {

namespace {

constexpr double kRhoRange = 15.0;  // rho stays within initial_rho +- this
constexpr double kMaxStep = 5.0;
constexpr int kInverseBlock = 32;   // column blocks of the blocked inverse (fixed: determinism)

// A^-1 from A = L L': L^-1 by column blocks (each a triangular solve on the trailing part, as the
// identity's blocks are zero above the diagonal), then A^-1 = L^-T L^-1 by blocks of the lower
// triangle. About D^3 flops instead of the 2 D^3 of two full triangular solves; blocks are
// independent, so they run in parallel with identical results for any thread count.
Eigen::MatrixXd spd_inverse(const Eigen::LLT<Eigen::MatrixXd>& llt, int threads) {
  const Eigen::MatrixXd& LL = llt.matrixLLT();
  const int D = static_cast<int>(LL.rows());
  if (D <= 2 * kInverseBlock) return llt.solve(Eigen::MatrixXd::Identity(D, D));
  const int nblk = (D + kInverseBlock - 1) / kInverseBlock;
  Eigen::MatrixXd Linv = Eigen::MatrixXd::Zero(D, D);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int c = 0; c < nblk; ++c) {
    const int c0 = c * kInverseBlock, w = std::min(kInverseBlock, D - c0), rest = D - c0;
    Eigen::MatrixXd X = Eigen::MatrixXd::Zero(rest, w);
    X.topRows(w).setIdentity();
    LL.bottomRightCorner(rest, rest).triangularView<Eigen::Lower>().solveInPlace(X);
    Linv.block(c0, c0, rest, w) = X;
  }
  Eigen::MatrixXd Ainv(D, D);
  // Ainv(I, J) = sum_{K >= max(I, J)} Linv(K, I)' Linv(K, J), for block rows I >= J.
  const int npairs = nblk * (nblk + 1) / 2;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int pr = 0; pr < npairs; ++pr) {
    int I = 0;
    while ((I + 1) * (I + 2) / 2 <= pr) ++I;
    const int J = pr - I * (I + 1) / 2;
    const int i0 = I * kInverseBlock, wi = std::min(kInverseBlock, D - i0);
    const int j0 = J * kInverseBlock, wj = std::min(kInverseBlock, D - j0);
    const Eigen::MatrixXd blk = Linv.block(i0, i0, D - i0, wi).transpose() * Linv.block(i0, j0, D - i0, wj);
    Ainv.block(i0, j0, wi, wj) = blk;
    if (I != J) Ainv.block(j0, i0, wj, wi) = blk.transpose();
  }
  return Ainv;
}

// log|sum_j lambda_j S_j|_+ of one block and its derivatives in rho (penalties of the block
// only). A block with one penalty contributes rank * rho_j (its constant log|S_j|_+ dropped).
struct LogDetS {
  double value = 0.0;
  Eigen::VectorXd d1;  // per penalty of the block
  Eigen::MatrixXd d2;
};

LogDetS block_logdet(const PenaltyBlock& b, const std::vector<SmoothPenalty>& pens, const Eigen::VectorXd& rho,
                     bool derivs) {
  LogDetS out;
  const int np = static_cast<int>(b.penalties.size());
  out.d1 = Eigen::VectorXd::Zero(np);
  out.d2 = Eigen::MatrixXd::Zero(np, np);
  if (np == 1) {
    out.value = b.rank * rho[b.penalties[0]];
    out.d1[0] = b.rank;
    return out;
  }
  Eigen::MatrixXd S = Eigen::MatrixXd::Zero(b.size, b.size);
  for (int u = 0; u < np; ++u) S += std::exp(rho[b.penalties[u]]) * pens[b.penalties[u]].S;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(S);
  const Eigen::VectorXd& ev = eig.eigenvalues();  // ascending
  const int first = b.size - b.rank;
  for (int i = first; i < b.size; ++i) out.value += std::log(ev[i]);
  if (!derivs) return out;
  const Eigen::MatrixXd U = eig.eigenvectors().rightCols(b.rank);
  const Eigen::VectorXd inv = ev.tail(b.rank).cwiseInverse();
  std::vector<Eigen::MatrixXd> M(np);  // S^+ lambda_u S_u = U diag(1/ev) U' lambda_u S_u
  for (int u = 0; u < np; ++u) {
    const double lam = std::exp(rho[b.penalties[u]]);
    M[u] = U * (inv.asDiagonal() * (U.transpose() * (lam * pens[b.penalties[u]].S)));
    out.d1[u] = M[u].trace();
  }
  for (int u = 0; u < np; ++u)
    for (int v = 0; v < np; ++v)
      out.d2(u, v) = (u == v ? out.d1[u] : 0.0) - (M[u].cwiseProduct(M[v].transpose())).sum();
  return out;
}

struct Evaluation {
  bool ok = false;
  double V = 0.0, Dp = 0.0;
  double rss = 0.0, tau = 0.0;       // GCV only: ||z - Zb||^2_W and tr(A^-1 H)
  Eigen::MatrixXd Ainv;              // GCV only: A^-1 (value() needs tau)
  Eigen::VectorXd b;
  Eigen::VectorXd d;                 // A is factorised as diag(1/d) L L' diag(1/d)
  Eigen::LLT<Eigen::MatrixXd> llt;   // of the equilibrated diag(d) A diag(d)
};

class Criterion {
 public:
  Criterion(const WorkingModel& wm, const std::vector<SmoothPenalty>& pens, const std::vector<PenaltyBlock>& blocks,
            double scale, int threads, bool gcv = false)
      : wm_(wm), pens_(pens), blocks_(blocks), scale_(scale), threads_(threads), gcv_(gcv) {
    const int D = static_cast<int>(wm.H.rows());
    int ranks = 0;
    for (const auto& b : blocks) ranks += b.rank;
    null_dim_ = D - ranks;
  }
  int null_dim() const { return null_dim_; }
  const char* name() const { return gcv_ ? (scale_ > 0.0 ? "UBRE" : "GCV") : "REML"; }

  // A = H + S_lambda is equilibrated by its diagonal before the Cholesky factorisation: large
  // smoothing parameters make A badly scaled, and the scaled factorisation keeps b accurate
  // (van der Sluis) where the plain one would leave rounding noise in the lightly penalised
  // directions.
  Evaluation value(const Eigen::VectorXd& rho) const {
    Evaluation e;
    Eigen::MatrixXd A = wm_.H;
    for (std::size_t j = 0; j < pens_.size(); ++j) {
      const int o = pens_[j].offset, s = static_cast<int>(pens_[j].S.rows());
      A.block(o, o, s, s) += std::exp(rho[j]) * pens_[j].S;
    }
    const Eigen::VectorXd diag = A.diagonal();
    if (!(diag.minCoeff() > 0.0)) return e;
    e.d = diag.cwiseSqrt().cwiseInverse();
    A = e.d.asDiagonal() * A * e.d.asDiagonal();
    e.llt.compute(A);
    if (e.llt.info() != Eigen::Success) return e;
    const Eigen::VectorXd L = e.llt.matrixLLT().diagonal();
    if (!(L.minCoeff() > 1e-9 * L.maxCoeff())) return e;
    e.b = e.d.asDiagonal() * e.llt.solve(e.d.asDiagonal() * wm_.r);
    e.Dp = wm_.yy - e.b.dot(wm_.r);
    if (gcv_) {
      e.Ainv = e.d.asDiagonal() * spd_inverse(e.llt, threads_) * e.d.asDiagonal();
      e.tau = e.Ainv.cwiseProduct(wm_.H).sum();  // tr(A^-1 H), both symmetric
      e.rss = wm_.yy - 2.0 * e.b.dot(wm_.r) + e.b.dot(wm_.H * e.b);
      const double n = wm_.n;
      if (scale_ > 0.0) {
        e.V = e.rss / n + 2.0 * e.tau * scale_ / n - scale_;
      } else {
        const double delta = n - e.tau;
        if (!(delta > 0.0)) return e;
        e.rss = std::max(e.rss, 1e-12 * std::max(wm_.yy, 1e-300));
        e.V = n * e.rss / (delta * delta);
      }
      e.ok = std::isfinite(e.V);
      return e;
    }
    const double logdet_a = 2.0 * L.array().log().sum() - 2.0 * e.d.array().log().sum();
    double logdet_s = 0.0;
    for (const auto& b : blocks_) logdet_s += block_logdet(b, pens_, rho, false).value;
    if (scale_ > 0.0) {
      e.V = 0.5 * e.Dp / scale_ + 0.5 * logdet_a - 0.5 * logdet_s;
    } else {
      e.Dp = std::max(e.Dp, 1e-12 * std::max(wm_.yy, 1e-300));
      e.V = 0.5 * (wm_.n - null_dim_) * std::log(e.Dp) + 0.5 * logdet_a - 0.5 * logdet_s;
    }
    e.ok = std::isfinite(e.V);
    return e;
  }

  // Gradient and Hessian of V at an evaluation; also A^-1 and the traces tr(A^-1 lambda_j S_j).
  void derivatives(const Eigen::VectorXd& rho, const Evaluation& e, Eigen::VectorXd* g, Eigen::MatrixXd* Hs,
                   Eigen::MatrixXd* Ainv, Eigen::VectorXd* tr1) const {
    if (gcv_) return gcv_derivatives(rho, e, g, Hs, Ainv, tr1);
    const int J = static_cast<int>(pens_.size());
    *Ainv = e.d.asDiagonal() * spd_inverse(e.llt, threads_) * e.d.asDiagonal();
    std::vector<Eigen::MatrixXd> P(J);  // A^-1[:, block j] lambda_j S_j
    std::vector<Eigen::VectorXd> Sb(J);
    Eigen::VectorXd d1(J);
    tr1->resize(J);
    for (int j = 0; j < J; ++j) {
      const int o = pens_[j].offset, s = static_cast<int>(pens_[j].S.rows());
      const double lam = std::exp(rho[j]);
      Sb[j] = lam * (pens_[j].S * e.b.segment(o, s));
      d1[j] = e.b.segment(o, s).dot(Sb[j]);
      P[j] = Ainv->middleCols(o, s) * (lam * pens_[j].S);
      (*tr1)[j] = P[j].middleRows(o, s).trace();
    }
    Eigen::MatrixXd d2(J, J), T2(J, J);
    for (int j = 0; j < J; ++j) {
      const int oj = pens_[j].offset, sj = static_cast<int>(pens_[j].S.rows());
      for (int k = 0; k <= j; ++k) {
        const int ok = pens_[k].offset, sk = static_cast<int>(pens_[k].S.rows());
        T2(j, k) = T2(k, j) = (P[j].middleRows(ok, sk).cwiseProduct(P[k].middleRows(oj, sj).transpose())).sum();
        const double cross = Sb[j].dot(Ainv->block(oj, ok, sj, sk) * Sb[k]);
        d2(j, k) = d2(k, j) = (j == k ? d1[j] : 0.0) - 2.0 * cross;
      }
    }
    Eigen::VectorXd dls = Eigen::VectorXd::Zero(J);
    Eigen::MatrixXd d2ls = Eigen::MatrixXd::Zero(J, J);
    for (const auto& b : blocks_) {
      const LogDetS L = block_logdet(b, pens_, rho, true);
      const int np = static_cast<int>(b.penalties.size());
      for (int u = 0; u < np; ++u) {
        dls[b.penalties[u]] = L.d1[u];
        for (int v = 0; v < np; ++v) d2ls(b.penalties[u], b.penalties[v]) = L.d2(u, v);
      }
    }
    if (scale_ > 0.0) {
      *g = 0.5 * d1 / scale_;
      *Hs = 0.5 * d2 / scale_;
    } else {
      const double c = 0.5 * (wm_.n - null_dim_);
      *g = c * d1 / e.Dp;
      *Hs = c * (d2 / e.Dp - d1 * d1.transpose() / (e.Dp * e.Dp));
    }
    *g += 0.5 * *tr1 - 0.5 * dls;
    *Hs += 0.5 * Eigen::MatrixXd(tr1->asDiagonal()) - 0.5 * T2 - 0.5 * d2ls;
  }

  // GCV / UBRE. With S~_j = lambda_j S_j (block B_j at its offset), M_j = A^-1 S~_j,
  // u_j = M_j b (= -db/drho_j), s = S_lambda b, v = A^-1 s, F = A^-1 H = I - sum_j M_j and
  // K = F A^-1 = A^-1 H A^-1 (symmetric):
  //   d rss / drho_j        = 2 u_j's
  //   d2 rss / drho_j drho_k = 2 u_j'H u_k - 2 (u_j'S~_k v + u_k'S~_j v) + [j = k] 2 u_j's
  //   d tau / drho_j        = -tr(M_j F) = -tr(B_j K[j, j])
  //   d2 tau / drho_j drho_k = X(k, j) + X(j, k) - [j = k] tr(M_j F),
  //                 X(k, j) = tr(M_k M_j F) = tr(B_k A^-1[k, j] B_j K[j, k])
  // (rss = yy - 2 b'r + b'Hb with Hb - r = -s, db/drho_j = -u_j). K is one D x D product;
  // everything else works on s x s blocks.
  void gcv_derivatives(const Eigen::VectorXd& rho, const Evaluation& e, Eigen::VectorXd* g, Eigen::MatrixXd* Hs,
                       Eigen::MatrixXd* Ainv, Eigen::VectorXd* tr1) const {
    const int J = static_cast<int>(pens_.size());
    const int D = static_cast<int>(wm_.H.rows());
    *Ainv = e.Ainv;
    const Eigen::MatrixXd& Ai = e.Ainv;
    std::vector<Eigen::MatrixXd> B(J), P(J);  // B_j; P_j = A^-1[:, block j] B_j (D x s_j)
    std::vector<Eigen::VectorXd> u(J), Hu(J);
    Eigen::VectorXd sv = Eigen::VectorXd::Zero(D);
    tr1->resize(J);
    for (int j = 0; j < J; ++j) {
      const int o = pens_[j].offset, sz = static_cast<int>(pens_[j].S.rows());
      B[j] = std::exp(rho[j]) * pens_[j].S;
      sv.segment(o, sz) += B[j] * e.b.segment(o, sz);
      P[j] = Ai.middleCols(o, sz) * B[j];
      (*tr1)[j] = P[j].middleRows(o, sz).trace();
      u[j] = P[j] * e.b.segment(o, sz);
      Hu[j] = wm_.H * u[j];
    }
    const Eigen::VectorXd v = Ai * sv;
    Eigen::MatrixXd F = Eigen::MatrixXd::Identity(D, D);
    for (int j = 0; j < J; ++j) F.middleCols(pens_[j].offset, pens_[j].S.rows()) -= P[j];
    Eigen::MatrixXd K(D, D);
    K.noalias() = F * Ai;
    Eigen::VectorXd r1(J), t1(J);
    Eigen::MatrixXd X(J, J);
    std::vector<Eigen::VectorXd> Sv(J);  // S~_k v on block k
    for (int k = 0; k < J; ++k) {
      const int o = pens_[k].offset, sz = static_cast<int>(pens_[k].S.rows());
      Sv[k] = B[k] * v.segment(o, sz);
    }
    for (int j = 0; j < J; ++j) {
      const int oj = pens_[j].offset, sj = static_cast<int>(pens_[j].S.rows());
      t1[j] = -(B[j].cwiseProduct(K.block(oj, oj, sj, sj).transpose())).sum();
      r1[j] = 2.0 * u[j].dot(sv);
      for (int k = 0; k < J; ++k) {
        const int ok = pens_[k].offset, sk = static_cast<int>(pens_[k].S.rows());
        const Eigen::MatrixXd W = Ai.block(ok, oj, sk, sj) * (B[j] * K.block(oj, ok, sj, sk));  // s_k x s_k
        X(k, j) = (B[k].cwiseProduct(W.transpose())).sum();
      }
    }
    Eigen::MatrixXd r2(J, J), t2(J, J);
    for (int j = 0; j < J; ++j) {
      const int oj = pens_[j].offset, sj = static_cast<int>(pens_[j].S.rows());
      for (int k = 0; k <= j; ++k) {
        const int ok = pens_[k].offset, sk = static_cast<int>(pens_[k].S.rows());
        double rr = 2.0 * u[j].dot(Hu[k]) - 2.0 * (u[j].segment(ok, sk).dot(Sv[k]) + u[k].segment(oj, sj).dot(Sv[j]));
        double tt = X(k, j) + X(j, k);
        if (j == k) {
          rr += r1[j];
          tt += t1[j];
        }
        r2(j, k) = r2(k, j) = rr;
        t2(j, k) = t2(k, j) = tt;
      }
    }
    const double n = wm_.n;
    if (scale_ > 0.0) {
      *g = r1 / n + 2.0 * scale_ * t1 / n;
      *Hs = r2 / n + 2.0 * scale_ * t2 / n;
    } else {
      const double delta = n - e.tau, rss = e.rss;
      const double d2 = delta * delta, d3 = d2 * delta, d4 = d2 * d2;
      *g = n * r1 / d2 + 2.0 * n * rss * t1 / d3;
      *Hs = n * r2 / d2 + 2.0 * n * (r1 * t1.transpose() + t1 * r1.transpose()) / d3 + 2.0 * n * rss * t2 / d3 +
            6.0 * n * rss * t1 * t1.transpose() / d4;
    }
  }

 private:
  const WorkingModel& wm_;
  const std::vector<SmoothPenalty>& pens_;
  const std::vector<PenaltyBlock>& blocks_;
  double scale_;  // > 0: known scale; otherwise profiled out
  int threads_;
  bool gcv_ = false;
  int null_dim_ = 0;
};

struct NewtonResult {
  Eigen::VectorXd rho, g, tr1;
  Eigen::MatrixXd Ainv;
  Evaluation e;
  int n_iter = 0;
  bool converged = false;
  bool interrupted = false;
  std::string message;
};

// Newton's method on V within [lo, hi]; with max_iter = 0 only evaluates at rho. The
// callback, if any, runs after each iteration; false stops the search.
NewtonResult newton(const Criterion& crit, Eigen::VectorXd rho, const Eigen::VectorXd& lo, const Eigen::VectorXd& hi,
                    int max_iter, double tol, const std::function<bool(int, double)>& callback) {
  const int J = static_cast<int>(rho.size());
  NewtonResult out;
  Evaluation e = crit.value(rho);
  require(e.ok,
          "the penalised normal equations are singular: a direction the smoothing penalties leave free "
          "(an intercept or a linear trend of a coefficient in a context feature) is not identified by the "
          "data; check for constant or collinear exog columns");
  Eigen::VectorXd g, tr1;
  Eigen::MatrixXd Hs, Ainv;
  crit.derivatives(rho, e, &g, &Hs, &Ainv, &tr1);
  if (max_iter == 0) out.converged = true;
  const auto stopped = [&](int it) {
    if (!callback || callback(it, e.V)) return false;
    out.interrupted = true;
    out.message = std::string("the ") + crit.name() + " search was interrupted after " + std::to_string(it) +
                  " Newton iterations";
    return true;
  };
  for (int it = 1; it <= max_iter && !stopped(it - 1); ++it) {
    // Free components: not held at a bound by a gradient pointing outwards.
    std::vector<int> free;
    double gmax = 0.0;
    for (int j = 0; j < J; ++j) {
      const bool at_lo = rho[j] <= lo[j] + 1e-12 && g[j] > 0.0;
      const bool at_hi = rho[j] >= hi[j] - 1e-12 && g[j] < 0.0;
      if (!at_lo && !at_hi) {
        free.push_back(j);
        gmax = std::max(gmax, std::fabs(g[j]));
      }
    }
    // Converged when no free gradient component exceeds tol relative to the criterion's
    // magnitude (mgcv's convention: V is a log likelihood; changes far below one unit are noise).
    if (gmax <= tol * (1.0 + std::fabs(e.V))) {
      out.converged = true;
      break;
    }
    const int F = static_cast<int>(free.size());
    Eigen::MatrixXd Hf(F, F);
    Eigen::VectorXd gf(F);
    for (int a = 0; a < F; ++a) {
      gf[a] = g[free[a]];
      for (int c = 0; c < F; ++c) Hf(a, c) = Hs(free[a], free[c]);
    }
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(Hf);
    Eigen::VectorXd ev = eig.eigenvalues().cwiseAbs();
    const double floor = std::max(1e-7 * ev.maxCoeff(), 1e-12);
    ev = ev.cwiseMax(floor);
    Eigen::VectorXd stepf = -(eig.eigenvectors() * ((eig.eigenvectors().transpose() * gf).cwiseQuotient(ev)));
    const double big = stepf.cwiseAbs().maxCoeff();
    if (big > kMaxStep) stepf *= kMaxStep / big;
    Eigen::VectorXd step = Eigen::VectorXd::Zero(J);
    for (int a = 0; a < F; ++a) step[free[a]] = stepf[a];

    bool moved = false;
    double t = 1.0;
    Evaluation trial;
    Eigen::VectorXd rho_new;
    for (int h = 0; h < 40; ++h, t *= 0.5) {
      rho_new = (rho + t * step).cwiseMax(lo).cwiseMin(hi);
      trial = crit.value(rho_new);
      if (trial.ok && trial.V <= e.V) {
        moved = true;
        break;
      }
    }
    out.n_iter = it;
    if (!moved) {
      // No decrease at machine precision: a minimum up to rounding.
      out.converged = gmax < 1e-3 * (1.0 + std::fabs(e.V));
      if (!out.converged)
        out.message = std::string("the ") + crit.name() + " criterion could not be decreased further (largest gradient " +
                      format_number(gmax) + "); fix the smoothing by hand with smoothing=..., or lower n_knots";
      break;
    }
    const double change = e.V - trial.V;
    rho = rho_new;
    e = std::move(trial);
    crit.derivatives(rho, e, &g, &Hs, &Ainv, &tr1);
    if (change <= 1e-14 * std::fabs(e.V) && (t * step).cwiseAbs().maxCoeff() < 1e-9) {
      out.converged = true;
      break;
    }
  }
  if (!out.converged && out.message.empty())
    out.message = std::string("the ") + crit.name() + " search reached its cap of " + std::to_string(max_iter) +
                  " Newton iterations before the largest gradient component fell below tol=" + format_number(tol) +
                  " (relative to the criterion); fix the smoothing by hand with smoothing=..., or lower n_knots";
  out.rho = std::move(rho);
  out.g = std::move(g);
  out.tr1 = std::move(tr1);
  out.Ainv = std::move(Ainv);
  out.e = std::move(e);
  return out;
}

}  // namespace

void prepare_penalty_blocks(const std::vector<SmoothPenalty>& pens, std::vector<PenaltyBlock>& blocks) {
  for (auto& b : blocks) {
    Eigen::MatrixXd S = Eigen::MatrixXd::Zero(b.size, b.size);
    for (int j : b.penalties) S += pens[j].S / pens[j].S.norm();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(S, Eigen::EigenvaluesOnly);
    const double top = eig.eigenvalues().cwiseAbs().maxCoeff();
    b.rank = 0;
    for (int i = 0; i < b.size; ++i) b.rank += eig.eigenvalues()[i] > 1e-10 * top ? 1 : 0;
  }
}

Eigen::VectorXd initial_rho(const WorkingModel& wm, const std::vector<SmoothPenalty>& pens) {
  Eigen::VectorXd rho(pens.size());
  for (std::size_t j = 0; j < pens.size(); ++j) {
    const int o = pens[j].offset, s = static_cast<int>(pens[j].S.rows());
    double hd = 0.0, sd = 0.0;
    int count = 0;
    for (int i = 0; i < s; ++i) {
      hd += wm.H(o + i, o + i);
      if (pens[j].S(i, i) > 0.0) {
        sd += pens[j].S(i, i);
        ++count;
      }
    }
    hd /= s;
    sd = count > 0 ? sd / count : 1.0;
    rho[j] = std::log(std::max(hd, 1e-12 * std::max(1.0, wm.n)) / sd);
  }
  return rho;
}

SmoothingFit fit_smoothing(const WorkingModel& wm, const std::vector<SmoothPenalty>& pens,
                           const std::vector<PenaltyBlock>& blocks, const Eigen::VectorXd& rho0, bool fixed,
                           const SmoothingOptions& options) {
  const int J = static_cast<int>(pens.size()), D = static_cast<int>(wm.H.rows());
  require(rho0.size() == J, "one smoothing parameter per penalty is needed");
  // Small matrices are not worth the threads' synchronisation (which costs a great deal on a
  // busy machine); below this size the linear algebra runs on one thread.
  const int threads = D >= 512 ? std::max(1, options.threads) : 1;
  Criterion crit(wm, pens, blocks, options.known_scale ? 1.0 : 0.0, threads, options.gcv && !fixed);

  SmoothingFit fit;
  NewtonResult nr;
  if (fixed) {
    nr = newton(crit, rho0, rho0, rho0, 0, options.tol, options.callback);
  } else {
    const Eigen::VectorXd centre = initial_rho(wm, pens);
    const Eigen::VectorXd lo = centre.array() - kRhoRange, hi = centre.array() + kRhoRange;
    Eigen::VectorXd rho = rho0.cwiseMax(lo).cwiseMin(hi);
    nr = newton(crit, rho, lo, hi, options.max_iter, options.tol, options.callback);
  }

  fit.converged = nr.converged;
  fit.interrupted = nr.interrupted;
  fit.message = nr.message;
  fit.n_iter = nr.n_iter;
  fit.beta = nr.e.b;
  fit.rho = nr.rho;
  fit.Ainv = std::move(nr.Ainv);
  fit.gradient = nr.g;
  fit.criterion = nr.e.V;
  fit.null_dim = crit.null_dim();
  double pen = 0.0;
  for (int j = 0; j < J; ++j) {
    const int o = pens[j].offset, s = static_cast<int>(pens[j].S.rows());
    pen += std::exp(fit.rho[j]) * fit.beta.segment(o, s).dot(pens[j].S * fit.beta.segment(o, s));
  }
  fit.Dp = wm.yy - fit.beta.dot(wm.r);
  fit.rss = fit.Dp - pen;
  fit.edf = D - nr.tr1.sum();
  fit.block_edf.clear();
  for (const auto& b : blocks) {
    double edf = b.size;
    for (int j : b.penalties) edf -= nr.tr1[j];
    fit.block_edf.push_back(edf);
  }
  if (options.known_scale) {
    fit.scale = 1.0;
  } else if (fixed || options.gcv) {
    fit.scale = std::max(fit.rss, 0.0) / std::max(wm.n - fit.edf, 1.0);  // Pearson estimate (mgcv's for GCV)
  } else {
    fit.scale = std::max(fit.Dp, 0.0) / std::max(wm.n - fit.null_dim, 1.0);
  }
  return fit;
}

}  // namespace ctxstats
