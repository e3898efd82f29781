// The negative binomial family NB2 with a log link and its dispersion theta estimated
// (R's MASS::glm.nb, statsmodels' discrete NegativeBinomial with loglike_method="nb2", whose
// alpha is 1 / theta):
//   y ~ NB(mu, theta),  Var(y) = mu + mu^2 / theta,  log mu = eta,
//   log f(y) = lgamma(theta + y) - lgamma(theta) - lgamma(y + 1) + theta log theta
//              + y log mu - (theta + y) log(theta + mu).
// Everything here takes the fitted means mu in the user's units and prior weights w
// (null: all 1), as R's glm.nb `weights`.
//
// At a fixed theta the score of the coefficients and its expected information are those of a
// poisson GLM with prior weights s_i = w_i theta / (theta + mu_i) (the IRLS weights of the log
// link): the fit (glm/negbin.hpp) and the covariances below use that identity, so the
// nonrobust covariance is glm.nb's (summary.negbin: the expected information at the final
// theta) and the HC and cluster sandwiches are built from the NB scores.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "common/data.hpp"
#include "inference/fit_statistics.hpp"
#include "inference/linear_inference.hpp"

namespace ctxstats {

double digamma(double x);   // x > 0
double trigamma(double x);  // x > 0

// The profile log-likelihood of theta at fixed means, its first and second derivatives in theta.
struct ThetaLoglik {
  double loglik = 0.0, score = 0.0, hessian = 0.0;
};
ThetaLoglik negbin_theta_loglik(double theta, const double* y, const double* mu, const double* weights,
                                std::size_t n);

// The maximum-likelihood theta at fixed means (MASS::theta.ml, solved to full precision):
// Newton's method in log theta with step halving, from `start` (<= 0: the moment estimate
// sum w / sum w (y / mu - 1)^2, theta.ml's), until a step is below 1e-11 (or below 1e-7 and
// no longer shrinking: rounding in a flat likelihood). converged = false with a message when theta runs
// past 1e8 (the data show no overdispersion: the poisson family fits them) or the iteration
// cap is reached.
struct ThetaFit {
  double theta = 0.0;
  double se = 0.0;  // 1 / sqrt(-d2 loglik / d theta2): glm.nb's SE.theta
  int n_iter = 0;
  bool converged = false;
  std::string message;
};
ThetaFit negbin_theta_ml(const double* y, const double* mu, const double* weights, std::size_t n,
                         double start = 0.0);

// The working weights s_i = w_i theta / (theta + mu_i).
std::vector<double> negbin_working_weights(double theta, const double* mu, const double* weights, std::size_t n);

// loglik (the full likelihood above), deviance 2 sum w [y log(y / mu) - (y + theta) log((y +
// theta) / (mu + theta))], the null deviance at the same theta (mu = the weighted mean of y with
// an intercept, else 1), Pearson chi2 sum w (y - mu)^2 / (mu + mu^2 / theta): R's glm.nb values.
FitStatistics negbin_fit_statistics(double theta, const double* y, const double* mu, const double* weights,
                                    std::size_t n, bool intercept);

// "response", "pearson", "deviance", "working" as residuals() with V(mu) = mu + mu^2 / theta.
std::vector<double> negbin_residuals(double theta, const std::string& type, const double* y, const double* mu,
                                     const double* weights, std::size_t n);

// The covariance of the linear encoder's interaction coefficients b (user units) at theta:
//   nonrobust, HC0-HC3, cluster: linear_covariance of the poisson GLM with prior weights s
//     (negbin_working_weights) -- glm.nb's covariance, and sandwiches of the NB scores;
//   observed: the inverse observed information of (b, alpha = 1 / theta) jointly, the
//     covariance statsmodels' NegativeBinomial reports (cov_type "observed"; normal intervals).
// theta_se is glm.nb's (profile: the means held fixed); alpha_se is the joint observed one
// (statsmodels' bse of alpha) and theta_se_joint the same for theta (delta method, exact:
// alpha_se * theta^2).
struct NegBinCovariance {
  LinearCovariance beta;
  double theta_se = 0.0;
  double alpha_se = 0.0;
  double theta_se_joint = 0.0;
};
NegBinCovariance negbin_covariance(const DataView& data, bool intercept, const std::vector<double>& b, double theta,
                                   const std::string& cov_type, int threads,
                                   const std::vector<long long>* groups = nullptr);

}  // namespace ctxstats
