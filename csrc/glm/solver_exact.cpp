// The exact solver for encoders that are linear in their weights, theta_i = W b(c_i), with a
// pluggable context basis b (context_basis.hpp): the linear encoder's b(c) = [1; c] and the
// spline encoder's penalised B-splines. The model is a GLM on the design z_i = x~_i (x) b(c_i):
//   gaussian: penalised normal equations, one pass over the data;
//   binomial, poisson: Newton (IRLS) on the penalised loss, halving steps that fail to
//   decrease it.
// Z is never formed. Rows are processed in fixed blocks gathered into a number of groups that
// depends on the row count only; each group accumulates into its own buffers and the groups are
// summed in order, so results are bitwise identical for any thread count.
//   Dense bases (linear): each block builds its slice of Z and adds it by a symmetric rank
//   update.
//   Sparse bases (spline): a row's raw basis r(c) has few non-zeros (4 per B-spline margin),
//   so Z'WZ = sum_i w_i (x~_i x~_i') (x) (r_i r_i') is accumulated over the non-zero pairs
//   (a <= a') of r_i only, each pair receiving the symmetric q x q matrix w_i x~_i x~_i';
//   the constrained normal equations follow as (I (x) T)' (.) (I (x) T).
//
// Linear encoder: the L2 part of the elastic net is a quadratic form in b: for output k,
// alpha (1 - l1_ratio) r_k / 2 * W_k' M W_k with M = sum_i s_i [1; c_i][1; c_i]' / S, and the
// criterion is the mean loss plus that penalty.
// Spline encoder: the criterion is sum_i s_i loss_i + 1/2 sum_j lambda_j b' S_j b (a sum, as
// in mgcv), with the smoothing parameters lambda fixed by the user or chosen by REML
// (smoothing.hpp); binomial and poisson use PQL: IRLS steps, each re-estimating lambda by REML
// on the current working model (known scale 1), until coefficients and lambda settle.
//
// Stopping criteria (converged = true only when one holds):
//   IRLS (linear encoder): the Newton decrement g' H^-1 g is at most tol (default 1e-20)
//   relative to max(1, |objective|); or, when step halving cannot decrease the objective,
//   the decrement is below 1e-12 relative (rounding noise at the optimum).
//   PQL (spline encoder): the largest IRLS step component is at most tol (default 1e-8)
//   relative to 1 + max|b|, and the log smoothing parameters moved by less than 1e-4 with
//   their REML/GCV search converged (fixed smoothing: the step alone); when step halving
//   cannot decrease the penalised objective, the looser 1e-5 / 1e-2 apply.
// Otherwise the fit stops unconverged at max_iter (default 100) with a message naming the
// criterion, the cap and what to change.
#include <omp.h>

#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <algorithm>
#include <cmath>

#include "encoders/context_basis.hpp"
#include "common/convergence.hpp"
#include "glm/exact_passes.hpp"
#include "common/error.hpp"
#include "common/linear_solve.hpp"
#include "smoothing/smoothing.hpp"
#include "glm/solver.hpp"
#include "glm/penalty_blocks.hpp"

namespace ctxstats {

namespace {

constexpr int kExactBlock = 512;
constexpr int kExactGroups = 16;
using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

using Accumulated = ExactSums;  // zz: sum s v z_work^2, z_work = eta - dloss / v (the working response)

// ---- dense bases --------------------------------------------------------------------------------

// One pass over the data at coefficients b: loss, gradient and (if hessian) the Hessian.
Accumulated accumulate_dense(Family family, const DataView& data, const Scaling& scaling, const ContextBasis& basis,
                             const Eigen::VectorXd& b, bool hessian, int threads) {
  const int m = data.m, m1 = basis.size(), q = scaling.q();
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
    RowMat Bv(kExactBlock, m1);
    Eigen::VectorXd eta(kExactBlock), coef(kExactBlock);
    const std::size_t b0 = blocks * gi / groups, b1 = blocks * (gi + 1) / groups;
    for (std::size_t blk = b0; blk < b1; ++blk) {
      const std::size_t start = blk * kExactBlock;
      const int rows = static_cast<int>(std::min<std::size_t>(kExactBlock, n - start));
      load_rows(data, scaling, nullptr, start, rows, C.data(), X.data(), y.data(), s.data());
      basis.eval(C.data(), rows, Bv.data());
      for (int r = 0; r < rows; ++r) {
        for (int l = 0; l < m1; ++l) Ct(l, r) = Bv(r, l);
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

// ---- sparse bases -------------------------------------------------------------------------------

// Sums over the raw basis of one group of rows.
struct SparseParts {
  std::vector<double> H;  // packed pairs (a <= a'), each a packed q x q lower triangle (padded)
  std::vector<double> g;  // raw_size x q
  std::vector<double> M;  // packed pairs
  double f = 0.0, total = 0.0, zz = 0.0, rows = 0.0;
};

inline std::size_t packed(int lo, int hi) { return static_cast<std::size_t>(hi) * (hi + 1) / 2 + lo; }

// H[pair(a1, a2)] += r_a1 r_a2 V over the non-zero pairs a1 <= a2 of one row (the hot loop).
// Instantiated for each padded width QP, so that V stays in registers and the loop unrolls.
template <int QP>
void add_pairs_fixed(double* H, const int* idx, const double* val, int nnz, const double* V) {
  double v[QP];
  for (int t = 0; t < QP; ++t) v[t] = V[t];
  for (int e2 = 0; e2 < nnz; ++e2) {
    const double v2 = val[e2];
    double* row = H + packed(0, idx[e2]) * QP;
    for (int e1 = 0; e1 <= e2; ++e1) {
      const double c = val[e1] * v2;
      double* h = row + static_cast<std::size_t>(idx[e1]) * QP;
      for (int t = 0; t < QP; ++t) h[t] += c * v[t];
    }
  }
}

using AddPairs = void (*)(double*, const int*, const double*, int, const double*);

#if defined(__GNUC__) && defined(__x86_64__)
// The same loop compiled for AVX2 + FMA, chosen at run time on processors that have them (the
// rest of the core stays baseline x86-64). Every thread of a process runs the same variant, so
// results stay bitwise identical for any thread count.
#define CTXSTATS_AVX2_PAIRS 1
template <int QP>
__attribute__((target("avx2,fma"))) void add_pairs_fixed_avx2(double* H, const int* idx, const double* val, int nnz,
                                                               const double* V) {
  double v[QP];
  for (int t = 0; t < QP; ++t) v[t] = V[t];
  for (int e2 = 0; e2 < nnz; ++e2) {
    const double v2 = val[e2];
    double* row = H + packed(0, idx[e2]) * QP;
    for (int e1 = 0; e1 <= e2; ++e1) {
      const double c = val[e1] * v2;
      double* h = row + static_cast<std::size_t>(idx[e1]) * QP;
      for (int t = 0; t < QP; ++t) h[t] += c * v[t];
    }
  }
}

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}
#endif

template <int QP>
AddPairs pick_add_pairs(int qp) {
  if constexpr (QP > 40) {
    return nullptr;
  } else {
    if (qp != QP) return pick_add_pairs<QP + 2>(qp);
#ifdef CTXSTATS_AVX2_PAIRS
    if (have_avx2()) return &add_pairs_fixed_avx2<QP>;
#endif
    return &add_pairs_fixed<QP>;
  }
}

Accumulated accumulate_sparse(Family family, const DataView& data, const Scaling& scaling, const ContextBasis& basis,
                              const Eigen::SparseMatrix<double>& T, const Eigen::VectorXd& b, bool hessian,
                              int threads) {
  const int m = data.m, q = scaling.q(), R = basis.raw_size(), nb = basis.size(), maxnz = basis.max_nonzeros();
  const int Q2 = q * (q + 1) / 2, Q2p = (Q2 + 1) / 2 * 2;  // padded to pairs of doubles
  // The pair update: a fixed-width instance for up to 8 outputs (Q2p <= 40), else generic.
  AddPairs fixed_pairs = pick_add_pairs<2>(Q2p);
  auto add_pairs = [&](double* H, const int* idx, const double* val, int nnz, const double* V) {
    if (fixed_pairs != nullptr) return fixed_pairs(H, idx, val, nnz, V);
    for (int e2 = 0; e2 < nnz; ++e2) {
      double* row = H + packed(0, idx[e2]) * Q2p;
      for (int e1 = 0; e1 <= e2; ++e1) {
        const double c = val[e1] * val[e2];
        double* h = row + static_cast<std::size_t>(idx[e1]) * Q2p;
        for (int t = 0; t < Q2p; ++t) h[t] += c * V[t];
      }
    }
  };
  const std::size_t P = packed(0, R);  // number of pairs a <= a' < R
  // When the raw functions of one margin sum to one (B-splines), the constant's pairs follow
  // from that margin's: they are skipped in the loop over rows and summed afterwards.
  int unity_offset = 0, unity_size = 0;
  const int skip = basis.unity_margin(&unity_offset, &unity_size) ? 1 : 0;
  const std::size_t n = data.n;
  const std::size_t blocks = (n + kExactBlock - 1) / kExactBlock;
  const int groups = reduction_groups(n, kExactBlock, kExactGroups);
  // Raw coefficients Wr (R x q): theta_k = sum_a r_a Wr(a, k).
  const RowMat Wr = T * Eigen::Map<const RowMat>(b.data(), q, nb).transpose();
  std::vector<SparseParts> parts(groups);

#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int gi = 0; gi < groups; ++gi) {
    SparseParts& a = parts[gi];
    if (hessian) a.H.assign(P * Q2p, 0.0);
    a.g.assign(static_cast<std::size_t>(R) * q, 0.0);
    a.M.assign(P, 0.0);
    std::vector<double> C(static_cast<std::size_t>(kExactBlock) * m), X(static_cast<std::size_t>(kExactBlock) * q),
        y(kExactBlock), s(kExactBlock), val(maxnz), V(Q2p, 0.0), G(q), th(q);
    std::vector<int> idx(maxnz);
    const std::size_t b0 = blocks * gi / groups, b1 = blocks * (gi + 1) / groups;
    for (std::size_t blk = b0; blk < b1; ++blk) {
      const std::size_t start = blk * kExactBlock;
      const int rows = static_cast<int>(std::min<std::size_t>(kExactBlock, n - start));
      load_rows(data, scaling, nullptr, start, rows, C.data(), X.data(), y.data(), s.data());
      for (int r = 0; r < rows; ++r) {
        const int nnz = basis.raw_row(C.data() + static_cast<std::size_t>(r) * m, idx.data(), val.data());
        const double* x = X.data() + static_cast<std::size_t>(r) * q;
        std::fill(th.begin(), th.end(), 0.0);
        for (int e = 0; e < nnz; ++e) {
          const double* w = Wr.data() + static_cast<std::size_t>(idx[e]) * q;
          for (int k = 0; k < q; ++k) th[k] += val[e] * w[k];
        }
        double eta = 0.0;
        for (int k = 0; k < q; ++k) eta += x[k] * th[k];
        const double sr = s[r], dl = dloss(family, y[r], eta), v = variance(family, eta);
        a.f += sr * loss(family, y[r], eta);
        a.total += sr;
        if (sr > 0.0) a.rows += 1.0;
        if (v > 0.0) a.zz += sr * (v * eta - dl) * (v * eta - dl) / v;
        for (int k = 0; k < q; ++k) G[k] = sr * dl * x[k];
        const double sv = sr * v;
        for (int k2 = 0, t = 0; k2 < q; ++k2)
          for (int k1 = 0; k1 <= k2; ++k1, ++t) V[t] = sv * x[k1] * x[k2];
        for (int e2 = skip; e2 < nnz; ++e2) {
          const int a2 = idx[e2];
          const double v2 = val[e2];
          double* gg = a.g.data() + static_cast<std::size_t>(a2) * q;
          for (int k = 0; k < q; ++k) gg[k] += v2 * G[k];
          const std::size_t base = packed(0, a2);
          for (int e1 = skip; e1 <= e2; ++e1) a.M[base + idx[e1]] += sr * val[e1] * v2;
        }
        if (hessian) add_pairs(a.H.data(), idx.data() + skip, val.data() + skip, nnz - skip, V.data());
      }
    }
  }
  // Deterministic reduction: groups in order.
  SparseParts& sum = parts[0];
  for (int gi = 1; gi < groups; ++gi) {
    if (hessian)
      for (std::size_t i = 0; i < sum.H.size(); ++i) sum.H[i] += parts[gi].H[i];
    for (std::size_t i = 0; i < sum.g.size(); ++i) sum.g[i] += parts[gi].g[i];
    for (std::size_t i = 0; i < sum.M.size(); ++i) sum.M[i] += parts[gi].M[i];
    sum.f += parts[gi].f;
    sum.total += parts[gi].total;
    sum.zz += parts[gi].zz;
    sum.rows += parts[gi].rows;
  }
  if (skip) {
    // r_0 = 1 = sum of the unity margin's functions: pair (0, a') = sum_a pair(a, a') over that
    // margin, and (0, 0) = sum_a' (0, a') over it.
    const int u0 = unity_offset, u1 = unity_offset + unity_size;
    auto fill = [&](std::vector<double>& buf, int width) {
      for (int a2 = 1; a2 < R; ++a2) {
        double* dst = buf.data() + packed(0, a2) * width;
        for (int a = u0; a < u1; ++a) {
          const double* src = buf.data() + packed(std::min(a, a2), std::max(a, a2)) * width;
          for (int t = 0; t < width; ++t) dst[t] += src[t];
        }
      }
      double* dst = buf.data();  // pair (0, 0)
      for (int a = u0; a < u1; ++a) {
        const double* src = buf.data() + packed(0, a) * width;
        for (int t = 0; t < width; ++t) dst[t] += src[t];
      }
    };
    if (hessian) fill(sum.H, Q2p);
    fill(sum.M, 1);
    for (int a = u0; a < u1; ++a)
      for (int k = 0; k < q; ++k) sum.g[k] += sum.g[static_cast<std::size_t>(a) * q + k];
  }

  // Map the raw sums to the constrained basis.
  Accumulated out;
  out.f = sum.f;
  out.total = sum.total;
  out.zz = sum.zz;
  out.rows = sum.rows;
  const int D = q * nb;
  out.g.resize(D);
  {
    const Eigen::Map<const RowMat> graw(sum.g.data(), R, q);
    const Eigen::MatrixXd gc = T.transpose() * graw;  // nb x q
    for (int k = 0; k < q; ++k) out.g.segment(k * nb, nb) = gc.col(k);
  }
  Eigen::MatrixXd Xr(R, R);
  for (int a2 = 0; a2 < R; ++a2)
    for (int a1 = 0; a1 <= a2; ++a1) Xr(a1, a2) = Xr(a2, a1) = sum.M[packed(a1, a2)];
  out.M = T.transpose() * (Xr * T);
  if (hessian) {
    out.H.resize(D, D);
    for (int k2 = 0, t = 0; k2 < q; ++k2)
      for (int k1 = 0; k1 <= k2; ++k1, ++t) {
        for (int a2 = 0; a2 < R; ++a2)
          for (int a1 = 0; a1 <= a2; ++a1) Xr(a1, a2) = Xr(a2, a1) = sum.H[packed(a1, a2) * Q2p + t];
        const Eigen::MatrixXd blk = T.transpose() * (Xr * T);
        out.H.block(k1 * nb, k2 * nb, nb, nb) = blk;
        if (k1 != k2) out.H.block(k2 * nb, k1 * nb, nb, nb) = blk.transpose();
      }
  }
  return out;
}

// ---- the linear encoder: elastic-net L2 penalty -------------------------------------------------

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

double poisson_start(const DataView& data) {
  double sy = 0.0, st = 0.0;
  for (std::size_t i = 0; i < data.n; ++i) {
    const double s = data.weights ? data.weights[i] : 1.0;
    sy += s * data.y[i];
    st += s;
  }
  return sy > 0.0 ? std::log(sy / st) : 0.0;
}

}  // namespace

SolverResult solve_linear_passes(const ContextBasis& basis, Family family, const ExactPass& pass,
                                 const Scaling& scaling, const Penalty& penalty, const SolverOptions& options,
                                 double poisson_start_value, double* w) {
  require(penalty.alpha == 0.0 || penalty.l1_ratio == 0.0,
          "solver='exact' handles only the L2 part of the elastic net (l1_ratio=0); use solver='lbfgs' for l1_ratio > 0");
  validate_penalty(penalty);
  const int q = scaling.q(), D = q * basis.size();
  const int max_iter = options.max_iter > 0 ? options.max_iter : 100;
  const double tol = options.tol > 0.0 ? options.tol : 1e-20;
  Eigen::Map<Eigen::VectorXd> b(w, D);
  SolverResult res;

  if (family == Family::kGaussian) {
    Eigen::VectorXd zero = Eigen::VectorXd::Zero(D);
    Accumulated a = pass(zero, true);
    const double inv = 1.0 / a.total;
    // At b = 0 the gradient is -Z'Sy, so the normal equations read (H/S + P) b = -g/S.
    Eigen::MatrixXd H = a.H * inv + penalty_matrix(penalty, a.M * inv, q, scaling.intercept);
    b = solve_symmetric(H, -a.g * inv, &res.rank_deficient);
    Accumulated fin = pass(b, false);
    const Eigen::MatrixXd P = penalty_matrix(penalty, fin.M / fin.total, q, scaling.intercept);
    res.objective = fin.f / fin.total + 0.5 * b.dot(P * b);
    res.history.push_back(res.objective);
    res.n_iter = 1;
    res.converged = true;
    return res;
  }

  b.setZero();
  if (family == Family::kPoisson && scaling.intercept) b[0] = poisson_start_value;
  Accumulated a = pass(b, true);
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
      Accumulated trial = pass(b, true);
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
      if (!res.converged)
        res.message = "IRLS stopped after " + std::to_string(it) +
                      " iterations: step halving could not decrease the objective while the Newton decrement (" +
                      format_number(decrement) + ") was above tol; in a binomial fit complete separation is a " +
                      "common cause (add a ridge penalty, alpha > 0)";
      break;
    }
  }
  if (!res.converged && res.message.empty())
    res.message = "IRLS reached max_iter=" + std::to_string(max_iter) +
                  " before the Newton decrement fell below tol=" + format_number(tol) +
                  " (relative to the objective); raise max_iter or loosen tol; in a binomial fit complete " +
                  "separation is a common cause (add a ridge penalty, alpha > 0)";
  res.objective = f;
  return res;
}

namespace {

SolverResult solve_linear(const ContextBasis& basis, Family family, const DataView& data, const Scaling& scaling,
                          const Penalty& penalty, const SolverOptions& options, double* w) {
  const int threads = resolve_threads(options.threads);
  const ExactPass pass = [&](const Eigen::VectorXd& b, bool hessian) {
    return accumulate_dense(family, data, scaling, basis, b, hessian, threads);
  };
  return solve_linear_passes(basis, family, pass, scaling, penalty, options, poisson_start(data), w);
}

// ---- penalised (spline) bases -------------------------------------------------------------------

}  // namespace

// Declared in glm/penalty_blocks.hpp (the location-scale fit uses them too).
void expand_penalties(const ContextBasis& basis, int q, std::vector<SmoothPenalty>* pens,
                      std::vector<PenaltyBlock>* blocks, std::vector<int>* pen_output, std::vector<int>* pen_term) {
  const int nb = basis.size();
  const auto& bp = basis.penalties();
  for (int k = 0; k < q; ++k) {
    std::vector<int> block_of_term(basis.terms().size(), -1);
    for (const auto& p : bp) {
      int& blk = block_of_term[p.term];
      if (blk < 0) {
        PenaltyBlock B;
        B.offset = k * nb + basis.terms()[p.term].offset;
        B.size = basis.terms()[p.term].size;
        blk = static_cast<int>(blocks->size());
        blocks->push_back(B);
      }
      SmoothPenalty sp;
      sp.offset = k * nb + p.offset;
      sp.S = p.S;
      sp.block = blk;
      (*blocks)[blk].penalties.push_back(static_cast<int>(pens->size()));
      pens->push_back(std::move(sp));
      pen_output->push_back(k);
      pen_term->push_back(p.term);
    }
  }
  prepare_penalty_blocks(*pens, *blocks);
}

double penalty_value(const std::vector<SmoothPenalty>& pens, const Eigen::VectorXd& rho, const Eigen::VectorXd& b) {
  double v = 0.0;
  for (std::size_t j = 0; j < pens.size(); ++j) {
    const int o = pens[j].offset, s = static_cast<int>(pens[j].S.rows());
    v += std::exp(rho[j]) * b.segment(o, s).dot(pens[j].S * b.segment(o, s));
  }
  return v;
}

namespace {

std::vector<double> to_row_major(const Eigen::MatrixXd& A) {
  std::vector<double> v(static_cast<std::size_t>(A.rows()) * A.cols());
  Eigen::Map<RowMat>(v.data(), A.rows(), A.cols()) = A;
  return v;
}

}  // namespace

SolverResult solve_penalised_passes(const ContextBasis& basis, Family family, const ExactPass& pass,
                                    const Scaling& scaling, const Penalty& penalty, const SolverOptions& options,
                                    double poisson_start_value, double* w) {
  require(penalty.alpha == 0.0 && penalty.weight_decay == 0.0,
          "encoder='spline' is penalised by its smoothing parameters; alpha and weight_decay apply to the other "
          "encoders (fix the smoothing by hand with smoothing=...)");
  const int threads = resolve_threads(options.threads);
  const int q = scaling.q(), nb = basis.size(), D = q * nb;
  std::vector<SmoothPenalty> pens;
  std::vector<PenaltyBlock> blocks;
  std::vector<int> pen_output, pen_term;
  expand_penalties(basis, q, &pens, &blocks, &pen_output, &pen_term);
  const int J = static_cast<int>(pens.size());
  const std::vector<double>& fixed_sp = basis.fixed_smoothing();
  const bool fixed = !fixed_sp.empty();
  require(!fixed || static_cast<int>(fixed_sp.size()) == J,
          "smoothing must give one value per smooth penalty: " + std::to_string(J) + " (" + std::to_string(q) +
              " outputs x " + std::to_string(basis.penalties().size()) + " penalties), not " +
              std::to_string(fixed_sp.size()));
  Eigen::VectorXd rho(J);
  for (int j = 0; j < J && fixed; ++j) rho[j] = std::log(fixed_sp[j]);

  SmoothingOptions sopt;
  // Binomial and poisson know their scale (1) unless the fit is quasi-likelihood: then each
  // working model's REML (or GCV) criterion treats the scale as unknown, with z'Wz the
  // weighted sum of squared working responses, as for gaussian data.
  sopt.known_scale = family != Family::kGaussian && !options.quasi;
  sopt.gcv = basis.smoothing_method() == "GCV";
  sopt.threads = threads;
  sopt.callback = options.callback;
  Eigen::Map<Eigen::VectorXd> b(w, D);
  SolverResult res;
  SmoothingReport& rep = res.smoothing;
  SmoothingFit sf;
  Accumulated acc;
  WorkingModel wm;

  if (family == Family::kGaussian) {
    acc = pass(Eigen::VectorXd::Zero(D), true);
    wm.H = acc.H;
    wm.r = -acc.g;
    wm.yy = acc.zz;
    wm.n = acc.total;
    if (!fixed) rho = initial_rho(wm, pens);
    sf = fit_smoothing(wm, pens, blocks, rho, fixed, sopt);
    b = sf.beta;
    rho = sf.rho;
    rep.n_iter = sf.n_iter;
    rep.outer_iter = 1;
    rep.converged = sf.converged;
    rep.message = sf.message;
    res.objective = 0.5 * sf.Dp / acc.total;
    res.history.push_back(res.objective);
    res.n_iter = 1;
    res.converged = sf.converged;
    res.interrupted = sf.interrupted;
    res.message = sf.message;
  } else {
    const int max_iter = options.max_iter > 0 ? options.max_iter : 100;
    const double tol = options.tol > 0.0 ? options.tol : 1e-8;
    // The PQL working model at coefficients b from the pass's sums. The known-scale criterion
    // needs z'Wz only up to a constant; a quasi-likelihood fit's weights are prior weights
    // (R's), so its scale is estimated on the rows, not on the sum of the weights.
    const auto working_model = [&](const Accumulated& sums, const Eigen::VectorXd& at) {
      require(sopt.known_scale || sums.rows > 0.0,
              "a quasi-likelihood spline fit needs the passes' count of rows of positive weight");
      wm.H = sums.H;
      wm.r = sums.H * at - sums.g;
      wm.yy = sopt.known_scale ? 0.0 : sums.zz;
      wm.n = sopt.known_scale ? sums.total : sums.rows;
    };
    b.setZero();
    if (family == Family::kPoisson && scaling.intercept) b[0] = poisson_start_value;
    acc = pass(b, true);
    bool started = fixed;
    for (int it = 1; it <= max_iter; ++it) {
      working_model(acc, b);
      if (!started) {
        rho = initial_rho(wm, pens);
        started = true;
      }
      // Each working model changes with the coefficients, so its smoothing parameters need
      // only a few Newton steps per PQL iteration; the outer loop runs until both settle.
      SmoothingOptions inner = sopt;
      inner.max_iter = 5;
      sf = fit_smoothing(wm, pens, blocks, rho, fixed, inner);
      rep.n_iter += sf.n_iter;
      if (sf.interrupted) {
        res.interrupted = true;
        res.message = sf.message;
        break;
      }
      res.n_iter = it;
      const Eigen::VectorXd b_old = b, direction = sf.beta - b_old;
      const double rho_change = (sf.rho - rho).cwiseAbs().maxCoeff();
      rho = sf.rho;
      const double scale_b = 1.0 + b_old.cwiseAbs().maxCoeff();
      const double obj_old = acc.f + 0.5 * penalty_value(pens, rho, b_old);
      // Converged when the IRLS step and the smoothing parameters have settled (before the
      // step: at the optimum, an ill-conditioned A leaves only rounding noise to step along).
      if (direction.cwiseAbs().maxCoeff() <= tol * scale_b && (fixed || (rho_change < 1e-4 && sf.converged))) {
        res.converged = true;
        res.history.push_back(obj_old / acc.total);
        break;
      }
      bool moved = false;
      double t = 1.0, obj_new = obj_old;
      Accumulated trial;
      for (int h = 0; h < 30; ++h, t *= 0.5) {
        b = b_old + t * direction;
        trial = pass(b, true);
        obj_new = trial.f + 0.5 * penalty_value(pens, rho, b);
        if (std::isfinite(obj_new) && obj_new <= obj_old + 1e-12 * std::fabs(obj_old)) {
          moved = true;
          break;
        }
        // A step of rounding size that does not decrease the objective: nothing left to gain.
        if (t * direction.cwiseAbs().maxCoeff() <= 1e-6 * scale_b) break;
      }
      if (!moved) {
        b = b_old;
        res.converged = direction.cwiseAbs().maxCoeff() <= 1e-5 * scale_b && (fixed || rho_change < 1e-2);
        if (!res.converged)
          res.message = "PQL/IRLS stopped after " + std::to_string(it) +
                        " iterations: step halving could not decrease the penalised objective before the " +
                        "coefficients and smoothing parameters settled; in a binomial fit complete separation is " +
                        "a common cause (fix the smoothing by hand with smoothing=..., or lower n_knots)";
        res.history.push_back(obj_old / acc.total);
        break;
      }
      acc = std::move(trial);
      res.history.push_back(obj_new / acc.total);
      if (stop_requested(options, res, it, obj_new / acc.total)) break;
    }
    if (!res.converged && res.message.empty() && !res.interrupted)
      res.message = "PQL/IRLS reached max_iter=" + std::to_string(max_iter) +
                    " before the coefficient step fell below tol=" + format_number(tol) +
                    " (relative) with the smoothing parameters settled; raise max_iter or loosen tol; in a " +
                    "binomial fit complete separation is a common cause (fix the smoothing by hand with " +
                    "smoothing=..., or lower n_knots)";
    // Covariance and edf at the final coefficients (rho held at its estimate).
    working_model(acc, b);
    const Eigen::VectorXd b_fin = b;
    SmoothingOptions final_opts = sopt;
    final_opts.callback = nullptr;  // one evaluation at the estimate, not a search
    sf = fit_smoothing(wm, pens, blocks, rho, true, final_opts);
    b = b_fin;
    res.objective = (acc.f + 0.5 * penalty_value(pens, rho, b)) / acc.total;
    rep.outer_iter = res.n_iter;
    rep.converged = res.converged;
    rep.message = res.message;
  }

  rep.present = true;
  rep.method = fixed ? "fixed" : (sopt.gcv ? (sopt.known_scale ? "UBRE" : "GCV") : "REML");
  rep.lambda.resize(J);
  for (int j = 0; j < J; ++j) rep.lambda[j] = std::exp(rho[j]);
  rep.penalty_output = pen_output;
  rep.penalty_term = pen_term;
  const int nterms = static_cast<int>(basis.terms().size());
  rep.edf.assign(static_cast<std::size_t>(q) * nterms, 0.0);
  for (int k = 0; k < q; ++k)
    for (int t = 0; t < nterms; ++t) rep.edf[static_cast<std::size_t>(k) * nterms + t] = basis.terms()[t].size;
  for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
    const int k = blocks[bi].offset / nb;
    const int term = pen_term[blocks[bi].penalties[0]];
    rep.edf[static_cast<std::size_t>(k) * nterms + term] = sf.block_edf[bi];
  }
  rep.edf_total = sf.edf;
  rep.scale = sf.scale;
  rep.criterion = sf.criterion;
  rep.null_dim = sf.null_dim;
  rep.n = wm.n;  // sum of weights, or a quasi-likelihood fit's rows
  rep.Vp = to_row_major(sf.Ainv * sf.scale);
  rep.H = to_row_major(acc.H);
  rep.gram = to_row_major(acc.M / acc.total);
  return res;
}

namespace {

SolverResult solve_penalised(const ContextBasis& basis, Family family, const DataView& data, const Scaling& scaling,
                             const Penalty& penalty, const SolverOptions& options, double* w) {
  const int threads = resolve_threads(options.threads);
  const Eigen::SparseMatrix<double> T = basis.transform().sparseView();
  const ExactPass pass = [&](const Eigen::VectorXd& b, bool hessian) {
    return accumulate_sparse(family, data, scaling, basis, T, b, hessian, threads);
  };
  return solve_penalised_passes(basis, family, pass, scaling, penalty, options, poisson_start(data), w);
}

}  // namespace

ExactSums exact_pass(Family family, const DataView& data, const Scaling& scaling, const ContextBasis& basis,
                     const Eigen::VectorXd& b, bool hessian, int threads) {
  const int D = scaling.q() * basis.size();
  require(b.size() == D, "the coefficients have the wrong length for this basis");
  if (data.n == 0) {
    ExactSums z;
    z.g = Eigen::VectorXd::Zero(D);
    z.M = Eigen::MatrixXd::Zero(basis.size(), basis.size());
    if (hessian) z.H = Eigen::MatrixXd::Zero(D, D);
    return z;
  }
  if (!basis.penalties().empty()) {  // a spline basis: the sparse accumulation, as solve_penalised
    const Eigen::SparseMatrix<double> T = basis.transform().sparseView();
    return accumulate_sparse(family, data, scaling, basis, T, b, hessian, resolve_threads(threads));
  }
  return accumulate_dense(family, data, scaling, basis, b, hessian, resolve_threads(threads));
}

void add_exact_sums(ExactSums* into, const ExactSums& part) {
  require(into->g.size() == part.g.size() && into->M.rows() == part.M.rows(),
          "the exact passes to add have different shapes");
  into->g += part.g;
  into->M += part.M;
  if (into->H.size() > 0 && part.H.size() == into->H.size())
    into->H += part.H;
  else
    into->H.resize(0, 0);
  into->f += part.f;
  into->total += part.total;
  into->zz += part.zz;
  into->rows += part.rows;
}

SolverResult solve_exact(const Encoder& encoder, Family family, const DataView& data, const Scaling& scaling,
                         const Penalty& penalty, const SolverOptions& options, double* w) {
  const ContextBasis* basis = encoder.context_basis();
  if (basis != nullptr && !basis->penalties().empty())
    return solve_penalised(*basis, family, data, scaling, penalty, options, w);
  require(encoder.is_linear() || basis != nullptr,
          "solver='exact' needs an encoder that is linear in its weights ('linear' without archetypes, or 'spline')");
  if (basis != nullptr) return solve_linear(*basis, family, data, scaling, penalty, options, w);
  const auto linear = make_linear_basis(data.m);
  return solve_linear(*linear, family, data, scaling, penalty, options, w);
}

}  // namespace ctxstats
