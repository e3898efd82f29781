// Fitting contextualized networks (networks.hpp): the layout of the regressions, input
// checks, the shared-Gram exact solver of the linear encoder, the objective the iterative
// solver minimises, and the bootstrap.
#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "common/convergence.hpp"
#include "common/error.hpp"
#include "common/linear_solve.hpp"
#include "common/memory.hpp"
#include "glm/bootstrap.hpp"
#include "glm/objective.hpp"
#include "glm/reduction.hpp"
#include "glm/solver.hpp"
#include "common/rng.hpp"
#include "networks/network_loss.hpp"
#include "networks/networks.hpp"
#include "options/schema.hpp"

namespace ctxstats {

NetworkType parse_network_type(const std::string& name) {
  if (name == "correlation") return NetworkType::kCorrelation;
  if (name == "markov") return NetworkType::kMarkov;
  if (name == "bayesian") return NetworkType::kBayesian;
  throw InvalidArgument("type must be 'correlation', 'markov' or 'bayesian', not '" + name + "'");
}

const char* network_type_name(NetworkType t) {
  return t == NetworkType::kCorrelation ? "correlation" : t == NetworkType::kMarkov ? "markov" : "bayesian";
}

int NetworkLayout::outputs() const {
  int q = 0;
  for (const auto& preds : predictors) q += (intercept ? 1 : 0) + static_cast<int>(preds.size());
  return q;
}

NetworkLayout network_layout(NetworkType type, int p) {
  require(p >= 2, "X must have at least 2 columns (features): a network has edges between features");
  NetworkLayout L;
  L.p = p;
  L.intercept = type != NetworkType::kBayesian;
  int offset = 0;
  for (int i = 0; i < p; ++i) {
    if (type == NetworkType::kCorrelation) {
      for (int j = 0; j < p; ++j) {
        if (j == i) continue;
        L.response.push_back(i);
        L.predictors.push_back({j});
        L.offset.push_back(offset);
        offset += 2;
      }
    } else {
      std::vector<int> others;
      for (int j = 0; j < p; ++j)
        if (j != i) others.push_back(j);
      L.response.push_back(i);
      L.predictors.push_back(others);
      L.offset.push_back(offset);
      offset += L.intercept ? p : p - 1;
    }
  }
  return L;
}

namespace {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
constexpr int kGramBlock = 512;
constexpr int kGramGroups = 16;

// ---- inputs -------------------------------------------------------------------------------

void check_values(const double* a, std::size_t n, int cols, const char* name) {
  check_finite(a, n, cols, name);
  for (std::size_t i = 0; i < n; ++i)
    for (int j = 0; j < cols; ++j)
      if (std::fabs(a[i * cols + j]) > 1e150)
        throw InvalidArgument(std::string(name) + " column " + std::to_string(j) + " has a value of magnitude " +
                              format_number(std::fabs(a[i * cols + j])) + " at row " + std::to_string(i) +
                              ", beyond what can be fitted (1e150); rescale it");
}


// The solver that runs: Bayesian networks always use L-BFGS.
std::string network_solver(NetworkType type, const FitOptions& o) {
  return type == NetworkType::kBayesian ? "lbfgs" : resolve_solver(o);
}

// The data as the core's DataView (y unused: a zero column) and the shared standardisation.
struct NetworkData {
  std::vector<double> zero;
  DataView view;
  Scaling scaling;
};

void prepare(NetworkData& d, NetworkType type, const double* C, const double* X, const double* weights, std::size_t n,
             int m, int p) {
  require(n >= 2, "X must have at least 2 rows");
  require(m >= 1, "C must have at least one column");
  require(p >= 2, "X must have at least 2 columns (features): a network has edges between features");
  check_values(X, n, p, "X");
  check_values(C, n, m, "C");
  d.zero.assign(n, 0.0);
  d.view.n = n;
  d.view.p = p;
  d.view.m = m;
  d.view.C = C;
  d.view.X = X;
  d.view.y = d.zero.data();
  d.view.weights = weights;
  d.scaling = compute_scaling(d.view, Family::kGaussian, true);  // also checks the weights
  if (type == NetworkType::kBayesian) {  // the SEM in the user's units of X (networks.hpp)
    std::fill(d.scaling.x_mean.begin(), d.scaling.x_mean.end(), 0.0);
    std::fill(d.scaling.x_scale.begin(), d.scaling.x_scale.end(), 1.0);
  }
}

// ---- the objective ----------------------------------------------------------------------------

class NetworkObjective final : public NetworkLoss {
 public:
  NetworkObjective(const Encoder& encoder, const NetworkLayout& layout, const DataView& data, const Scaling& scaling,
                   const Penalty& penalty, int threads)
      : encoder_(encoder), layout_(layout), data_(data), scaling_(scaling), penalty_(penalty),
        threads_(resolve_threads(threads)) {}

  // L(w) and (grad not null) its gradient; rss (not null, R entries) receives each
  // regression's weighted mean squared residual instead (internal scale).
  double value_grad(const double* w, double* grad, std::vector<double>* rss = nullptr) const override {
    const std::size_t n = data_.n, nw = encoder_.n_weights();
    const int R = layout_.regressions();
    const int groups = reduction_groups(n, kBlockRows, kMaxGroups);
    std::vector<double> group_f(groups, 0.0), group_s(groups, 0.0);
    std::vector<double> group_grad(grad ? static_cast<std::size_t>(groups) * nw : 0, 0.0);
    std::vector<double> group_rss(rss ? static_cast<std::size_t>(groups) * R : 0, 0.0);
    const double alpha = penalty_.alpha, l1 = penalty_.l1_ratio;
    const auto row = [&](int g, const double* t, const double* z, double* dt, double s) {
      double* rr = rss ? group_rss.data() + static_cast<std::size_t>(g) * R : nullptr;
      double fr = 0.0;
      for (int k = 0; k < R; ++k) {
        const int off = layout_.offset[k];
        const std::vector<int>& preds = layout_.predictors[k];
        const int np = static_cast<int>(preds.size());
        double eta = t[off];
        for (int e = 0; e < np; ++e) eta += t[off + 1 + e] * z[1 + preds[e]];
        const double res = z[1 + layout_.response[k]] - eta;
        fr += 0.5 * res * res;
        if (rr) rr[k] += s * res * res;
        dt[off] = -s * res;
        for (int e = 0; e < np; ++e) dt[off + 1 + e] = -s * res * z[1 + preds[e]];
        if (alpha > 0.0) {
          for (int e = 0; e <= np; ++e)
            fr += elastic_net_term(alpha * (e == 0 ? penalty_.mu_ratio : 1.0 - penalty_.mu_ratio), l1, t[off + e], s,
                                   &dt[off + e]);
        }
      }
      return fr;
    };
    network_row_pass(encoder_, data_, scaling_, w, threads_, groups, group_f, group_s,
                     grad ? group_grad.data() : nullptr, row);
    double total = 0.0;
    const double f = reduce_objective(group_f, group_s, group_grad.data(), nw, w, R, penalty_.weight_decay / R, grad,
                                      "the rows of this fit", &total);
    if (rss) reduce_rss(group_rss, groups, R, total, rss);
    return f;
  }

 private:
  const Encoder& encoder_;
  const NetworkLayout& layout_;
  DataView data_;
  const Scaling& scaling_;
  Penalty penalty_;
  int threads_;
};

// ---- the exact solver of the linear encoder -------------------------------------------------

// G = sum_i s_i (z_i (x) b_i)(z_i (x) b_i)', z = [1, x'], b = [1, c'], in fixed row blocks
// gathered into groups summed in order. Block (a, a') of G (m1 x m1) holds
// sum s z_a z_a' b b': every regression's normal equations are made of such blocks.
Eigen::MatrixXd network_gram(const DataView& data, const Scaling& scaling, int threads, double* total) {
  const int m = data.m, p = data.p, m1 = m + 1, Dz = (p + 1) * m1;
  const std::size_t n = data.n, blocks = (n + kGramBlock - 1) / kGramBlock;
  const int groups = reduction_groups(n, kGramBlock, kGramGroups);
  std::vector<Eigen::MatrixXd> parts(groups);
  std::vector<double> totals(groups, 0.0);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int g = 0; g < groups; ++g) {
    Eigen::MatrixXd& G = parts[g];
    G = Eigen::MatrixXd::Zero(Dz, Dz);
    std::vector<double> Cs(static_cast<std::size_t>(kGramBlock) * m), Xs(static_cast<std::size_t>(kGramBlock) * (p + 1)),
        ys(kGramBlock), ws(kGramBlock);
    Eigen::MatrixXd K(Dz, kGramBlock);
    const std::size_t b0 = blocks * g / groups, b1 = blocks * (g + 1) / groups;
    for (std::size_t blk = b0; blk < b1; ++blk) {
      const std::size_t start = blk * kGramBlock;
      const int rows = static_cast<int>(std::min<std::size_t>(kGramBlock, n - start));
      load_rows(data, scaling, nullptr, start, rows, Cs.data(), Xs.data(), ys.data(), ws.data());
      for (int r = 0; r < rows; ++r) {
        const double root = std::sqrt(ws[r]);
        totals[g] += ws[r];
        for (int a = 0; a <= p; ++a) {
          const double za = root * Xs[static_cast<std::size_t>(r) * (p + 1) + a];
          K(a * m1, r) = za;
          for (int l = 0; l < m; ++l) K(a * m1 + 1 + l, r) = za * Cs[static_cast<std::size_t>(r) * m + l];
        }
      }
      G.selfadjointView<Eigen::Lower>().rankUpdate(K.leftCols(rows));
    }
  }
  Eigen::MatrixXd G = std::move(parts[0]);
  double S = totals[0];
  for (int g = 1; g < groups; ++g) {
    G += parts[g];
    S += totals[g];
  }
  *total = S;
  return G.selfadjointView<Eigen::Lower>();
}

// Every regression's penalised normal equations from the one Gram matrix:
//   (H_r / S + P_r) w_r = g_r / S,   H_r = blocks (a, a') of G over a, a' in {0, 1 + predictors},
//   g_r = column 0 of blocks (a, 1 + response), P_r = weight_decay I + l2 ratio_k M on output k,
// with M = G_00 / S (the GLM's quadratic form of the elastic net's L2 part).
SolverResult solve_network_exact(const NetworkLayout& L, const DataView& data, const Scaling& scaling,
                                 const Penalty& pen, int threads, double* w) {
  require(pen.alpha == 0.0 || pen.l1_ratio == 0.0,
          "solver 'exact' handles only the L2 part of the elastic net (l1_ratio=0); use solver='lbfgs' for "
          "l1_ratio > 0");
  const int m1 = data.m + 1, R = L.regressions();
  double S = 0.0;
  const Eigen::MatrixXd G = network_gram(data, scaling, threads, &S);
  require(S > 0.0, "weights sum to zero");
  const Eigen::MatrixXd M = G.topLeftCorner(m1, m1) / S;
  const double l2 = pen.alpha * (1.0 - pen.l1_ratio);
  std::vector<unsigned char> singular(R, 0);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int r = 0; r < R; ++r) {
    std::vector<int> idx = {0};
    for (int j : L.predictors[r]) idx.push_back(1 + j);
    const int k = static_cast<int>(idx.size()), D = k * m1, y = 1 + L.response[r];
    Eigen::MatrixXd A(D, D);
    Eigen::VectorXd g(D);
    for (int a = 0; a < k; ++a) {
      for (int b = 0; b < k; ++b) A.block(a * m1, b * m1, m1, m1) = G.block(idx[a] * m1, idx[b] * m1, m1, m1) / S;
      g.segment(a * m1, m1) = G.block(idx[a] * m1, y * m1, m1, 1) / S;
      A.block(a * m1, a * m1, m1, m1).diagonal().array() += pen.weight_decay;
      if (l2 > 0.0) A.block(a * m1, a * m1, m1, m1) += l2 * (a == 0 ? pen.mu_ratio : 1.0 - pen.mu_ratio) * M;
    }
    bool sing = false;
    const Eigen::VectorXd x = solve_symmetric(A, g, &sing);
    singular[r] = sing ? 1 : 0;
    std::copy(x.data(), x.data() + D, w + static_cast<std::size_t>(L.offset[r]) * m1);
  }
  SolverResult res;
  res.n_iter = 1;
  res.converged = true;
  for (int r = 0; r < R; ++r) res.rank_deficient = res.rank_deficient || singular[r];
  return res;
}

// ---- one fit ---------------------------------------------------------------------------------

struct OneFit {
  std::vector<double> w;
  SolverResult solve;
  DagOptions dag;                         // bayesian: the penalties of the last augmented-Lagrangian solve
  std::vector<double> residual_variance;  // user units, one per regression
};

std::unique_ptr<NetworkLoss> make_loss(NetworkType type, const Encoder& encoder, const NetworkLayout& L,
                                       const DataView& data, const Scaling& scaling, const FitOptions& o,
                                       const DagOptions& dag, int threads) {
  if (type == NetworkType::kBayesian)
    return make_bayesian_loss(encoder, L, data, scaling, o.penalty, dag, o.encoder.archetypes, threads);
  return std::make_unique<NetworkObjective>(encoder, L, data, scaling, o.penalty, threads);
}

// NOTEARS' augmented Lagrangian for a Bayesian network (networks.hpp: DagOptions): L-BFGS
// solves from the previous weights, the multipliers updated between them. *final receives the
// penalties of the last solve (the bootstrap's replicates start from them).
SolverResult solve_augmented_lagrangian(NetworkType type, const NetworkLayout& L, const Encoder& encoder,
                                        const DataView& data, const Scaling& scaling, const FitOptions& o,
                                        const DagOptions& dag, const SolverOptions& so, int threads,
                                        std::vector<double>& w, DagOptions* final) {
  DagOptions cur = dag;
  const bool sample_on = dag.sample.alpha > 0.0 || dag.sample.rho > 0.0;
  const bool arch_on = o.encoder.archetypes >= 2 && (dag.archetype.alpha > 0.0 || dag.archetype.rho > 0.0);
  // A part penalised by alpha only (rho 0) starts the schedule at rho = 1e-2.
  if (sample_on && cur.sample.rho == 0.0) cur.sample.rho = 1e-2;
  if (arch_on && cur.archetype.rho == 0.0) cur.archetype.rho = 1e-2;
  SolverResult total;
  double h_old = std::numeric_limits<double>::infinity();
  for (int solve = 1;; ++solve) {
    const std::unique_ptr<NetworkLoss> loss = make_loss(type, encoder, L, data, scaling, o, cur, threads);
    const ValueGrad f = [&loss](const double* x, double* g) { return loss->value_grad(x, g); };
    SolverOptions si = so;
    if (so.callback) {
      const int before = total.n_iter;
      si.callback = [&so, before](int it, double v) { return so.callback(before + it, v); };
    }
    const SolverResult r = solve_lbfgs(w.size(), f, w.data(), si);
    total.n_iter += r.n_iter;
    total.history.insert(total.history.end(), r.history.begin(), r.history.end());
    total.objective = r.objective;
    if (r.interrupted) {
      total.interrupted = true;
      total.message = r.message;
      break;
    }
    double hs = 0.0, ha = 0.0;
    loss->value_grad(w.data(), nullptr);
    loss->last_acyclicity(&hs, &ha);
    if (!sample_on) hs = 0.0;
    if (!arch_on) ha = 0.0;
    const double h = std::max(hs, ha);
    if (h <= dag.h_tol) {
      total.converged = r.converged;
      total.message = r.converged ? "" : r.message;
      break;
    }
    const bool capped = (!sample_on || cur.sample.rho >= kDagRhoMax) && (!arch_on || cur.archetype.rho >= kDagRhoMax);
    if (capped || solve >= kDagMaxSolves) {
      total.converged = false;
      total.message = "the augmented Lagrangian stopped after " + std::to_string(solve) + " solves with acyclicity h = " +
                      format_number(h) + " above dag_h_tol = " + format_number(dag.h_tol) +
                      " (rho reached its cap or the solves their limit); the graphs are not exactly acyclic "
                      "(predictions project them to DAGs): " +
                      (r.converged ? std::string("raise dag_h_tol, add sample_specific_l1, or use fewer archetypes")
                                   : "the last L-BFGS solve did not converge (" + std::to_string(r.n_iter) +
                                         " iterations): raise max_iter (max_epochs), or dag_h_tol");
      break;
    }
    if (h > 0.25 * h_old) {
      if (sample_on) cur.sample.rho = std::min(kDagRhoMax, cur.sample.rho * 10.0);
      if (arch_on) cur.archetype.rho = std::min(kDagRhoMax, cur.archetype.rho * 10.0);
    }
    if (sample_on) cur.sample.alpha += cur.sample.rho * hs;
    if (arch_on) cur.archetype.alpha += cur.archetype.rho * ha;
    h_old = h;
  }
  *final = cur;
  return total;
}

// The factor logits' seeded start (factors.hpp): uniform on (-1/2, 1/2), so that the
// features' assignments start near the uniform one but apart.
void init_factor_logits(std::uint64_t seed, std::size_t count, double* R) {
  CounterRng rng(seed, Stream::kInit, 0xfac7025ULL);
  for (std::size_t k = 0; k < count; ++k) R[k] = rng.uniform() - 0.5;
}

OneFit fit_one(NetworkType type, const NetworkLayout& L, const Encoder& encoder, const std::string& solver,
               const DataView& data, const Scaling& scaling, const FitOptions& o, const DagOptions& dag,
               const std::vector<double>* start, bool train) {
  OneFit out;
  out.dag = dag;
  const std::size_t logits = static_cast<std::size_t>(dag.factors) * L.p;
  out.w.assign(encoder.n_weights() + logits, 0.0);
  if (start) {
    out.w = *start;
  } else {
    encoder.init(o.solver_options.seed, out.w.data());
    init_factor_logits(o.solver_options.seed, logits, out.w.data() + encoder.n_weights());
  }
  const int threads = resolve_threads(o.solver_options.threads);
  const std::unique_ptr<NetworkLoss> loss = make_loss(type, encoder, L, data, scaling, o, dag, threads);
  const NetworkLoss& objective = *loss;
  if (!train) {
    out.solve.message = "";
    out.solve.converged = false;
  } else if (solver == "exact") {
    out.solve = solve_network_exact(L, data, scaling, o.penalty, threads, out.w.data());
  } else {
    SolverOptions so = o.solver_options;
    so.threads = threads;
    const bool bayesian = type == NetworkType::kBayesian;
    if (encoder.output_features() > 0 || bayesian) {
      // Non-convex: also stop when the log-likelihood no longer moves -- the criterion of a
      // neural GLM fit (solver.hpp) applied to the regressions' mean log-likelihood (the
      // objective is their mean), so a network converges as one of its regressions would.
      // A Bayesian network's objective sums its p equations' squared errors: its
      // log-likelihood counts every row p times (the acyclicity penalty makes even the
      // linear encoder's objective non-convex).
      double rows = 0.0;
      for (std::size_t i = 0; i < data.n; ++i) rows += data.weights ? data.weights[i] : 1.0;
      so.loglik_tol = kNeuralLoglikTol;
      so.loglik_rows = bayesian ? rows * L.p : rows;
      so.loglik_gaussian = true;
    }
    if (bayesian && dag.augmented) {
      out.solve = solve_augmented_lagrangian(type, L, encoder, data, scaling, o, dag, so, threads, out.w, &out.dag);
    } else {
      const ValueGrad f = [&objective](const double* x, double* g) { return objective.value_grad(x, g); };
      out.solve = solve_lbfgs(out.w.size(), f, out.w.data(), so);
    }
  }
  if (!out.solve.interrupted)
    for (double v : out.w)
      if (!std::isfinite(v))
        throw InvalidArgument("the network fit produced non-finite parameters (" + solver +
                              " solver): the optimisation overflowed; add weight_decay or alpha, or rescale X and C");
  std::vector<double> rss;
  const double value = objective.value_grad(out.w.data(), nullptr, &rss);
  if (!train || solver == "exact") {
    out.solve.objective = value;
    out.solve.history.assign(1, value);
  }
  out.residual_variance.resize(rss.size());
  for (std::size_t r = 0; r < rss.size(); ++r) {  // one per regression; Bayesian: per feature
    const double s = scaling.x_scale[L.response[r]];
    out.residual_variance[r] = rss[r] * s * s;
  }
  return out;
}

}  // namespace

std::size_t network_n_weights(NetworkType type, const FitOptions& options, int m, int p, const DagOptions& dag) {
  return make_encoder(options.encoder, m, network_output_layout(type, p, dag).outputs())->n_weights() +
         static_cast<std::size_t>(dag.factors) * p;
}

double network_objective(NetworkType type, const double* C, const double* X, const double* weights, std::size_t n,
                         int m, int p, const FitOptions& options, const std::vector<double>& w,
                         std::vector<double>* grad, const DagOptions& dag) {
  check_network_options(type, options);
  validate_dag_options(dag);
  NetworkData d;
  prepare(d, type, C, X, weights, n, m, p);
  const NetworkLayout L = network_layout(type, p);
  auto encoder = make_encoder(options.encoder, m, network_output_layout(type, p, dag).outputs());
  require(w.size() == network_n_weights(type, options, m, p, dag), "the weights have the wrong length");
  const auto objective = make_loss(type, *encoder, L, d.view, d.scaling, options, dag, options.solver_options.threads);
  if (grad) grad->assign(w.size(), 0.0);
  return objective->value_grad(w.data(), grad ? grad->data() : nullptr);
}

namespace {

// Replicates first .. first + count - 1 of model's bootstrap over data (the full-data fit's
// weights and fitted_dag are their start); fewer when progress stopped them.
NetworkReplicates replicates(const NetworkModel& model, const NetworkLayout& L, const Encoder& encoder,
                             const DataView& data, const double* user_weights, std::uint64_t first, int count,
                             int threads, const std::function<bool(int, double)>& progress) {
  const std::uint64_t seed = model.options.solver_options.seed;
  const std::size_t nws = model.weights.size(), R = static_cast<std::size_t>(L.regressions());
  NetworkReplicates out;
  out.first = first;
  out.weights.assign(static_cast<std::size_t>(count) * nws, 0.0);
  out.residual_variance.assign(static_cast<std::size_t>(count) * R, 0.0);
  out.n_iter.assign(count, 0);
  out.converged.assign(count, 0);
  out.messages.assign(count, "");
  const auto fit_replicate = [&](int r, const double* s, int replicate_threads) {
    DataView view = data;
    view.weights = s;
    FitOptions o = model.options;
    o.solver_options.threads = replicate_threads;
    o.solver_options.callback = nullptr;
    o.solver_options.seed = bootstrap_replicate_seed(seed, first + static_cast<std::uint64_t>(r));
    OneFit fr = fit_one(model.type, L, encoder, model.solver, view, model.scaling, o, model.fitted_dag,
                        &model.weights, model.trained);
    std::copy(fr.w.begin(), fr.w.end(), out.weights.begin() + static_cast<std::ptrdiff_t>(r * nws));
    std::copy(fr.residual_variance.begin(), fr.residual_variance.end(),
              out.residual_variance.begin() + static_cast<std::ptrdiff_t>(r * R));
    out.n_iter[r] = fr.solve.n_iter;
    out.converged[r] = fr.solve.converged ? 1 : 0;
    if (!fr.solve.converged) out.messages[r] = fr.solve.message;
  };
  const int done = run_replicates(count, data.n, user_weights, seed, threads, fit_replicate, progress, first);
  out.count = static_cast<std::size_t>(done);
  out.weights.resize(out.count * nws);
  out.residual_variance.resize(out.count * R);
  out.n_iter.resize(done);
  out.converged.resize(done);
  out.messages.resize(done);
  return out;
}

}  // namespace

void check_network_options(NetworkType type, const FitOptions& o) {
  require(o.family == "gaussian", "networks are gaussian regressions among the features: family must be 'gaussian', "
                                  "not '" + o.family + "'");
  require(o.intercept, "networks have an intercept in every regression: fit_intercept must be true");
  require(o.encoder.type != "spline", "encoder 'spline' is not available for networks; use 'linear', 'mlp' or 'ngam'");
  validate_fit_options(o);
  const std::string solver = resolve_solver(o);
  require(solver == "exact" || solver == "lbfgs",
          "networks are fitted by solver 'exact' (the linear encoder) or 'lbfgs', not '" + solver + "'");
  require(type != NetworkType::kBayesian || o.solver == "auto" || o.solver == "lbfgs",
          "Bayesian networks are fitted by solver 'lbfgs' (the acyclicity penalty has no exact solution), not '" +
              o.solver + "'");
}

NetworkModel fit_network(NetworkType type, const double* C, const double* X, const double* weights, std::size_t n,
                         int m, int p, const FitOptions& options, int n_bootstraps, bool train,
                         const std::function<bool(int, double)>& progress, const DagOptions& dag) {
  check_network_options(type, options);
  validate_dag_options(dag);
  require(n_bootstraps >= 0 && n_bootstraps != 1,
          "n_bootstraps must be 0 (none) or at least 2, not " + std::to_string(n_bootstraps));
  NetworkData d;
  prepare(d, type, C, X, weights, n, m, p);
  const NetworkLayout L = network_layout(type, p);
  NetworkModel model;
  model.type = type;
  model.p = p;
  model.m = m;
  model.options = options;
  model.dag = dag;
  model.encoder = options.encoder;
  model.scaling = d.scaling;
  model.solver = network_solver(type, options);
  model.trained = train;
  auto encoder = make_encoder(model.encoder, m, network_output_layout(type, p, dag).outputs());
  const std::size_t nws = network_n_weights(type, options, m, p, dag);
  const double nw = static_cast<double>(nws);
  require_memory(8.0 * (40.0 * nw + static_cast<double>(encoder->workspace_size(kBlockRows)) * 4.0 +
                        static_cast<double>(n_bootstraps) * nw),
                 "a " + std::string(network_type_name(type)) + " network over " + std::to_string(p) +
                     " features (" + std::to_string(encoder->q()) + " encoder outputs, " + std::to_string(nws) +
                     " weights)",
                 "use fewer features, or a smaller width, depth or number of archetypes");

  FitOptions full = options;
  full.solver_options.callback = progress;
  OneFit f = fit_one(type, L, *encoder, model.solver, d.view, d.scaling, full, dag, nullptr, train);
  model.weights = f.w;
  model.solve = f.solve;
  model.fitted_dag = f.dag;
  if (n_bootstraps < 2 || f.solve.interrupted) {
    model.n_replicates = 1;
    model.replicate_weights = f.w;
    model.residual_variance = f.residual_variance;
    model.replicate_n_iter.assign(1, f.solve.n_iter);
    model.replicate_converged.assign(1, f.solve.converged ? 1 : 0);
    return model;
  }

  // The bootstrap: replicate r refits on multinomial case weights (glm/bootstrap.hpp's
  // resamples and scheduling), from the full-data weights.
  model.replicate_weights = f.w;
  model.residual_variance = f.residual_variance;
  model.n_replicates = 1;
  model.replicate_n_iter.assign(1, f.solve.n_iter);
  model.replicate_converged.assign(1, f.solve.converged ? 1 : 0);
  const NetworkReplicates reps =
      replicates(model, L, *encoder, d.view, weights, 0, n_bootstraps, options.solver_options.threads, progress);
  NetworkModel out = reps.count > 0 ? network_with_replicates(model, {reps}) : model;
  if (static_cast<int>(reps.count) < n_bootstraps) {
    out.solve.interrupted = true;
    out.solve.message = "interrupted after " + std::to_string(reps.count) + " of " + std::to_string(n_bootstraps) +
                        " bootstrap replicates";
  }
  return out;
}

NetworkReplicates network_bootstrap_range(const NetworkModel& full, const double* C, const double* X,
                                          const double* weights, std::size_t n, std::uint64_t first, int count,
                                          int threads) {
  validate_network_model(full);
  require(count >= 1, "a bootstrap range needs at least one replicate");
  check_network_options(full.type, full.options);
  NetworkData d;
  prepare(d, full.type, C, X, weights, n, full.m, full.p);
  const NetworkLayout L = network_layout(full.type, full.p);
  auto encoder = make_encoder(full.encoder, full.m, network_output_layout(full.type, full.p, full.dag).outputs());
  return replicates(full, L, *encoder, d.view, weights, first, count, threads, nullptr);
}

NetworkModel network_with_replicates(const NetworkModel& full, const std::vector<NetworkReplicates>& ranges) {
  NetworkModel model = full;
  const std::size_t nw = full.weights.size();
  const std::size_t R = static_cast<std::size_t>(network_layout(full.type, full.p).regressions());
  model.replicate_weights.clear();
  model.residual_variance.clear();
  model.replicate_n_iter.clear();
  model.replicate_converged.clear();
  std::size_t unconverged = 0;
  std::string first;
  for (const NetworkReplicates& r : ranges) {
    require(r.first == model.replicate_n_iter.size(), "the bootstrap ranges must follow each other from replicate 0");
    require(r.weights.size() == r.count * nw && r.residual_variance.size() == r.count * R &&
                r.n_iter.size() == r.count && r.converged.size() == r.count && r.messages.size() == r.count,
            "a bootstrap range does not match the network");
    model.replicate_weights.insert(model.replicate_weights.end(), r.weights.begin(), r.weights.end());
    model.residual_variance.insert(model.residual_variance.end(), r.residual_variance.begin(),
                                   r.residual_variance.end());
    model.replicate_n_iter.insert(model.replicate_n_iter.end(), r.n_iter.begin(), r.n_iter.end());
    model.replicate_converged.insert(model.replicate_converged.end(), r.converged.begin(), r.converged.end());
    if (model.trained)
      for (std::size_t k = 0; k < r.count; ++k)
        if (!r.converged[k] && unconverged++ == 0) first = r.messages[k];
  }
  model.n_replicates = model.replicate_n_iter.size();
  require(model.n_replicates >= 1, "a network bootstrap needs at least one replicate");
  model.bootstrap_message = bootstrap_convergence_message(unconverged, model.n_replicates, first);
  return model;
}

}  // namespace ctxstats
