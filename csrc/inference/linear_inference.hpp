// Analytic inference for the linear encoder: the model is a GLM on the interaction design
//   z_i = [1; x_i] (x) [1; c_i]     (without an intercept, [1; x_i] becomes x_i)
// with coefficients b = vec(U) (row-major: b[k * (m+1) + l] multiplies x_ik * c_il), where
// theta_i = U [1; c_i] in the user's units. Everything here is in the user's units and
// follows the conventions of statsmodels' OLS/WLS (gaussian; weights are precision
// weights) and GLM with var_weights (binomial, poisson; scale 1).
//
// The front ends add names and turn the statistics into p-values and intervals with their
// own t, F, chi-squared and normal distribution functions.
#pragma once
#include <Eigen/Dense>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/data.hpp"
#include "common/family.hpp"

namespace ctxstats {

// The linear encoder's weights (internal scale, as the core fits them) mapped to the user's
// units: U (q x (m+1), row-major) with theta_i = U [1; c_i] exactly as predictions. For
// `rows` weight vectors stored one after the other (n_weights = q (m+1) each), the rows' U
// one after the other.
std::vector<double> interaction_coefficients(const Scaling& scaling, int m, const double* weights,
                                             std::size_t rows = 1, std::size_t n_weights = 0);

enum class CovType { kNonrobust, kHC0, kHC1, kHC2, kHC3, kCluster };

// "nonrobust", "HC0" .. "HC3", "cluster" (case-insensitive); InvalidArgument naming cov_type
// otherwise.
CovType parse_cov_type(const std::string& name);
std::string cov_type_name(CovType type);

// The covariance of the interaction coefficients b. With Z the interaction design, w the
// case weights, v_i the variance function at the fit (1 for gaussian), e_i = y_i - mu_i and
// H = Z' diag(w v) Z (its pseudo-inverse from an eigen-decomposition, eigenvalues above
// max * D * eps * 10 kept; their count is the rank):
//   nonrobust: scale H^+ (gaussian scale = sum w e^2 / (n - rank); GLM scale 1; a quasi fit
//     (quasi = true: binomial or poisson with dispersion "pearson") the Pearson estimate
//     sum w e^2 / v / (n - rank), with t intervals and F tests as R's summary.glm);
//   HC0: H^+ [sum_i w_i^2 e_i^2 z_i z_i'] H^+ (White's sandwich);
//   HC1: HC0 * n / (n - rank);
//   HC2, HC3: row i's meat divided by (1 - h_i) and (1 - h_i)^2, h_i = w_i v_i z_i' H^+ z_i;
//   cluster: H^+ [sum_g s_g s_g'] H^+ * G / (G - 1) * (n - 1) / (n - rank), s_g the sum of
//     w_i e_i z_i over the rows of group g (groups: one code per row, G distinct codes, G >= 2),
//     statsmodels' cov_type="cluster" with its default small-sample correction; normal
//     intervals, and F tests on G - 1 denominator degrees of freedom (df_denom).
// Rows are read in fixed blocks whose partial sums are added in block order: the result is
// bitwise identical for any thread count.
struct LinearCovariance {
  CovType cov_type = CovType::kNonrobust;
  int D = 0;                  // q (m+1)
  std::vector<double> cov;    // D x D, row-major, symmetric
  double scale = 1.0;         // residual variance (gaussian) or 1
  std::size_t nobs = 0;
  int rank = 0;               // of the interaction design
  double df_resid = 0.0;      // nobs - rank
  double df_denom = 0.0;      // denominator df of F tests: df_resid, or G - 1 for cluster
  std::size_t n_groups = 0;   // G (cluster), else 0
  bool use_t = false;         // t (gaussian, nonrobust) or normal intervals, as statsmodels
  bool use_f = false;         // F (gaussian) or chi-squared Wald tests
};

LinearCovariance linear_covariance(const DataView& data, Family family, bool intercept, const std::vector<double>& b,
                                   CovType cov_type, int threads, const std::vector<long long>* groups = nullptr,
                                   bool quasi = false);

// linear_covariance split over reads of the rows, so that the rows can live in partitions
// elsewhere (ctxstats.dask). Everything is in the centred and scaled parametrisation of the
// fit's scaling (the z~ of the implementation), in which the bread is well conditioned.
// A first read (bread_inverse = nullptr) sums the bread H = sum w v z~ z~', the residual sum
// of squares, the Pearson sum, the meat for HC0/HC1, and for cluster each group's score sum
// (groups in order of first appearance); HC2/HC3 need a second read given the bread's
// pseudo-inverse, which sums only their meat (the leverages need the whole bread).
struct CovarianceSums {
  Eigen::MatrixXd H, meat;           // D x D (H empty on a second read; meat empty when unused)
  double ssr = 0.0, pearson = 0.0;   // sum w e^2, sum w e^2 / v
  std::size_t nobs = 0;
  std::vector<long long> group_codes;  // cluster: the labels met, in order of first appearance
  Eigen::MatrixXd S;                   // cluster: D x G, column g the score sum of group_codes[g]
};
CovarianceSums covariance_sums(const DataView& data, Family family, const Scaling& scaling,
                               const std::vector<double>& b, CovType cov_type, int threads,
                               const std::vector<long long>* groups, const Eigen::MatrixXd* bread_inverse);
// into += part: sums added, groups merged by label (a new label appended in order).
void add_covariance_sums(CovarianceSums* into, const CovarianceSums& part);
// A read of all the rows (bread_inverse: nullptr for the first read), whatever holds them.
using CovariancePass = std::function<CovarianceSums(const Eigen::MatrixXd* bread_inverse)>;
// The covariance from the reads; linear_covariance is this over one DataView with the
// scaling compute_scaling gives.
LinearCovariance linear_covariance_passes(Family family, const Scaling& scaling, CovType cov_type, bool quasi,
                                          const CovariancePass& pass);

// The covariance of the average effects mean_i theta_i = L b, L = I_q (x) [1, cbar] with cbar
// the column means of C (rows x m): L V L' (q x q, row-major). Exact: L is linear.
std::vector<double> average_effect_covariance(const std::vector<double>& cov, int q, const double* C,
                                              std::size_t rows, int m);

// Wald tests of b[S] = 0 for index sets S: the statistic (r' V^+ r, r = b[S], V = cov[S, S],
// V^+ the pseudo-inverse with singular values above 1e-15 * max kept, as numpy's and R's
// pinv), divided by J = |S| for the F form; df = J and df_denom = df_resid (F) or NaN.
struct WaldTest {
  double statistic = 0.0, df = 0.0, df_denom = 0.0;
};
std::vector<WaldTest> wald_tests(const std::vector<double>& b, const std::vector<double>& cov,
                                 const std::vector<std::vector<int>>& restrictions, bool use_f, double df_resid);

// The restrictions of the heterogeneity tests on the interaction design of q coefficients
// and m context features: by coefficient (one set per k: its m context slopes) or by context
// feature (one set per l: the slopes of every coefficient in feature l).
std::vector<std::vector<int>> heterogeneity_restrictions(int q, int m, bool by_context);

// Standard errors of every sample's parameters theta_ik = U_k [1; c_i]:
// sqrt([1; c_i]' V_k [1; c_i]) with V_k the covariance of row k of U (rows x q, row-major).
std::vector<double> sample_param_se(const std::vector<double>& cov, int q, const double* C, std::size_t rows,
                                    int m);

// Standard errors of the linear predictor z_i' b for new rows (X: rows x p, C: rows x m):
// sqrt(z_i' V z_i).
std::vector<double> linear_predictor_se(const std::vector<double>& cov, const double* X, int p, const double* C,
                                        int m, std::size_t rows, bool intercept);

}  // namespace ctxstats
