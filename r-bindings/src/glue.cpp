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
#include <string>
#include <vector>

#include "bootstrap.hpp"
#include "context_basis.hpp"
#include "error.hpp"
#include "fit.hpp"
#include "glue.h"
#include "identifiability.hpp"
#include "options/schema.hpp"
#include "objective.hpp"
#include "personalized.hpp"

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
  return s;
}

// The data a fit reads: row-major copies of C and X, y and the weights borrowed from R.
struct RData {
  std::vector<double> C, X;
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
  Rcpp::List out = Rcpp::List::create(
      Rcpp::Named("weights") = to_r(r.weights), Rcpp::Named("scaling") = scaling_to_r(r.scaling),
      Rcpp::Named("solver") = r.solver, Rcpp::Named("n_iter") = r.solve.n_iter,
      Rcpp::Named("converged") = r.solve.converged, Rcpp::Named("objective") = r.solve.objective,
      Rcpp::Named("history") = to_r(r.solve.history), Rcpp::Named("val_history") = to_r(r.solve.val_history),
      Rcpp::Named("message") = r.solve.message, Rcpp::Named("rank_deficient") = r.solve.rank_deficient);
  if (r.encoder.type == "spline") out["spline"] = spline_fit_to_r(r, data.view.m);
  return out;
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

// The spline encoder's constrained basis b(c) (rows x size) at contexts C in user units, as
// the Python package's _core.spline_basis: C is standardised with the fit's scaling and
// evaluated by the core's ContextBasis (the basis placed from the data travels in the
// options as knots and centres).
extern "C" SEXP ctxstats_spline_basis_R(SEXP options, SEXP scaling, SEXP C) {
  BEGIN_RCPP
  const FitOptions o = options_from(options, false);
  require(o.encoder.type == "spline", "the model's encoder is not 'spline'");
  const Scaling s = scaling_from_r(scaling);
  const Rcpp::NumericMatrix Cm(C);
  const int m = Cm.ncol();
  const std::size_t rows = Cm.nrow();
  require(m == static_cast<int>(s.c_mean.size()), "context has " + std::to_string(m) +
                                                      " columns; the model was fitted with " +
                                                      std::to_string(s.c_mean.size()));
  const auto basis = make_spline_basis(o.encoder, m);
  std::vector<double> Cs = row_major(Cm);
  for (std::size_t r = 0; r < rows; ++r) {
    for (int j = 0; j < m; ++j) {
      double& v = Cs[r * m + j];
      require(std::isfinite(v), "context has a missing or non-finite value in row " + std::to_string(r + 1));
      v = (v - s.c_mean[j]) / s.c_scale[j];
    }
  }
  std::vector<double> out(rows * basis->size());
  basis->eval(Cs.data(), static_cast<int>(rows), out.data());
  return matrix_from_row_major(out, rows, basis->size());
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

// Bootstrap replicate fits from the full-data fit's weights `start` (csrc/bootstrap.hpp); the
// same function, options and seed as the Python package's _core.bootstrap.
extern "C" SEXP ctxstats_bootstrap_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options, SEXP start,
                                     SEXP n_bootstraps) {
  BEGIN_RCPP
  RData data;
  load_data(C, X, y, weights, data);
  const FitOptions o = options_from(options);
  const std::vector<double> start_w = to_vector(start);
  const int B = Rcpp::as<int>(n_bootstraps);
  require(B >= 1, "n_bootstraps must be at least 1");
  // Called on this (R's main) thread between rounds of replicates.
  const BootstrapResult r =
      bootstrap_fit(data.view, o, start_w, B, [](int, double) { return !user_interrupted(); });
  if (r.interrupted) throw std::runtime_error("the bootstrap was interrupted by the user");
  Rcpp::LogicalVector converged(r.n_replicates);
  for (std::size_t k = 0; k < r.n_replicates; ++k) converged[k] = r.converged[k] != 0;
  return Rcpp::List::create(Rcpp::Named("weights") = matrix_from_row_major(r.weights, r.n_replicates, r.n_weights),
                            Rcpp::Named("n_iter") = Rcpp::IntegerVector(r.n_iter.begin(), r.n_iter.end()),
                            Rcpp::Named("converged") = converged, Rcpp::Named("objective") = to_r(r.objective));
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

namespace {

}  // namespace

// Personalized regression with distance matching (csrc/personalized.hpp).
extern "C" SEXP ctxstats_personalized_fit_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options) {
  BEGIN_RCPP
  RData data;
  load_data(C, X, y, weights, data);
  const PersonalizedOptions o = personalized_options_from(option_map(options));
  const PersonalizedFit r = fit_personalized(data.view, o, nullptr);
  const std::size_t q = r.theta_bar.size();
  return Rcpp::List::create(
      Rcpp::Named("theta") = matrix_from_row_major(r.theta, data.view.n, q),
      Rcpp::Named("theta_bar") = to_r(r.theta_bar), Rcpp::Named("theta_pop") = to_r(r.theta_pop),
      Rcpp::Named("Q") = matrix_from_row_major(r.Q, static_cast<std::size_t>(o.rank), q),
      Rcpp::Named("phi") = to_r(r.phi), Rcpp::Named("dist_scale") = to_r(r.dist_scale),
      Rcpp::Named("validation") = Rcpp::LogicalVector(r.role.begin(), r.role.end()),
      Rcpp::Named("params") = to_r(r.params), Rcpp::Named("scaling") = scaling_to_r(r.scaling),
      Rcpp::Named("history") = to_r(r.history), Rcpp::Named("val_history") = to_r(r.val_history),
      Rcpp::Named("n_iter") = r.n_iter, Rcpp::Named("best_epoch") = r.best_epoch,
      Rcpp::Named("converged") = r.converged, Rcpp::Named("population_converged") = r.population_converged,
      Rcpp::Named("objective") = r.objective, Rcpp::Named("message") = r.message);
  END_RCPP
}

extern "C" SEXP ctxstats_personalized_predict_R(SEXP C_new, SEXP C_train, SEXP theta_train, SEXP phi,
                                                SEXP dist_scale, SEXP categorical, SEXP n_neighbors, SEXP threads) {
  BEGIN_RCPP
  const Rcpp::NumericMatrix Cn(C_new), Ct(C_train), Tt(theta_train);
  require(Tt.nrow() == Ct.nrow(), "theta_train must have one row per training context");
  require(Cn.ncol() == Ct.ncol(), "context has " + std::to_string(Cn.ncol()) + " columns; the model was fitted with " +
                                      std::to_string(Ct.ncol()));
  const std::vector<double> cn = row_major(Cn), ct = row_major(Ct), tt = row_major(Tt);
  const std::vector<double> out = personalized_predict(
      cn.data(), Cn.nrow(), ct.data(), Ct.nrow(), Ct.ncol(), tt.data(), Tt.ncol(), to_vector(phi),
      to_vector(dist_scale), Rcpp::as<std::vector<int>>(categorical), Rcpp::as<int>(n_neighbors),
      Rcpp::as<int>(threads));
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

// Gram matrices of the standardised [1, X], [1, C] and (interaction = TRUE) the linear
// encoder's interaction design, and the columns' minima and maxima, in one pass over the
// data (csrc/identifiability.hpp), as the Python package's _core.design_grams.
extern "C" SEXP ctxstats_design_grams_R(SEXP C, SEXP X, SEXP scaling, SEXP interaction, SEXP threads) {
  BEGIN_RCPP
  const Rcpp::NumericMatrix Cm(C), Xm(X);
  require(Cm.nrow() == Xm.nrow(), "context and exog have different numbers of rows");
  const Scaling s = scaling_from_r(scaling);
  require(static_cast<int>(s.c_mean.size()) == Cm.ncol() && static_cast<int>(s.x_mean.size()) == Xm.ncol(),
          "the scaling does not match the columns of context and exog");
  const int nthreads = Rcpp::as<int>(threads);
  require(nthreads >= 0, "threads must be >= 0");
  require(Cm.nrow() > 0, "the data have zero rows");
  const std::vector<double> Crow = row_major(Cm), Xrow = row_major(Xm);
  DataView d;
  d.n = Cm.nrow();
  d.m = Cm.ncol();
  d.p = Xm.ncol();
  d.C = Crow.data();
  d.X = Xrow.data();
  const bool inter = Rcpp::as<bool>(interaction);
  const DesignGrams g = design_grams(d, s, inter, resolve_threads(nthreads));
  Rcpp::List out = Rcpp::List::create(
      Rcpp::Named("gx") = matrix_from_row_major(g.gx, g.q, g.q), Rcpp::Named("gc") = matrix_from_row_major(g.gc, g.m1, g.m1),
      Rcpp::Named("x_min") = to_r(g.x_min), Rcpp::Named("x_max") = to_r(g.x_max), Rcpp::Named("c_min") = to_r(g.c_min),
      Rcpp::Named("c_max") = to_r(g.c_max));
  if (inter) out["gz"] = matrix_from_row_major(g.gz, static_cast<std::size_t>(g.q) * g.m1,
                                                 static_cast<std::size_t>(g.q) * g.m1);
  return out;
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
