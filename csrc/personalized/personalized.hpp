// Low-rank personalized regression with distance matching (Lengerich, Aragam & Xing,
// NeurIPS 2019). Every sample i has its own parameters
//
//   theta_i = theta_bar + Q^T z_i          theta_bar in R^q, Q in R^(K x q), z_i in R^K,
//
// fitted by minimising (everything on the internal, standardised scale)
//
//   L = sum_{i in T} s_i [loss(y_i, x_i . theta_i) + psi(theta_i)] / sum_{i in T} s_i
//       + gamma * mean over sampled pairs (i, j) of (rho_ij - D_ij)^2
//       + nu * ||phi||^2 + weight_decay / 2 * ||Q||^2
//
//   psi(t)  = the elastic net of objective.hpp (alpha, l1_ratio, mu_ratio; smoothed L1),
//   rho_ij  = ||z_i - z_j||^2,
//   D_ij    = sum_k phi_k d_k(c_ik, c_jk),
//   d_k     = (c_ik - c_jk)^2 / g_k for numeric columns, 1{c_ik != c_jk} / g_k for
//             categorical ones, where g_k is the column's mean of the same quantity over
//             all pairs i != j (computed exactly in O(n) or O(n log n)), so that every d_k
//             averages one over pairs,
//   phi     = softmax(u): non-negative and summing to one.
//
// T is the set of training rows (all rows, minus a seeded validation share). Pairs are
// drawn afresh each epoch, r = n_partners per sample, all samples (training and validation)
// taking part: the rows are put once in a seeded random order (CounterRng(seed,
// Stream::kPairs, 2^64 - 1)); each epoch draws r offsets o_1..o_r uniformly from 1..n-1
// (CounterRng(seed, Stream::kPairs, epoch)), and the sample at position a is paired with
// the one at position a + o_t (mod n). Each sample's partner is thus uniform among the
// others, every sample is the first end of r pairs and the second end of r pairs, and the
// pass over pairs streams through memory instead of jumping to a random row per pair
// (which, past the cache size, made the cost grow faster than n). An epoch costs
// O(n r (K + m)); memory is O(n (K + m + r)).
//
// Why squared distances on both sides: a weighted sum of squared coordinate differences is
// exactly a squared Euclidean distance, so for any phi the matching can be met exactly by
// z in K >= (active columns) dimensions (as in classical multidimensional scaling). With
// absolute differences (an L1 metric) against a Euclidean ||z_i - z_j|| it cannot: a metric
// spread over two columns always leaves stress that a metric on one column does not, which
// biases phi towards a single column. Squared distances are also smooth where z_i = z_j.
// The price: pairs far apart weigh more than under unsquared distances.
//
// Why phi lives on the simplex: rho has no natural scale. z -> c z, Q -> Q / c leaves every
// theta_i unchanged and multiplies rho by c^2, so with an unnormalised phi the objective
// could always be lowered by shrinking z and phi together while Q grows. Fixing
// sum_k phi_k = 1 fixes the scale of D (its mean over pairs is one), and phi_k reads as the
// share of the metric carried by context column k. The softmax keeps phi strictly inside
// the simplex with an exact, smooth gradient. weight_decay on Q is what makes the split
// of phi between columns informative: a context direction along which the models differ
// more lets z spread further along it, so Q, and its penalty, can be smaller.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/data.hpp"
#include "common/family.hpp"
#include "glm/objective.hpp"
#include "inference/bootstrap_modes.hpp"

namespace ctxstats {

// Filled from an option map by personalized_options_from (options/schema.hpp), whose table
// holds every default; default_personalized_options() is the struct with all of them.
struct PersonalizedOptions {
  std::string family;
  bool intercept{};
  int rank{};                     // K
  double gamma{};                 // weight of the distance-matching term
  int n_partners{};               // r: partners per sample per epoch
  double nu{};                    // nu ||phi||^2
  double weight_decay{};          // weight_decay / 2 ||Q||^2
  double alpha{}, l1_ratio{}, mu_ratio{};  // elastic net psi on theta_i
  std::vector<int> categorical;   // m flags: nonzero for categorical context columns
  int max_iter{};                 // epochs (0: 2000)
  double tol{};                   // relative improvement for early stopping (0: 1e-5)
  double learning_rate{};         // Adam
  double val_split{};             // share of rows whose outcome is held out for early stopping
  int patience{};                 // epochs without improvement before stopping
  int warmup{};                   // epochs over which gamma rises linearly from 0
  std::string sample_models;      // "local" (local GLMs in the learned metric) or "latent"
  int local_neighbors{};          // k of the local GLMs (0: chosen from data)
  bool refine_metric{};           // refine phi by the held-out loss of the local GLMs
  std::uint64_t seed{};
  int threads{};                  // 0: all available
  // Called after each epoch with its number and the objective; false stops the fit, which then
  // reports `interrupted` (the bindings' check for Ctrl-C / R's interrupt).
  std::function<bool(int, double)> callback;
};

void validate_personalized_options(const PersonalizedOptions& o, int m);

// Offsets of the parts of the flat parameter vector [theta_bar | Q | u | Z].
struct PersonalizedLayout {
  std::size_t n = 0;
  int q = 0, K = 0, m = 0;
  std::size_t theta_bar() const { return 0; }
  std::size_t Q() const { return static_cast<std::size_t>(q); }
  std::size_t u() const { return Q() + static_cast<std::size_t>(K) * q; }
  std::size_t z() const { return u() + static_cast<std::size_t>(m); }
  std::size_t size() const { return z() + n * static_cast<std::size_t>(K); }
};

// The column scales g_k of the covariate distances (see above); a column with no spread
// gets 1.
std::vector<double> distance_scales(const DataView& data, const std::vector<int>& categorical);

// d_k(a, b) for one column (see above); inv_scale = 1 / g_k.
inline double covariate_distance(double a, double b, int categorical, double inv_scale) {
  if (categorical) return a != b ? inv_scale : 0.0;
  const double d = a - b;
  return d * d * inv_scale;
}

// D_phi between two raw context rows.
inline double metric_distance(const double* a, const double* b, const double* phi, const double* inv_scale,
                              const int* categorical, int m) {
  double D = 0.0;
  for (int k = 0; k < m; ++k) D += phi[k] * covariate_distance(a[k], b[k], categorical[k], inv_scale[k]);
  return D;
}

// The objective above at a fixed epoch (which fixes the pairs), with its exact gradient in
// every parameter: theta_bar, Q, u (phi = softmax(u)) and every z_i, both ends of every pair.
// Value and gradient are bitwise identical for any number of threads: data terms are
// summed in fixed row blocks gathered into groups that depend on n only, pair terms in
// fixed pair blocks likewise, and each z's pair gradient is the sum, in a fixed order, of
// its r pairs as first end followed by its r pairs as second end (no scattered writes).
class PersonalizedObjective {
 public:
  // role: n entries, 0 = training row, 1 = validation row (outcome held out).
  PersonalizedObjective(const DataView& data, const Scaling& scaling, const PersonalizedOptions& options,
                        std::vector<double> dist_scale, std::vector<char> role);

  // Returns L; grad (layout().size()) when not null; *val_loss (mean loss over validation
  // rows, 0 without any) when not null.
  double value_grad(const double* params, double* grad, std::uint64_t epoch, double* val_loss = nullptr);

  const PersonalizedLayout& layout() const { return layout_; }
  void set_gamma(double gamma) { options_.gamma = gamma; }
  std::size_t n_pairs() const { return layout_.n * static_cast<std::size_t>(options_.n_partners); }
  // Mean data loss (no penalty) over the training rows at the last evaluation.
  double last_train_loss() const { return last_train_loss_; }

 private:
  void draw_offsets(std::uint64_t epoch);

  DataView data_;
  const Scaling& scaling_;
  PersonalizedOptions options_;
  Family family_;
  PersonalizedLayout layout_;
  std::vector<double> inv_scale_;
  std::vector<char> role_;
  double train_total_ = 0.0, val_total_ = 0.0;
  int threads_;
  std::vector<std::uint32_t> perm_;      // n: internal position a holds row perm_[a]
  std::vector<double> Cp_;               // n x m: the raw context in internal order
  std::vector<std::size_t> offsets_;     // r: this epoch's partner offsets
  std::vector<double> zp_, gzp_;         // n x K: z and its pair gradient in internal order
  std::vector<double> coef_;             // n r: d(pair term)/d(z_a - z_b) = coef (z_a - z_b)
  double last_train_loss_ = 0.0;
};

// The population GLM on the internal scale (IRLS with step halving; the L2 part of psi as
// a ridge), the starting point theta_bar of every sample model. Rows with role 1 are
// ignored.
std::vector<double> population_glm(const DataView& data, const Scaling& scaling, Family family,
                                   const PersonalizedOptions& options, const std::vector<char>& role, bool* converged);

// Initial parameters: theta_bar = population estimate, Q = 0 (so every theta_i starts at
// the population model), u = 0 (uniform metric), z = the first K principal components of
// the distance-scaled context plus a little seeded noise, scaled so that the mean pair
// distance in z matches the mean D (one).
std::vector<double> personalized_init(const DataView& data, const PersonalizedLayout& layout,
                                      const std::vector<double>& dist_scale, const std::vector<double>& theta_pop,
                                      const PersonalizedOptions& options, const Scaling& scaling);

struct PersonalizedFit {
  std::vector<double> params;      // internal scale, layout as PersonalizedLayout
  std::vector<double> theta;       // n x q sample parameters in user units (sample_models)
  std::vector<double> theta_latent;  // n x q: theta_bar + Q' z_i in user units
  int rank = 0;                    // K: options.rank, or the rank chosen from the data
  std::vector<double> rank_grid, rank_loss, rank_se;  // rank = 0: the K tried, their held-out loss and its SE
  // The held-out mean loss of the reported sample models and its standard error: local GLMs,
  // that of the judged rows at the chosen k (personalized_local_models); latent models, the
  // kept epoch's validation loss (the training objective without validation rows; SE 0).
  double held_out_loss = 0.0, held_out_se = 0.0;
  int local_neighbors = 0;         // k of the local GLMs (0 with sample_models = "latent")
  // Local GLMs: an estimate of each sample model's smoothing bias (n x q, user units; empty
  // for latent models). A local GLM is locally constant in the context, so its bias grows
  // with the neighbourhood's radius, about as (k / n)^(1/d) with d the number of context
  // columns the metric uses (weight >= 0.05); halving k multiplies it by 2^(-1/d), so
  //   bias(k) ~ (theta_k - theta_(k/2)) / (1 - 2^(-1/d)).
  // The bootstrap sees the variance of the local GLMs, not this bias; sample_conf_int
  // combines the two (centred_intervals' bias). The estimate is noisy (it carries the
  // variance of theta_k - theta_(k/2)), so the intervals err on the wide side.
  // With a stronger shrinkage chosen (LocalModels), the models also carry the shrinkage's bias
  // towards their target -- the linear fit's misspecification, say --, which the bootstrap
  // does not see either: the estimate is then split at the weakly shrunk local GLMs theta_w
  // (strength 1, the same target and k),
  //   bias = (theta - theta_w) + (theta_w - theta_w(k/2)) / (1 - 2^(-1/d)),
  // the shrinkage's pull plus theta_w's smoothing bias (for the target itself, theta is the
  // target). The first term carries theta_w's variance, so such intervals are at most about
  // as wide as the unshrunk local GLMs' would be.
  std::vector<double> smoothing_bias;
  std::vector<double> local_grid, local_loss;  // the k tried and their held-out mean loss
  // Local GLMs: the shrinkage chosen by held-out loss (LocalModels): target ("population",
  // "linear"; empty for latent models), strength (+inf: the target itself), the candidates,
  // and the target's map (user units; empty for the population), which predict_params uses.
  std::string shrink_target;
  double shrinkage = 0.0;
  std::vector<double> shrink_grid, shrink_loss;
  std::vector<char> shrink_linear;
  std::vector<double> target_map;
  std::vector<double> theta_bar;   // q, user units
  std::vector<double> theta_pop;   // q, user units: the population GLM
  std::vector<double> Q;           // K x q, user units (the linear part of theta_to_original)
  std::vector<double> phi;         // m metric weights (sum to one; refined when refine_metric)
  std::vector<double> phi_matching;  // m: the distance matching's own metric weights
  std::vector<double> dist_scale;  // m column scales g_k
  std::vector<char> role;          // n: 0 training, 1 validation
  Scaling scaling;
  std::vector<double> history;     // training objective per epoch
  std::vector<double> val_history; // validation loss per epoch (training data loss without validation rows)
  int n_iter = 0, best_epoch = 0;
  bool converged = false, population_converged = false;
  bool interrupted = false;
  double objective = 0.0;
  std::string message;
};

// The largest rank tried when the rank is chosen from the data.
constexpr int kMaxChosenRank = 4;

// The ranks tried when rank = 0: 1, ..., min(4, m, max(q, 2)) -- the metric can spread over
// at most K columns without distortion, so no more than m are useful.
std::vector<int> personalized_rank_grid(int q, int m);

// rank = 0 chooses K from the data: the model is fitted at every rank of
// personalized_rank_grid and judged by the held-out mean loss of its sample models (local
// GLMs: on the validation rows, or leave-one-out, at the k chosen for that rank, with the
// matching's metric; latent models: the validation loss, which needs val_split > 0); the
// rank kept is the smallest whose loss is within one standard error of the least (the
// one-standard-error rule: ranks whose losses differ by less than their noise are not told
// apart, and the simpler model is kept). With refine_metric the chosen fit's metric is then
// refined. Costs one fit per rank tried.
//
// Fits from the population start (or from init, a parameter vector, when given) with full-
// batch Adam over epochs; each epoch draws new pairs. gamma rises linearly from 0 to its
// value over the first `warmup` epochs (a continuation: the data shape the sample models
// before the metric binds them; started at full gamma, the matching locks z into the
// initial, uninformed geometry and phi onto whichever columns that geometry happens to
// show). From then on, early stopping on the validation loss (the mean loss of the held-
// out rows, whose models are placed by distance matching alone) keeps the best parameters;
// without validation rows it watches the training objective instead.
PersonalizedFit fit_personalized(const DataView& data, const PersonalizedOptions& options,
                                 const std::vector<double>* init = nullptr);

// Objective and gradient at params for the pairs of `epoch` (for gradient checks); all
// rows are training rows.
double personalized_objective(const DataView& data, const PersonalizedOptions& options,
                              const std::vector<double>& params, std::uint64_t epoch, std::vector<double>* grad);

// Parameters for new contexts (rows x m, user units): the average of the models of the
// k nearest training samples under D_phi, with weights 1 / (D + delta) (delta = 1e-8 times
// the mean distance, so exact matches dominate). Neighbours from the exact kd-tree of
// metric_tree.hpp (built once, O(n_train log n_train)); ties in distance are broken by
// training row order. With a (non-empty) target_map T (the local GLMs' shrinkage target, see
// LocalModels), the neighbours' deviations from the target are averaged instead:
// T(c) + sum_j w_j (theta_j - T(c_j)) / sum_j w_j, so that the target's own variation with the
// context is kept at the new context exactly.
std::vector<double> personalized_predict(const double* C_new, std::size_t rows, const double* C_train,
                                         std::size_t n_train, int m, const double* theta_train, int q,
                                         const std::vector<double>& phi, const std::vector<double>& dist_scale,
                                         const std::vector<int>& categorical, int n_neighbors, int threads,
                                         const std::vector<double>* target_map = nullptr);

// Local GLMs in the learned metric (sample_models = "local"). Why: with squared coordinate
// differences on both sides, an exact distance match makes z_i an affine map of the
// (sqrt(phi)-weighted) context, so theta_bar + Q' z_i can only vary linearly with each
// numeric context column -- the linear varying-coefficient model, whatever the truth -- and
// each z_i is also pulled by its own single observation. The matching learns the metric
// well; the sample models are then estimated by local likelihood under it: for sample i,
// the k training samples nearest under D_phi (ties by row order; itself included when it is
// a training row) enter a GLM with weights s_j (1 - D_ij / (2 D_(k))), shrunk towards the
// population estimate by the ridge 1/2 ||theta - theta_pop||^2 (internal scale, worth about
// one observation), fitted by Newton's method with step halving. k = options.local_neighbors,
// or (0) the k in {8, 16, ..., 4096} (at most the training rows minus one) whose local
// models give the least weighted mean loss on the validation rows -- or, without any, in
// leave-one-out on the training rows -- at most 4,000 validation or 2,000 training rows
// (seeded); every k up to 512 is tried, larger ones until two doublings bring no lower loss. Rows with zero weight (bootstrap
// rows not drawn) are never neighbours. With `refine`, the metric weights are first
// refined by the same held-out loss (a pattern search from the matching's weights and from
// uniform ones; see personalized_predict.cpp): the matching alone splits its weight between
// columns unstably (it changes with the rank and the seed). Neighbours come from the exact
// kd-tree of metric_tree.hpp, built once per metric evaluated (O(n log n)); a few hundred
// evaluations on at most 500 judged rows, once after the epochs, then one local GLM per
// row: about O(n log n + n k q^2) in all. Every row independent, so the result does not
// depend on the number of threads.
//
// The shrinkage, chosen from the data after k: where the context carries little information
// beyond a linear trend (or none), local GLMs of k rows are noisier than the simpler model
// and lose to it on held-out rows. So the ridge becomes lambda/2 ||theta - t_i||^2 with the
// target t_i either the population GLM or the linear varying-coefficient GLM at c_i
// (personalized_linear_target, fitted on the training rows only while choosing; once chosen,
// refitted on every row, validation rows included, for the sample models and the map that
// predictions use), and (target, lambda) is
// chosen at k among (population, 1) -- the local GLMs above --, (population, +inf) -- the
// population GLM itself --, (linear, lambda) for lambda in kShrinkGrid and (linear, +inf) --
// the linear fit itself -- by the one-standard-error rule on the same judged rows: the
// simplest candidate whose weighted mean loss exceeds the least by at most the standard error
// of the rows' paired differences from the least (simplest first: the population GLM, the
// linear fit, the linear target from the strongest shrinkage down, the local GLMs; on NMES1988
// the plain least chose lambda = 256 on 661 validation rows and lost to the linear fit on new
// rows). lambda counts observations: lambda = 64 pulls a local GLM of k rows as much as 64
// rows at the target would. The candidates cost one pass over the judged rows: one neighbour
// search per row, and the finite strengths fitted from the strongest down, each from the
// previous one's fit (the k of the grid up to 512 likewise share one search per row, the
// smaller neighbourhoods being the starts of the larger). Choosing the rank judges every rank
// this way; only the chosen rank's sample models are fitted for every row. Without validation rows (leave-one-out) the linear fit has seen the judged
// rows' outcomes, which favours the linear candidates slightly.
struct LocalModels {
  std::vector<double> theta;  // n x q, internal scale
  std::vector<double> phi;    // the metric weights used (refined when asked)
  int k = 0;
  std::vector<double> grid, loss;  // the k tried and their held-out loss (empty when k was given)
  // The held-out mean loss at k (the judged rows: validation rows, or leave-one-out) and its
  // standard error (weighted: the rows' loss variance over the effective number of rows).
  double held_out_loss = 0.0, held_out_se = 0.0;
  // For the bias estimate (PersonalizedFit::smoothing_bias), internal scale: the local GLMs
  // shrunk towards the chosen target with strength 1 at k (theta_weak; theta itself when that
  // strength was chosen) and at k / 2 (theta_half), and the smoothing-bias factor:
  //   bias = (theta - theta_weak) + bias_factor (theta_weak - theta_half).
  std::vector<double> theta_weak, theta_half;
  double bias_factor = 0.0;
  // The shrinkage the held-out loss chose (see personalized_local_models): the target
  // ("population" or "linear"), its strength (+inf: the target itself), the target's map in
  // user units (empty for the population), and every candidate with its held-out loss.
  std::string shrink_target = "population";
  double shrinkage = 1.0;
  std::vector<double> target_map;
  std::vector<double> shrink_grid, shrink_loss;  // strength per candidate (+inf: the target)
  std::vector<char> shrink_linear;               // 1: the candidate's target is the linear fit
  bool linear_converged = false;
};
LocalModels personalized_local_models(const DataView& data, const Scaling& scaling, Family family,
                                      const std::vector<char>& role, const std::vector<double>& theta_pop,
                                      const std::vector<double>& phi, const std::vector<double>& dist_scale,
                                      const std::vector<int>& categorical, int k_fixed, bool refine,
                                      std::uint64_t seed, int threads, bool final_fits = true);

// The linear varying-coefficient GLM theta(c) = B d(c), the target the local GLMs may be shrunk
// towards (personalized_local_models): d(c) = [1, numeric context columns standardised over the
// training rows, indicators of each categorical column's levels but its most frequent one
// (columns with more than kMaxTargetLevels levels left out)], fitted by Newton's method with
// step halving on the training rows (role 0, positive weight) from the population GLM, with
// the ridge 1/2 ||B_context||^2 on the internal scale (about one observation's worth). O(n P^2)
// per iteration with P = q (1 + columns of d); serial, so thread-independent.
constexpr int kMaxTargetLevels = 64;
struct LinearTarget {
  std::vector<double> theta;  // n x q, internal scale: the fit at every row
  // The fit as a map from a context (user units) to parameters (user units), one term per row
  // of [column, code, coefficient (q)]: column -1 the constant; a numeric column k, c_k times
  // the coefficient; a categorical column k, 1{c_k == code} times it (target_map_eval).
  std::vector<double> map;
  bool converged = false, finite = false;  // finite false: no usable fit (theta and map empty)
};
LinearTarget personalized_linear_target(const DataView& data, const Scaling& scaling, Family family,
                                        const std::vector<char>& role, const std::vector<int>& categorical,
                                        const std::vector<double>& theta_pop);
// A target map's parameters (rows x q, user units) at rows x m contexts (user units).
std::vector<double> target_map_eval(const std::vector<double>& map, int q, const double* C, std::size_t rows, int m,
                                    const std::vector<int>& categorical);

// The finite shrinkage strengths tried towards the linear target (personalized_local_models).
inline const std::vector<double>& kShrinkGrid() {
  static const std::vector<double> grid = {1.0, 4.0, 16.0, 64.0, 256.0, 1024.0};
  return grid;
}

// Multinomial bootstrap counts: n draws with replacement from n rows, as frequency weights,
// from CounterRng(seed, Stream::kBootstrap, replicate).
std::vector<double> personalized_bootstrap_counts(std::size_t n, std::uint64_t seed, std::uint64_t replicate);

// B refits on multinomial resamples of the rows (replicate b: the data's weights times
// personalized_bootstrap_counts(n, seed, b)), each with the fit's options -- so a rank
// chosen from the data, k and the refined metric are chosen afresh in every replicate and
// their uncertainty enters the intervals. Rows drawn zero times are never neighbours; a
// local GLM counts its k rows' worth of data with their multiplicity (see
// personalized_local_models). Also checks whether the replicates of the average effects and
// of the metric weights fall into several modes (inference/bootstrap_modes.hpp; metric
// weights with min_gap 0.1). Stops at the first interrupted replicate (interrupted).
struct PersonalizedBootstrap {
  std::size_t B = 0, n = 0;
  int q = 0, m = 0;
  std::vector<double> theta;  // B x n x q, user units
  std::vector<double> phi;    // B x m
  std::vector<double> means;  // B x q: each replicate's average effects (mean over samples)
  std::vector<double> rank;   // B: the rank each replicate used
  std::vector<char> converged;
  std::vector<std::string> messages;
  ModeSplit effect_modes, metric_modes;
  bool interrupted = false;
  std::size_t first = 0;  // the index of the first replicate (a range: personalized_bootstrap's `first`)
};
// Replicates first, ..., first + B - 1 (each keyed by its own index: a range fitted anywhere is
// bitwise those replicates of the whole bootstrap); the modes check covers the range only.
PersonalizedBootstrap personalized_bootstrap(const DataView& data, const PersonalizedOptions& options, std::size_t B,
                                             const std::vector<double>* init = nullptr, std::size_t first = 0);
// Consecutive ranges (any order) joined into the bootstrap of replicates 0 .. total - 1, its
// modes checked over all of them: bitwise personalized_bootstrap(total). InvalidArgument when
// the ranges leave a gap, overlap, were interrupted or differ in n, q or m.
PersonalizedBootstrap personalized_bootstrap_merge(std::vector<PersonalizedBootstrap> parts);

// The warning both front ends give when replicates fall into several modes (empty when they
// do not): what is multimodal, and what to do.
std::string personalized_modes_message(const PersonalizedBootstrap& boot, const std::vector<std::string>& param_names,
                                       const std::vector<std::string>& context_names);

}  // namespace ctxstats
