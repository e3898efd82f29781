// Bindings for the spline encoder: what a spline fit reports, and the basis
// itself (so that Python can form pointwise intervals from the covariance).
#include <cmath>

#include "context_basis.hpp"
#include "convert.hpp"

namespace ctxstats_py {

namespace {

template <typename T>
py::array_t<T> vector_array(const std::vector<T>& v) {
  return py::array_t<T>(static_cast<py::ssize_t>(v.size()), v.data());
}

py::array_t<double> square(const std::vector<double>& v) {
  const auto d = static_cast<py::ssize_t>(std::llround(std::sqrt(static_cast<double>(v.size()))));
  py::array_t<double> out({d, d});
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
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
  mod.def("spline_layout", &spline_layout_py, py::arg("options"), py::arg("m"),
          "The terms (constant, smooths, tensors) of a fitted spline basis and the term of each penalty.");
}

}  // namespace ctxstats_py
