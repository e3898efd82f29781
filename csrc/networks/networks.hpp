// Contextualized networks (DESIGN.md 1.5): for every sample, a network over the p features
// of X whose edges are functions of the sample's context c. Both kinds are sets of
// contextualized gaussian regressions among the features, all fitted with ONE context encoder
// whose outputs are every regression's sample parameters:
//
//   correlation: for every ordered pair (i, j), i != j, the univariate regression
//                  x_i = mu_ij(c) + beta_ij(c) x_j + e,
//                so that rho_ij(c)^2 = beta_ij(c) beta_ji(c) (for a bivariate gaussian the two
//                slopes are cov/var_j and cov/var_i). The signed correlation is
//                sign(beta_ij) sqrt(beta_ij beta_ji) when the two slopes agree in sign, and 0
//                when they disagree (the product is then negative: no correlation is consistent
//                with both). The diagonal is beta_ii = 1, mu_ii = 0, rho_ii = 1.
//   markov:      neighbourhood regression: each feature on all the others,
//                  x_i = mu_i(c) + sum_{j != i} beta_ij(c) x_j + e_i,   Var(e_i) = sigma_i^2.
//                For a gaussian with precision Omega(c), beta_ij = -Omega_ij / Omega_ii and
//                sigma_i^2 = 1 / Omega_ii. The per-sample precision is estimated by
//                  Omega_ii = 1 / sigma_i^2,
//                  Omega_ij = -(beta_ij / sigma_i^2 + beta_ji / sigma_j^2) / 2   (symmetrised),
//                with sigma_i^2 the (weighted) mean squared residual of regression i over the
//                training rows (constant in context). The partial correlation is
//                sign(beta_ij) sqrt(beta_ij beta_ji) when the slopes agree in sign, else 0 --
//                the same rule as the correlation network's. With a constant context the
//                precision is exactly the inverse of the (divisor-n) sample covariance.
//
// The objective (on the internal, standardised scale; R regressions, S = sum of row weights):
//   L(w) = 1/R sum_r [ sum_i s_i ((x_resp - eta_r)^2 / 2 + pen(theta_r)) / S ]
//          + weight_decay / (2 R) ||w||^2
// with pen the GLM's elastic net (glm/objective.hpp) on each regression's (mu, beta). With the
// linear encoder the regressions share no weights, and the minimiser is, regression by
// regression, the contextualized GLM of x_resp on its predictors with the same options.
//
//   bayesian:    NOTMAD (Lengerich et al. 2021, arXiv:2111.01104): a linear structural equation
//                model x_j = sum_{i != j} x_i W_ij(c) + e_j for every sample, whose weighted
//                graph W(c) (W_ij: the edge i -> j) is pushed towards a DAG by a differentiable
//                acyclicity penalty (dag.hpp). The encoder's p (p - 1) outputs are W's
//                off-diagonal entries (column j's, i.e. feature j's parents, in order); with
//                archetypes K >= 2 they are softmax(z(c)) A, a convex mixture of K archetype
//                graphs A_k, each penalised as well. X is used in the user's units (no
//                intercepts, no standardisation: the SEM is scale-dependent), C is standardised.
//                Per sample (row weight s_i, S = sum s_i):
//                  L(w) = 1/S sum_i s_i [ ||x_i - x_i W_i||^2 / 2 + l1_ss |W_i|_1
//                                         + alpha_ss h(W_i) + rho_ss h(W_i)^2 / 2 ]
//                         + sum_k [ alpha_a h(A_k) + rho_a h(A_k)^2 / 2 ] + l1_a |A|_1
//                         + weight_decay / 2 ||w||^2
//                (|.|_1 the elastic net's smoothed L1), as ContextualizedML's NOTMAD loss with
//                its easy interface's defaults (NOTEARS, alpha 0.1, rho 0.01 for both parts).
//                With num_factors = k (DagOptions: factors), the encoder's k (k - 1) outputs are
//                a factor graph W_f(c) over k latent factors and W(c) = offdiag(P' W_f(c) Pn),
//                with P a learned softmax assignment of the features to the factors
//                (factors.hpp); the acyclicity and L1 penalties act on the factor graphs.
//                Always fitted by L-BFGS, under the augmented Lagrangian schedule by default
//                (DagOptions). Residual variances are each feature's weighted mean
//                squared SEM residual. predict: W per sample (betas[.., i, j] = W_ij, mus 0),
//                projected to a DAG on request (dag.hpp: project_to_dag).
//
// Solvers: the linear encoder (without archetypes or L1) is solved exactly from ONE pass over
// the data: the Gram matrix of z (x) b with z = [1, x'] and b = [1, c'] holds every
// regression's normal equations (each regression reads its blocks), so the cost is
// O(n (p+1)^2 (m+1)^2) for the pass plus a small solve per regression. The other encoders (mlp,
// ngam, archetypes, or the linear encoder with solver="lbfgs") share their hidden layers across
// all regressions and are fitted by L-BFGS on the analytic gradient (the encoder's own
// backward pass). Rows are processed in fixed blocks reduced in block order: results are
// bitwise identical for any thread count.
//
// Bootstrap (n_bootstraps = B >= 2): the full-data fit, then B refits on multinomial case
// weights (glm/bootstrap.hpp's resamples), warm-started from the full-data weights.
// Predictions average over the replicates (in the core, for both front ends), or return each
// (individual_preds); with B < 2 the one replicate is the full-data fit.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/data.hpp"
#include "glm/fit.hpp"
#include "networks/dag.hpp"
#include "options/schema.hpp"

namespace ctxstats {

enum class NetworkType { kCorrelation, kMarkov, kBayesian };

NetworkType parse_network_type(const std::string& name);
const char* network_type_name(NetworkType t);

// The regressions of a network over p features: regression r predicts feature response[r]
// from features predictors[r] (ascending); its encoder outputs start at offset[r]: the
// intercept (when intercept; bayesian networks have none), then one coefficient per predictor.
struct NetworkLayout {
  int p = 0;
  bool intercept = true;
  std::vector<int> response, offset;
  std::vector<std::vector<int>> predictors;
  int regressions() const { return static_cast<int>(response.size()); }
  int outputs() const;  // the encoder's q
};
NetworkLayout network_layout(NetworkType type, int p);

// The Bayesian network's penalties (names as ContextualizedML's easy keywords, without the
// archetype_ / sample_specific_ prefix): per part, the acyclicity loss, its alpha and rho
// (s: DAGMA's log-determinant scale) and an L1 weight.
struct DagPenalty {
  DagLoss loss = DagLoss::kNotears;
  double alpha = 0.1, rho = 0.01, s = 1.0, l1 = 0.0;
};
// The schedule (dag_schedule): "augmented_lagrangian" (the default) solves NOTEARS' augmented
// Lagrangian -- L-BFGS from the previous solution, then alpha += rho h for each penalised part
// (h its acyclicity: the rows' weighted mean h(W_i), the archetypes' sum of h(A_k)), with rho
// times 10 whenever h fell by less than a factor 4 -- until h <= dag_h_tol for every part
// (converged), or rho passes 1e16 or 30 solves ran (reported as not converged); "fixed" keeps
// alpha and rho as given (ContextualizedML's default, use_dynamic_alpha_rho=False), so the
// graphs are only pushed towards DAGs.
// Low-rank factor graphs (factors.hpp): factors = k >= 2 (fewer than the p features) makes the
// encoder's outputs a k x k factor graph, mapped to the features by learned softmax
// assignments whose logits (k x p) follow the encoder's weights; the acyclicity and L1
// penalties then act on the factor graphs (samples' and archetypes'), and factor_l1 is a
// (smoothed) L1 penalty on the logits -- ContextualizedML's num_factors and factor_mat_l1.
// 0: no factors.
struct DagOptions {
  DagPenalty archetype, sample;
  bool augmented = true;
  double h_tol = 1e-8;
  int factors = 0;
  double factor_l1 = 0.0;
};
constexpr double kDagRhoMax = 1e16;
constexpr int kDagMaxSolves = 30;
void validate_dag_options(const DagOptions& o);
// From the keywords archetype_dag_loss_type, archetype_alpha, archetype_rho, archetype_s,
// archetype_l1 and the same with sample_specific_, dag_schedule, dag_h_tol, num_factors and
// factor_mat_l1 (null values count as not given). A part's
// defaults follow its loss type as ContextualizedML's: NOTEARS alpha 0.1, rho 0.01; poly
// alpha 1, rho 0; DAGMA alpha 1, rho 0, s 1; l1 0. Unknown names, wrong types and
// out-of-range values are refused with one message for both languages.
DagOptions dag_options_from(const OptionMap& given);
OptionMap dag_options_to_map(const DagOptions& o);
// Refuses factors for a network over p features unless 0 (none) or 2 <= factors < p, and
// factors for other than Bayesian networks.
void check_factors(NetworkType type, const DagOptions& dag, int p);
// The graph the encoder's outputs hold: the network's own layout, or (Bayesian networks with
// factors k) the k x k factor graph's.
NetworkLayout network_output_layout(NetworkType type, int p, const DagOptions& dag);

// A fitted network: plain data, so that a binding can hold it as a dict / list and hand it
// back for predictions (Python and R read the same fields).
struct NetworkModel {
  NetworkType type = NetworkType::kCorrelation;
  int p = 0, m = 0;
  FitOptions options;            // as resolved (family gaussian, intercept true)
  DagOptions dag;                // bayesian networks' penalties
  EncoderSpec encoder;           // as fitted
  Scaling scaling;               // c and x (every feature) standardisation
  std::string solver;            // the solver that ran
  std::vector<double> weights;   // the full-data fit's encoder weights
  // The replicates predictions use: n_replicates x n_weights (one row, the full-data fit,
  // without a bootstrap), and their residual variances n_replicates x R (user units).
  std::size_t n_replicates = 0;
  std::vector<double> replicate_weights;
  std::vector<double> residual_variance;
  // Diagnostics of the full-data fit, and of the replicates.
  SolverResult solve;
  bool trained = true;           // false: max_iter was 0 and the weights are the initialisation
  std::vector<int> replicate_n_iter;
  std::vector<unsigned char> replicate_converged;
  std::string bootstrap_message;  // bootstrap_convergence_message (empty when all converged)
  // Bayesian networks: the penalties of the full-data fit's last augmented-Lagrangian solve,
  // where its bootstrap replicates start (the other networks: dag).
  DagOptions fitted_dag;
  std::size_t n_weights() const { return weights.size(); }
};

// Checks a model that comes from outside (a binding): lengths and finiteness.
void validate_network_model(const NetworkModel& model);
// The fit options a network accepts (family gaussian, the intercept, no spline encoder, the
// exact or L-BFGS solver; Bayesian networks L-BFGS only); InvalidArgument otherwise.
void check_network_options(NetworkType type, const FitOptions& options);

// Fits a network on X (n x p) and C (n x m), row-major, optional row weights (n). `options`
// are the contextualized GLM's (family must be gaussian, the intercept on; encoder spline and
// solvers adam/varpro are refused). train = false returns the untrained initial model (the
// encoder's seeded initialisation; zeros for the linear encoder), as max_epochs=0 does in
// ContextualizedML. progress is called on the calling thread after each iteration of the
// full-data fit and after each round of bootstrap replicates; false stops the fit
// (solve.interrupted).
NetworkModel fit_network(NetworkType type, const double* C, const double* X, const double* weights, std::size_t n,
                         int m, int p, const FitOptions& options, int n_bootstraps, bool train,
                         const std::function<bool(int, double)>& progress = nullptr,
                         const DagOptions& dag = DagOptions());

// A range of fit_network's bootstrap, computed apart from the full-data fit (ctxstats.dask
// runs ranges as tasks on a cluster): replicates first .. first + count - 1 of the fit `full`
// (fit_network with n_bootstraps 0) of the same data -- bitwise the replicates fit_network's
// own bootstrap computes, for any split into ranges and any thread count.
struct NetworkReplicates {
  std::uint64_t first = 0;
  std::size_t count = 0;
  std::vector<double> weights, residual_variance;  // count x n_weights, count x regressions
  std::vector<int> n_iter;
  std::vector<unsigned char> converged;
  std::vector<std::string> messages;  // each unconverged replicate's solver message ("" otherwise)
};
NetworkReplicates network_bootstrap_range(const NetworkModel& full, const double* C, const double* X,
                                          const double* weights, std::size_t n, std::uint64_t first, int count,
                                          int threads);
// full (one replicate: the full-data fit) with consecutive ranges from replicate 0, in order,
// as its bootstrap, and the bootstrap's convergence message: what fit_network returns.
NetworkModel network_with_replicates(const NetworkModel& full, const std::vector<NetworkReplicates>& ranges);

// Per-sample networks of every replicate for contexts C (rows x m, user units):
//   betas: n_replicates x rows x p x p; betas[.., i, j] is the coefficient of x_j in the
//          regression of x_i (correlation: diagonal 1; markov: diagonal 0), bayesian: W_ij,
//          the edge i -> j (the coefficient of x_i in x_j's equation; diagonal 0);
//   mus:   correlation n_replicates x rows x p x p (mus[.., i, j] the intercept of the pair
//          regression; diagonal 0), markov n_replicates x rows x p (feature i's intercept),
//          bayesian zeros (n_replicates x rows x p).
// Bayesian networks with factors (DagOptions): W = offdiag(P' W_f Pn) (factors.hpp); with
// factor_graphs = true, the k x k factor graphs W_f instead (p of the result is then k).
struct NetworkParams {
  std::size_t replicates = 0, rows = 0;
  int p = 0;
  std::vector<double> betas, mus;
};
NetworkParams predict_network_params(const NetworkModel& model, const double* C, std::size_t rows, int m,
                                     int threads, bool factor_graphs = false);

// Every prediction below is replicate-major: with individual = true, one block per replicate
// (n_replicates x ...); with individual = false, one block (1 x ...) holding the mean over the
// replicates (summed in replicate order, then divided: the same bits for any thread count and
// in both front ends), as ContextualizedML's predictions with individual_preds=False.
//
// The parameters (betas, mus) of every replicate, or their mean.
NetworkParams network_params_summary(const NetworkParams& params, bool individual);
// Bayesian networks: every row's (and replicate's) W projected to a DAG (dag.hpp) when
// project, then entries with |w| <= threshold set to 0 -- before any mean over replicates (as
// ContextualizedML: the mean of DAGs need not be a DAG). Other networks are left alone.
void project_network_dags(const NetworkModel& model, NetworkParams& params, bool project, double threshold);
// Signed correlations (correlation networks) or partial correlations (markov networks),
// by the sign-agreement rule above, p x p per row; squared: their squares. Averaged, the mean
// correlation is squared after the mean (ContextualizedML's predict_correlation).
std::vector<double> network_correlations(const NetworkModel& model, const NetworkParams& params, bool squared,
                                         bool individual = true);
// Markov networks: the symmetrised precision matrices, p x p per row.
std::vector<double> network_precisions(const NetworkModel& model, const NetworkParams& params, bool individual = true);
// Predictions of X from the networks for rows (C, X): correlation p x p per row
// ([i, j]: mu_ij + beta_ij x_j), markov p per row, bayesian p per row (x W).
std::vector<double> network_predict_x(const NetworkModel& model, const NetworkParams& params, const double* X,
                                      std::size_t rows, int p, bool individual = true);
// Mean squared error of each row under each replicate (one per row; averaged: the mean of the
// replicates' errors): correlation the mean over all p^2 ordered pairs (the diagonal pairs
// contribute 0) of (x_i - mu_ij - beta_ij x_j)^2, markov the mean over features of
// (x_i - mu_i - sum_j beta_ij x_j)^2, bayesian the mean over features of (x_j - (x W)_j)^2 --
// the quantities ContextualizedML's measure_mses reports.
std::vector<double> network_mses(const NetworkModel& model, const NetworkParams& params, const double* X,
                                 std::size_t rows, int p, bool individual = true);
// The mean over replicates of a replicate-major array (replicates blocks of equal length).
std::vector<double> replicate_mean(const std::vector<double>& values, std::size_t replicates);

// Bootstrap inference on every edge of every sample's network (a fit with n_bootstraps >= 2),
// for contexts C (rows x m, user units). The edges are the betas of predict_network_params
// (Bayesian networks: W, projected and thresholded as project_network_dags does):
//   estimate           the full-data fit's edges, rows x p x p;
//   se, lower, upper   over the replicates, per sample and edge: the standard deviation and the
//                      percentile interval at level 1 - alpha (inference/bootstrap_summary.hpp:
//                      percentile_summary);
//   pvalue             the percentile p-value of "this sample's edge is 0" (never below
//                      pvalue_floor = 2 / (B + 1));
//   het_statistic, het_pvalue   p x p: the bootstrap heterogeneity test of "edge (i, j) does not
//                      vary with context" over the rows of C (bootstrap_pass_values: the GLM's
//                      test of a coefficient, applied to the edge); NaN for an edge without
//                      bootstrap variation (the diagonal);
//   sign_flip_share    p x p: the share of samples whose edge changes sign in more than 10% of
//                      the replicates.
struct NetworkEdgeInference {
  std::size_t replicates = 0, rows = 0;
  int p = 0;
  std::vector<double> estimate, se, lower, upper, pvalue;
  std::vector<double> het_statistic, het_pvalue, sign_flip_share;
  double pvalue_floor = 0.0;
};
// The full-data fit of a model as a one-replicate model (its weights and first residual variances).
NetworkModel network_full_fit(const NetworkModel& model);
NetworkEdgeInference network_edge_inference(const NetworkModel& model, const double* C, std::size_t rows, int m,
                                            double alpha, bool project, double threshold, int threads);

// The objective L(w) above and its gradient (for gradient checks), on the data's scaling.
double network_objective(NetworkType type, const double* C, const double* X, const double* weights, std::size_t n,
                         int m, int p, const FitOptions& options, const std::vector<double>& w,
                         std::vector<double>* grad, const DagOptions& dag = DagOptions());

// The number of weights of a network over p features with m context columns: the encoder's,
// then (factors k) the k x p factor logits.
std::size_t network_n_weights(NetworkType type, const FitOptions& options, int m, int p,
                              const DagOptions& dag = DagOptions());

}  // namespace ctxstats

namespace ctxstats {

// The data of the picture of how one edge changes with one context feature (both front ends
// draw it: network_curves.cpp). The curve runs along context column `feature` of C (rows x m,
// user units, usually the training contexts) with the other columns held fixed, by the rules
// of the GLM's coefficient plots: continuous columns at their mean, indicator columns (two
// values at most) at their most common value (ties: the smaller); the feature itself over its
// 1st to 99th percentile (type 7; more than 20 rows, else its range) at n_grid evenly spaced
// points, or, an indicator, at its values. The edge is betas[from, to] of
// predict_network_params (Bayesian networks: projected and thresholded as
// project_network_dags). With bootstrap replicates (n_replicates >= 2), estimate is the
// full-data fit's edge and lower/upper the percentile interval at level 1 - alpha over the
// replicates (network_edge_inference); without, estimate is the fit's edge and lower/upper are
// empty. sample_x / sample_edge: every row of C's feature value and (full-data fit's) edge.
struct NetworkEdgeCurve {
  bool indicator = false;
  std::vector<double> held;  // m: where the other columns are held
  std::vector<double> x, estimate, lower, upper;
  std::vector<double> sample_x, sample_edge;
};
NetworkEdgeCurve network_edge_curve(const NetworkModel& model, const double* C, std::size_t rows, int m, int feature,
                                    int from, int to, int n_grid, double alpha, bool project, double threshold,
                                    int threads);

}  // namespace ctxstats
