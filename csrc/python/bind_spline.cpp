// Bindings for the spline encoder: what a spline fit reports, and the basis
// itself (so that Python can form pointwise intervals from the covariance).
#include <cmath>

#include "convert.hpp"

namespace ctxstats_py {

namespace {

template <typename T>
py::array_t<T> vector_array(const std::vector<T>& v) {
  return py::array_t<T>(static_cast<py::ssize_t>(v.size()), v.data());
}

py::array_t<double> square(const std::vector<double>& v) {
  const auto d = static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(v.size()))));
  return to_matrix(v, d, d);
}

const char* kind_name(BasisTerm::Kind k) {
  switch (k) {
    case BasisTerm::kConstant: return "constant";
    case BasisTerm::kLinear: return "linear";
    case BasisTerm::kMain: return "smooth";
    default: return "tensor";
  }
}

py::dict layout_dict(const ContextBasis& basis) {
  py::list terms;
  for (const auto& t : basis.terms()) {
    py::dict d;
    d["kind"] = kind_name(t.kind);
    d["feature1"] = t.feature1;
    d["feature2"] = t.feature2;
    d["offset"] = t.offset;
    d["size"] = t.size;
    terms.append(d);
  }
  py::list pens;
  for (const auto& p : basis.penalties()) pens.append(p.term);
  py::dict out;
  out["terms"] = terms;
  out["penalty_terms"] = pens;
  out["size"] = basis.size();
  return out;
}

std::unique_ptr<ContextBasis> basis_from(const py::dict& opts, int m) {
  const FitOptions o = options_from(opts, false);
  if (o.encoder.type != "spline") throw InvalidArgument("the model's encoder is not 'spline'");
  return make_spline_basis(o.encoder, m);
}

py::array_t<double> spline_basis_py(const py::dict& opts, const py::dict& scaling, const Array& C) {
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  const Scaling s = scaling_from_dict(scaling);
  const int m = static_cast<int>(C.shape(1));
  const std::size_t rows = static_cast<std::size_t>(C.shape(0));
  auto basis = basis_from(opts, m);
  if (m != static_cast<int>(s.c_mean.size()))
    throw InvalidArgument("context has " + std::to_string(m) + " columns; the model was fitted with " +
                          std::to_string(s.c_mean.size()));
  check_finite(C.data(), rows, m, "context");
  std::vector<double> Cs(rows * m);
  for (std::size_t r = 0; r < rows; ++r)
    for (int j = 0; j < m; ++j) Cs[r * m + j] = (C.data()[r * m + j] - s.c_mean[j]) / s.c_scale[j];
  py::array_t<double> out({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(basis->size())});
  {
    py::gil_scoped_release release;
    basis->eval(Cs.data(), static_cast<int>(rows), out.mutable_data());
  }
  return out;
}

py::dict spline_layout_py(const py::dict& opts, int m) { return layout_dict(*basis_from(opts, m)); }

// The smooth-term tests (see inference/smooth_tests.hpp) as columns, one entry per test.
py::dict smooth_tests_dict(const std::vector<SmoothTest>& tests) {
  std::vector<int> output, term, rank;
  std::vector<double> edf, ref_df, statistic;
  for (const auto& t : tests) {
    output.push_back(t.output);
    term.push_back(t.term);
    rank.push_back(t.rank);
    edf.push_back(t.edf);
    ref_df.push_back(t.ref_df);
    statistic.push_back(t.statistic);
  }
  py::dict d;
  d["output"] = vector_array(output);
  d["term"] = vector_array(term);
  d["edf"] = vector_array(edf);
  d["ref_df"] = vector_array(ref_df);
  d["rank"] = vector_array(rank);
  d["statistic"] = vector_array(statistic);
  return d;
}

// A spline fit's smoothing report as far as the inference needs it (from spline_fit_to_dict's
// "smoothing" entry); its shapes are checked by the core.
SmoothingReport smoothing_from_dict(const py::dict& sm) {
  SmoothingReport r;
  r.present = true;
  r.Vp = to_vector(sm["Vp"].cast<Array>());
  r.H = to_vector(sm["H"].cast<Array>());
  r.edf = to_vector(sm["edf"].cast<Array>());
  r.edf_total = sm["edf_total"].cast<double>();
  r.n = sm["n"].cast<double>();
  r.scale = sm["scale"].cast<double>();
  return r;
}

py::dict spline_tests_py(const py::dict& opts, const py::dict& scaling, const Array& weights, const py::dict& smoothing,
                         int m) {
  const FitOptions o = options_from(opts, false);
  const auto basis = basis_from(opts, m);
  const SmoothingReport rep = smoothing_from_dict(smoothing);
  const Scaling s = scaling_from_dict(scaling);
  const std::vector<double> w = to_vector(weights);
  const bool estimated_scale = estimates_dispersion(o);
  SmoothTests t;
  {
    py::gil_scoped_release release;
    t = smooth_tests(rep, *basis, s, w, estimated_scale);
  }
  py::dict out;
  out["terms"] = smooth_tests_dict(t.terms);
  out["coefficients"] = smooth_tests_dict(t.coefficients);
  out["df_resid"] = t.df_resid;
  out["estimated_scale"] = t.estimated_scale;
  return out;
}

py::tuple spline_pointwise_py(const py::dict& opts, const py::dict& scaling, const Array& weights, const Array& Vp,
                              const Array& C, int term, int threads) {
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  const FitOptions o = options_from(opts, false);
  const Scaling s = scaling_from_dict(scaling);
  const std::vector<double> w = to_vector(weights), V = to_vector(Vp);
  const auto rows = static_cast<std::size_t>(C.shape(0));
  Pointwise p;
  {
    py::gil_scoped_release release;
    p = spline_pointwise(o.encoder, s, w, V, C.data(), rows, static_cast<int>(C.shape(1)), term, threads);
  }
  const auto q = static_cast<py::ssize_t>(s.q());
  py::array_t<double> est({static_cast<py::ssize_t>(rows), q}), se({static_cast<py::ssize_t>(rows), q});
  std::copy(p.estimate.begin(), p.estimate.end(), est.mutable_data());
  std::copy(p.se.begin(), p.se.end(), se.mutable_data());
  return py::make_tuple(est, se);
}

py::array_t<double> spline_linear_predictor_se_py(const py::dict& opts, const py::dict& scaling, const Array& weights,
                                                  const Array& Vp, const Array& X, const Array& C, int threads) {
  if (C.ndim() != 2 || X.ndim() != 2 || X.shape(0) != C.shape(0))
    throw InvalidArgument("exog and context must be two-dimensional with the same number of rows");
  const FitOptions o = options_from(opts, false);
  const Scaling s = scaling_from_dict(scaling);
  const std::vector<double> w = to_vector(weights), V = to_vector(Vp);
  std::vector<double> se;
  {
    py::gil_scoped_release release;
    se = spline_linear_predictor_se(o.encoder, s, w, V, X.data(), C.data(), static_cast<std::size_t>(C.shape(0)),
                                    static_cast<int>(X.shape(1)), static_cast<int>(C.shape(1)), threads);
  }
  return to_array(se);
}

py::tuple spline_projection_py(const py::dict& opts, const py::dict& scaling, const Array& weights, const Array& Vp,
                               const Array& C) {
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  const FitOptions o = options_from(opts, false);
  const Scaling s = scaling_from_dict(scaling);
  const std::vector<double> w = to_vector(weights), V = to_vector(Vp);
  SplineProjection p;
  {
    py::gil_scoped_release release;
    p = spline_projection(o.encoder, s, w, V, C.data(), static_cast<std::size_t>(C.shape(0)),
                          static_cast<int>(C.shape(1)));
  }
  const std::size_t K = p.estimate.size();
  return py::make_tuple(to_array(p.estimate), to_matrix(p.cov, K, K));
}

py::tuple spline_average_effects_py(const py::dict& opts, const py::dict& scaling, const Array& weights,
                                    const Array& Vp, const Array& C) {
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  const FitOptions o = options_from(opts, false);
  const Scaling s = scaling_from_dict(scaling);
  const std::vector<double> w = to_vector(weights), V = to_vector(Vp);
  SplineAverageEffects a;
  {
    py::gil_scoped_release release;
    a = spline_average_effects(o.encoder, s, w, V, C.data(), static_cast<std::size_t>(C.shape(0)),
                               static_cast<int>(C.shape(1)));
  }
  const auto q = static_cast<std::size_t>(s.q());
  return py::make_tuple(to_array(a.estimate), to_matrix(a.cov, q, q));
}

py::tuple basis_dimension_check_py(const Array& residuals, const Array& C, int n_rep, std::uint64_t seed) {
  if (C.ndim() != 2 || residuals.ndim() != 1 || residuals.shape(0) != C.shape(0))
    throw InvalidArgument("residuals must be one-dimensional with one value per row of the two-dimensional context");
  BasisCheck b;
  {
    py::gil_scoped_release release;
    b = basis_dimension_check(residuals.data(), C.data(), static_cast<std::size_t>(C.shape(0)),
                              static_cast<int>(C.shape(1)), n_rep, seed);
  }
  return py::make_tuple(to_array(b.k_index), to_array(b.p_value));
}

}  // namespace

py::dict spline_fit_to_dict(const FitResult& r, int m) {
  py::dict out;
  out["knots"] = to_array(r.encoder.knots);
  out["centres"] = to_array(r.encoder.centres);
  const auto basis = make_spline_basis(r.encoder, m);
  out["layout"] = layout_dict(*basis);
  const SmoothingReport& s = r.solve.smoothing;
  if (!s.present) return out;
  py::dict sm;
  sm["method"] = s.method;
  sm["smoothing"] = to_array(s.lambda);
  sm["penalty_output"] = vector_array(s.penalty_output);
  sm["penalty_term"] = vector_array(s.penalty_term);
  const auto q = static_cast<py::ssize_t>(r.scaling.q());
  py::array_t<double> edf({q, static_cast<py::ssize_t>(basis->terms().size())});
  std::copy(s.edf.begin(), s.edf.end(), edf.mutable_data());
  sm["edf"] = edf;
  sm["edf_total"] = s.edf_total;
  sm["scale"] = s.scale;
  sm["criterion"] = s.criterion;
  sm["null_dim"] = s.null_dim;
  sm["n_iter"] = s.n_iter;
  sm["outer_iter"] = s.outer_iter;
  sm["converged"] = s.converged;
  sm["message"] = s.message;
  sm["n"] = s.n;
  sm["Vp"] = square(s.Vp);
  sm["H"] = square(s.H);
  sm["gram"] = square(s.gram);
  out["smoothing"] = sm;
  return out;
}

void bind_spline(py::module_& mod) {
  mod.def("spline_basis", &spline_basis_py, py::arg("options"), py::arg("scaling"), py::arg("C"),
          "The spline encoder's constrained basis b(c) (rows x size) at contexts C in user units.");
  mod.def("spline_tests", &spline_tests_py, py::arg("options"), py::arg("scaling"), py::arg("weights"),
          py::arg("smoothing"), py::arg("m"),
          "Tests of every smooth term and of every coefficient's smooth terms together (Wood 2013, as mgcv's "
          "summary.gam): statistic, rank, ref_df and edf, with the residual df and whether the scale is estimated.");
  mod.def("basis_dimension_check", &basis_dimension_check_py, py::arg("residuals"), py::arg("C"), py::arg("n_rep"),
          py::arg("seed"), "k-index and p-value of each context feature (mgcv's k.check).");
  mod.def("spline_average_effects", &spline_average_effects_py, py::arg("options"), py::arg("scaling"),
          py::arg("weights"), py::arg("Vp"), py::arg("C"),
          "Average effects of a spline fit over contexts C and their covariance under Vp.");
  mod.def("spline_linear_predictor_se", &spline_linear_predictor_se_py, py::arg("options"), py::arg("scaling"),
          py::arg("weights"), py::arg("Vp"), py::arg("X"), py::arg("C"), py::arg("threads") = 1,
          "Standard errors of a spline fit's linear predictor at rows (X, C) under Vp (mgcv's predict se.fit).");
  mod.def("spline_projection", &spline_projection_py, py::arg("options"), py::arg("scaling"), py::arg("weights"),
          py::arg("Vp"), py::arg("C"),
          "A spline fit's best linear projection of its coefficients on [1, C] (q (m+1)) and its covariance under Vp.");
  mod.def("spline_pointwise", &spline_pointwise_py, py::arg("options"), py::arg("scaling"), py::arg("weights"),
          py::arg("Vp"), py::arg("C"), py::arg("term") = -1, py::arg("threads") = 1,
          "Estimates and Vp standard errors (rows x q, user units) of the whole coefficients (term < 0) or of one "
          "basis term at contexts C.");
  mod.def("spline_layout", &spline_layout_py, py::arg("options"), py::arg("m"),
          "The terms (constant, smooths, tensors) of a fitted spline basis and the term of each penalty.");
}

}  // namespace ctxstats_py
