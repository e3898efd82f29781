// R glue for the C++ core: converts R matrices, vectors and option lists to the core's types
// and back, and nothing else (no statistics). The R functions in R/ validate the arguments
// first; the core validates again and throws InvalidArgument with the message Python shows
// as ValueError.
//
// Errors: every entry point runs its body between BEGIN_RCPP and END_RCPP. A C++ exception
// is caught there and turned into an R condition carrying the exception's message, and R's
// stop() -- which long-jumps -- is called only after the try block has closed, when every
// C++ object of the body (vectors, the fit result) has been destroyed.
//
// Layout: R matrices are column-major; the core reads row-major n x m arrays. The inputs are
// transposed into row-major copies here, and the per-sample parameters are transposed back.
#include <Eigen/Core>
#include <Rcpp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ctxstats.hpp"
#include "glue.h"
#include "inference/calibration.hpp"
#include "inference/cv_comparison.hpp"
#include "glue_convert.h"

using namespace ctxstats;

namespace {

// R_CheckUserInterrupt long-jumps when the user has pressed Ctrl-C / Esc; run inside
// R_ToplevelExec it cannot unwind our C++ frames, and a FALSE return means "interrupted".
void check_interrupt(void*) { R_CheckUserInterrupt(); }
bool user_interrupted() { return R_ToplevelExec(check_interrupt, nullptr) == FALSE; }

std::vector<double> to_vector(SEXP x) {
  const Rcpp::NumericVector v(x);
  return std::vector<double>(v.begin(), v.end());
}

// R values as the core's option parser reads them (csrc/options/schema.hpp): the parser
// checks names, types, ranges and applicability, with the Python package's messages.
OptionValue option_value(SEXP x) {
  const R_xlen_t n = Rf_isVectorAtomic(x) ? Rf_xlength(x) : -1;
  if (Rf_isNull(x)) return OptionValue::null();
  if (TYPEOF(x) == VECSXP || (n >= 0 && n != 1 && (Rf_isLogical(x) || Rf_isNumeric(x) || Rf_isString(x)))) {
    std::vector<OptionValue> items;
    const R_xlen_t len = Rf_xlength(x);
    for (R_xlen_t i = 0; i < len; ++i) {
      switch (TYPEOF(x)) {
        case VECSXP: items.push_back(option_value(VECTOR_ELT(x, i))); break;
        case LGLSXP: items.push_back(option_value(Rf_ScalarLogical(LOGICAL(x)[i]))); break;
        case INTSXP: items.push_back(option_value(Rf_ScalarInteger(INTEGER(x)[i]))); break;
        case REALSXP: items.push_back(option_value(Rf_ScalarReal(REAL(x)[i]))); break;
        default: items.push_back(option_value(Rf_ScalarString(STRING_ELT(x, i))));
      }
    }
    return OptionValue::list(std::move(items));
  }
  switch (n == 1 ? TYPEOF(x) : NILSXP) {
    case LGLSXP:
      return LOGICAL(x)[0] == NA_LOGICAL ? OptionValue::other("NA") : OptionValue::boolean(LOGICAL(x)[0] != 0);
    case INTSXP:
      return INTEGER(x)[0] == NA_INTEGER ? OptionValue::other("NA") : OptionValue::integer(INTEGER(x)[0]);
    case REALSXP: return R_IsNA(REAL(x)[0]) ? OptionValue::other("NA") : OptionValue::real(REAL(x)[0]);
    case STRSXP:
      return STRING_ELT(x, 0) == NA_STRING ? OptionValue::other("NA") : OptionValue::string(CHAR(STRING_ELT(x, 0)));
    default: return OptionValue::other(std::string("a value of type ") + Rf_type2char(TYPEOF(x)));
  }
}

OptionMap option_map(SEXP sexp) {
  OptionMap out;
  if (Rf_isNull(sexp)) return out;
  require(TYPEOF(sexp) == VECSXP, "the options must be a named list");
  const Rcpp::List l(sexp);
  const SEXP names = Rf_getAttrib(sexp, R_NamesSymbol);
  for (R_xlen_t i = 0; i < l.size(); ++i) {
    const std::string name = Rf_isNull(names) ? "" : CHAR(STRING_ELT(names, i));
    require(!name.empty(), "the options must be named (e.g. width = 16, alpha = 0.1)");
    out.emplace_back(name, option_value(l[i]));
  }
  return out;
}

// Back to R: integers as doubles (R's integers stop at 2^31; a seed above 2^53 becomes a
// string of digits, which the parser reads back exactly), numeric lists as numeric vectors.
Rcpp::RObject to_r(const OptionValue& v) {
  using K = OptionValue::Kind;
  switch (v.kind) {
    case K::kBool: return Rcpp::wrap(v.flag);
    case K::kInt: {
      const double d = std::strtod(v.text.c_str(), nullptr);
      if (std::fabs(d) <= 9007199254740992.0) return Rcpp::wrap(d);
      return Rcpp::wrap(v.text);
    }
    case K::kDouble: return Rcpp::wrap(v.number);
    case K::kString: return Rcpp::wrap(v.text);
    case K::kList: {
      const bool numeric = !v.items.empty() && std::all_of(v.items.begin(), v.items.end(), [](const OptionValue& x) {
        return x.kind == K::kInt || x.kind == K::kDouble;
      });
      if (numeric) {
        Rcpp::NumericVector out(v.items.size());
        for (std::size_t i = 0; i < v.items.size(); ++i) out[i] = Rcpp::as<double>(to_r(v.items[i]));
        return out;
      }
      Rcpp::List out(v.items.size());
      for (std::size_t i = 0; i < v.items.size(); ++i) out[i] = to_r(v.items[i]);
      return out;
    }
    default: return Rcpp::RObject(R_NilValue);
  }
}

Rcpp::List to_r(const OptionMap& m) {
  Rcpp::List out(m.size());
  Rcpp::CharacterVector names(m.size());
  for (std::size_t i = 0; i < m.size(); ++i) {
    out[i] = to_r(m[i].second);
    names[i] = m[i].first;
  }
  out.attr("names") = names;
  return out;
}

// strict false: a fitted model's stored options (see fit_options_from).
FitOptions options_from(SEXP sexp, bool strict = true) { return fit_options_from(option_map(sexp), strict); }

Rcpp::NumericVector to_r(const std::vector<double>& v) { return Rcpp::NumericVector(v.begin(), v.end()); }

// A row-major copy of an R (column-major) numeric matrix.
std::vector<double> row_major(const Rcpp::NumericMatrix& M) {
  const std::size_t rows = M.nrow(), cols = M.ncol();
  std::vector<double> out(rows * cols);
  for (std::size_t j = 0; j < cols; ++j)
    for (std::size_t i = 0; i < rows; ++i) out[i * cols + j] = M[j * rows + i];
  return out;
}

Rcpp::NumericMatrix matrix_from_row_major(const std::vector<double>& a, std::size_t rows, std::size_t cols) {
  Rcpp::NumericMatrix out(static_cast<int>(rows), static_cast<int>(cols));
  for (std::size_t j = 0; j < cols; ++j)
    for (std::size_t i = 0; i < rows; ++i) out[j * rows + i] = a[i * cols + j];
  return out;
}

}  // namespace

// Shared with the other glue files (glue_convert.h).
Rcpp::List scaling_to_r(const Scaling& s) {
  return Rcpp::List::create(Rcpp::Named("c_mean") = to_r(s.c_mean), Rcpp::Named("c_scale") = to_r(s.c_scale),
                            Rcpp::Named("x_mean") = to_r(s.x_mean), Rcpp::Named("x_scale") = to_r(s.x_scale),
                            Rcpp::Named("y_mean") = s.y_mean, Rcpp::Named("y_scale") = s.y_scale,
                            Rcpp::Named("intercept") = s.intercept);
}

Scaling scaling_from_r(SEXP sexp) {
  const Rcpp::List d(sexp);
  Scaling s;
  s.c_mean = to_vector(d["c_mean"]);
  s.c_scale = to_vector(d["c_scale"]);
  s.x_mean = to_vector(d["x_mean"]);
  s.x_scale = to_vector(d["x_scale"]);
  s.y_mean = Rcpp::as<double>(d["y_mean"]);
  s.y_scale = Rcpp::as<double>(d["y_scale"]);
  s.intercept = Rcpp::as<bool>(d["intercept"]);
  validate_scaling(s);
  return s;
}

namespace {

// The data a fit reads: row-major copies of C and X, y and the weights borrowed from R.
struct RData {
  std::vector<double> C, X;
  std::vector<std::string> context_names;  // C's column names, when it has them (messages name columns)
  Rcpp::NumericVector y, weights;
  DataView view;
};

void load_data(SEXP C, SEXP X, SEXP y, SEXP weights, RData& out) {
  const Rcpp::NumericMatrix Cm(C), Xm(X);
  out.y = Rcpp::NumericVector(y);
  const std::size_t n = out.y.size();
  require(static_cast<std::size_t>(Cm.nrow()) == n && static_cast<std::size_t>(Xm.nrow()) == n,
          "endog, exog and context must have the same number of rows");
  out.C = row_major(Cm);
  out.X = row_major(Xm);
  DataView& d = out.view;
  const SEXP dimnames = Rf_getAttrib(C, R_DimNamesSymbol);
  if (!Rf_isNull(dimnames) && !Rf_isNull(VECTOR_ELT(dimnames, 1))) {
    out.context_names = Rcpp::as<std::vector<std::string>>(VECTOR_ELT(dimnames, 1));
    d.context_names = &out.context_names;
  }
  d.n = n;
  d.m = Cm.ncol();
  d.p = Xm.ncol();
  d.C = out.C.data();
  d.X = out.X.data();
  d.y = out.y.begin();
  if (!Rf_isNull(weights)) {
    out.weights = Rcpp::NumericVector(weights);
    require(static_cast<std::size_t>(out.weights.size()) == n, "weights must have one entry per row");
    d.weights = out.weights.begin();
  }
}

// The smooth-term tests (see inference/smooth_tests.hpp) as a data frame, one row per test.
Rcpp::DataFrame smooth_tests_to_r(const std::vector<SmoothTest>& tests) {
  Rcpp::IntegerVector output, term, rank;
  Rcpp::NumericVector edf, ref_df, statistic;
  for (const auto& t : tests) {
    output.push_back(t.output);
    term.push_back(t.term);
    rank.push_back(t.rank);
    edf.push_back(t.edf);
    ref_df.push_back(t.ref_df);
    statistic.push_back(t.statistic);
  }
  return Rcpp::DataFrame::create(Rcpp::Named("output") = output, Rcpp::Named("term") = term,
                                 Rcpp::Named("edf") = edf, Rcpp::Named("ref_df") = ref_df,
                                 Rcpp::Named("rank") = rank, Rcpp::Named("statistic") = statistic);
}

// What a spline fit reports (as bind_spline.cpp's spline_fit_to_dict): the basis placed from
// the data (knots, centres: they travel with the options to predictions and refits) and the
// smoothing-parameter estimate.
Rcpp::List spline_fit_to_r(const FitResult& r, int m) {
  Rcpp::List out = Rcpp::List::create(Rcpp::Named("knots") = to_r(r.encoder.knots),
                                      Rcpp::Named("centres") = to_r(r.encoder.centres));
  const auto basis = make_spline_basis(r.encoder, m);
  Rcpp::CharacterVector kinds;
  Rcpp::IntegerVector f1, f2, offsets, sizes;
  for (const auto& t : basis->terms()) {
    kinds.push_back(t.kind == BasisTerm::kConstant ? "constant"
                    : t.kind == BasisTerm::kLinear ? "linear"
                    : t.kind == BasisTerm::kMain   ? "smooth"
                                                   : "tensor");
    f1.push_back(t.feature1);
    f2.push_back(t.feature2);
    offsets.push_back(t.offset);
    sizes.push_back(t.size);
  }
  out["size"] = static_cast<int>(basis->size());
  out["terms"] = Rcpp::DataFrame::create(Rcpp::Named("kind") = kinds, Rcpp::Named("feature1") = f1,
                                         Rcpp::Named("feature2") = f2, Rcpp::Named("offset") = offsets,
                                         Rcpp::Named("size") = sizes,
                                         Rcpp::Named("stringsAsFactors") = false);
  const SmoothingReport& s = r.solve.smoothing;
  if (!s.present) return out;
  const std::size_t n_terms = basis->terms().size();
  out["smoothing"] = Rcpp::List::create(
      Rcpp::Named("method") = s.method, Rcpp::Named("smoothing") = to_r(s.lambda),
      Rcpp::Named("penalty_output") = Rcpp::IntegerVector(s.penalty_output.begin(), s.penalty_output.end()),
      Rcpp::Named("penalty_term") = Rcpp::IntegerVector(s.penalty_term.begin(), s.penalty_term.end()),
      Rcpp::Named("edf") = matrix_from_row_major(s.edf, static_cast<std::size_t>(r.scaling.q()), n_terms),
      Rcpp::Named("edf_total") = s.edf_total, Rcpp::Named("scale") = s.scale,
      Rcpp::Named("criterion") = s.criterion, Rcpp::Named("n_iter") = s.n_iter,
      Rcpp::Named("outer_iter") = s.outer_iter, Rcpp::Named("converged") = s.converged,
      Rcpp::Named("message") = s.message, Rcpp::Named("n") = s.n, Rcpp::Named("null_dim") = s.null_dim);
  // The Bayesian covariance Vp = (Z'WZ + S)^-1 * scale, the Hessian Z'WZ and the basis Gram
  // matrix (square, row-major in the core): the per-smooth tests and concurvity need them.
  const auto side = [](const std::vector<double>& v) {
    return static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(v.size()))));
  };
  Rcpp::List sm = out["smoothing"];
  sm["Vp"] = matrix_from_row_major(s.Vp, side(s.Vp), side(s.Vp));
  sm["H"] = matrix_from_row_major(s.H, side(s.H), side(s.H));
  sm["gram"] = matrix_from_row_major(s.gram, side(s.gram), side(s.gram));
  out["smoothing"] = sm;
  return out;
}

// A scale = "context" fit's report (glm/location_scale.hpp), as bind_location_scale.cpp's dict.
Rcpp::List location_scale_to_r(const LocationScaleReport& r) {
  const auto D = static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(r.cov.size()))));
  return Rcpp::List::create(
      Rcpp::Named("weights") = to_r(r.weights), Rcpp::Named("cov") = matrix_from_row_major(r.cov, D, D),
      Rcpp::Named("loglik") = r.loglik, Rcpp::Named("loglik_constant") = r.loglik_constant,
      Rcpp::Named("lr_statistic") = r.lr_statistic, Rcpp::Named("wald_statistic") = r.wald_statistic,
      Rcpp::Named("test_df") = r.test_df, Rcpp::Named("edf_mean") = r.edf_mean,
      Rcpp::Named("edf_scale") = r.edf_scale, Rcpp::Named("lambda") = to_r(r.lambda),
      Rcpp::Named("outer_iter") = r.outer_iter, Rcpp::Named("constant_converged") = r.constant_converged);
}

LocationScaleReport location_scale_from_r(SEXP sexp) {
  const Rcpp::List l(sexp);
  LocationScaleReport r;
  r.present = true;
  r.weights = to_vector(l["weights"]);
  r.cov = row_major(Rcpp::NumericMatrix(Rcpp::as<Rcpp::NumericMatrix>(l["cov"])));
  r.loglik = Rcpp::as<double>(l["loglik"]);
  r.loglik_constant = Rcpp::as<double>(l["loglik_constant"]);
  r.lr_statistic = Rcpp::as<double>(l["lr_statistic"]);
  r.wald_statistic = Rcpp::as<double>(l["wald_statistic"]);
  r.test_df = Rcpp::as<double>(l["test_df"]);
  return r;
}

Rcpp::List fit_report_to_r(const FitResult& r, int m) {
  Rcpp::List out = Rcpp::List::create(
      Rcpp::Named("weights") = to_r(r.weights), Rcpp::Named("scaling") = scaling_to_r(r.scaling),
      Rcpp::Named("solver") = r.solver, Rcpp::Named("n_iter") = r.solve.n_iter,
      Rcpp::Named("converged") = r.solve.converged, Rcpp::Named("objective") = r.solve.objective,
      Rcpp::Named("history") = to_r(r.solve.history), Rcpp::Named("val_history") = to_r(r.solve.val_history),
      Rcpp::Named("message") = r.solve.message, Rcpp::Named("rank_deficient") = r.solve.rank_deficient);
  if (std::isfinite(r.nb_theta)) out["theta"] = r.nb_theta;  // family negativebinomial
  if (r.location_scale.present) {  // scale = "context": its own report (a spline's basis included)
    out["location_scale"] = location_scale_to_r(r.location_scale);
    Rcpp::List ls = out["location_scale"];
    ls["knots"] = to_r(r.encoder.knots);
    ls["centres"] = to_r(r.encoder.centres);
    out["location_scale"] = ls;
  } else if (r.encoder.type == "spline") {
    out["spline"] = spline_fit_to_r(r, m);
  }
  if (r.early_stopped)  // the iterations chosen on the held-out rows
    out["early_stopping"] = Rcpp::List::create(Rcpp::Named("best_iter") = r.early_best_iter,
                                               Rcpp::Named("val_loss") = to_r(r.early_val_loss),
                                               Rcpp::Named("split_iter") = r.early_split_iter);
  return out;
}

// Cluster codes as the R functions hand them over (NULL: none, an empty vector).
std::vector<long long> group_codes(SEXP groups) {
  std::vector<long long> codes;
  if (Rf_isNull(groups)) return codes;
  for (int v : Rcpp::IntegerVector(groups)) {
    require(v != NA_INTEGER, "groups has missing labels");
    codes.push_back(v);
  }
  return codes;
}

Rcpp::List bootstrap_to_r(const BootstrapResult& r) {
  Rcpp::LogicalVector converged(r.n_replicates);
  for (std::size_t k = 0; k < r.n_replicates; ++k) converged[k] = r.converged[k] != 0;
  return Rcpp::List::create(Rcpp::Named("weights") = matrix_from_row_major(r.weights, r.n_replicates, r.n_weights),
                            Rcpp::Named("n_iter") = Rcpp::IntegerVector(r.n_iter.begin(), r.n_iter.end()),
                            Rcpp::Named("converged") = converged, Rcpp::Named("objective") = to_r(r.objective),
                            Rcpp::Named("message") = r.message,
                            Rcpp::Named("clusters") = static_cast<double>(r.clusters), Rcpp::Named("rule") = r.rule);
}

// Only copies: the fitted model that receives it checks every length against its own.
BootstrapResult bootstrap_from_r(SEXP sexp) {
  const Rcpp::List b(sexp);
  BootstrapResult r;
  const Rcpp::NumericMatrix W(Rcpp::as<SEXP>(b["weights"]));
  r.n_replicates = static_cast<std::size_t>(W.nrow());
  r.n_weights = static_cast<std::size_t>(W.ncol());
  r.weights = row_major(W);
  const Rcpp::IntegerVector it(Rcpp::as<SEXP>(b["n_iter"]));
  r.n_iter.assign(it.begin(), it.end());
  const Rcpp::LogicalVector cv(Rcpp::as<SEXP>(b["converged"]));
  for (int k = 0; k < cv.size(); ++k) r.converged.push_back(cv[k] == TRUE ? 1 : 0);
  r.objective = to_vector(b["objective"]);
  if (b.containsElementNamed("message")) r.message = Rcpp::as<std::string>(b["message"]);
  if (b.containsElementNamed("clusters")) {
    const double G = Rcpp::as<double>(b["clusters"]);
    require(G == 0.0 || (G >= 2.0 && G == std::floor(G)), "the bootstrap's clusters must be 0 or a count >= 2");
    r.clusters = static_cast<std::size_t>(G);
  }
  if (b.containsElementNamed("rule")) r.rule = Rcpp::as<std::string>(b["rule"]);
  bootstrap_rule_note(r.rule);  // validates it
  return r;
}

Rcpp::RawVector raw_of(const ModelFile& f) {
  const std::string bytes = f.serialize();
  return Rcpp::RawVector(bytes.begin(), bytes.end());
}

FittedModel model_of_raw(SEXP raw) {
  require(TYPEOF(raw) == RAWSXP, "the fit holds no core model (a raw vector); refit it with this ctxstats");
  const Rcpp::RawVector r(raw);
  return fitted_model_from_file(ModelFile::parse(std::string(r.begin(), r.end())));
}

// An external pointer to a model, deleted by R's garbage collector.
void finalize_model(SEXP ptr) {
  delete static_cast<FittedModel*>(R_ExternalPtrAddr(ptr));
  R_ClearExternalPtr(ptr);
}

const FittedModel& model_of_pointer(SEXP ptr) {
  require(TYPEOF(ptr) == EXTPTRSXP && R_ExternalPtrAddr(ptr) != nullptr,
          "the core model pointer is not valid (was the fit restored from a saved R session?)");
  return *static_cast<FittedModel*>(R_ExternalPtrAddr(ptr));
}

}  // namespace

extern "C" SEXP ctxstats_fit_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options, SEXP init) {
  BEGIN_RCPP
  RData data;
  load_data(C, X, y, weights, data);
  FitOptions o = options_from(options);
  // The solvers call back on this (R's main) thread after each iteration.
  o.solver_options.callback = [](int, double) { return !user_interrupted(); };
  std::vector<double> init_w;
  if (!Rf_isNull(init)) init_w = to_vector(init);
  const FitResult r = fit(data.view, o, Rf_isNull(init) ? nullptr : &init_w);
  if (r.solve.interrupted) throw std::runtime_error("the fit was interrupted by the user");
  Rcpp::List out = fit_report_to_r(r, data.view.m);
  // The core's fitted model as its file's bytes (a raw vector survives saveRDS); ctx_save
  // adds names, data and replicates, and core_model() makes the external pointer from it.
  out["model"] = raw_of(to_model_file(make_fitted_model(option_map(options), r, data.view.m, data.view.p)));
  return out;
  END_RCPP
}

// K-fold cross-validation (csrc/glm/cross_validation.hpp): every row's fold and held-out
// prediction, and each fold's held-out deviance.
extern "C" SEXP ctxstats_cross_validate_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options, SEXP folds,
                                          SEXP seed) {
  BEGIN_RCPP
  RData data;
  load_data(C, X, y, weights, data);
  FitOptions o = options_from(options);
  o.solver_options.callback = [](int, double) { return !user_interrupted(); };
  const CrossValidation cv = cross_validate(data.view, o, Rcpp::as<int>(folds), seed_from(option_value(seed)),
                                            [](int, double) { return !user_interrupted(); });
  if (cv.interrupted) throw std::runtime_error("the cross-validation was interrupted by the user");
  Rcpp::IntegerVector fold(cv.fold_of_row.begin(), cv.fold_of_row.end());
  for (auto& f : fold) f += 1;  // R's folds count from 1
  std::vector<double> rows(cv.fold_rows.begin(), cv.fold_rows.end());
  Rcpp::LogicalVector converged(cv.fold_converged.begin(), cv.fold_converged.end());
  return Rcpp::List::create(Rcpp::Named("fold") = fold, Rcpp::Named("predicted_mean") = to_r(cv.predicted_mean),
                            Rcpp::Named("fold_deviance") = to_r(cv.fold_deviance),
                            Rcpp::Named("fold_weight") = to_r(cv.fold_weight), Rcpp::Named("fold_rows") = to_r(rows),
                            Rcpp::Named("fold_converged") = converged,
                            Rcpp::Named("fold_message") = Rcpp::wrap(cv.fold_message),
                            Rcpp::Named("deviance") = cv.deviance);
  END_RCPP
}

// The calibration test of the heterogeneity (inference/calibration.hpp) on the model's
// cross-fitted parameters: each parameter's (mean, differential) coefficients and covariance.
extern "C" SEXP ctxstats_calibration_test_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options, SEXP folds,
                                           SEXP seed, SEXP cov_type) {
  BEGIN_RCPP
  RData data;
  load_data(C, X, y, weights, data);
  FitOptions o = options_from(options);
  o.solver_options.callback = [](int, double) { return !user_interrupted(); };
  CrossValidation cv;
  const CalibrationTest t =
      calibration_test(data.view, o, Rcpp::as<int>(folds), seed_from(option_value(seed)),
                       parse_cov_type(Rcpp::as<std::string>(cov_type)), &cv,
                       [](int, double) { return !user_interrupted(); });
  if (cv.interrupted) throw std::runtime_error("the calibration test's cross-fitting was interrupted by the user");
  Rcpp::NumericMatrix coef(t.q, 2), cov(t.q, 4), theta(static_cast<int>(data.view.n), cv.q);
  for (int k = 0; k < t.q; ++k) {
    for (int j = 0; j < 2; ++j) coef(k, j) = t.coef[2 * k + j];
    for (int j = 0; j < 4; ++j) cov(k, j) = t.cov[4 * k + j];
  }
  for (std::size_t i = 0; i < data.view.n; ++i)
    for (int k = 0; k < cv.q; ++k) theta(static_cast<int>(i), k) = cv.held_out_theta[i * cv.q + k];
  Rcpp::IntegerVector fold(cv.fold_of_row.begin(), cv.fold_of_row.end());
  for (auto& f : fold) f += 1;
  return Rcpp::List::create(
      Rcpp::Named("mean_effect") = to_r(t.mean_effect), Rcpp::Named("coef") = coef, Rcpp::Named("cov") = cov,
      Rcpp::Named("identified") = Rcpp::LogicalVector(t.identified.begin(), t.identified.end()),
      Rcpp::Named("converged") = Rcpp::LogicalVector(t.converged.begin(), t.converged.end()),
      Rcpp::Named("df_resid") = t.df_resid, Rcpp::Named("use_t") = t.use_t,
      Rcpp::Named("cov_type") = cov_type_name(t.cov_type), Rcpp::Named("held_out_theta") = theta,
      Rcpp::Named("fold") = fold,
      Rcpp::Named("fold_converged") = Rcpp::LogicalVector(cv.fold_converged.begin(), cv.fold_converged.end()),
      Rcpp::Named("fold_message") = Rcpp::wrap(cv.fold_message));
  END_RCPP
}

// Models compared on the same folds (inference/cv_comparison.hpp); fold_deviance is models x folds.
extern "C" SEXP ctxstats_compare_cross_validation_R(SEXP fold_deviance, SEXP fold_weight) {
  BEGIN_RCPP
  const Rcpp::NumericMatrix D(fold_deviance);
  const CrossValidationComparison c =
      compare_cross_validation(row_major(D), Rcpp::as<std::vector<double>>(fold_weight), D.nrow());
  return Rcpp::List::create(Rcpp::Named("best") = c.best + 1, Rcpp::Named("mean_deviance") = to_r(c.mean_deviance),
                            Rcpp::Named("se") = to_r(c.se), Rcpp::Named("diff") = to_r(c.diff),
                            Rcpp::Named("diff_se") = to_r(c.diff_se));
  END_RCPP
}

extern "C" SEXP ctxstats_objective_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options, SEXP w) {
  BEGIN_RCPP
  RData data;
  load_data(C, X, y, weights, data);
  const FitOptions o = options_from(options);
  const std::vector<double> wv = to_vector(w);
  std::vector<double> grad;
  const double f = objective_value_grad(data.view, o, wv, &grad);
  return Rcpp::List::create(Rcpp::Named("value") = f, Rcpp::Named("gradient") = to_r(grad));
  END_RCPP
}

extern "C" SEXP ctxstats_predict_theta_R(SEXP options, SEXP scaling, SEXP w, SEXP C) {
  BEGIN_RCPP
  const FitOptions o = options_from(options, false);
  const Scaling s = scaling_from_r(scaling);
  const std::vector<double> wv = to_vector(w);
  const Rcpp::NumericMatrix Cm(C);
  const std::vector<double> Crow = row_major(Cm);
  const std::size_t rows = Cm.nrow();
  const std::vector<double> theta =
      predict_theta(o.encoder, s, wv, Crow.data(), rows, Cm.ncol(), o.solver_options.threads);
  return matrix_from_row_major(theta, rows, static_cast<std::size_t>(s.q()));
  END_RCPP
}

// The tests of a spline fit's smooth terms (inference/smooth_tests.hpp), as the Python
// package's _core.spline_tests, from the fit's smoothing report (Vp, H, edf, n, scale).
extern "C" SEXP ctxstats_spline_tests_R(SEXP options, SEXP scaling, SEXP weights, SEXP smoothing, SEXP m) {
  BEGIN_RCPP
  const FitOptions o = options_from(options, false);
  const Scaling s = scaling_from_r(scaling);
  require(o.encoder.type == "spline", "the model's encoder is not 'spline'");
  const auto basis = make_spline_basis(o.encoder, Rcpp::as<int>(m));
  const Rcpp::List sm(smoothing);
  SmoothingReport rep;
  rep.present = true;
  rep.Vp = row_major(Rcpp::NumericMatrix(Rcpp::as<SEXP>(sm["Vp"])));
  rep.H = row_major(Rcpp::NumericMatrix(Rcpp::as<SEXP>(sm["H"])));
  rep.edf = row_major(Rcpp::NumericMatrix(Rcpp::as<SEXP>(sm["edf"])));
  rep.edf_total = Rcpp::as<double>(sm["edf_total"]);
  rep.n = Rcpp::as<double>(sm["n"]);
  rep.scale = Rcpp::as<double>(sm["scale"]);
  const SmoothTests t = smooth_tests(rep, *basis, s, to_vector(weights), estimates_dispersion(o));
  return Rcpp::List::create(Rcpp::Named("terms") = smooth_tests_to_r(t.terms),
                            Rcpp::Named("coefficients") = smooth_tests_to_r(t.coefficients),
                            Rcpp::Named("df_resid") = t.df_resid, Rcpp::Named("estimated_scale") = t.estimated_scale);
  END_RCPP
}

// Estimates and Vp standard errors (rows x q, user units) of the whole coefficients (term < 0)
// or of one basis term (0-based) at contexts C, as the Python package's _core.spline_pointwise.
extern "C" SEXP ctxstats_spline_pointwise_R(SEXP options, SEXP scaling, SEXP weights, SEXP Vp, SEXP C, SEXP term) {
  BEGIN_RCPP
  const FitOptions o = options_from(options, false);
  const Scaling s = scaling_from_r(scaling);
  const Rcpp::NumericMatrix Cm(C);
  const std::vector<double> Crow = row_major(Cm);
  const Rcpp::NumericMatrix Vm(Vp);
  const std::vector<double> V = row_major(Vm);
  const std::size_t rows = Cm.nrow();
  const Pointwise p = spline_pointwise(o.encoder, s, to_vector(weights), V, Crow.data(), rows, Cm.ncol(),
                                       Rcpp::as<int>(term), o.solver_options.threads);
  const auto q = static_cast<std::size_t>(s.q());
  return Rcpp::List::create(Rcpp::Named("estimate") = matrix_from_row_major(p.estimate, rows, q),
                            Rcpp::Named("se") = matrix_from_row_major(p.se, rows, q));
  END_RCPP
}

// The average effects of a spline fit over contexts C and their covariance under Vp (as the
// Python package's _core.spline_average_effects).
// mgcv's k.check statistics for every context feature (inference/basis_check.hpp).
extern "C" SEXP ctxstats_basis_dimension_check_R(SEXP residuals, SEXP C, SEXP n_rep, SEXP seed) {
  BEGIN_RCPP
  const std::vector<double> r = to_vector(residuals);
  const Rcpp::NumericMatrix Cm(C);
  require(static_cast<std::size_t>(Cm.nrow()) == r.size(), "residuals must have one value per row of context");
  const std::vector<double> Crow = row_major(Cm);
  const BasisCheck b = basis_dimension_check(r.data(), Crow.data(), r.size(), Cm.ncol(), Rcpp::as<int>(n_rep),
                                             static_cast<std::uint64_t>(Rcpp::as<double>(seed)));
  return Rcpp::List::create(Rcpp::Named("k_index") = to_r(b.k_index), Rcpp::Named("p_value") = to_r(b.p_value));
  END_RCPP
}

extern "C" SEXP ctxstats_spline_average_effects_R(SEXP options, SEXP scaling, SEXP weights, SEXP Vp, SEXP C) {
  BEGIN_RCPP
  const FitOptions o = options_from(options, false);
  const Scaling s = scaling_from_r(scaling);
  const Rcpp::NumericMatrix Cm(C), Vm(Vp);
  const std::vector<double> Crow = row_major(Cm), V = row_major(Vm);
  const SplineAverageEffects a =
      spline_average_effects(o.encoder, s, to_vector(weights), V, Crow.data(), Cm.nrow(), Cm.ncol());
  const auto q = static_cast<std::size_t>(s.q());
  return Rcpp::List::create(Rcpp::Named("estimate") = to_r(a.estimate),
                            Rcpp::Named("cov") = matrix_from_row_major(a.cov, q, q));
  END_RCPP
}

extern "C" SEXP ctxstats_spline_linear_predictor_se_R(SEXP options, SEXP scaling, SEXP weights, SEXP Vp, SEXP X,
                                                     SEXP C) {
  BEGIN_RCPP
  const FitOptions o = options_from(options, false);
  const Scaling s = scaling_from_r(scaling);
  const Rcpp::NumericMatrix Xm(X), Cm(C), Vm(Vp);
  require(Xm.nrow() == Cm.nrow(), "exog and context must have the same number of rows");
  const std::vector<double> Xrow = row_major(Xm), Crow = row_major(Cm), V = row_major(Vm);
  return to_r(spline_linear_predictor_se(o.encoder, s, to_vector(weights), V, Xrow.data(), Crow.data(), Cm.nrow(),
                                         Xm.ncol(), Cm.ncol(), o.solver_options.threads));
  END_RCPP
}

extern "C" SEXP ctxstats_n_weights_R(SEXP options, SEXP m, SEXP q) {
  BEGIN_RCPP
  const FitOptions o = options_from(options);
  return Rcpp::wrap(static_cast<double>(encoder_n_weights(o.encoder, Rcpp::as<int>(m), Rcpp::as<int>(q))));
  END_RCPP
}

// What the library was compiled with: the Eigen version decides the last bits of every dense
// product, so R and Python agree bit for bit only when both use the same one.
extern "C" SEXP ctxstats_build_info_R() {
  BEGIN_RCPP
  const std::string eigen = std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
                            std::to_string(EIGEN_MINOR_VERSION);
#ifdef _OPENMP
  const int openmp = _OPENMP;
#else
  const int openmp = 0;
#endif
  return Rcpp::List::create(Rcpp::Named("eigen") = eigen, Rcpp::Named("openmp") = openmp);
  END_RCPP
}

// Bootstrap replicate fits from the full-data fit's weights `start` (csrc/glm/bootstrap.hpp); the
// same function, options and seed as the Python package's _core.bootstrap.
// groups: NULL, or one integer cluster code per row (the cluster bootstrap).
extern "C" SEXP ctxstats_bootstrap_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options, SEXP start,
                                     SEXP n_bootstraps, SEXP groups) {
  BEGIN_RCPP
  RData data;
  load_data(C, X, y, weights, data);
  const FitOptions o = options_from(options);
  const std::vector<double> start_w = to_vector(start);
  const int B = Rcpp::as<int>(n_bootstraps);
  require(B >= 1, "n_bootstraps must be at least 1");
  std::unique_ptr<Resampling> units;
  if (!Rf_isNull(groups)) units = std::make_unique<Resampling>(cluster_resampling(group_codes(groups), data.view.n));
  // Called on this (R's main) thread between rounds of replicates.
  const BootstrapResult r = bootstrap_fit(data.view, o, start_w, B,
                                          [](int, double) { return !user_interrupted(); }, units.get());
  if (r.interrupted) throw std::runtime_error("the bootstrap was interrupted by the user");
  return bootstrap_to_r(r);
  END_RCPP
}

// Every replicate's per-sample parameters for contexts C: an array of dim (rows, q, B).
extern "C" SEXP ctxstats_bootstrap_theta_R(SEXP options, SEXP scaling, SEXP W, SEXP C) {
  BEGIN_RCPP
  const FitOptions o = options_from(options, false);
  const Scaling s = scaling_from_r(scaling);
  const Rcpp::NumericMatrix Wm(W), Cm(C);
  const std::vector<double> Wrow = row_major(Wm), Crow = row_major(Cm);
  const std::size_t B = Wm.nrow(), nw = Wm.ncol(), rows = Cm.nrow(), q = static_cast<std::size_t>(s.q());
  const std::vector<double> theta =
      bootstrap_theta(o.encoder, s, Wrow.data(), B, nw, Crow.data(), rows, Cm.ncol(), o.solver_options.threads);
  // theta[(r * rows + i) * q + k] -> out[i + rows * (k + q * r)]
  Rcpp::NumericVector out(rows * q * B);
  for (std::size_t r = 0; r < B; ++r)
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t k = 0; k < q; ++k) out[i + rows * (k + q * r)] = theta[(r * rows + i) * q + k];
  out.attr("dim") = Rcpp::IntegerVector::create(static_cast<int>(rows), static_cast<int>(q), static_cast<int>(B));
  return out;
  END_RCPP
}

// The best linear projection of per-sample parameters on [1, C] (inference/linear_projection.hpp):
// of a given matrix (rows x q), of every bootstrap replicate (B x q (m+1)), and a spline fit's
// with its covariance under Vp. Coefficient major: (k, [1, c]).
extern "C" SEXP ctxstats_linear_projection_R(SEXP theta, SEXP C) {
  BEGIN_RCPP
  const Rcpp::NumericMatrix Tm(theta), Cm(C);
  require(Tm.nrow() == Cm.nrow(), "theta and the context must have the same number of rows");
  const std::vector<double> Trow = row_major(Tm), Crow = row_major(Cm);
  return to_r(linear_projection(Trow.data(), Tm.nrow(), Tm.ncol(), Crow.data(), Cm.ncol()));
  END_RCPP
}

extern "C" SEXP ctxstats_bootstrap_projections_R(SEXP options, SEXP scaling, SEXP W, SEXP C) {
  BEGIN_RCPP
  const FitOptions o = options_from(options, false);
  const Scaling s = scaling_from_r(scaling);
  const Rcpp::NumericMatrix Wm(W), Cm(C);
  const std::vector<double> Wrow = row_major(Wm), Crow = row_major(Cm);
  const std::vector<double> p = bootstrap_projections(o.encoder, s, Wrow.data(), Wm.nrow(), Wm.ncol(), Crow.data(),
                                                      Cm.nrow(), Cm.ncol(), o.solver_options.threads);
  return matrix_from_row_major(p, static_cast<std::size_t>(Wm.nrow()), p.size() / std::max<std::size_t>(Wm.nrow(), 1));
  END_RCPP
}

extern "C" SEXP ctxstats_spline_projection_R(SEXP options, SEXP scaling, SEXP weights, SEXP Vp, SEXP C) {
  BEGIN_RCPP
  const FitOptions o = options_from(options, false);
  const Scaling s = scaling_from_r(scaling);
  const Rcpp::NumericMatrix Cm(C), Vm(Vp);
  const std::vector<double> Crow = row_major(Cm), V = row_major(Vm);
  const SplineProjection p = spline_projection(o.encoder, s, to_vector(weights), V, Crow.data(), Cm.nrow(), Cm.ncol());
  return Rcpp::List::create(Rcpp::Named("estimate") = to_r(p.estimate),
                            Rcpp::Named("cov") = matrix_from_row_major(p.cov, p.estimate.size(), p.estimate.size()));
  END_RCPP
}

// Personalized regression with distance matching (csrc/personalized/personalized.hpp).
extern "C" SEXP ctxstats_personalized_fit_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options) {
  BEGIN_RCPP
  RData data;
  load_data(C, X, y, weights, data);
  PersonalizedOptions o = personalized_options_from(option_map(options));
  o.callback = [](int, double) { return !user_interrupted(); };
  const PersonalizedFit r = fit_personalized(data.view, o, nullptr);
  if (r.interrupted) throw std::runtime_error("the fit was interrupted by the user");
  const std::size_t q = r.theta_bar.size();
  Rcpp::List out = Rcpp::List::create(
      Rcpp::Named("theta") = matrix_from_row_major(r.theta, data.view.n, q),
      Rcpp::Named("theta_bar") = to_r(r.theta_bar), Rcpp::Named("theta_pop") = to_r(r.theta_pop),
      Rcpp::Named("Q") = matrix_from_row_major(r.Q, static_cast<std::size_t>(r.rank), q),
      Rcpp::Named("phi") = to_r(r.phi), Rcpp::Named("dist_scale") = to_r(r.dist_scale),
      Rcpp::Named("validation") = Rcpp::LogicalVector(r.role.begin(), r.role.end()),
      Rcpp::Named("params") = to_r(r.params), Rcpp::Named("scaling") = scaling_to_r(r.scaling),
      Rcpp::Named("history") = to_r(r.history), Rcpp::Named("val_history") = to_r(r.val_history),
      Rcpp::Named("n_iter") = r.n_iter, Rcpp::Named("best_epoch") = r.best_epoch,
      Rcpp::Named("converged") = r.converged, Rcpp::Named("population_converged") = r.population_converged,
      Rcpp::Named("objective") = r.objective, Rcpp::Named("message") = r.message);
  // Rcpp::List::create takes at most 20 entries.
  out["theta_latent"] = matrix_from_row_major(r.theta_latent, data.view.n, q);
  out["local_neighbors"] = r.local_neighbors;
  out["phi_matching"] = to_r(r.phi_matching);
  out["local_grid"] = to_r(r.local_grid);
  out["local_loss"] = to_r(r.local_loss);
  out["rank"] = r.rank;
  out["rank_grid"] = to_r(r.rank_grid);
  out["rank_loss"] = to_r(r.rank_loss);
  out["rank_se"] = to_r(r.rank_se);
  out["held_out_loss"] = r.held_out_loss;
  out["held_out_se"] = r.held_out_se;
  out["smoothing_bias"] = matrix_from_row_major(r.smoothing_bias, r.smoothing_bias.empty() ? 0 : data.view.n, q);
  out["shrink_target"] = r.shrink_target;
  out["shrinkage"] = r.shrinkage;
  out["shrink_grid"] = to_r(r.shrink_grid);
  out["shrink_loss"] = to_r(r.shrink_loss);
  out["shrink_linear"] = Rcpp::LogicalVector(r.shrink_linear.begin(), r.shrink_linear.end());
  out["target_map"] = matrix_from_row_major(r.target_map, r.target_map.size() / (q + 2), q + 2);
  return out;
  END_RCPP
}

namespace {
Rcpp::List modes_to_r(const ModeSplit& s) {
  return Rcpp::List::create(Rcpp::Named("multimodal") = Rcpp::LogicalVector(s.multimodal.begin(), s.multimodal.end()),
                            Rcpp::Named("separation") = to_r(s.separation),
                            Rcpp::Named("low_centre") = to_r(s.low_centre),
                            Rcpp::Named("high_centre") = to_r(s.high_centre),
                            Rcpp::Named("low_count") = to_r(s.low_count),
                            Rcpp::Named("high_count") = to_r(s.high_count));
}
}  // namespace

// The core's bootstrap of personalized regression (personalized_bootstrap): theta as a
// q x n x B array (the front end permutes it), phi and means B x m and B x q.
extern "C" SEXP ctxstats_personalized_bootstrap_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options, SEXP B,
                                                  SEXP param_names, SEXP context_names) {
  BEGIN_RCPP
  RData data;
  load_data(C, X, y, weights, data);
  PersonalizedOptions o = personalized_options_from(option_map(options));
  o.callback = [](int, double) { return !user_interrupted(); };
  const PersonalizedBootstrap r =
      personalized_bootstrap(data.view, o, static_cast<std::size_t>(int_option("n_bootstraps", option_value(B))));
  if (r.interrupted) throw std::runtime_error("the bootstrap was interrupted by the user");
  Rcpp::NumericVector theta(r.theta.begin(), r.theta.end());
  theta.attr("dim") = Rcpp::IntegerVector::create(r.q, static_cast<int>(r.n), static_cast<int>(r.B));
  return Rcpp::List::create(
      Rcpp::Named("theta") = theta, Rcpp::Named("phi") = matrix_from_row_major(r.phi, r.B, r.m),
      Rcpp::Named("means") = matrix_from_row_major(r.means, r.B, r.q), Rcpp::Named("rank") = to_r(r.rank),
      Rcpp::Named("converged") = Rcpp::LogicalVector(r.converged.begin(), r.converged.end()),
      Rcpp::Named("messages") = Rcpp::CharacterVector(r.messages.begin(), r.messages.end()),
      Rcpp::Named("effect_modes") = modes_to_r(r.effect_modes), Rcpp::Named("metric_modes") = modes_to_r(r.metric_modes),
      Rcpp::Named("modes_message") = personalized_modes_message(
          r, Rcpp::as<std::vector<std::string>>(param_names), Rcpp::as<std::vector<std::string>>(context_names)));
  END_RCPP
}

// Percentile intervals centred on the estimate (inference/bootstrap_modes.hpp); samples is
// B x k.
extern "C" SEXP ctxstats_centred_intervals_R(SEXP estimate, SEXP samples, SEXP alpha, SEXP lo_bound, SEXP hi_bound,
                                             SEXP bias) {
  BEGIN_RCPP
  const Rcpp::NumericMatrix S(samples);
  const std::vector<double> est = to_vector(estimate), s = row_major(S);
  require(est.size() == static_cast<std::size_t>(S.ncol()), "estimate must have one entry per column of samples");
  const std::vector<double> b = Rf_isNull(bias) ? std::vector<double>() : to_vector(bias);
  require(b.empty() || b.size() == est.size(), "bias must have one entry per column of samples");
  const CentredIntervals r = centred_intervals(est.data(), s.data(), S.nrow(), S.ncol(), Rcpp::as<double>(alpha),
                                               Rcpp::as<double>(lo_bound), Rcpp::as<double>(hi_bound),
                                               b.empty() ? nullptr : b.data());
  return Rcpp::List::create(Rcpp::Named("se") = to_r(r.se), Rcpp::Named("lower") = to_r(r.lower),
                            Rcpp::Named("upper") = to_r(r.upper));
  END_RCPP
}

extern "C" SEXP ctxstats_personalized_predict_R(SEXP C_new, SEXP C_train, SEXP theta_train, SEXP phi,
                                                SEXP dist_scale, SEXP categorical, SEXP n_neighbors, SEXP threads,
                                                SEXP target_map) {
  BEGIN_RCPP
  const Rcpp::NumericMatrix Cn(C_new), Ct(C_train), Tt(theta_train);
  require(Tt.nrow() == Ct.nrow(), "theta_train must have one row per training context");
  require(Cn.ncol() == Ct.ncol(), "context has " + std::to_string(Cn.ncol()) + " columns; the model was fitted with " +
                                      std::to_string(Ct.ncol()));
  const std::vector<double> cn = row_major(Cn), ct = row_major(Ct), tt = row_major(Tt);
  std::vector<double> tmap;
  if (!Rf_isNull(target_map)) {
    const Rcpp::NumericMatrix Tm(target_map);
    require(Tm.nrow() == 0 || Tm.ncol() == Tt.ncol() + 2,
            "target_map must be a matrix of 2 + q = " + std::to_string(Tt.ncol() + 2) + " columns");
    tmap = row_major(Tm);
  }
  const std::vector<double> out = personalized_predict(
      cn.data(), Cn.nrow(), ct.data(), Ct.nrow(), Ct.ncol(), tt.data(), Tt.ncol(), to_vector(phi),
      to_vector(dist_scale), Rcpp::as<std::vector<int>>(categorical),
      int_option("n_neighbors", option_value(n_neighbors)), int_option("threads", option_value(threads)), &tmap);
  return matrix_from_row_major(out, Cn.nrow(), Tt.ncol());
  END_RCPP
}

// The multinomial counts of personalized-regression bootstrap replicate `replicate`.
extern "C" SEXP ctxstats_personalized_bootstrap_counts_R(SEXP n, SEXP seed, SEXP replicate) {
  BEGIN_RCPP
  const std::uint64_t sd = seed_from(option_value(seed)), rep = seed_from(option_value(replicate), "replicate");
  return to_r(personalized_bootstrap_counts(static_cast<std::size_t>(Rcpp::as<double>(n)), sd, rep));
  END_RCPP
}

// One sentence on how a bootstrap's replicates started and stopped (csrc/glm/bootstrap.hpp), as
// the Python package's _core.bootstrap_rule_note.
extern "C" SEXP ctxstats_bootstrap_rule_note_R(SEXP rule) {
  BEGIN_RCPP
  return Rcpp::wrap(bootstrap_rule_note(Rcpp::as<std::string>(rule)));
  END_RCPP
}

// The warning for bootstrap replicates that did not converge ("" when none): the core's text
// (csrc/common/convergence.hpp), as the Python package's _core.bootstrap_convergence_message.
extern "C" SEXP ctxstats_bootstrap_convergence_message_R(SEXP unconverged, SEXP total, SEXP first_message) {
  BEGIN_RCPP
  return Rcpp::wrap(bootstrap_convergence_message(static_cast<std::size_t>(Rcpp::as<double>(unconverged)),
                                                  static_cast<std::size_t>(Rcpp::as<double>(total)),
                                                  Rcpp::as<std::string>(first_message)));
  END_RCPP
}

// The identifiability report (csrc/inference/identifiability_report.hpp), as the Python
// package's _core.identifiability_report: the check table and a note per failed check.
extern "C" SEXP ctxstats_identifiability_report_R(SEXP C, SEXP X, SEXP scaling, SEXP options, SEXP names,
                                                  SEXP weights, SEXP sign_flips, SEXP sign_determined) {
  BEGIN_RCPP
  const Rcpp::NumericMatrix Cm(C), Xm(X);
  require(Cm.nrow() == Xm.nrow(), "context and exog have different numbers of rows");
  const Scaling s = scaling_from_r(scaling);
  const FitOptions o = options_from(options, false);
  const Rcpp::List nm(names);
  IdentifiabilityInput in;
  in.param_names = Rcpp::as<std::vector<std::string>>(nm["param"]);
  in.exog_names = Rcpp::as<std::vector<std::string>>(nm["exog"]);
  in.context_names = Rcpp::as<std::vector<std::string>>(nm["context"]);
  if (!Rf_isNull(weights)) in.weights = to_vector(weights);
  if (!Rf_isNull(sign_flips)) in.sign_flip_share = to_vector(sign_flips);
  if (!Rf_isNull(sign_determined)) in.sign_determined = Rcpp::as<std::vector<int>>(sign_determined);
  const int nthreads = o.solver_options.threads;
  require(nthreads >= 0, "threads must be >= 0");
  in.threads = resolve_threads(nthreads);
  const std::vector<double> Crow = row_major(Cm), Xrow = row_major(Xm);
  DataView d;
  d.n = Cm.nrow();
  d.m = Cm.ncol();
  d.p = Xm.ncol();
  d.C = Crow.data();
  d.X = Xrow.data();
  const IdentifiabilityReport r = identifiability_report(d, s, o.encoder, in);
  std::vector<std::string> check;
  std::vector<double> value, threshold;
  std::vector<int> passed;
  for (const auto& c : r.checks) {
    check.push_back(c.check);
    value.push_back(c.value);
    threshold.push_back(c.threshold);
    passed.push_back(c.passed);
  }
  std::vector<std::string> design, kind, column;
  Rcpp::List with(r.findings.size());
  for (std::size_t k = 0; k < r.findings.size(); ++k) {
    design.push_back(r.findings[k].design);
    kind.push_back(r.findings[k].kind);
    column.push_back(r.findings[k].column);
    with[k] = Rcpp::CharacterVector(r.findings[k].with.begin(), r.findings[k].with.end());
  }
  return Rcpp::List::create(
      Rcpp::Named("findings") = Rcpp::List::create(Rcpp::Named("design") = design, Rcpp::Named("kind") = kind,
                                                   Rcpp::Named("column") = column, Rcpp::Named("with") = with),
      Rcpp::Named("checks") = Rcpp::DataFrame::create(Rcpp::Named("check") = check, Rcpp::Named("value") = value,
                                                      Rcpp::Named("threshold") = threshold,
                                                      Rcpp::Named("passed") = Rcpp::LogicalVector(passed.begin(), passed.end()),
                                                      Rcpp::Named("stringsAsFactors") = false),
      Rcpp::Named("notes") = r.notes, Rcpp::Named("representation_dim") = r.representation_dim);
  END_RCPP
}

// A spline fit's concurvity, ranks and warnings (csrc/inference/identifiability_report.hpp), as
// the Python package's _core.spline_identifiability; terms: offsets and sizes (0-based) and
// labels of the smooth and tensor terms.
extern "C" SEXP ctxstats_spline_identifiability_R(SEXP smoothing, SEXP offsets, SEXP sizes, SEXP labels,
                                                  SEXP basis_size, SEXP weights) {
  BEGIN_RCPP
  const Rcpp::List sm(smoothing);
  SmoothingReport rep;
  rep.gram = row_major(Rcpp::NumericMatrix(Rcpp::as<SEXP>(sm["gram"])));
  rep.H = row_major(Rcpp::NumericMatrix(Rcpp::as<SEXP>(sm["H"])));
  rep.Vp = row_major(Rcpp::NumericMatrix(Rcpp::as<SEXP>(sm["Vp"])));
  rep.edf_total = Rcpp::as<double>(sm["edf_total"]);
  rep.n = Rcpp::as<double>(sm["n"]);
  const Rcpp::IntegerVector off(offsets), size(sizes);
  const Rcpp::CharacterVector lab(labels);
  require(off.size() == size.size() && off.size() == lab.size(), "offsets, sizes and labels must have equal lengths");
  std::vector<SplineTermBlock> blocks;
  for (R_xlen_t k = 0; k < off.size(); ++k) blocks.push_back({off[k], size[k], Rcpp::as<std::string>(lab[k])});
  const SplineIdentifiability r = spline_identifiability(rep, blocks, Rcpp::as<int>(basis_size), to_vector(weights));
  return Rcpp::List::create(
      Rcpp::Named("basis_size") = r.basis_size, Rcpp::Named("basis_rank") = r.basis_rank,
      Rcpp::Named("design_size") = r.design_size, Rcpp::Named("design_rank") = r.design_rank,
      Rcpp::Named("condition_number") = r.condition_number, Rcpp::Named("rank_deficient") = r.rank_deficient,
      Rcpp::Named("worst") = to_r(r.worst), Rcpp::Named("observed") = to_r(r.observed),
      Rcpp::Named("warnings") = r.warnings);
  END_RCPP
}

// ---- inference (csrc/inference/): the same core functions as the Python package's -------------

namespace {

std::vector<double> row_major_of(SEXP M, const char* name) {
  require(Rf_isMatrix(M), std::string(name) + " must be a matrix");
  return row_major(Rcpp::NumericMatrix(M));
}

std::vector<double> square_of(SEXP cov) {
  const Rcpp::NumericMatrix V(cov);
  require(V.nrow() == V.ncol(), "cov must be a square matrix");
  return row_major(V);
}

}  // namespace

// Shared with the other glue files (glue_convert.h).
Rcpp::List percentile_summary_to_r(const PercentileSummary& s) {
  return Rcpp::List::create(Rcpp::Named("se") = to_r(s.se), Rcpp::Named("lower") = to_r(s.lower),
                            Rcpp::Named("upper") = to_r(s.upper), Rcpp::Named("pvalue") = to_r(s.pvalue),
                            Rcpp::Named("pvalue_floor") = s.pvalue_floor);
}

// The linear encoder's weights in the user's units: U (q x (m+1)) for a weight vector, or
// one row vec(U) per replicate for a matrix of replicate weights.
extern "C" SEXP ctxstats_interaction_coefficients_R(SEXP scaling, SEXP m, SEXP weights) {
  BEGIN_RCPP
  const Scaling s = scaling_from_r(scaling);
  const int mm = Rcpp::as<int>(m), q = s.q();
  if (!Rf_isMatrix(weights)) {
    const std::vector<double> w = to_vector(weights);
    return matrix_from_row_major(interaction_coefficients(s, mm, w.data(), 1, w.size()), q, mm + 1);
  }
  const Rcpp::NumericMatrix W(weights);
  const std::vector<double> Wrow = row_major(W);
  return matrix_from_row_major(interaction_coefficients(s, mm, Wrow.data(), W.nrow(), W.ncol()), W.nrow(),
                               static_cast<std::size_t>(q) * (mm + 1));
  END_RCPP
}

extern "C" SEXP ctxstats_linear_covariance_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP family, SEXP intercept,
                                             SEXP params, SEXP cov_type, SEXP threads, SEXP groups, SEXP quasi) {
  BEGIN_RCPP
  RData data;
  load_data(C, X, y, weights, data);
  const int nthreads = Rcpp::as<int>(threads);
  require(nthreads >= 0, "threads must be >= 0");
  const std::vector<long long> codes = group_codes(groups);
  const LinearCovariance lc =
      linear_covariance(data.view, parse_family(Rcpp::as<std::string>(family)), Rcpp::as<bool>(intercept),
                        to_vector(params), parse_cov_type(Rcpp::as<std::string>(cov_type)), nthreads,
                        Rf_isNull(groups) ? nullptr : &codes, Rcpp::as<bool>(quasi));
  return Rcpp::List::create(Rcpp::Named("cov") = matrix_from_row_major(lc.cov, lc.D, lc.D),
                            Rcpp::Named("cov_type") = cov_type_name(lc.cov_type), Rcpp::Named("scale") = lc.scale,
                            Rcpp::Named("nobs") = static_cast<double>(lc.nobs), Rcpp::Named("rank") = lc.rank,
                            Rcpp::Named("df_resid") = lc.df_resid, Rcpp::Named("use_t") = lc.use_t,
                            Rcpp::Named("use_f") = lc.use_f, Rcpp::Named("df_denom") = lc.df_denom,
                            Rcpp::Named("n_groups") = static_cast<double>(lc.n_groups));
  END_RCPP
}

extern "C" SEXP ctxstats_average_effect_covariance_R(SEXP cov, SEXP C, SEXP q) {
  BEGIN_RCPP
  const Rcpp::NumericMatrix Cm(C);
  const std::vector<double> Crow = row_major(Cm);
  const int qq = Rcpp::as<int>(q);
  return matrix_from_row_major(average_effect_covariance(square_of(cov), qq, Crow.data(), Cm.nrow(), Cm.ncol()),
                               qq, qq);
  END_RCPP
}

// Wald heterogeneity tests: rows (statistic, df, df_denom), by coefficient or by context.
extern "C" SEXP ctxstats_heterogeneity_wald_R(SEXP params, SEXP cov, SEXP q, SEXP m, SEXP by, SEXP use_f,
                                              SEXP df_resid) {
  BEGIN_RCPP
  const std::string b = Rcpp::as<std::string>(by);
  require(b == "coefficient" || b == "context", "by must be 'coefficient' or 'context', not '" + b + "'");
  const auto tests = wald_tests(to_vector(params), square_of(cov),
                                heterogeneity_restrictions(Rcpp::as<int>(q), Rcpp::as<int>(m), b == "context"),
                                Rcpp::as<bool>(use_f), Rcpp::as<double>(df_resid));
  std::vector<double> out;
  for (const WaldTest& t : tests) out.insert(out.end(), {t.statistic, t.df, t.df_denom});
  return matrix_from_row_major(out, tests.size(), 3);
  END_RCPP
}

extern "C" SEXP ctxstats_sample_param_se_R(SEXP cov, SEXP C, SEXP q) {
  BEGIN_RCPP
  const Rcpp::NumericMatrix Cm(C);
  const std::vector<double> Crow = row_major(Cm);
  const int qq = Rcpp::as<int>(q);
  return matrix_from_row_major(sample_param_se(square_of(cov), qq, Crow.data(), Cm.nrow(), Cm.ncol()), Cm.nrow(), qq);
  END_RCPP
}

// Standard errors of the linear predictor z' b at rows (X, C): sqrt(z' V z), V the
// covariance of the interaction coefficients (linear encoder).
extern "C" SEXP ctxstats_linear_predictor_se_R(SEXP cov, SEXP X, SEXP C, SEXP intercept) {
  BEGIN_RCPP
  const Rcpp::NumericMatrix Xm(X), Cm(C);
  require(Xm.nrow() == Cm.nrow(), "exog and context have different numbers of rows");
  const std::vector<double> Xrow = row_major(Xm), Crow = row_major(Cm);
  return to_r(linear_predictor_se(square_of(cov), Xrow.data(), Xm.ncol(), Crow.data(), Cm.ncol(),
                                  static_cast<std::size_t>(Cm.nrow()), Rcpp::as<bool>(intercept)));
  END_RCPP
}

// Predicted means, standard errors and intervals from eta and its standard error (see
// csrc/inference/prediction_intervals.hpp); scale NA: no observation interval.
extern "C" SEXP ctxstats_prediction_intervals_R(SEXP family, SEXP eta, SEXP se_eta, SEXP crit, SEXP scale,
                                                SEXP link_scale) {
  BEGIN_RCPP
  const std::vector<double> e = to_vector(eta), s = to_vector(se_eta);
  require(e.size() == s.size(), "eta and se_eta must have one length");
  const double sc = Rcpp::as<double>(scale);
  const PredictionIntervals p = prediction_intervals(parse_family(Rcpp::as<std::string>(family)), e.data(), s.data(),
                                                     e.size(), Rcpp::as<double>(crit), sc,
                                                     Rcpp::as<bool>(link_scale));
  Rcpp::List out = Rcpp::List::create(Rcpp::Named("mean") = to_r(p.mean), Rcpp::Named("se_mean") = to_r(p.se_mean),
                                      Rcpp::Named("lower") = to_r(p.lower), Rcpp::Named("upper") = to_r(p.upper));
  if (!p.obs_lower.empty()) {
    out["obs_lower"] = to_r(p.obs_lower);
    out["obs_upper"] = to_r(p.obs_upper);
  }
  return out;
  END_RCPP
}

// Per column of `values`: mean (the average effects of per-sample parameters), std (ddof 0),
// min, quartiles, max (as the Python package's _core.column_spread).
extern "C" SEXP ctxstats_column_spread_R(SEXP values) {
  BEGIN_RCPP
  const std::vector<double> V = row_major_of(values, "values");
  const Rcpp::NumericMatrix Vm(values);
  const ColumnSpread s = column_spread(V.data(), Vm.nrow(), Vm.ncol());
  return Rcpp::List::create(Rcpp::Named("mean") = to_r(s.mean), Rcpp::Named("std") = to_r(s.std),
                            Rcpp::Named("min") = to_r(s.min), Rcpp::Named("25%") = to_r(s.q25),
                            Rcpp::Named("50%") = to_r(s.median), Rcpp::Named("75%") = to_r(s.q75),
                            Rcpp::Named("max") = to_r(s.max));
  END_RCPP
}

// Standard errors, percentile limits and percentile p-values of each column of `samples`.
extern "C" SEXP ctxstats_percentile_summary_R(SEXP samples, SEXP alpha) {
  BEGIN_RCPP
  const std::vector<double> S = row_major_of(samples, "samples");
  const Rcpp::NumericMatrix Sm(samples);
  return percentile_summary_to_r(percentile_summary(S.data(), Sm.nrow(), Sm.ncol(), Rcpp::as<double>(alpha)));
  END_RCPP
}

extern "C" SEXP ctxstats_replicate_covariance_R(SEXP samples) {
  BEGIN_RCPP
  const std::vector<double> S = row_major_of(samples, "samples");
  const Rcpp::NumericMatrix Sm(samples);
  return matrix_from_row_major(replicate_covariance(S.data(), Sm.nrow(), Sm.ncol()), Sm.ncol(), Sm.ncol());
  END_RCPP
}

namespace {

// What a bootstrap summary reads: the options, the scaling, and row-major copies of the
// replicate weights (B x n_weights) and of the contexts (rows x m).
struct RReplicates {
  FitOptions options;
  Scaling scaling;
  std::size_t B, n_weights, rows;
  int m;
  std::vector<double> W, C;
};

RReplicates replicates_from_r(SEXP options, SEXP scaling, SEXP W, SEXP C) {
  const Rcpp::NumericMatrix Wm(W), Cm(C);
  return {options_from(options, false), scaling_from_r(scaling), static_cast<std::size_t>(Wm.nrow()),
          static_cast<std::size_t>(Wm.ncol()), static_cast<std::size_t>(Cm.nrow()), Cm.ncol(), row_major(Wm),
          row_major(Cm)};
}

}  // namespace

// The replicates' average effects, sign-flip shares and bootstrap heterogeneity test.
extern "C" SEXP ctxstats_bootstrap_pass_R(SEXP options, SEXP scaling, SEXP W, SEXP C, SEXP theta) {
  BEGIN_RCPP
  const RReplicates r = replicates_from_r(options, scaling, W, C);
  const Rcpp::NumericMatrix Tm(theta);
  require(static_cast<std::size_t>(Tm.nrow()) == r.rows && Tm.ncol() == r.scaling.q(),
          "theta must hold the fit's parameters for every row of context (rows x q)");
  const std::vector<double> Trow = row_major(Tm);
  const BootstrapPass p = bootstrap_pass(r.options.encoder, r.scaling, r.W.data(), r.B, r.n_weights, r.C.data(),
                                         r.rows, r.m, Trow.data(), r.options.solver_options.threads);
  return Rcpp::List::create(Rcpp::Named("means") = matrix_from_row_major(p.means, p.B, p.q),
                            Rcpp::Named("sign_flip_share") = to_r(p.sign_flip_share),
                            Rcpp::Named("het_statistic") = to_r(p.het_statistic),
                            Rcpp::Named("het_pvalue") = to_r(p.het_pvalue));
  END_RCPP
}

// Every replicate's predicted mean at rows (X, C): B x rows.
extern "C" SEXP ctxstats_bootstrap_predictions_R(SEXP options, SEXP scaling, SEXP W, SEXP X, SEXP C) {
  BEGIN_RCPP
  const RReplicates r = replicates_from_r(options, scaling, W, C);
  const Rcpp::NumericMatrix Xm(X);
  require(static_cast<std::size_t>(Xm.nrow()) == r.rows, "exog and context have different numbers of rows");
  const std::vector<double> Xrow = row_major(Xm);
  const std::vector<double> mus =
      bootstrap_predictions(r.options.encoder, r.scaling, parse_family(r.options.family), r.W.data(), r.B, r.n_weights, Xrow.data(),
                            Xm.ncol(), r.C.data(), r.rows, r.m, r.options.solver_options.threads);
  return matrix_from_row_major(mus, r.B, r.rows);
  END_RCPP
}

// Per-sample percentile limits: a list of lower and upper (rows x q).
extern "C" SEXP ctxstats_bootstrap_sample_limits_R(SEXP options, SEXP scaling, SEXP W, SEXP C, SEXP alpha) {
  BEGIN_RCPP
  const RReplicates r = replicates_from_r(options, scaling, W, C);
  const SampleLimits l = bootstrap_sample_limits(r.options.encoder, r.scaling, r.W.data(), r.B, r.n_weights,
                                                 r.C.data(), r.rows, r.m, Rcpp::as<double>(alpha),
                                                 r.options.solver_options.threads);
  const std::size_t q = static_cast<std::size_t>(r.scaling.q());
  return Rcpp::List::create(Rcpp::Named("lower") = matrix_from_row_major(l.lower, r.rows, q),
                            Rcpp::Named("upper") = matrix_from_row_major(l.upper, r.rows, q));
  END_RCPP
}

// The option schema (csrc/options/schema.hpp) as a list of options, each a named list: the
// R package takes its defaults and documentation from it (ctx_option_schema()).
extern "C" SEXP ctxstats_option_schema_R() {
  BEGIN_RCPP
  const auto strings = [](const std::vector<std::string>& xs) { return Rcpp::CharacterVector(xs.begin(), xs.end()); };
  Rcpp::List out;
  for (const OptionSpec& s : option_schema()) {
    Rcpp::List by;
    for (const auto& kv : s.default_for) by[kv.first] = to_r(kv.second);
    Rcpp::List aliases;
    for (const auto& kv : s.aliases) aliases[kv.first] = kv.second;
    Rcpp::List row = Rcpp::List::create(
        Rcpp::Named("name") = s.name, Rcpp::Named("type") = option_type_name(s.type), Rcpp::Named("group") = s.group,
        Rcpp::Named("default") = to_r(s.default_value), Rcpp::Named("default_for") = by,
        Rcpp::Named("low") = s.has_low ? Rcpp::wrap(s.low) : R_NilValue,
        Rcpp::Named("high") = s.has_high ? Rcpp::wrap(s.high) : R_NilValue, Rcpp::Named("low_open") = s.low_open,
        Rcpp::Named("high_open") = s.high_open, Rcpp::Named("choices") = strings(s.choices),
        Rcpp::Named("aliases") = aliases, Rcpp::Named("models") = strings(s.models),
        Rcpp::Named("encoders") = strings(s.encoders), Rcpp::Named("solvers") = strings(s.solvers),
        Rcpp::Named("families") = strings(s.families), Rcpp::Named("internal") = s.internal,
        Rcpp::Named("doc") = s.doc);
    out[s.name] = row;
  }
  return out;
  END_RCPP
}

// The one option parser: checks the options of `model` ("glm" or "personalized") and returns
// every option that applies, defaults filled (as the Python package's _core.resolve_options).
extern "C" SEXP ctxstats_resolve_options_R(SEXP model, SEXP options, SEXP solver_known) {
  BEGIN_RCPP
  return to_r(resolve_options(Rcpp::as<std::string>(model), option_map(options), Rcpp::as<bool>(solver_known)));
  END_RCPP
}

// ---- the fitted model (model/fitted_model.hpp) -------------------------------------------

// An external pointer to the model a fit's raw vector holds (with a finalizer).
extern "C" SEXP ctxstats_model_pointer_R(SEXP raw) {
  BEGIN_RCPP
  auto* md = new FittedModel(model_of_raw(raw));
  SEXP ptr = PROTECT(R_MakeExternalPtr(md, R_NilValue, R_NilValue));
  R_RegisterCFinalizerEx(ptr, finalize_model, TRUE);
  UNPROTECT(1);
  return ptr;
  END_RCPP
}

// `ptr` from ctxstats_model_pointer_R; after an R session was saved and restored it points
// nowhere, and the model is read again from the fit's raw vector.
extern "C" SEXP ctxstats_model_predict_R(SEXP ptr, SEXP raw, SEXP C) {
  BEGIN_RCPP
  FittedModel reread;
  const bool live = TYPEOF(ptr) == EXTPTRSXP && R_ExternalPtrAddr(ptr) != nullptr;
  if (!live) reread = model_of_raw(raw);
  const FittedModel& md = live ? model_of_pointer(ptr) : reread;
  const Rcpp::NumericMatrix Cm(C);
  const std::vector<double> Crow = row_major(Cm);
  const std::size_t rows = Cm.nrow();
  const std::vector<double> theta =
      predict_theta(md, Crow.data(), rows, Cm.ncol(), md.fit_options.solver_options.threads);
  return matrix_from_row_major(theta, rows, static_cast<std::size_t>(md.q()));
  END_RCPP
}

// Writes the fit's model (with its replicates, attached by ctx_glm) with what R knows: names,
// the training data (list(C, X, y, weights or NULL)) and annotations (a named character vector).
namespace {

// A model file's annotations (meta/<key>) from a named character vector (NULL: none), and back.
std::vector<std::pair<std::string, std::string>> meta_from_r(SEXP meta) {
  std::vector<std::pair<std::string, std::string>> out;
  if (Rf_isNull(meta)) return out;
  const Rcpp::CharacterVector mv(meta);
  const Rcpp::CharacterVector keys = mv.names();
  for (R_xlen_t k = 0; k < mv.size(); ++k) out.emplace_back(Rcpp::as<std::string>(keys[k]), Rcpp::as<std::string>(mv[k]));
  return out;
}

Rcpp::CharacterVector meta_to_r(const std::vector<std::pair<std::string, std::string>>& meta) {
  Rcpp::CharacterVector out;
  std::vector<std::string> keys;
  for (const auto& kv : meta) {
    out.push_back(kv.second);
    keys.push_back(kv.first);
  }
  out.attr("names") = keys;
  return out;
}

}  // namespace

extern "C" SEXP ctxstats_model_save_R(SEXP raw, SEXP path, SEXP names, SEXP data, SEXP meta) {
  BEGIN_RCPP
  FittedModel md = model_of_raw(raw);
  const Rcpp::List nm(names);
  md.param_names = Rcpp::as<std::vector<std::string>>(nm["params"]);
  md.context_names = Rcpp::as<std::vector<std::string>>(nm["context"]);
  md.response_name = Rcpp::as<std::string>(nm["response"]);
  if (!Rf_isNull(data)) {
    const Rcpp::List d(data);
    RData rd;
    load_data(d["C"], d["X"], d["y"], d["weights"], rd);
    require(rd.view.m == md.m && rd.view.p == md.p, "the training data do not match the model's columns");
    md.data.n = rd.view.n;
    md.data.C = rd.C;
    md.data.X = rd.X;
    md.data.y.assign(rd.y.begin(), rd.y.end());
    if (!Rf_isNull(d["weights"])) md.data.weights.assign(rd.weights.begin(), rd.weights.end());
  }
  md.meta = meta_from_r(meta);
  validate_fitted_model(md);
  save_fitted_model(md, Rcpp::as<std::string>(path));
  return R_NilValue;
  END_RCPP
}

// Everything a model file holds, for ctx_load: options, the fit's report (as ctxstats_fit_R
// returns it, with the model's raw bytes), replicates, names, data and annotations.
extern "C" SEXP ctxstats_model_load_R(SEXP path) {
  BEGIN_RCPP
  const FittedModel md = load_fitted_model(Rcpp::as<std::string>(path));
  Rcpp::List report = fit_report_to_r(md.fit, md.m);
  FittedModel bare = md;  // the model as a fit holds it: its replicates, no data or annotations
  bare.data = TrainingData();
  bare.meta.clear();
  report["model"] = raw_of(to_model_file(bare));
  Rcpp::List out;
  out["options"] = to_r(md.options);
  out["report"] = report;
  out["bootstrap"] = md.bootstrap.n_replicates > 0 ? Rcpp::RObject(bootstrap_to_r(md.bootstrap)) : Rcpp::RObject(R_NilValue);
  out["names"] = Rcpp::List::create(Rcpp::Named("params") = md.param_names, Rcpp::Named("context") = md.context_names,
                                    Rcpp::Named("response") = md.response_name);
  if (md.data.n > 0) {
    out["data"] = Rcpp::List::create(
        Rcpp::Named("C") = matrix_from_row_major(md.data.C, md.data.n, static_cast<std::size_t>(md.m)),
        Rcpp::Named("X") = matrix_from_row_major(md.data.X, md.data.n, static_cast<std::size_t>(md.p)),
        Rcpp::Named("y") = to_r(md.data.y),
        Rcpp::Named("weights") = md.data.weights.empty() ? Rcpp::RObject(R_NilValue) : Rcpp::RObject(to_r(md.data.weights)));
  } else {
    out["data"] = R_NilValue;
  }
  out["meta"] = meta_to_r(md.meta);
  return out;
  END_RCPP
}

// The covariance a fit reports (inference/cov_type.hpp): NULL when it has no standard errors.
extern "C" SEXP ctxstats_resolve_cov_type_R(SEXP cov_type, SEXP options, SEXP n_bootstraps) {
  BEGIN_RCPP
  const std::string c = resolve_cov_type(option_value(cov_type), options_from(options, false),
                                         static_cast<long long>(Rcpp::as<double>(n_bootstraps)));
  if (c.empty()) return R_NilValue;
  return Rcpp::wrap(c);
  END_RCPP
}

extern "C" SEXP ctxstats_analytic_available_R(SEXP options) {
  BEGIN_RCPP
  return Rcpp::wrap(analytic_covariance_available(options_from(options, false)));
  END_RCPP
}

// The fit's model (raw bytes) with its bootstrap replicates, as ctx_glm keeps it.
extern "C" SEXP ctxstats_model_with_bootstrap_R(SEXP raw, SEXP bootstrap) {
  BEGIN_RCPP
  return raw_of(to_model_file(with_bootstrap(model_of_raw(raw), bootstrap_from_r(bootstrap))));
  END_RCPP
}

// Fit statistics and residuals of fitted means (inference/fit_statistics.hpp); weights NULL
// for none.
namespace {
struct MeansInput {
  std::vector<double> y, mu, w;
  bool weighted = false;
  MeansInput(SEXP ys, SEXP mus, SEXP ws) : y(Rcpp::as<std::vector<double>>(ys)), mu(Rcpp::as<std::vector<double>>(mus)) {
    if (y.size() != mu.size()) throw InvalidArgument("y and mu must have one length");
    if (!Rf_isNull(ws)) {
      w = Rcpp::as<std::vector<double>>(ws);
      if (w.size() != y.size()) throw InvalidArgument("weights must have one value per observation");
      weighted = true;
    }
  }
  const double* weights() const { return weighted ? w.data() : nullptr; }
};
}  // namespace

extern "C" SEXP ctxstats_fit_statistics_R(SEXP family, SEXP y, SEXP mu, SEXP weights, SEXP intercept, SEXP quasi) {
  BEGIN_RCPP
  const MeansInput in(y, mu, weights);
  const FitStatistics s = fit_statistics(parse_family(Rcpp::as<std::string>(family)), in.y.data(), in.mu.data(),
                                         in.weights(), in.y.size(), Rcpp::as<bool>(intercept), Rcpp::as<bool>(quasi));
  return Rcpp::List::create(Rcpp::Named("loglik") = s.loglik, Rcpp::Named("deviance") = s.deviance,
                            Rcpp::Named("null_deviance") = s.null_deviance,
                            Rcpp::Named("pearson_chi2") = s.pearson_chi2,
                            Rcpp::Named("deviance_explained") = s.deviance_explained);
  END_RCPP
}

extern "C" SEXP ctxstats_dispersion_R(SEXP family, SEXP pearson_chi2, SEXP df_resid, SEXP quasi) {
  BEGIN_RCPP
  return Rcpp::wrap(dispersion(parse_family(Rcpp::as<std::string>(family)), Rcpp::as<double>(pearson_chi2),
                               Rcpp::as<double>(df_resid), Rcpp::as<bool>(quasi)));
  END_RCPP
}

extern "C" SEXP ctxstats_residuals_R(SEXP family, SEXP type, SEXP y, SEXP mu, SEXP weights) {
  BEGIN_RCPP
  const MeansInput in(y, mu, weights);
  return Rcpp::wrap(residuals(parse_family(Rcpp::as<std::string>(family)), Rcpp::as<std::string>(type), in.y.data(),
                              in.mu.data(), in.weights(), in.y.size()));
  END_RCPP
}

extern "C" SEXP ctxstats_nested_test_R(SEXP family, SEXP dev0, SEXP df0, SEXP dev1, SEXP df1, SEXP dev_big,
                                       SEXP df_big, SEXP dispersion_big) {
  BEGIN_RCPP
  const NestedTest t = nested_test(parse_family(Rcpp::as<std::string>(family)), Rcpp::as<double>(dev0),
                                   Rcpp::as<double>(df0), Rcpp::as<double>(dev1), Rcpp::as<double>(df1),
                                   Rcpp::as<double>(dev_big), Rcpp::as<double>(df_big),
                                   Rf_isNull(dispersion_big) ? std::numeric_limits<double>::quiet_NaN()
                                                             : Rcpp::as<double>(dispersion_big));
  return Rcpp::List::create(Rcpp::Named("statistic") = t.statistic, Rcpp::Named("df") = t.df,
                            Rcpp::Named("df_denom") = t.df_denom, Rcpp::Named("use_f") = t.use_f,
                            Rcpp::Named("not_nested") = t.not_nested);
  END_RCPP
}

// ---- contextualized networks (csrc/networks/networks.hpp) ---------------------------------------
// A fitted network is a plain list (the fields of NetworkModel); arrays come back row-major
// with their dimensions reversed, which R's aperm() turns round (R/networks.R).

namespace {

Rcpp::List network_model_to_r(const NetworkModel& md, SEXP options) {
  const std::size_t B = md.n_replicates, nw = md.weights.size();
  return Rcpp::List::create(
      Rcpp::Named("type") = std::string(network_type_name(md.type)), Rcpp::Named("p") = md.p,
      Rcpp::Named("m") = md.m, Rcpp::Named("options") = options, Rcpp::Named("scaling") = scaling_to_r(md.scaling),
      Rcpp::Named("solver") = md.solver, Rcpp::Named("weights") = to_r(md.weights),
      Rcpp::Named("replicate_weights") = matrix_from_row_major(md.replicate_weights, B, nw),
      Rcpp::Named("residual_variance") =
          matrix_from_row_major(md.residual_variance, B, md.residual_variance.size() / std::max<std::size_t>(1, B)),
      Rcpp::Named("trained") = md.trained, Rcpp::Named("n_iter") = md.solve.n_iter,
      Rcpp::Named("converged") = md.solve.converged, Rcpp::Named("objective") = md.solve.objective,
      Rcpp::Named("message") = md.solve.message, Rcpp::Named("rank_deficient") = md.solve.rank_deficient,
      Rcpp::Named("bootstrap_message") = md.bootstrap_message);
}

NetworkModel network_model_from_r(SEXP sexp) {
  const Rcpp::List d(sexp);
  NetworkModel md;
  md.type = parse_network_type(Rcpp::as<std::string>(d["type"]));
  md.p = Rcpp::as<int>(d["p"]);
  md.m = Rcpp::as<int>(d["m"]);
  md.options = options_from(d["options"], false);
  md.encoder = md.options.encoder;
  md.scaling = scaling_from_r(d["scaling"]);
  if (d.containsElementNamed("dag")) md.dag = dag_options_from(option_map(d["dag"]));
  md.weights = to_vector(d["weights"]);
  const Rcpp::NumericMatrix W(Rcpp::as<Rcpp::NumericMatrix>(d["replicate_weights"]));
  md.n_replicates = W.nrow();
  md.replicate_weights = row_major(W);
  md.residual_variance = row_major(Rcpp::as<Rcpp::NumericMatrix>(d["residual_variance"]));
  validate_network_model(md);
  return md;
}

// A row-major array of the given (row-major) dimensions as an R array with reversed dimensions.
Rcpp::NumericVector reversed_array(const std::vector<double>& v, std::vector<int> dims) {
  Rcpp::NumericVector out(v.begin(), v.end());
  std::reverse(dims.begin(), dims.end());
  out.attr("dim") = Rcpp::IntegerVector(dims.begin(), dims.end());
  return out;
}

}  // namespace

extern "C" SEXP ctxstats_network_fit_R(SEXP type, SEXP C, SEXP X, SEXP weights, SEXP options, SEXP n_bootstraps,
                                       SEXP train, SEXP dag) {
  BEGIN_RCPP
  const NetworkType t = parse_network_type(Rcpp::as<std::string>(type));
  const Rcpp::NumericMatrix Cm(C), Xm(X);
  require(Cm.nrow() == Xm.nrow(),
          "X has " + std::to_string(Xm.nrow()) + " rows but C has " + std::to_string(Cm.nrow()));
  const std::vector<double> Cr = row_major(Cm), Xr = row_major(Xm);
  std::vector<double> w;
  if (!Rf_isNull(weights)) {
    w = to_vector(weights);
    require(w.size() == static_cast<std::size_t>(Xm.nrow()), "weights must have one entry per row");
  }
  const FitOptions o = options_from(options);
  const DagOptions dag_options = dag_options_from(option_map(dag));
  const auto progress = [](int, double) { return !user_interrupted(); };
  const NetworkModel md = fit_network(t, Cr.data(), Xr.data(), w.empty() ? nullptr : w.data(), Xm.nrow(), Cm.ncol(),
                                      Xm.ncol(), o, Rcpp::as<int>(n_bootstraps), Rcpp::as<bool>(train), progress,
                                      dag_options);
  if (md.solve.interrupted) throw std::runtime_error("the fit was interrupted by the user");
  return network_model_to_r(md, options);
  END_RCPP
}

// what: "params" (list of betas and mus), "correlation", "squared", "precision", "x", "mses".
// individual: every replicate (a leading replicate dimension), or the core's mean over them.
// project, threshold: Bayesian networks' graphs projected to DAGs, small edges removed.
// A ctx_network's model file (csrc/model/network_file.hpp), written and checked by the core:
// the model list, the feature and context names, the training data (context, x; NULL: none)
// and annotations (a named character vector).
extern "C" SEXP ctxstats_network_save_R(SEXP model, SEXP path, SEXP names, SEXP data, SEXP meta) {
  BEGIN_RCPP
  const Rcpp::List d(model);
  SavedNetwork s;
  s.model = network_model_from_r(model);
  s.options = option_map(d["options"]);
  NetworkModel& md = s.model;
  md.solver = Rcpp::as<std::string>(d["solver"]);
  md.solve.n_iter = Rcpp::as<int>(d["n_iter"]);
  md.solve.converged = Rcpp::as<bool>(d["converged"]);
  md.solve.objective = Rcpp::as<double>(d["objective"]);
  md.solve.message = Rcpp::as<std::string>(d["message"]);
  md.solve.rank_deficient = Rcpp::as<bool>(d["rank_deficient"]);
  md.trained = Rcpp::as<bool>(d["trained"]);
  md.bootstrap_message = Rcpp::as<std::string>(d["bootstrap_message"]);
  md.fitted_dag = md.dag;
  if (d.containsElementNamed("fitted_dag")) {  // a network loaded from a file keeps its last solve's penalties
    const std::vector<double> a = to_vector(d["fitted_dag"]);
    require(a.size() == 4, "the network model's fitted_dag must hold 4 values");
    md.fitted_dag.archetype.alpha = a[0];
    md.fitted_dag.archetype.rho = a[1];
    md.fitted_dag.sample.alpha = a[2];
    md.fitted_dag.sample.rho = a[3];
  }
  if (d.containsElementNamed("history")) md.solve.history = to_vector(d["history"]);
  const Rcpp::List nm(names);
  s.feature_names = Rcpp::as<std::vector<std::string>>(nm["features"]);
  s.context_names = Rcpp::as<std::vector<std::string>>(nm["context"]);
  if (!Rf_isNull(data)) {
    const Rcpp::List dd(data);
    const Rcpp::NumericMatrix Cm(Rcpp::as<Rcpp::NumericMatrix>(dd["context"])), Xm(Rcpp::as<Rcpp::NumericMatrix>(dd["x"]));
    require(Cm.nrow() == Xm.nrow() && Cm.ncol() == md.m && Xm.ncol() == md.p,
            "the network's training data do not match its columns");
    s.n = static_cast<std::size_t>(Cm.nrow());
    s.C = row_major(Cm);
    s.X = row_major(Xm);
  }
  s.meta = meta_from_r(meta);
  network_to_model_file(s).write(Rcpp::as<std::string>(path));
  return R_NilValue;
  END_RCPP
}

// Back: list(model (as ctxstats_network_fit_R returns it, with dag and fitted_dag), names,
// data (list(context, x) or NULL), meta).
extern "C" SEXP ctxstats_network_load_R(SEXP path) {
  BEGIN_RCPP
  const SavedNetwork s = network_from_model_file(ModelFile::read(Rcpp::as<std::string>(path)));
  const NetworkModel& md = s.model;
  Rcpp::List model = network_model_to_r(md, to_r(s.options));
  if (md.type == NetworkType::kBayesian) {
    model["dag"] = to_r(dag_options_to_map(md.dag));
    model["fitted_dag"] = to_r(std::vector<double>{md.fitted_dag.archetype.alpha, md.fitted_dag.archetype.rho,
                                                   md.fitted_dag.sample.alpha, md.fitted_dag.sample.rho});
  }
  model["history"] = to_r(md.solve.history);
  Rcpp::List out;
  out["model"] = model;
  out["names"] = Rcpp::List::create(Rcpp::Named("features") = s.feature_names,
                                    Rcpp::Named("context") = s.context_names);
  if (s.n > 0)
    out["data"] = Rcpp::List::create(
        Rcpp::Named("context") = matrix_from_row_major(s.C, s.n, static_cast<std::size_t>(md.m)),
        Rcpp::Named("x") = matrix_from_row_major(s.X, s.n, static_cast<std::size_t>(md.p)));
  else
    out["data"] = R_NilValue;
  out["meta"] = meta_to_r(s.meta);
  return out;
  END_RCPP
}

// The kind of model a model file holds ("glm", "network"), the file checked.
extern "C" SEXP ctxstats_model_kind_R(SEXP path) {
  BEGIN_RCPP
  return Rcpp::wrap(model_file_kind(ModelFile::read(Rcpp::as<std::string>(path))));
  END_RCPP
}

extern "C" SEXP ctxstats_network_predict_R(SEXP model, SEXP C, SEXP X, SEXP what, SEXP individual, SEXP project,
                                           SEXP threshold) {
  BEGIN_RCPP
  const NetworkModel md = network_model_from_r(model);
  const Rcpp::NumericMatrix Cm(C);
  const std::vector<double> Cr = row_major(Cm);
  const std::string w = Rcpp::as<std::string>(what);
  const bool each = Rcpp::as<bool>(individual);
  NetworkParams prm = predict_network_params(md, Cr.data(), Cm.nrow(), Cm.ncol(), md.options.solver_options.threads,
                                             w == "factors");
  project_network_dags(md, prm, Rcpp::as<bool>(project), Rcpp::as<double>(threshold));
  const int n = static_cast<int>(prm.rows), p = prm.p;
  // Row-major dimensions (replicates first when individual) of a prediction with this tail.
  const auto dims = [&](std::vector<int> tail) {
    std::vector<int> d;
    if (each) d.push_back(static_cast<int>(prm.replicates));
    d.push_back(n);
    d.insert(d.end(), tail.begin(), tail.end());
    return d;
  };
  const bool corr = md.type == NetworkType::kCorrelation;
  if (w == "params" || w == "factors") {
    const NetworkParams s = network_params_summary(prm, each);
    return Rcpp::List::create(Rcpp::Named("betas") = reversed_array(s.betas, dims({p, p})),
                              Rcpp::Named("mus") = reversed_array(s.mus, corr ? dims({p, p}) : dims({p})));
  }
  if (w == "correlation" || w == "squared")
    return reversed_array(network_correlations(md, prm, w == "squared", each), dims({p, p}));
  if (w == "precision") return reversed_array(network_precisions(md, prm, each), dims({p, p}));
  require(w == "x" || w == "mses", "what must be 'params', 'correlation', 'squared', 'precision', 'x' or 'mses'");
  const Rcpp::NumericMatrix Xm(X);
  const std::vector<double> Xr = row_major(Xm);
  if (w == "mses") return reversed_array(network_mses(md, prm, Xr.data(), Xm.nrow(), Xm.ncol(), each), dims({}));
  const std::vector<double> xs = network_predict_x(md, prm, Xr.data(), Xm.nrow(), Xm.ncol(), each);
  return reversed_array(xs, corr ? dims({p, p}) : dims({p}));
  END_RCPP
}

// How one edge changes with one context feature (networks.hpp: network_edge_curve); feature,
// from and to are 0-based.
extern "C" SEXP ctxstats_network_edge_curve_R(SEXP model, SEXP C, SEXP feature, SEXP from, SEXP to, SEXP n_grid,
                                              SEXP alpha, SEXP project, SEXP threshold) {
  BEGIN_RCPP
  const NetworkModel md = network_model_from_r(model);
  const Rcpp::NumericMatrix Cm(C);
  const std::vector<double> Cr = row_major(Cm);
  const NetworkEdgeCurve e = network_edge_curve(
      md, Cr.data(), Cm.nrow(), Cm.ncol(), Rcpp::as<int>(feature), Rcpp::as<int>(from), Rcpp::as<int>(to),
      Rcpp::as<int>(n_grid), Rcpp::as<double>(alpha), Rcpp::as<bool>(project), Rcpp::as<double>(threshold),
      md.options.solver_options.threads);
  return Rcpp::List::create(
      Rcpp::Named("indicator") = e.indicator, Rcpp::Named("held") = to_r(e.held), Rcpp::Named("x") = to_r(e.x),
      Rcpp::Named("estimate") = to_r(e.estimate),
      Rcpp::Named("lower") = e.lower.empty() ? R_NilValue : static_cast<SEXP>(to_r(e.lower)),
      Rcpp::Named("upper") = e.upper.empty() ? R_NilValue : static_cast<SEXP>(to_r(e.upper)),
      Rcpp::Named("sample_x") = to_r(e.sample_x), Rcpp::Named("sample_edge") = to_r(e.sample_edge));
  END_RCPP
}

// Bootstrap inference on every edge (networks.hpp: network_edge_inference).
extern "C" SEXP ctxstats_network_edges_R(SEXP model, SEXP C, SEXP alpha, SEXP project, SEXP threshold) {
  BEGIN_RCPP
  const NetworkModel md = network_model_from_r(model);
  const Rcpp::NumericMatrix Cm(C);
  const std::vector<double> Cr = row_major(Cm);
  const NetworkEdgeInference e =
      network_edge_inference(md, Cr.data(), Cm.nrow(), Cm.ncol(), Rcpp::as<double>(alpha), Rcpp::as<bool>(project),
                             Rcpp::as<double>(threshold), md.options.solver_options.threads);
  const int n = static_cast<int>(e.rows), p = e.p;
  return Rcpp::List::create(
      Rcpp::Named("estimate") = reversed_array(e.estimate, {n, p, p}), Rcpp::Named("se") = reversed_array(e.se, {n, p, p}),
      Rcpp::Named("lower") = reversed_array(e.lower, {n, p, p}), Rcpp::Named("upper") = reversed_array(e.upper, {n, p, p}),
      Rcpp::Named("pvalue") = reversed_array(e.pvalue, {n, p, p}),
      Rcpp::Named("het_statistic") = reversed_array(e.het_statistic, {p, p}),
      Rcpp::Named("het_pvalue") = reversed_array(e.het_pvalue, {p, p}),
      Rcpp::Named("sign_flip_share") = reversed_array(e.sign_flip_share, {p, p}),
      Rcpp::Named("pvalue_floor") = e.pvalue_floor, Rcpp::Named("n_bootstraps") = static_cast<int>(e.replicates));
  END_RCPP
}

// scale = "context" (glm/location_scale.hpp), as the Python package's _core.location_scale_predict
// and _core.location_scale_average_cov.
extern "C" SEXP ctxstats_location_scale_predict_R(SEXP options, SEXP scaling, SEXP w, SEXP report, SEXP X, SEXP C) {
  BEGIN_RCPP
  const FitOptions o = options_from(options, false);
  const Scaling s = scaling_from_r(scaling);
  const Rcpp::NumericMatrix Xm(X), Cm(C);
  require(Xm.nrow() == Cm.nrow(), "exog and context must have the same rows");
  const std::vector<double> Xr = row_major(Xm), Cr = row_major(Cm);
  const LocationScalePrediction p =
      predict_location_scale(o.encoder, s, to_vector(w), location_scale_from_r(report), Xr.data(), Cr.data(),
                             static_cast<std::size_t>(Cm.nrow()), Xm.ncol(), Cm.ncol());
  return Rcpp::List::create(Rcpp::Named("eta") = to_r(p.eta), Rcpp::Named("se_eta") = to_r(p.se_eta),
                            Rcpp::Named("sigma") = to_r(p.sigma));
  END_RCPP
}

extern "C" SEXP ctxstats_location_scale_average_cov_R(SEXP options, SEXP scaling, SEXP report, SEXP C) {
  BEGIN_RCPP
  const FitOptions o = options_from(options, false);
  const Scaling s = scaling_from_r(scaling);
  const Rcpp::NumericMatrix Cm(C);
  const std::vector<double> Cr = row_major(Cm);
  const std::vector<double> v = location_scale_average_cov(o.encoder, s, location_scale_from_r(report), Cr.data(),
                                                           static_cast<std::size_t>(Cm.nrow()), Cm.ncol());
  return matrix_from_row_major(v, static_cast<std::size_t>(s.q()), static_cast<std::size_t>(s.q()));
  END_RCPP
}

// The observation interval with one residual variance per row (scale = "context").
extern "C" SEXP ctxstats_prediction_intervals_rows_R(SEXP eta, SEXP se_eta, SEXP crit, SEXP row_scale) {
  BEGIN_RCPP
  const std::vector<double> e = to_vector(eta), s = to_vector(se_eta), v = to_vector(row_scale);
  require(e.size() == s.size() && e.size() == v.size(), "eta, se_eta and row_scale must have one length");
  const PredictionIntervals p =
      prediction_intervals(Family::kGaussian, e.data(), s.data(), e.size(), Rcpp::as<double>(crit), v.data(), false);
  return Rcpp::List::create(Rcpp::Named("mean") = to_r(p.mean), Rcpp::Named("se_mean") = to_r(p.se_mean),
                            Rcpp::Named("lower") = to_r(p.lower), Rcpp::Named("upper") = to_r(p.upper),
                            Rcpp::Named("obs_lower") = to_r(p.obs_lower), Rcpp::Named("obs_upper") = to_r(p.obs_upper));
  END_RCPP
}
