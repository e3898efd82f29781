// The calibration test of the heterogeneity: grf's test_calibration (Chernozhukov, Demirer,
// Duflo & Fernandez-Val's "best linear predictor" of the effect), adapted to the per-sample
// parameters of a contextualized GLM.
//
// In grf, the outcome residual Y - m(X) is regressed, without an intercept, on the mean
// prediction (W - e(X)) tau_bar and the differential prediction (W - e(X)) (tau(X) - tau_bar),
// tau(X) the forest's out-of-bag effects. Here the "treatment" of parameter k is its predictor
// x_ik residualised on the context, x~_ik = x_ik - xhat_k(c_i) with xhat_k the weighted least
// squares fit of x_k on [1, c] (for the intercept, x_i0 = 1 and nothing is removed); its effect
// is the held-out theta_ik (each row's parameters from the fit on the other folds,
// glm/cross_validation.hpp); and the rest of the held-out linear predictor is an offset:
//
//     o_i = eta_i - x~_ik theta_ik,   m_i = x~_ik theta_bar_k,   d_i = x~_ik (theta_ik - theta_bar_k)
//     y_i ~ family(link^-1(o_i + a m_i + b d_i)),   theta_bar_k = sum_i w_i theta_ik / sum_i w_i
//
// Residualising matters as grf's W - e(X) does: with a predictor that is not centred, scaling
// x_ik (theta_ik - theta_bar) also rescales a function of the context alone, and b would then
// measure how well the held-out fit predicts from the context, not the variation of theta_k.
// fitted by (weighted) least squares for gaussian -- the regression of the partial residual
// y_i - o_i on (m_i, d_i) -- and by Newton's method on the likelihood otherwise (an offset
// GLM). a = 1 says the average effect is right; b = 1 says the held-out variation of theta_k
// with the context is right in size; b > 0 significantly (a one-sided test) is evidence that
// theta_k varies with the context at all. Held-out parameters matter: parameters fitted to the
// same rows carry the rows' noise, and b would lean towards 1 whatever the truth.
//
// Covariance of (a, b) in the conventions of inference/linear_inference.hpp (statsmodels'
// WLS/GLM): with e_i = y_i - mu_i, v_i the variance function, z_i = (m_i, d_i), H =
// sum w v z z', nonrobust = scale H^-1 (gaussian: sum w e^2 / (n - 2); quasi: the Pearson
// estimate; else 1), HC0 = H^-1 [sum w^2 e^2 z z'] H^-1, HC1 = HC0 n / (n - 2), HC2/HC3 each
// row's meat over (1 - h_i) and (1 - h_i)^2, h_i = w_i v_i z_i' H^-1 z_i. grf's default is HC3.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/data.hpp"
#include "common/family.hpp"
#include "glm/cross_validation.hpp"
#include "glm/fit.hpp"
#include "inference/linear_inference.hpp"

namespace ctxstats {

struct CalibrationTest {
  int q = 0;                         // parameters tested (intercept first when there is one)
  std::vector<double> mean_effect;   // q: theta_bar_k
  std::vector<double> coef;          // q x 2, row-major: (a, b) per parameter
  std::vector<double> cov;           // q x 4, row-major: each parameter's 2 x 2 covariance
  std::vector<int> identified;       // q: 0 when d (or m) is identically 0, the row then NaN
  std::vector<int> converged;        // q: the offset GLM's Newton iterations met their criterion
  std::size_t nobs = 0;
  double df_resid = 0.0;             // n - 2
  bool use_t = false;                // t (gaussian, quasi) or normal reference distribution
  CovType cov_type = CovType::kHC3;
};

// The regressions for given held-out parameters theta (n x q, intercept first when
// `intercept`) of rows (X: n x p, C: n x m, y, weights or nullptr).
CalibrationTest calibration_regression(Family family, bool quasi, const double* y, const double* X, int p,
                                       const double* C, int m, bool intercept, const double* theta,
                                       const double* weights, std::size_t n, CovType cov_type);

// Cross-fits the model (cross_validate with `folds` and `seed`) and runs the regressions on
// its held-out parameters; the cross-validation (folds, held-out theta, fold convergence) is
// returned through *cv.
CalibrationTest calibration_test(const DataView& data, const FitOptions& options, int folds, std::uint64_t seed,
                                 CovType cov_type, CrossValidation* cv,
                                 const std::function<bool(int, double)>& progress = nullptr);

}  // namespace ctxstats
