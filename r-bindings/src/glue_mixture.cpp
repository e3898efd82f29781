// R entry points for mixtures of contextualized regressions (csrc/glm/mixture.hpp), the
// counterpart of csrc/python/bind_mixture.cpp. Matrices cross as R matrices (column-major),
// copied into the core's row-major layout and back.
#include <Rcpp.h>

#include <string>
#include <vector>

#include "ctxstats.hpp"
#include "glue.h"
#include "glue_convert.h"

using namespace ctxstats;

namespace {

std::vector<double> rows_of(SEXP M, std::size_t* nrow, std::size_t* ncol) {
  const Rcpp::NumericMatrix A(M);
  *nrow = A.nrow();
  *ncol = A.ncol();
  std::vector<double> out(*nrow * *ncol);
  for (std::size_t i = 0; i < *nrow; ++i)
    for (std::size_t j = 0; j < *ncol; ++j) out[i * *ncol + j] = A(static_cast<int>(i), static_cast<int>(j));
  return out;
}

Rcpp::NumericMatrix matrix_from_rows(const std::vector<double>& v, std::size_t rows, std::size_t cols) {
  Rcpp::NumericMatrix m(static_cast<int>(rows), static_cast<int>(cols));
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) m(static_cast<int>(i), static_cast<int>(j)) = v[i * cols + j];
  return m;
}

// An array of dim (d1, d2, d3) from a row-major d1 x d2 x d3 vector.
Rcpp::NumericVector array3(const std::vector<double>& v, std::size_t d1, std::size_t d2, std::size_t d3) {
  Rcpp::NumericVector a(d1 * d2 * d3);
  for (std::size_t i = 0; i < d1; ++i)
    for (std::size_t j = 0; j < d2; ++j)
      for (std::size_t k = 0; k < d3; ++k) a[i + d1 * (j + d2 * k)] = v[(i * d2 + j) * d3 + k];
  a.attr("dim") = Rcpp::IntegerVector::create(static_cast<int>(d1), static_cast<int>(d2), static_cast<int>(d3));
  return a;
}

Rcpp::NumericVector vec(const std::vector<double>& v) { return Rcpp::NumericVector(v.begin(), v.end()); }

Rcpp::List mixture_to_r(const MixtureResult& r) {
  const auto K = static_cast<std::size_t>(r.k), q = static_cast<std::size_t>(r.q),
             m1 = static_cast<std::size_t>(r.m + 1), n = r.n;
  Rcpp::List out = Rcpp::List::create(
      Rcpp::Named("k") = r.k, Rcpp::Named("scaling") = scaling_to_r(r.scaling),
      Rcpp::Named("weights") = matrix_from_rows(r.weights, K, q * m1),
      Rcpp::Named("gate") = matrix_from_rows(r.gate, K, m1), Rcpp::Named("sigma") = vec(r.sigma),
      Rcpp::Named("coef") = array3(r.coef, K, q, m1), Rcpp::Named("gate_coef") = matrix_from_rows(r.gate_coef, K, m1),
      Rcpp::Named("posterior") = matrix_from_rows(r.posterior, n, K),
      Rcpp::Named("prior") = matrix_from_rows(r.prior, n, K), Rcpp::Named("theta") = array3(r.theta, K, n, q),
      Rcpp::Named("size") = vec(r.size), Rcpp::Named("loglik") = r.loglik, Rcpp::Named("df") = r.df,
      Rcpp::Named("nobs") = r.nobs, Rcpp::Named("aic") = r.aic, Rcpp::Named("bic") = r.bic);
  out["n_iter"] = r.n_iter;
  out["converged"] = r.converged;
  out["sigma_floored"] = r.sigma_floored;
  out["message"] = r.message;
  out["best_start"] = r.best_start;
  out["start_loglik"] = vec(r.start_loglik);
  out["start_iter"] = Rcpp::IntegerVector(r.start_iter.begin(), r.start_iter.end());
  out["start_status"] = Rcpp::IntegerVector(r.start_status.begin(), r.start_status.end());
  return out;
}

// The data and options both entry points read.
struct MixtureInput {
  std::vector<double> C, X, y, w;
  DataView view;
  MixtureOptions options;
};

void read_input(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP control, MixtureInput* in) {
  std::size_t n = 0, nx = 0, m = 0, p = 0;
  in->C = rows_of(C, &n, &m);
  in->X = rows_of(X, &nx, &p);
  in->y = Rcpp::as<std::vector<double>>(y);
  require(nx == n && in->y.size() == n, "endog, exog and context must have the same number of rows");
  DataView& d = in->view;
  d.n = n;
  d.m = static_cast<int>(m);
  d.p = static_cast<int>(p);
  d.C = in->C.data();
  d.X = in->X.data();
  d.y = in->y.data();
  if (!Rf_isNull(weights)) {
    in->w = Rcpp::as<std::vector<double>>(weights);
    require(in->w.size() == n, "weights must have one entry per row");
    d.weights = in->w.data();
  }
  const Rcpp::List c(control);
  const double seed = Rcpp::as<double>(c["seed"]);
  if (!(seed >= 0) || seed != static_cast<double>(static_cast<std::uint64_t>(seed)))
    throw InvalidArgument("seed must be a non-negative integer");
  MixtureOptions& o = in->options;
  o.family = Rcpp::as<std::string>(c["family"]);
  o.encoder = Rcpp::as<std::string>(c["encoder"]);
  o.k = Rcpp::as<int>(c["k"]);
  o.n_starts = Rcpp::as<int>(c["n_starts"]);
  o.max_iter = Rcpp::as<int>(c["max_iter"]);
  o.tol = Rcpp::as<double>(c["tol"]);
  o.min_share = Rcpp::as<double>(c["min_share"]);
  o.seed = static_cast<std::uint64_t>(seed);
  o.threads = Rcpp::as<int>(c["threads"]);
}

}  // namespace

// control: list(family, encoder, k, n_starts, max_iter, tol, min_share, seed, threads); start: NULL or n x k.
extern "C" SEXP ctxstats_mixture_fit_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP control, SEXP start) {
  BEGIN_RCPP
  MixtureInput in;
  read_input(C, X, y, weights, control, &in);
  std::vector<double> post;
  if (!Rf_isNull(start)) {
    std::size_t rows = 0, cols = 0;
    post = rows_of(start, &rows, &cols);
    require(rows == in.view.n && static_cast<int>(cols) == in.options.k,
            "start_posterior must be a matrix of nobs rows and k columns");
  }
  return mixture_to_r(fit_mixture(in.view, in.options, post.empty() ? nullptr : post.data()));
  END_RCPP
}

extern "C" SEXP ctxstats_mixture_select_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP control, SEXP k_range) {
  BEGIN_RCPP
  MixtureInput in;
  read_input(C, X, y, weights, control, &in);
  const Rcpp::IntegerVector ks(k_range);
  require(ks.size() == 2, "the range of k must be two integers");
  int chosen = 0;
  const std::vector<MixtureResult> fits = select_mixture_components(in.view, in.options, ks[0], ks[1], &chosen);
  Rcpp::List all;
  for (const auto& f : fits) all.push_back(mixture_to_r(f));
  return Rcpp::List::create(Rcpp::Named("fits") = all, Rcpp::Named("chosen") = chosen + 1);
  END_RCPP
}

extern "C" SEXP ctxstats_mixture_predict_R(SEXP family, SEXP scaling, SEXP weights, SEXP gate, SEXP sigma, SEXP X,
                                           SEXP C, SEXP y) {
  BEGIN_RCPP
  const Scaling s = scaling_from_r(scaling);
  std::size_t kw = 0, dw = 0, kg = 0, mg = 0, rows = 0, m = 0, rx = 0, p = 0;
  const std::vector<double> W = rows_of(weights, &kw, &dw), V = rows_of(gate, &kg, &mg);
  const std::vector<double> Cv = rows_of(C, &rows, &m), Xv = rows_of(X, &rx, &p);
  const std::vector<double> sg = Rcpp::as<std::vector<double>>(sigma);
  require(rx == rows, "exog must have one row per context row");
  std::vector<double> yv;
  if (!Rf_isNull(y)) {
    yv = Rcpp::as<std::vector<double>>(y);
    require(yv.size() == rows, "endog must have one value per row");
  }
  const int K = static_cast<int>(kg);
  const MixturePrediction pr = predict_mixture(Rcpp::as<std::string>(family), s, K, W, V, sg, Xv.data(), Cv.data(), yv.empty() ? nullptr : yv.data(),
                                               rows, static_cast<int>(p), static_cast<int>(m));
  Rcpp::List out = Rcpp::List::create(Rcpp::Named("prior") = matrix_from_rows(pr.prior, rows, K),
                                      Rcpp::Named("means") = matrix_from_rows(pr.means, rows, K),
                                      Rcpp::Named("mean") = vec(pr.mean));
  if (!yv.empty()) out["posterior"] = matrix_from_rows(pr.posterior, rows, K);
  return out;
  END_RCPP
}

// control as for ctxstats_mixture_fit_R (k the full fit's); posterior: the full fit's n x k.
extern "C" SEXP ctxstats_mixture_bootstrap_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP control, SEXP posterior,
                                             SEXP n_bootstraps, SEXP alpha) {
  BEGIN_RCPP
  MixtureInput in;
  read_input(C, X, y, weights, control, &in);
  std::size_t rows = 0, cols = 0;
  const std::vector<double> post = rows_of(posterior, &rows, &cols);
  require(rows == in.view.n && static_cast<int>(cols) == in.options.k,
          "the full fit's posterior must be a matrix of nobs rows and k columns");
  const MixtureBootstrap b =
      bootstrap_mixture(in.view, in.options, post, Rcpp::as<int>(n_bootstraps), Rcpp::as<double>(alpha));
  const std::size_t B = b.n_replicates;
  return Rcpp::List::create(
      Rcpp::Named("coef") = matrix_from_rows(b.coef, B, b.coef.size() / B),
      Rcpp::Named("sigma") = matrix_from_rows(b.sigma, B, b.sigma.size() / B),
      Rcpp::Named("gate_coef") = matrix_from_rows(b.gate_coef, B, b.gate_coef.size() / B),
      Rcpp::Named("coef_summary") = percentile_summary_to_r(b.coef_summary),
      Rcpp::Named("sigma_summary") = percentile_summary_to_r(b.sigma_summary),
      Rcpp::Named("gate_summary") = percentile_summary_to_r(b.gate_summary), Rcpp::Named("failed") = static_cast<double>(b.failed),
      Rcpp::Named("unconverged") = static_cast<double>(b.unconverged),
      Rcpp::Named("relabelled") = static_cast<double>(b.relabelled), Rcpp::Named("message") = b.message);
  END_RCPP
}
