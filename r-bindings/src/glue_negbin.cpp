// R entry points for the negative binomial family's statistics (csrc/inference/negbin.hpp),
// the counterpart of csrc/python/bind_negbin.cpp.
#include <Rcpp.h>

#include <string>
#include <vector>

#include "ctxstats.hpp"
#include "glue.h"

using namespace ctxstats;

namespace {

std::vector<double> by_rows(const Rcpp::NumericMatrix& M) {
  std::vector<double> out(static_cast<std::size_t>(M.nrow()) * M.ncol());
  for (int i = 0; i < M.nrow(); ++i)
    for (int j = 0; j < M.ncol(); ++j) out[static_cast<std::size_t>(i) * M.ncol() + j] = M(i, j);
  return out;
}

// y, mu and optional weights of one length.
struct Means {
  std::vector<double> y, mu, w;
  Means(SEXP ys, SEXP mus, SEXP ws) : y(Rcpp::as<std::vector<double>>(ys)), mu(Rcpp::as<std::vector<double>>(mus)) {
    require(y.size() == mu.size(), "y and mu must have one length");
    if (!Rf_isNull(ws)) {
      w = Rcpp::as<std::vector<double>>(ws);
      require(w.size() == y.size(), "weights must have one value per observation");
    }
  }
  const double* weights() const { return w.empty() ? nullptr : w.data(); }
};

}  // namespace

extern "C" SEXP ctxstats_negbin_fit_statistics_R(SEXP theta, SEXP y, SEXP mu, SEXP weights, SEXP intercept) {
  BEGIN_RCPP
  const Means in(y, mu, weights);
  const FitStatistics s = negbin_fit_statistics(Rcpp::as<double>(theta), in.y.data(), in.mu.data(), in.weights(),
                                                in.y.size(), Rcpp::as<bool>(intercept));
  return Rcpp::List::create(Rcpp::Named("loglik") = s.loglik, Rcpp::Named("deviance") = s.deviance,
                            Rcpp::Named("null_deviance") = s.null_deviance,
                            Rcpp::Named("pearson_chi2") = s.pearson_chi2,
                            Rcpp::Named("deviance_explained") = s.deviance_explained);
  END_RCPP
}

extern "C" SEXP ctxstats_negbin_residuals_R(SEXP theta, SEXP type, SEXP y, SEXP mu, SEXP weights) {
  BEGIN_RCPP
  const Means in(y, mu, weights);
  return Rcpp::wrap(negbin_residuals(Rcpp::as<double>(theta), Rcpp::as<std::string>(type), in.y.data(), in.mu.data(),
                                     in.weights(), in.y.size()));
  END_RCPP
}

extern "C" SEXP ctxstats_negbin_covariance_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP intercept, SEXP params,
                                             SEXP theta, SEXP cov_type, SEXP threads, SEXP groups) {
  BEGIN_RCPP
  const Rcpp::NumericMatrix Cm(C), Xm(X);
  const std::vector<double> yv = Rcpp::as<std::vector<double>>(y);
  const std::size_t n = yv.size();
  require(static_cast<std::size_t>(Cm.nrow()) == n && static_cast<std::size_t>(Xm.nrow()) == n,
          "endog, exog and context must have the same number of rows");
  const std::vector<double> Cr = by_rows(Cm), Xr = by_rows(Xm);
  std::vector<double> wv;
  DataView d;
  d.n = n;
  d.m = Cm.ncol();
  d.p = Xm.ncol();
  d.C = Cr.data();
  d.X = Xr.data();
  d.y = yv.data();
  if (!Rf_isNull(weights)) {
    wv = Rcpp::as<std::vector<double>>(weights);
    require(wv.size() == n, "weights must have one entry per row");
    d.weights = wv.data();
  }
  const int nthreads = Rcpp::as<int>(threads);
  require(nthreads >= 0, "threads must be >= 0");
  std::vector<long long> codes;  // (as ctxstats_linear_covariance_R reads them)
  for (int v : (Rf_isNull(groups) ? Rcpp::IntegerVector() : Rcpp::IntegerVector(groups))) {
    require(v != NA_INTEGER, "groups has missing labels");
    codes.push_back(v);
  }
  const std::string type = Rcpp::as<std::string>(cov_type);
  const NegBinCovariance nc = negbin_covariance(d, Rcpp::as<bool>(intercept), Rcpp::as<std::vector<double>>(params),
                                                Rcpp::as<double>(theta), type, nthreads,
                                                Rf_isNull(groups) ? nullptr : &codes);
  const LinearCovariance& lc = nc.beta;
  Rcpp::NumericMatrix cov(lc.D, lc.D);
  for (int i = 0; i < lc.D; ++i)
    for (int j = 0; j < lc.D; ++j) cov(i, j) = lc.cov[static_cast<std::size_t>(i) * lc.D + j];
  return Rcpp::List::create(
      Rcpp::Named("cov") = cov, Rcpp::Named("cov_type") = type == "observed" ? type : cov_type_name(lc.cov_type),
      Rcpp::Named("scale") = lc.scale, Rcpp::Named("nobs") = static_cast<double>(lc.nobs),
      Rcpp::Named("rank") = lc.rank, Rcpp::Named("df_resid") = lc.df_resid, Rcpp::Named("use_t") = lc.use_t,
      Rcpp::Named("use_f") = lc.use_f, Rcpp::Named("df_denom") = lc.df_denom,
      Rcpp::Named("n_groups") = static_cast<double>(lc.n_groups), Rcpp::Named("theta_se") = nc.theta_se,
      Rcpp::Named("alpha_se") = nc.alpha_se);
  END_RCPP
}
