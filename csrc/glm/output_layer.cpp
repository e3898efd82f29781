#include "glm/output_layer.hpp"

#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace ctxstats {

namespace {

struct Sums {
  Eigen::MatrixXd H;  // sum s v z z' (lower triangle)
  Eigen::MatrixXd M;  // sum s f f' (lower triangle)
  Eigen::VectorXd g;  // sum s dloss z + sum_k (ridge_k sum s theta_ik f) in block k
  double f = 0.0;     // sum s [loss + ridge]
  double total = 0.0;
};

// Reduction groups of the output start's pass (gaussian_output_start).
constexpr int kOutputStartGroups = 8;

// One pass at weights w (whose V entries hold v): value, gradient and Hessian sums. With
// `second` (one flag per row), the flagged rows are summed into out[1] and the others into
// out[0]; without it every row goes to out[0] (out has one element). The groups depend on the
// row count and max_groups only.
std::vector<Sums> accumulate_split(const Encoder& enc, Family family, const DataView& data, const Scaling& scaling,
                                   const std::vector<double>& ridge, const double* w, int threads,
                                   const std::vector<char>* second, int max_groups = kMaxGroups) {
  const int q = enc.q(), F = enc.output_features(), m = data.m;
  const int D = q * F;
  const std::size_t n = data.n;
  const std::size_t blocks = (n + kBlockRows - 1) / kBlockRows;
  const int groups = reduction_groups(n, kBlockRows, max_groups);
  const int sets = second ? 2 : 1;
  std::vector<Sums> parts(static_cast<std::size_t>(groups) * sets);
  const std::size_t work_size = enc.workspace_size(kBlockRows);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (groups > 1)
  for (int gi = 0; gi < groups; ++gi) {
    for (int set = 0; set < sets; ++set) {
      Sums& a = parts[static_cast<std::size_t>(gi) * sets + set];
      a.H = Eigen::MatrixXd::Zero(D, D);
      a.M = Eigen::MatrixXd::Zero(F, F);
      a.g = Eigen::VectorXd::Zero(D);
    }
    std::vector<double> C(static_cast<std::size_t>(kBlockRows) * m), X(static_cast<std::size_t>(kBlockRows) * q),
        y(kBlockRows), s(kBlockRows), theta(static_cast<std::size_t>(kBlockRows) * q), work(work_size);
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> Fm(kBlockRows, F);
    Eigen::MatrixXd Zt[2] = {Eigen::MatrixXd(D, kBlockRows), Eigen::MatrixXd(second ? D : 0, kBlockRows)};
    Eigen::MatrixXd Ft[2] = {Eigen::MatrixXd(F, kBlockRows), Eigen::MatrixXd(second ? F : 0, kBlockRows)};
    const std::size_t b0 = blocks * gi / groups, b1 = blocks * (gi + 1) / groups;
    for (std::size_t blk = b0; blk < b1; ++blk) {
      const std::size_t start = blk * kBlockRows;
      const int rows = static_cast<int>(std::min<std::size_t>(kBlockRows, n - start));
      load_rows(data, scaling, nullptr, start, rows, C.data(), X.data(), y.data(), s.data());
      enc.forward(w, C.data(), rows, theta.data(), work.data());
      enc.features(w, C.data(), rows, Fm.data(), work.data());
      int used[2] = {0, 0};
      for (int r = 0; r < rows; ++r) {
        const int set = second && (*second)[start + r] ? 1 : 0;
        Sums& a = parts[static_cast<std::size_t>(gi) * sets + set];
        const int col = used[set]++;
        const double* x = X.data() + static_cast<std::size_t>(r) * q;
        const double* t = theta.data() + static_cast<std::size_t>(r) * q;
        double eta = 0.0, ridge_f = 0.0;
        for (int k = 0; k < q; ++k) {
          eta += t[k] * x[k];
          ridge_f += 0.5 * ridge[k] * t[k] * t[k];
        }
        const double sr = s[r], dl = dloss(family, y[r], eta);
        a.f += sr * (loss(family, y[r], eta) + ridge_f);
        a.total += sr;
        const double sv = std::sqrt(sr * variance(family, eta));
        Eigen::MatrixXd& zt = Zt[set];
        Eigen::MatrixXd& ft = Ft[set];
        for (int l = 0; l < F; ++l) ft(l, col) = Fm(r, l);
        for (int k = 0; k < q; ++k) {
          const double gk = sr * (dl * x[k] + ridge[k] * t[k]);
          for (int l = 0; l < F; ++l) {
            a.g[k * F + l] += gk * Fm(r, l);
            zt(k * F + l, col) = sv * x[k] * Fm(r, l);
          }
        }
        ft.col(col) *= std::sqrt(sr);
      }
      for (int set = 0; set < sets; ++set) {
        if (used[set] == 0) continue;
        Sums& a = parts[static_cast<std::size_t>(gi) * sets + set];
        a.H.selfadjointView<Eigen::Lower>().rankUpdate(Zt[set].leftCols(used[set]));
        a.M.selfadjointView<Eigen::Lower>().rankUpdate(Ft[set].leftCols(used[set]));
      }
    }
  }
  std::vector<Sums> out;
  for (int set = 0; set < sets; ++set) {
    Sums total = std::move(parts[set]);
    for (int gi = 1; gi < groups; ++gi) {
      const Sums& p = parts[static_cast<std::size_t>(gi) * sets + set];
      total.H += p.H;
      total.M += p.M;
      total.g += p.g;
      total.f += p.f;
      total.total += p.total;
    }
    out.push_back(std::move(total));
  }
  return out;
}

Sums accumulate(const Encoder& enc, Family family, const DataView& data, const Scaling& scaling,
                const std::vector<double>& ridge, const std::vector<std::size_t>& /*vidx*/, const double* w,
                int threads) {
  return std::move(accumulate_split(enc, family, data, scaling, ridge, w, threads, nullptr)[0]);
}

// The Newton step (H^-1 grad) of the output-layer objective from the sums at v, and its decrement.
Eigen::VectorXd newton_step(const Sums& a, const Eigen::VectorXd& v, const std::vector<double>& ridge,
                            double weight_decay, int q, int F, double* decrement) {
  const double inv = 1.0 / a.total;
  Eigen::MatrixXd Hs = a.H.selfadjointView<Eigen::Lower>();
  Eigen::MatrixXd Ms = a.M.selfadjointView<Eigen::Lower>();
  Eigen::MatrixXd H = Hs * inv;
  for (int k = 0; k < q; ++k)
    if (ridge[k] > 0.0) H.block(k * F, k * F, F, F) += ridge[k] * inv * Ms;
  H.diagonal().array() += weight_decay;
  const Eigen::VectorXd grad = a.g * inv + weight_decay * v;
  // A tiny ridge keeps the step defined when features are collinear (a constant hidden
  // unit, say); it changes nothing where H is well conditioned.
  const double jitter = 1e-10 * std::max(1e-300, H.diagonal().cwiseAbs().maxCoeff());
  H.diagonal().array() += jitter;
  Eigen::LDLT<Eigen::MatrixXd> ldlt(H);
  Eigen::VectorXd step = ldlt.solve(grad);
  *decrement = grad.dot(step);
  return step;
}

std::vector<double> output_ridge(const Penalty& penalty, const Scaling& scaling, int q) {
  const int off = scaling.intercept ? 1 : 0;
  std::vector<double> ridge(q);
  for (int k = 0; k < q; ++k)
    ridge[k] = penalty.alpha * (1.0 - penalty.l1_ratio) * ((off && k == 0) ? penalty.mu_ratio : 1.0 - penalty.mu_ratio);
  return ridge;
}

}  // namespace

void gaussian_output_start(const Encoder& enc, const DataView& data, const Scaling& scaling, const Penalty& penalty,
                           int threads, const std::vector<char>* held_out, double* w_first, double* w_all) {
  const int F = enc.output_features(), q = enc.q();
  require(F > 0 && !(penalty.alpha > 0.0 && penalty.l1_ratio > 0.0),
          "output_start needs a network with a linear output layer and no L1 penalty");
  const std::vector<double> ridge = output_ridge(penalty, scaling, q);
  // At most 8 groups (each holds a q F x q F matrix per row set): 32 took 45 MB and a tenth of
  // the fit's time in page faults for the ngam of the public benchmark (perf).
  std::vector<Sums> sums = accumulate_split(enc, Family::kGaussian, data, scaling, ridge, w_first,
                                            resolve_threads(threads), held_out, kOutputStartGroups);
  const auto apply = [&](const Sums& a, double* w) {
    Eigen::VectorXd v(q * F);
    for (int k = 0; k < q; ++k)
      for (int l = 0; l < F; ++l) v[k * F + l] = w[enc.output_weight(k, l)];
    double decrement = 0.0;
    const Eigen::VectorXd step = newton_step(a, v, ridge, penalty.weight_decay, q, F, &decrement);
    if (!step.allFinite()) return;  // the seeded weights stay: L-BFGS starts from them
    v -= step;
    for (int k = 0; k < q; ++k)
      for (int l = 0; l < F; ++l) w[enc.output_weight(k, l)] = v[k * F + l];
  };
  if (held_out) {
    require(w_all != nullptr && w_all != w_first, "gaussian_output_start: w_all must be a second weight vector");
    std::copy(w_first, w_first + enc.n_weights(), w_all);
    Sums all = sums[0];
    all.H += sums[1].H;
    all.M += sums[1].M;
    all.g += sums[1].g;
    all.f += sums[1].f;
    all.total += sums[1].total;
    if (sums[0].total > 0.0) apply(sums[0], w_first);
    apply(all, w_all);
  } else {
    apply(sums[0], w_first);
  }
}

OutputLayerResult solve_output_layer(const Encoder& enc, Family family, const DataView& data, const Scaling& scaling,
                                     const Penalty& penalty, int threads, double* w, int max_iter) {
  OutputLayerResult res;
  const int F = enc.output_features(), q = enc.q();
  if (F == 0 || (penalty.alpha > 0.0 && penalty.l1_ratio > 0.0)) return res;
  threads = resolve_threads(threads);
  const int D = q * F;
  const std::vector<double> ridge = output_ridge(penalty, scaling, q);
  std::vector<std::size_t> vidx(D);
  for (int k = 0; k < q; ++k)
    for (int l = 0; l < F; ++l) vidx[k * F + l] = enc.output_weight(k, l);
  const std::size_t nw = enc.n_weights();
  std::vector<double> cur(w, w + nw);
  auto get_v = [&](const std::vector<double>& ww) {
    Eigen::VectorXd v(D);
    for (int d = 0; d < D; ++d) v[d] = ww[vidx[d]];
    return v;
  };
  auto objective = [&](const Sums& a, const Eigen::VectorXd& v) {
    return a.f / a.total + 0.5 * penalty.weight_decay * v.squaredNorm();
  };
  Sums a = accumulate(enc, family, data, scaling, ridge, vidx, cur.data(), threads);
  Eigen::VectorXd v = get_v(cur);
  double f = objective(a, v);
  if (!std::isfinite(f)) return res;
  for (int it = 1; it <= max_iter; ++it) {
    double decrement = 0.0;
    const Eigen::VectorXd step = newton_step(a, v, ridge, penalty.weight_decay, q, F, &decrement);
    res.n_iter = it;
    if (!step.allFinite()) break;
    if (!(decrement > 1e-18 * std::max(1.0, std::fabs(f)))) break;
    if (family == Family::kGaussian) {  // quadratic in v: the Newton step is the minimiser
      v -= step;
      for (int d = 0; d < D; ++d) cur[vidx[d]] = v[d];
      f -= 0.5 * decrement;
      break;
    }
    bool moved = false;
    double t = 1.0;
    std::vector<double> trial = cur;
    for (int h = 0; h < 30; ++h, t *= 0.5) {
      const Eigen::VectorXd vn = v - t * step;
      for (int d = 0; d < D; ++d) trial[vidx[d]] = vn[d];
      Sums b = accumulate(enc, family, data, scaling, ridge, vidx, trial.data(), threads);
      const double fn = objective(b, vn);
      if (std::isfinite(fn) && fn <= f) {
        a = std::move(b);
        v = vn;
        f = fn;
        cur = trial;
        moved = true;
        break;
      }
    }
    if (!moved) break;
  }
  std::copy(cur.begin(), cur.end(), w);
  res.solved = true;
  res.objective = f;
  return res;
}

}  // namespace ctxstats

namespace ctxstats {

SolverResult solve_varpro(Objective& objective, const Encoder& enc, Family family, const DataView& data,
                          const Scaling& scaling, const Penalty& penalty, double* w, const SolverOptions& options) {
  require(enc.output_features() > 0,
          "solver='varpro' needs an encoder with a linear output layer ('mlp', 'ngam' or archetypes)");
  require(penalty.alpha == 0.0 || penalty.l1_ratio == 0.0,
          "solver='varpro' handles only the L2 part of the elastic net (l1_ratio=0); use solver='lbfgs' for l1_ratio > 0");
  const std::size_t nw = enc.n_weights();
  std::vector<char> in_v(nw, 0);
  for (int k = 0; k < enc.q(); ++k)
    for (int l = 0; l < enc.output_features(); ++l) in_v[enc.output_weight(k, l)] = 1;
  std::vector<std::size_t> hidden;
  for (std::size_t j = 0; j < nw; ++j)
    if (!in_v[j]) hidden.push_back(j);
  std::vector<double> full(w, w + nw), gfull(nw), u(hidden.size());
  for (std::size_t h = 0; h < hidden.size(); ++h) u[h] = full[hidden[h]];
  const int threads = objective.threads();
  // The profiled objective F(u) = min_V L(u, V) and its gradient, which at the minimising V
  // is the partial gradient of L in u (the V part vanishes there).
  ValueGrad profiled = [&](const double* x, double* g) {
    for (std::size_t h = 0; h < hidden.size(); ++h) full[hidden[h]] = x[h];
    solve_output_layer(enc, family, data, scaling, penalty, threads, full.data());
    const double f = objective.value_grad(full.data(), gfull.data());
    for (std::size_t h = 0; h < hidden.size(); ++h) g[h] = gfull[hidden[h]];
    return f;
  };
  SolverResult res = solve_lbfgs(hidden.size(), profiled, u.data(), options);
  std::vector<double> g(hidden.size());
  res.objective = profiled(u.data(), g.data());
  std::copy(full.begin(), full.end(), w);
  const std::string prefix = "L-BFGS";
  if (res.message.compare(0, prefix.size(), prefix) == 0)
    res.message = "Variable projection" + res.message.substr(prefix.size());
  return res;
}

}  // namespace ctxstats
