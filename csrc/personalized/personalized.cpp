// The personalized-regression objective (value and exact gradient) and its Adam solver.
// See personalized.hpp for the model.
#include "personalized/personalized.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <string>

#include "common/convergence.hpp"
#include "common/error.hpp"
#include "common/memory.hpp"
#include "options/schema.hpp"
#include "common/rng.hpp"

namespace ctxstats {

namespace {

constexpr int kPairBlock = 2048;
// Below this much work per thread a parallel region costs more than it saves. The results
// do not depend on the thread count, so this changes speed only.
constexpr std::size_t kMinWorkPerThread = 16384;

int threads_for(int threads, std::size_t work) {
  return static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(threads, work / kMinWorkPerThread)));
}

void softmax(const double* u, int m, double* phi) {
  double mx = -std::numeric_limits<double>::infinity();
  for (int k = 0; k < m; ++k) mx = std::max(mx, u[k]);
  double s = 0.0;
  for (int k = 0; k < m; ++k) {
    phi[k] = std::exp(u[k] - mx);
    s += phi[k];
  }
  for (int k = 0; k < m; ++k) phi[k] /= s;
}

}  // namespace

PersonalizedObjective::PersonalizedObjective(const DataView& data, const Scaling& scaling,
                                             const PersonalizedOptions& options, std::vector<double> dist_scale,
                                             std::vector<char> role)
    : data_(data), scaling_(scaling), options_(options), family_(parse_family(options.family)), role_(std::move(role)) {
  validate_personalized_options(options_, data.m);
  if (options_.categorical.empty()) options_.categorical.assign(data.m, 0);
  require(data.n >= 2, "personalized regression needs at least two rows");
  require(data.n < (std::size_t(1) << 32), "personalized regression supports fewer than 2^32 rows");
  require(role_.size() == data.n, "role must have one entry per row");
  require(dist_scale.size() == static_cast<std::size_t>(data.m), "dist_scale must have one entry per context column");
  layout_.n = data.n;
  layout_.q = scaling.q();
  layout_.K = options_.rank;
  layout_.m = data.m;
  inv_scale_.resize(data.m);
  for (int k = 0; k < data.m; ++k) inv_scale_[k] = 1.0 / dist_scale[k];
  for (std::size_t i = 0; i < data.n; ++i) {
    const double s = data.weights ? data.weights[i] : 1.0;
    (role_[i] ? val_total_ : train_total_) += s;
  }
  require(train_total_ > 0.0, "the training rows have zero total weight");
  threads_ = resolve_threads(options_.threads);
  const std::size_t n = data.n, P = n_pairs();
  coef_.resize(P);
  offsets_.resize(options_.n_partners);
  zp_.resize(n * layout_.K);
  gzp_.resize(n * layout_.K);
  // The internal order: a seeded Fisher-Yates shuffle, and the context copied into it.
  perm_.resize(n);
  std::iota(perm_.begin(), perm_.end(), 0u);
  CounterRng rng(options_.seed, Stream::kPairs, UINT64_MAX);
  for (std::size_t a = n; a > 1; --a) std::swap(perm_[a - 1], perm_[rng.below(a)]);
  Cp_.resize(n * data.m);
  for (std::size_t a = 0; a < n; ++a)
    std::copy(data.C + static_cast<std::size_t>(perm_[a]) * data.m, data.C + (perm_[a] + std::size_t(1)) * data.m,
              Cp_.begin() + a * data.m);
}

void PersonalizedObjective::draw_offsets(std::uint64_t epoch) {
  CounterRng rng(options_.seed, Stream::kPairs, epoch);
  for (auto& o : offsets_) o = 1 + rng.below(layout_.n - 1);
}

double PersonalizedObjective::value_grad(const double* params, double* grad, std::uint64_t epoch, double* val_loss) {
  const PersonalizedLayout& L = layout_;
  const std::size_t n = L.n;
  const int q = L.q, K = L.K, m = L.m, r = options_.n_partners;
  const bool with_grad = grad != nullptr;
  const double* tb = params + L.theta_bar();
  const double* Q = params + L.Q();
  const double* Z = params + L.z();
  std::vector<double> phi(m);
  softmax(params + L.u(), m, phi.data());
  const int off = scaling_.intercept ? 1 : 0;
  const double alpha = options_.alpha, l1 = options_.l1_ratio, l2 = 1.0 - options_.l1_ratio;
  const double inv_train = 1.0 / train_total_;

  // ---- data term: fixed row blocks gathered into groups that depend on n only ----------
  const std::size_t blocks = (n + kBlockRows - 1) / kBlockRows;
  const int groups = reduction_groups(n, kBlockRows, kMaxGroups);
  const std::size_t gstride = static_cast<std::size_t>(q) * (K + 1);
  std::vector<double> group_g(with_grad ? groups * gstride : 0, 0.0);
  std::vector<double> group_f(groups, 0.0), group_loss(groups, 0.0), group_val(groups, 0.0);

#pragma omp parallel num_threads(threads_for(threads_, n * static_cast<std::size_t>(q) * (K + 1)))
  {
    std::vector<double> Cs(static_cast<std::size_t>(kBlockRows) * m), Xs(static_cast<std::size_t>(kBlockRows) * q),
        ys(kBlockRows), ws(kBlockRows), theta(q), dt(q);
#pragma omp for schedule(dynamic, 1)
    for (int g = 0; g < groups; ++g) {
      double* gg = with_grad ? group_g.data() + g * gstride : nullptr;  // [dtheta_bar (q) | dQ (K x q)]
      double f = 0.0, floss = 0.0, fval = 0.0;
      const std::size_t b0 = blocks * g / groups, b1 = blocks * (g + 1) / groups;
      for (std::size_t blk = b0; blk < b1; ++blk) {
        const std::size_t start = blk * kBlockRows;
        const int rows = static_cast<int>(std::min<std::size_t>(kBlockRows, n - start));
        load_rows(data_, scaling_, nullptr, start, rows, Cs.data(), Xs.data(), ys.data(), ws.data());
        for (int rr = 0; rr < rows; ++rr) {
          const std::size_t i = start + rr;
          const double* z = Z + i * K;
          const double* x = Xs.data() + static_cast<std::size_t>(rr) * q;
          double eta = 0.0;
          for (int c = 0; c < q; ++c) {
            double t = tb[c];
            for (int k = 0; k < K; ++k) t += z[k] * Q[static_cast<std::size_t>(k) * q + c];
            theta[c] = t;
            eta += t * x[c];
          }
          const double s = ws[rr], l = loss(family_, ys[rr], eta);
          double* gz = with_grad ? grad + L.z() + i * K : nullptr;
          if (role_[i]) {
            fval += s * l;
            if (gz) std::fill(gz, gz + K, 0.0);
            continue;
          }
          floss += s * l;
          double fr = l;
          const double dl = dloss(family_, ys[rr], eta), sw = s * inv_train;
          for (int c = 0; c < q; ++c) dt[c] = sw * dl * x[c];
          if (alpha > 0.0) {
            for (int c = 0; c < q; ++c) {
              const double a = alpha * ((off && c == 0) ? options_.mu_ratio : 1.0 - options_.mu_ratio);
              const double tc = theta[c], root = std::sqrt(tc * tc + kL1Smoothing * kL1Smoothing);
              fr += a * (l1 * (root - kL1Smoothing) + 0.5 * l2 * tc * tc);
              dt[c] += sw * a * (l1 * tc / root + l2 * tc);
            }
          }
          f += s * fr;
          if (!with_grad) continue;
          for (int k = 0; k < K; ++k) {
            const double* Qk = Q + static_cast<std::size_t>(k) * q;
            double acc = 0.0;
            for (int c = 0; c < q; ++c) acc += Qk[c] * dt[c];
            gz[k] = acc;
          }
          for (int c = 0; c < q; ++c) gg[c] += dt[c];
          for (int k = 0; k < K; ++k) {
            double* gQk = gg + q + static_cast<std::size_t>(k) * q;
            for (int c = 0; c < q; ++c) gQk[c] += z[k] * dt[c];
          }
        }
      }
      group_f[g] = f;
      group_loss[g] = floss;
      group_val[g] = fval;
    }
  }

  double f_data = 0.0, loss_train = 0.0, loss_val = 0.0;
  for (int g = 0; g < groups; ++g) {
    f_data += group_f[g];
    loss_train += group_loss[g];
    loss_val += group_val[g];
  }
  last_train_loss_ = loss_train * inv_train;
  if (val_loss) *val_loss = val_total_ > 0.0 ? loss_val / val_total_ : 0.0;
  if (with_grad) {
    std::fill(grad, grad + L.z(), 0.0);
    for (int g = 0; g < groups; ++g) {
      const double* gg = group_g.data() + g * gstride;
      for (std::size_t c = 0; c < gstride; ++c) grad[c] += gg[c];  // theta_bar then Q: contiguous
    }
  }

  // ---- distance matching over the epoch's pairs -------------------------------------------
  double f_pair = 0.0;
  std::vector<double> gphi(m, 0.0);
  if (options_.gamma > 0.0) {
    draw_offsets(epoch);
    const std::size_t P = n_pairs();
    const double scale = options_.gamma / static_cast<double>(P);
    const std::size_t pblocks = (P + kPairBlock - 1) / kPairBlock;
    const int pgroups = reduction_groups(P, kPairBlock, kMaxGroups);
    std::vector<double> pf(pgroups, 0.0), pphi(static_cast<std::size_t>(pgroups) * m, 0.0);
    const int* cat = options_.categorical.data();
    const std::size_t* off = offsets_.data();
    double* zp = zp_.data();
    // Gather z into the internal order (one random access per sample, not per pair).
#pragma omp parallel for num_threads(threads_for(threads_, n * static_cast<std::size_t>(K))) schedule(static)
    for (std::ptrdiff_t aa = 0; aa < static_cast<std::ptrdiff_t>(n); ++aa) {
      const std::size_t a = static_cast<std::size_t>(aa);
      std::copy(Z + static_cast<std::size_t>(perm_[a]) * K, Z + (perm_[a] + std::size_t(1)) * K, zp + a * K);
    }
#pragma omp parallel for num_threads(threads_for(threads_, P * static_cast<std::size_t>(K + m))) schedule(dynamic, 1)
    for (int g = 0; g < pgroups; ++g) {
      double f = 0.0;
      double* gp = pphi.data() + static_cast<std::size_t>(g) * m;
      const std::size_t p0 = std::min(P, pblocks * g / pgroups * kPairBlock);
      const std::size_t p1 = std::min(P, pblocks * (g + 1) / pgroups * kPairBlock);
      for (std::size_t p = p0; p < p1; ++p) {
        const std::size_t a = p / r;
        std::size_t b = a + off[p % r];
        if (b >= n) b -= n;
        const double* za = zp + a * K;
        const double* zb = zp + b * K;
        double rho = 0.0;
        for (int k = 0; k < K; ++k) {
          const double d = za[k] - zb[k];
          rho += d * d;
        }
        const double* ca = Cp_.data() + a * m;
        const double* cb = Cp_.data() + b * m;
        double D = 0.0;
        for (int k = 0; k < m; ++k) D += phi[k] * covariate_distance(ca[k], cb[k], cat[k], inv_scale_[k]);
        const double e = rho - D;
        f += e * e;
        if (with_grad) {
          coef_[p] = 4.0 * scale * e;  // d/dz_a of scale (rho - D)^2 is 4 scale e (z_a - z_b)
          for (int k = 0; k < m; ++k) gp[k] -= 2.0 * scale * e * covariate_distance(ca[k], cb[k], cat[k], inv_scale_[k]);
        }
      }
      pf[g] = f;
    }
    for (int g = 0; g < pgroups; ++g) {
      f_pair += pf[g];
      for (int k = 0; k < m; ++k) gphi[k] += pphi[static_cast<std::size_t>(g) * m + k];
    }
    f_pair *= scale;

    if (with_grad) {
      // Each z: its r pairs as first end, then its r pairs as second end (position a - o_t),
      // in a fixed order; then scattered back to the row order.
      double* gzp = gzp_.data();
#pragma omp parallel for num_threads(threads_for(threads_, 2 * P * static_cast<std::size_t>(K))) schedule(static)
      for (std::ptrdiff_t aa = 0; aa < static_cast<std::ptrdiff_t>(n); ++aa) {
        const std::size_t a = static_cast<std::size_t>(aa);
        const double* za = zp + a * K;
        double* ga = gzp + a * K;
        std::fill(ga, ga + K, 0.0);
        for (int t = 0; t < r; ++t) {
          std::size_t b = a + off[t];
          if (b >= n) b -= n;
          const double c = coef_[a * r + t];
          const double* zb = zp + b * K;
          for (int k = 0; k < K; ++k) ga[k] += c * (za[k] - zb[k]);
        }
        for (int t = 0; t < r; ++t) {
          const std::size_t f = a >= off[t] ? a - off[t] : a + n - off[t];
          const double c = coef_[f * r + t];
          const double* zf = zp + f * K;
          for (int k = 0; k < K; ++k) ga[k] += c * (za[k] - zf[k]);
        }
      }
#pragma omp parallel for num_threads(threads_for(threads_, n * static_cast<std::size_t>(K))) schedule(static)
      for (std::ptrdiff_t aa = 0; aa < static_cast<std::ptrdiff_t>(n); ++aa) {
        const std::size_t a = static_cast<std::size_t>(aa);
        double* gz = grad + L.z() + static_cast<std::size_t>(perm_[a]) * K;
        for (int k = 0; k < K; ++k) gz[k] += gzp[a * K + k];
      }
    }
  }

  double phi2 = 0.0, q2 = 0.0;
  for (int k = 0; k < m; ++k) phi2 += phi[k] * phi[k];
  for (std::size_t a = 0; a < static_cast<std::size_t>(K) * q; ++a) q2 += Q[a] * Q[a];
  const double f = f_data * inv_train + f_pair + options_.nu * phi2 + 0.5 * options_.weight_decay * q2;
  if (with_grad) {
    for (std::size_t a = 0; a < static_cast<std::size_t>(K) * q; ++a) grad[L.Q() + a] += options_.weight_decay * Q[a];
    for (int k = 0; k < m; ++k) gphi[k] += 2.0 * options_.nu * phi[k];
    double dot = 0.0;
    for (int k = 0; k < m; ++k) dot += phi[k] * gphi[k];
    double* gu = grad + L.u();
    for (int k = 0; k < m; ++k) gu[k] = phi[k] * (gphi[k] - dot);
  }
  return f;
}

// ---- the solver ----------------------------------------------------------------------------

namespace {

std::vector<char> validation_roles(std::size_t n, double val_split, std::uint64_t seed) {
  std::vector<char> role(n, 0);
  std::size_t n_val = static_cast<std::size_t>(std::llround(val_split * static_cast<double>(n)));
  if (n_val >= n) n_val = n - 1;
  if (n_val == 0) return role;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  CounterRng rng(seed, Stream::kValidation);
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  for (std::size_t a = 0; a < n_val; ++a) role[order[a]] = 1;
  return role;
}

// The linear part of theta_to_original (for differences of parameter vectors such as the
// rows of Q): the map of t minus the map of 0.
void delta_to_original(const Scaling& scaling, double* t) {
  const int q = scaling.q();
  std::vector<double> zero(q, 0.0);
  theta_to_original(scaling, zero.data(), 1);
  theta_to_original(scaling, t, 1);
  for (int c = 0; c < q; ++c) t[c] -= zero[c];
}

}  // namespace

// Full-batch Adam with early stopping. Stopping criterion (converged = true): after the
// warm-up, patience consecutive epochs in which the validation loss (the training objective
// when val_split = 0) does not improve on its best value by more than tol (default 1e-5)
// relative to max(1, |best|); the best parameters are kept. Otherwise the fit stops
// unconverged after max_iter epochs (default 2000) with a message naming the criterion, the
// cap and what to change. An interrupted fit (the callback) is never reported converged.
// Sizes checked against the data and the memory before anything is allocated (issue 13):
// above its default, rank is at most the parameters per sample and n_partners below the rows.
static void check_personalized_sizes(const DataView& data, const PersonalizedOptions& o, int q) {
  const auto default_int = [](const char* name) {
    return std::strtoll(option_default(*find_option(name), "personalized", "").text.c_str(), nullptr, 10);
  };
  if (o.rank > std::max(q, 2))
    throw InvalidArgument("rank=" + std::to_string(o.rank) + " is more than the " + std::to_string(q) +
                          " parameters of each sample's model; use rank <= " + std::to_string(std::max(q, 2)) +
                          ", or rank=0 to choose it from the data");
  if (static_cast<std::size_t>(o.n_partners) >= data.n && o.n_partners > default_int("n_partners"))
    throw InvalidArgument("n_partners=" + std::to_string(o.n_partners) + " is not fewer than the " +
                          std::to_string(data.n) + " samples; use n_partners <= " + std::to_string(data.n - 1));
  const double n = static_cast<double>(data.n);
  // pairs (coefficients), the low-rank coordinates and their gradient and optimiser state,
  // the shuffled context, the parameters per sample.
  const double doubles = n * o.n_partners + 8.0 * n * o.rank + n * data.m + 4.0 * n * q;
  require_memory(8.0 * doubles, "personalized regression with n_partners=" + std::to_string(o.n_partners) +
                                    " and rank=" + std::to_string(o.rank) + " on " + std::to_string(data.n) + " rows",
                 "lower n_partners or rank");
}

namespace {

// The distance matching at options.rank (K >= 1): the epochs, the latent sample models and the
// matching's metric, in user units; pop receives the population GLM (internal scale).
PersonalizedFit fit_matching(const DataView& data, const PersonalizedOptions& options, const std::vector<double>* init,
                             std::vector<double>& pop_out) {
  const Family family = parse_family(options.family);
  PersonalizedFit out;
  out.rank = options.rank;
  out.scaling = compute_scaling(data, family, options.intercept);
  require(data.n >= 2, "personalized regression needs at least two rows");
  require(out.scaling.q() >= 1, "the model has no parameters: exog is empty and fit_intercept is False");
  check_personalized_sizes(data, options, out.scaling.q());
  out.dist_scale = distance_scales(data, options.categorical);
  out.role = validation_roles(data.n, options.val_split, options.seed);
  const bool has_val = std::find(out.role.begin(), out.role.end(), 1) != out.role.end();

  PersonalizedObjective obj(data, out.scaling, options, out.dist_scale, out.role);
  const PersonalizedLayout& L = obj.layout();
  pop_out = population_glm(data, out.scaling, family, options, out.role, &out.population_converged);
  const std::vector<double>& pop = pop_out;
  std::vector<double> w;
  if (init) {
    require(init->size() == L.size(), "start_params has " + std::to_string(init->size()) +
                                          " entries; this model has " + std::to_string(L.size()));
    w = *init;
  } else {
    w = personalized_init(data, L, out.dist_scale, pop, options, out.scaling);
  }

  const std::size_t N = L.size();
  const int epochs = options.max_iter > 0 ? options.max_iter : 2000;
  const double tol = options.tol > 0.0 ? options.tol : 1e-5;
  const double lr = options.learning_rate;
  const int warmup = std::min(options.warmup, epochs - 1);
  std::vector<double> g(N), m1(N, 0.0), m2(N, 0.0), best(w);
  double best_monitor = std::numeric_limits<double>::infinity();
  double b1t = 1.0, b2t = 1.0;
  int bad = 0;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    double val = 0.0;
    if (warmup > 0) obj.set_gamma(options.gamma * std::min(1.0, static_cast<double>(epoch) / warmup));
    const double f = obj.value_grad(w.data(), g.data(), static_cast<std::uint64_t>(epoch), &val);
    require(std::isfinite(f), "the objective became non-finite at epoch " + std::to_string(epoch) +
                                  "; lower learning_rate");
    out.history.push_back(f);
    if (options.callback && !options.callback(epoch, f)) {
      out.interrupted = true;
      out.message = "interrupted at epoch " + std::to_string(epoch);
      break;
    }
    const double monitor = has_val ? val : f;
    out.val_history.push_back(has_val ? val : obj.last_train_loss());
    out.n_iter = epoch;
    if (epoch < warmup) {
      // gamma is still rising: nothing to compare yet.
    } else if (epoch == warmup || monitor < best_monitor - tol * std::max(1.0, std::fabs(best_monitor))) {
      best_monitor = monitor;
      best = w;
      out.best_epoch = epoch;
      out.objective = f;
      bad = 0;
    } else if (++bad >= options.patience) {
      out.converged = true;
      out.message = "early stopping after " + std::to_string(options.patience) + " epochs without improvement";
      break;
    }
    b1t *= 0.9;
    b2t *= 0.999;
    for (std::size_t k = 0; k < N; ++k) {
      m1[k] = 0.9 * m1[k] + 0.1 * g[k];
      m2[k] = 0.999 * m2[k] + 0.001 * g[k] * g[k];
      w[k] -= lr * (m1[k] / (1.0 - b1t)) / (std::sqrt(m2[k] / (1.0 - b2t)) + 1e-8);
    }
    out.n_iter = epoch + 1;
  }
  if (!out.converged && !out.interrupted)
    out.message = "personalized regression's Adam reached max_iter=" + std::to_string(epochs) +
                  " epochs before early stopping: the " + (has_val ? "validation" : "training") +
                  " loss still improved by more than tol=" + format_number(tol) + " (relative) within patience=" +
                  std::to_string(options.patience) + " epochs; raise max_iter, loosen tol or lower patience, " +
                  "standardise the inputs or add weight_decay";
  out.params = best;

  // ---- report in user units -----------------------------------------------------------------
  const int q = L.q, K = L.K, m = L.m;
  const double* tb = out.params.data() + L.theta_bar();
  const double* Q = out.params.data() + L.Q();
  const double* Z = out.params.data() + L.z();
  out.theta.resize(data.n * q);
  for (std::size_t i = 0; i < data.n; ++i)
    for (int c = 0; c < q; ++c) {
      double t = tb[c];
      for (int k = 0; k < K; ++k) t += Z[i * K + k] * Q[static_cast<std::size_t>(k) * q + c];
      out.theta[i * q + c] = t;
    }
  theta_to_original(out.scaling, out.theta.data(), data.n);
  out.theta_latent = out.theta;
  out.phi.resize(m);
  softmax(out.params.data() + L.u(), m, out.phi.data());
  out.phi_matching = out.phi;
  out.theta_bar.assign(tb, tb + q);
  theta_to_original(out.scaling, out.theta_bar.data(), 1);
  out.theta_pop = pop;
  theta_to_original(out.scaling, out.theta_pop.data(), 1);
  out.Q.assign(Q, Q + static_cast<std::size_t>(K) * q);
  for (int k = 0; k < K; ++k) delta_to_original(out.scaling, out.Q.data() + static_cast<std::size_t>(k) * q);
  out.held_out_loss = best_monitor;  // the kept epoch's validation loss (see below for local models)
  return out;
}

// Replaces fit's sample models by the local GLMs in its learned metric (sample_models =
// "local"), with the metric refined when `refine`. Without `final_fits` only the held-out
// loss and SE are set (all that choosing the rank needs; the sample models of every row are
// the costliest part and are fitted for the chosen rank only).
void add_local_models(PersonalizedFit& out, const DataView& data, const PersonalizedOptions& options,
                      const std::vector<double>& pop, bool refine, bool final_fits = true) {
  LocalModels local = personalized_local_models(data, out.scaling, parse_family(options.family), out.role, pop,
                                                out.phi_matching, out.dist_scale, options.categorical,
                                                options.local_neighbors, refine, options.seed, options.threads,
                                                final_fits);
  if (!final_fits) {
    out.held_out_loss = local.held_out_loss;
    out.held_out_se = local.held_out_se;
    return;
  }
  out.theta = std::move(local.theta);
  theta_to_original(out.scaling, out.theta.data(), data.n);
  out.local_neighbors = local.k;
  out.phi = std::move(local.phi);
  out.local_grid = std::move(local.grid);
  out.local_loss = std::move(local.loss);
  out.held_out_loss = local.held_out_loss;
  out.held_out_se = local.held_out_se;
  out.shrink_target = local.shrink_target;
  out.shrinkage = local.shrinkage;
  out.shrink_grid = std::move(local.shrink_grid);
  out.shrink_loss = std::move(local.shrink_loss);
  out.shrink_linear = std::move(local.shrink_linear);
  out.target_map = std::move(local.target_map);
  theta_to_original(out.scaling, local.theta_weak.data(), data.n);
  theta_to_original(out.scaling, local.theta_half.data(), data.n);
  out.smoothing_bias.resize(out.theta.size());
  for (std::size_t a = 0; a < out.theta.size(); ++a)
    out.smoothing_bias[a] =
        (out.theta[a] - local.theta_weak[a]) + local.bias_factor * (local.theta_weak[a] - local.theta_half[a]);
}

}  // namespace

std::vector<int> personalized_rank_grid(int q, int m) {
  const int top = std::max(1, std::min({kMaxChosenRank, m, std::max(q, 2)}));
  std::vector<int> grid;
  for (int K = 1; K <= top; ++K) grid.push_back(K);
  return grid;
}

PersonalizedFit fit_personalized(const DataView& data, const PersonalizedOptions& options_in,
                                 const std::vector<double>* init) {
  PersonalizedOptions options = options_in;
  validate_personalized_options(options, data.m);
  if (options.categorical.empty()) options.categorical.assign(data.m, 0);
  const bool local = options.sample_models == "local";
  std::vector<double> pop;
  if (options.rank > 0) {
    PersonalizedFit out = fit_matching(data, options, init, pop);
    if (local && !out.interrupted) add_local_models(out, data, options, pop, options.refine_metric);
    return out;
  }
  // rank = 0: chosen from the data (see personalized.hpp).
  require(init == nullptr, "start_params needs a given rank (rank=0 chooses it from the data): set rank");
  require(local || options.val_split > 0.0,
          "rank=0 (chosen from the data) with sample_models='latent' needs held-out rows: set val_split > 0 or "
          "give rank");
  const Scaling scaling = compute_scaling(data, parse_family(options.family), options.intercept);
  const std::vector<int> grid = personalized_rank_grid(scaling.q(), data.m);
  std::vector<PersonalizedFit> fits;
  std::vector<std::vector<double>> pops;
  std::vector<double> loss, se;
  for (int K : grid) {
    PersonalizedOptions o = options;
    o.rank = K;
    pops.emplace_back();
    fits.push_back(fit_matching(data, o, nullptr, pops.back()));
    if (fits.back().interrupted) return std::move(fits.back());
    if (local) add_local_models(fits.back(), data, o, pops.back(), false, false);
    loss.push_back(fits.back().held_out_loss);
    se.push_back(fits.back().held_out_se);
  }
  // The one-standard-error rule: the smallest rank whose held-out loss is within one
  // standard error (of the best rank's loss) of the least.
  const std::size_t best = static_cast<std::size_t>(std::min_element(loss.begin(), loss.end()) - loss.begin());
  std::size_t chosen = best;
  for (std::size_t a = 0; a < best; ++a)
    if (loss[a] <= loss[best] + se[best]) {
      chosen = a;
      break;
    }
  PersonalizedFit out = std::move(fits[chosen]);
  if (local && !out.interrupted) {
    PersonalizedOptions o = options;
    o.rank = grid[chosen];
    add_local_models(out, data, o, pops[chosen], options.refine_metric);
  }
  out.rank_grid.assign(grid.begin(), grid.end());
  out.rank_loss = std::move(loss);
  out.rank_se = std::move(se);
  return out;
}



double personalized_objective(const DataView& data, const PersonalizedOptions& options_in,
                              const std::vector<double>& params, std::uint64_t epoch, std::vector<double>* grad) {
  PersonalizedOptions options = options_in;
  validate_personalized_options(options, data.m);
  require(options.rank >= 1, "the objective needs a rank: set rank (rank=0 chooses it only in a fit)");
  if (options.categorical.empty()) options.categorical.assign(data.m, 0);
  const Family family = parse_family(options.family);
  const Scaling scaling = compute_scaling(data, family, options.intercept);
  const std::vector<double> dist_scale = distance_scales(data, options.categorical);
  PersonalizedObjective obj(data, scaling, options, dist_scale, std::vector<char>(data.n, 0));
  require(params.size() == obj.layout().size(), "params has " + std::to_string(params.size()) +
                                                    " entries; this model has " + std::to_string(obj.layout().size()));
  if (grad) grad->assign(params.size(), 0.0);
  return obj.value_grad(params.data(), grad ? grad->data() : nullptr, epoch);
}

std::vector<double> personalized_bootstrap_counts(std::size_t n, std::uint64_t seed, std::uint64_t replicate) {
  std::vector<double> w(n, 0.0);
  CounterRng rng(seed, Stream::kBootstrap, replicate);
  for (std::size_t a = 0; a < n; ++a) w[rng.below(n)] += 1.0;
  return w;
}

}  // namespace ctxstats
