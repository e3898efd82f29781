// Bindings for the identifiability computations: the Gram matrices of the standardised designs,
// the identifiability report (its check table and notes) and the spline encoder's checks.
#include "convert.hpp"

namespace ctxstats_py {

namespace {

py::array_t<double> square(const std::vector<double>& v, int k) {
  py::array_t<double> out({static_cast<py::ssize_t>(k), static_cast<py::ssize_t>(k)});
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

// A view of (C, X) after the checks both entry points need; the scaling must match them.
DataView context_exog_view(const Array& C, const Array& X, const Scaling& s, int threads) {
  if (C.ndim() != 2 || X.ndim() != 2) throw InvalidArgument("context and exog must be two-dimensional");
  if (C.shape(0) != X.shape(0)) throw InvalidArgument("context and exog have different numbers of rows");
  if (static_cast<py::ssize_t>(s.c_mean.size()) != C.shape(1) || static_cast<py::ssize_t>(s.x_mean.size()) != X.shape(1))
    throw InvalidArgument("the scaling does not match the columns of context and exog");
  if (threads < 0) throw InvalidArgument("threads must be >= 0");
  DataView d;
  d.n = static_cast<std::size_t>(C.shape(0));
  d.m = static_cast<int>(C.shape(1));
  d.p = static_cast<int>(X.shape(1));
  d.C = C.data();
  d.X = X.data();
  if (d.n == 0) throw InvalidArgument("the data have zero rows");
  return d;
}

py::dict design_grams_py(const Array& C, const Array& X, const py::dict& scaling, bool interaction, int threads) {
  const Scaling s = scaling_from_dict(scaling);
  const DataView d = context_exog_view(C, X, s, threads);
  DesignGrams g;
  {
    py::gil_scoped_release release;
    g = design_grams(d, s, interaction, resolve_threads(threads));
  }
  py::dict out;
  out["gx"] = square(g.gx, g.q);
  out["gc"] = square(g.gc, g.m1);
  if (interaction) out["gz"] = square(g.gz, g.q * g.m1);
  out["x_min"] = to_array(g.x_min);
  out["x_max"] = to_array(g.x_max);
  out["c_min"] = to_array(g.c_min);
  out["c_max"] = to_array(g.c_max);
  return out;
}

py::dict diagnosis_dict(const DesignDiagnosis& d) {
  py::list aliased, partners;
  for (const auto& a : d.aliased) {
    aliased.append(a.column);
    partners.append(py::cast(a.partners));
  }
  py::dict out;
  out["columns"] = d.columns;
  out["rank"] = d.rank;
  out["condition_number"] = d.condition_number;
  out["aliased"] = aliased;
  out["partners"] = partners;
  return out;
}

py::dict columns_dict(const ColumnChecks& c) {
  py::dict out;
  out["constant"] = py::cast(c.constant);
  out["duplicated"] = py::cast(c.duplicated);
  return out;
}

std::vector<std::string> names_of(const py::object& names) { return names.cast<std::vector<std::string>>(); }

py::dict identifiability_report_py(const Array& C, const Array& X, const py::dict& scaling, const py::dict& options,
                                   const py::object& param_names, const py::object& exog_names,
                                   const py::object& context_names, const py::object& weights,
                                   const py::object& sign_flips, const py::object& sign_determined, int threads) {
  const Scaling s = scaling_from_dict(scaling);
  const DataView d = context_exog_view(C, X, s, threads);
  const FitOptions o = options_from(options, false);
  IdentifiabilityInput in;
  in.param_names = names_of(param_names);
  in.exog_names = names_of(exog_names);
  in.context_names = names_of(context_names);
  if (!weights.is_none()) in.weights = to_vector(weights.cast<Array>());
  if (!sign_flips.is_none()) in.sign_flip_share = to_vector(sign_flips.cast<Array>());
  if (!sign_determined.is_none()) in.sign_determined = sign_determined.cast<std::vector<int>>();
  in.threads = resolve_threads(threads);
  IdentifiabilityReport r;
  {
    py::gil_scoped_release release;
    r = identifiability_report(d, s, o.encoder, in);
  }
  py::list check, value, threshold, passed;
  for (const auto& c : r.checks) {
    check.append(c.check);
    value.append(c.value);
    threshold.append(c.threshold);
    passed.append(c.passed);
  }
  py::dict checks;
  checks["check"] = check;
  checks["value"] = value;
  checks["threshold"] = threshold;
  checks["passed"] = passed;
  py::dict out;
  out["checks"] = checks;
  out["notes"] = py::cast(r.notes);
  py::list design, kind, column, with;
  for (const auto& f : r.findings) {
    design.append(f.design);
    kind.append(f.kind);
    column.append(f.column);
    with.append(py::cast(f.with));
  }
  py::dict findings;
  findings["design"] = design;
  findings["kind"] = kind;
  findings["column"] = column;
  findings["with"] = with;
  out["findings"] = findings;
  out["representation_dim"] = r.representation_dim;
  out["x_columns"] = columns_dict(r.x_columns);
  out["c_columns"] = columns_dict(r.c_columns);
  out["x"] = diagnosis_dict(r.x);
  out["c"] = diagnosis_dict(r.c);
  if (r.z.columns) out["z"] = diagnosis_dict(r.z);
  if (r.archetype_rank >= 0) out["archetype_rank"] = r.archetype_rank;
  return out;
}

int representation_dim_py(const py::dict& options, int m) { return representation_dim(options_from(options, false).encoder, m); }

py::dict spline_identifiability_py(const py::dict& smoothing, const py::list& terms, int basis_size,
                                   const Array& weights) {
  SmoothingReport rep;
  rep.gram = to_vector(smoothing["gram"].cast<Array>());
  rep.H = to_vector(smoothing["H"].cast<Array>());
  rep.Vp = to_vector(smoothing["Vp"].cast<Array>());
  rep.edf_total = smoothing["edf_total"].cast<double>();
  rep.n = smoothing["n"].cast<double>();
  std::vector<SplineTermBlock> blocks;
  for (const auto& t : terms) {
    const auto tup = t.cast<py::tuple>();
    if (tup.size() != 3) throw InvalidArgument("each spline term must be (offset, size, label)");
    blocks.push_back({tup[0].cast<int>(), tup[1].cast<int>(), tup[2].cast<std::string>()});
  }
  const std::vector<double> w = to_vector(weights);
  SplineIdentifiability r;
  {
    py::gil_scoped_release release;
    r = spline_identifiability(rep, blocks, basis_size, w);
  }
  py::dict out;
  out["basis_size"] = r.basis_size;
  out["basis_rank"] = r.basis_rank;
  out["design_size"] = r.design_size;
  out["design_rank"] = r.design_rank;
  out["condition_number"] = r.condition_number;
  out["rank_deficient"] = py::cast(r.rank_deficient);
  out["worst"] = to_array(r.worst);
  out["observed"] = to_array(r.observed);
  out["warnings"] = py::cast(r.warnings);
  return out;
}

}  // namespace

void bind_identifiability(py::module_& mod) {
  mod.def("design_grams", &design_grams_py, py::arg("C"), py::arg("X"), py::arg("scaling"), py::arg("interaction"),
          py::arg("threads") = 0);
  mod.def("identifiability_report", &identifiability_report_py, py::arg("C"), py::arg("X"), py::arg("scaling"),
          py::arg("options"), py::arg("param_names"), py::arg("exog_names"), py::arg("context_names"),
          py::arg("weights") = py::none(), py::arg("sign_flips") = py::none(), py::arg("sign_determined") = py::none(),
          py::arg("threads") = 0,
          "The identifiability report: the check table (check, value, threshold, passed), a note per failed check, "
          "and the numbers behind it (ranks, condition numbers, constant, duplicated and aliased columns).");
  mod.def("representation_dim", &representation_dim_py, py::arg("options"), py::arg("m"),
          "d_g: the dimension of the encoder's last representation of m context features.");
  mod.def("spline_identifiability", &spline_identifiability_py, py::arg("smoothing"), py::arg("terms"),
          py::arg("basis_size"), py::arg("weights"),
          "A spline fit's concurvity (worst, observed per term), ranks, condition number of Vp, rank-deficient "
          "terms and warnings; terms are (offset, size, label) of its smooth and tensor terms.");
}

}  // namespace ctxstats_py
