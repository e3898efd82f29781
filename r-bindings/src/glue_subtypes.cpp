// R entry points for the subtypes from sample models (csrc/inference/subtypes.hpp), the
// counterpart of csrc/python/bind_subtypes.cpp. Labels are returned 1-based.
#include <Rcpp.h>

#include <string>
#include <vector>

#include "ctxstats.hpp"
#include "glue.h"

using namespace ctxstats;

namespace {

Rcpp::NumericMatrix matrix_of(const std::vector<double>& v, std::size_t rows, std::size_t cols) {
  Rcpp::NumericMatrix m(static_cast<int>(rows), static_cast<int>(cols));
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) m(static_cast<int>(i), static_cast<int>(j)) = v[i * cols + j];
  return m;
}

Rcpp::NumericVector vector_of(const std::vector<double>& v) { return Rcpp::NumericVector(v.begin(), v.end()); }

}  // namespace

// theta: n x d matrix; replicates: NULL or an array of dim (n, d, B) (ctxstats_bootstrap_theta_R's layout).
extern "C" SEXP ctxstats_subtypes_R(SEXP theta, SEXP replicates, SEXP k, SEXP k_max, SEXP n_starts, SEXP seed,
                                    SEXP alpha, SEXP threads) {
  BEGIN_RCPP
  if (!Rf_isMatrix(theta) || !Rf_isReal(theta))
    throw InvalidArgument("the per-sample parameters must be a numeric matrix (samples x parameters)");
  const Rcpp::NumericMatrix T(theta);
  const std::size_t n = T.nrow(), d = T.ncol();
  std::vector<double> t(n * d);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) t[i * d + j] = T(static_cast<int>(i), static_cast<int>(j));
  std::vector<double> reps;
  std::size_t B = 0;
  if (!Rf_isNull(replicates)) {
    const Rcpp::NumericVector R(replicates);
    const Rcpp::IntegerVector dim = R.attr("dim");
    if (dim.size() != 3 || static_cast<std::size_t>(dim[0]) != n || static_cast<std::size_t>(dim[1]) != d)
      throw InvalidArgument("the replicates' per-sample parameters must be an array of dim (samples, parameters, B)");
    B = static_cast<std::size_t>(dim[2]);
    reps.resize(B * n * d);
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) reps[(b * n + i) * d + j] = R[i + n * (j + d * b)];
  }
  const double s = Rcpp::as<double>(seed);
  if (!(s >= 0) || s != static_cast<double>(static_cast<std::uint64_t>(s)))
    throw InvalidArgument("seed must be a non-negative integer");
  SubtypeOptions o;
  o.k = Rcpp::as<int>(k);
  o.k_max = Rcpp::as<int>(k_max);
  o.n_starts = Rcpp::as<int>(n_starts);
  o.seed = static_cast<std::uint64_t>(s);
  o.alpha = Rcpp::as<double>(alpha);
  o.threads = Rcpp::as<int>(threads);
  const SubtypeResult r = find_subtypes(t.data(), n, d, B ? reps.data() : nullptr, B, o);
  const std::size_t kk = static_cast<std::size_t>(r.k);
  Rcpp::IntegerVector labels(r.labels.begin(), r.labels.end());
  for (auto& l : labels) l += 1;
  Rcpp::List out = Rcpp::List::create(
      Rcpp::Named("k") = r.k, Rcpp::Named("labels") = labels,
      Rcpp::Named("candidates") = Rcpp::IntegerVector(r.candidates.begin(), r.candidates.end()),
      Rcpp::Named("criterion") = vector_of(r.criterion), Rcpp::Named("center") = vector_of(r.center),
      Rcpp::Named("scale") = vector_of(r.scale), Rcpp::Named("centroids") = matrix_of(r.centroids, kk, d),
      Rcpp::Named("means") = matrix_of(r.means, kk, d),
      Rcpp::Named("sizes") = Rcpp::NumericVector(r.sizes.begin(), r.sizes.end()),
      Rcpp::Named("within_ss") = r.within_ss, Rcpp::Named("unconverged_starts") = r.unconverged_starts,
      Rcpp::Named("scores") = matrix_of(r.scores, n, 2), Rcpp::Named("explained") = vector_of(r.explained),
      Rcpp::Named("n_bootstraps") = static_cast<double>(B));
  if (B > 0) {
    out["replicate_ari"] = vector_of(r.replicate_ari);
    out["coassignment"] = vector_of(r.coassignment);
    out["se"] = matrix_of(r.se, kk, d);
    out["lower"] = matrix_of(r.lower, kk, d);
    out["upper"] = matrix_of(r.upper, kk, d);
  }
  return out;
  END_RCPP
}
