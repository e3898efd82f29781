// Heteroskedastic (location-scale) gaussian contextualized regression, scale = "context":
//
//   y_i | x_i, c_i ~ N(x~_i . theta(c_i), sigma(c_i)^2),   theta(c) = W b(c),   log sigma(c) = g . b(c),
//
// for the encoders that are linear in their weights (linear: b(c) = [1, c]; spline: the
// penalised B-spline basis of context_basis.hpp). Mean weights W (q x size, the encoder's
// layout) and scale weights g (size) are fitted jointly by penalised maximum likelihood on the
// core's internal scale (y' = (y - y_mean) / y_scale, so sigma = y_scale exp(g . b(c))):
//
//   f(W, g) = sum_i s_i [ r_i^2 exp(-2 zeta_i) / 2 + zeta_i ] + 1/2 sum_j lambda_j theta' S_j theta,
//   r_i = y'_i - x~_i . W b(c_i),   zeta_i = g . b(c_i),
//
// with gradient  d f / d W: -sum s r e^{-2 zeta} z,  d f / d g: sum s (1 - r^2 e^{-2 zeta}) b,
// z_i = x~_i (x) b(c_i), and observed Hessian
//   WW: sum s e^{-2 zeta} z z',  Wg: sum s 2 r e^{-2 zeta} z b',  gg: sum s 2 r^2 e^{-2 zeta} b b'
// (expected: the same WW, Wg = 0, gg = 2 sum s b b'). Newton's method with the observed
// Hessian (Fisher scoring where it is not positive definite) and step halving on f; converged
// when the Newton decrement is at most tol * max(1, |f|) (tol default 1e-20), or at the
// rounding floor (no decrease possible and decrement below 1e-12 max(1, |f|)).
//
// Spline: the smoothing parameters (one set for the mean's q outputs, one for the scale) are
// chosen by PQL: alternately, the mean's working model (weights s e^{-2 zeta}, response y',
// scale known = 1) and the scale's Fisher-scoring working model (weights 2 s, response
// zeta + (r^2 e^{-2 zeta} - 1) / 2, scale known = 1) each get REML smoothing parameters
// (smoothing/smoothing.hpp, as the binomial and poisson spline fits' PQL), until the weights
// settle; then the penalised likelihood is maximised jointly at those smoothing parameters.
//
// Inference: the covariance of [W; g] is the inverse penalised observed information
// (mgcv's Vp for a penalised fit). Whether sigma varies with context: linear encoder, the
// likelihood-ratio statistic 2 (l - l_0) against the same mean model with constant sigma
// (df = size - 1) and the Wald statistic of g's non-constant entries; spline, the Wald
// statistic of the scale smooth on its fitted values (Wood 2013): f = R g_s, R'R the scale's
// expected information over the non-constant basis columns, T = f' (R V_s R')^{r-} f with the
// pseudo-inverse truncated to rank r, r = the smooth's edf beyond the constant rounded as mgcv's
// testStat does.
#pragma once
#include <string>
#include <vector>

#include "common/data.hpp"
#include "glm/fit.hpp"

namespace ctxstats {


// Throws InvalidArgument naming the option when scale = "context" cannot be fitted with these
// options (family, encoder, solver, penalties, fixed smoothing, method).
void check_location_scale_options(const FitOptions& options);

// The fit fit() runs for scale = "context" (init: the encoder's weights then g, as
// location_scale_objective takes them).
FitResult fit_location_scale(const DataView& data, const FitOptions& options, const std::vector<double>* init);

// f (divided by the total weight) at w = [W; g] for fixed smoothing parameters `lambda` (empty:
// none; else one per penalty of the q + 1 outputs), with the gradient and the observed Hessian
// (D x D, row-major) of the same when asked; for the finite-difference checks.
double location_scale_objective(const DataView& data, const FitOptions& options, const std::vector<double>& w,
                                const std::vector<double>& lambda, std::vector<double>* grad,
                                std::vector<double>* hessian);

// Predictions at rows (X: rows x p, C: rows x m, user units): eta (the mean), its standard
// error from the covariance, and sigma (user units).
struct LocationScalePrediction {
  std::vector<double> eta, se_eta, sigma;
};
LocationScalePrediction predict_location_scale(const EncoderSpec& spec, const Scaling& scaling,
                                               const std::vector<double>& weights, const LocationScaleReport& report,
                                               const double* X, const double* C, std::size_t rows, int p, int m);

// Covariance (q x q, user units) of the average over rows of C of the per-sample parameters.
std::vector<double> location_scale_average_cov(const EncoderSpec& spec, const Scaling& scaling,
                                               const LocationScaleReport& report, const double* C, std::size_t rows,
                                               int m);

// Checks a report against the encoder's size (a model file's): InvalidArgument naming the field.
void validate_location_scale_report(const LocationScaleReport& report, std::size_t n_weights, int q);

}  // namespace ctxstats
