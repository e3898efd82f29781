// Pointwise estimates and Bayesian standard errors of a spline fit's coefficient functions,
// from the covariance Vp = (Z'WZ + S)^-1 * scale of its weights (mgcv's Vp; Nychka 1988 and
// Marra & Wood 2012 explain why intervals from it have close to nominal coverage averaged
// over the covariate values).
//
// With the constrained basis b(c) and the user-unit map G (inference/user_units.hpp), output
// k's function over the basis columns J is f_k(c) = sum_a G(k, a) w_a[J] . b_J(c), with
// variance b_J(c)' M_k b_J(c), M_k = sum_{a, a'} G(k, a) G(k, a') Vp[a J, a' J].
#pragma once
#include <Eigen/Dense>
#include <cstddef>
#include <vector>

#include "common/data.hpp"
#include "encoders/context_basis.hpp"
#include "encoders/encoder.hpp"

namespace ctxstats {

struct Pointwise {
  std::vector<double> estimate;  // rows x q, row-major
  std::vector<double> se;        // rows x q, row-major
};

// At contexts C (rows x m, user units). term < 0: the whole coefficients theta_k(c) (every
// column, y_mean added to the intercept); term >= 0: that basis term's columns alone (a
// context feature's centred smooth or a tensor interaction, as mgcv plots a term).
Pointwise spline_pointwise(const EncoderSpec& spec, const Scaling& scaling, const std::vector<double>& weights,
                           const std::vector<double>& Vp, const double* C, std::size_t rows, int m, int term,
                           int threads);

// The standard error of the linear predictor eta_i = sum_k x~_ik theta_k(c_i) at rows (X, C)
// (rows x p and rows x m, user units; x~ = [1, x] with an intercept): eta is linear in the
// weights with gradient z_i[a nb + j] = (G' x~_i)_a b_j(c_i), so se_i = sqrt(z_i' Vp z_i) --
// mgcv's predict.gam(se.fit = TRUE) on the link scale.
std::vector<double> spline_linear_predictor_se(const EncoderSpec& spec, const Scaling& scaling,
                                               const std::vector<double>& weights, const std::vector<double>& Vp,
                                               const double* X, const double* C, std::size_t rows, int p, int m,
                                               int threads);

// The average effects abar_k = mean_i theta_k(c_i) over contexts C (the fitted samples) and
// their covariance under Vp: abar = L w + shift with L[k, a nb + j] = G(k, a) bbar_j (bbar the
// mean basis row, summed in row order), so Cov = L Vp L' (q x q, row-major), exact because
// abar is linear in the weights. For a gaussian fit this is the variance mgcv gives a
// linear combination of its coefficients through predict(type = "lpmatrix") and Vp.
struct SplineAverageEffects {
  std::vector<double> estimate;  // q
  std::vector<double> cov;       // q x q, row-major
};
// L (q x q nb): the map from the weights of a fitted context basis (the spline's, or a
// scale='context' fit's mean part, glm/location_scale.hpp) to the average over the contexts C
// of the per-sample parameters in user units, without y_mean: L[k, a nb + j] = G(k, a) bbar_j.
Eigen::MatrixXd average_effects_map(const ContextBasis& basis, const Scaling& scaling, const double* C,
                                    std::size_t rows, int m);
// For contexts held in partitions (ctxstats.dask): each partition's sum of the basis rows,
// and the average effects at the mean basis row (the sums added in partition order, divided
// by the number of rows).
std::vector<double> spline_basis_sum(const EncoderSpec& spec, const Scaling& scaling, const double* C,
                                     std::size_t rows, int m);
SplineAverageEffects spline_average_effects_at(const EncoderSpec& spec, const Scaling& scaling,
                                               const std::vector<double>& weights, const std::vector<double>& Vp,
                                               const std::vector<double>& bbar);
SplineAverageEffects spline_average_effects(const EncoderSpec& spec, const Scaling& scaling,
                                            const std::vector<double>& weights, const std::vector<double>& Vp,
                                            const double* C, std::size_t rows, int m);

// The spline fit's best linear projection of every coefficient function on [1, c] over the
// contexts C (inference/linear_projection.hpp) and its covariance under Vp: the projection is
// linear in the weights, beta = P w (+ y_mean on the intercept's intercept), so Cov = P Vp P'
// exactly. estimate: q (m+1); cov: q (m+1) square, row-major.
struct SplineProjection {
  std::vector<double> estimate;
  std::vector<double> cov;
};
SplineProjection spline_projection(const EncoderSpec& spec, const Scaling& scaling, const std::vector<double>& weights,
                                   const std::vector<double>& Vp, const double* C, std::size_t rows, int m);

}  // namespace ctxstats
