// Bindings for fits whose rows live in partitions elsewhere (ctxstats.dask): per-partition
// column sums and exact passes (run on the workers), and the scaling and the exact fit that
// combine them in partition order (run on the client).
#include "convert.hpp"

namespace ctxstats_py {

namespace {

py::dict sums_to_dict(const ColumnSums& s) {
  py::dict d;
  d["rows"] = s.rows;
  d["c"] = to_array(s.c);
  d["x"] = to_array(s.x);
  d["y"] = s.y;
  d["s"] = s.s;
  d["sy"] = s.sy;
  d["s_max"] = s.s_max;
  return d;
}

ColumnSums sums_from_dict(const py::handle& h) {
  if (!py::isinstance<py::dict>(h)) throw InvalidArgument("each partition's sums must be a dict");
  const py::dict d = py::reinterpret_borrow<py::dict>(h);
  ColumnSums s;
  s.rows = d["rows"].cast<double>();
  s.c = to_vector(d["c"].cast<Array>());
  s.x = to_vector(d["x"].cast<Array>());
  s.y = d["y"].cast<double>();
  s.s = d["s"].cast<double>();
  s.sy = d["sy"].cast<double>();
  s.s_max = d["s_max"].cast<double>();
  return s;
}

// The partitions' sums added in list (partition) order.
ColumnSums total_of(const py::list& parts) {
  if (parts.empty()) throw InvalidArgument("there are no partitions");
  ColumnSums total = sums_from_dict(parts[0]);
  for (std::size_t k = 1; k < parts.size(); ++k) add_column_sums(&total, sums_from_dict(parts[k]));
  return total;
}

py::dict partition_sums_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                           const py::dict& opts, const py::object& about) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  const FitOptions o = options_from(opts);
  Scaling a;
  if (!about.is_none()) a = scaling_from_dict(about.cast<py::dict>());
  ColumnSums s;
  {
    py::gil_scoped_release release;
    s = partition_sums(d, parse_family(o.family), about.is_none() ? nullptr : &a);
  }
  return sums_to_dict(s);
}

py::dict scaling_from_sums_py(const py::list& sums, const py::object& squares, const py::dict& opts) {
  const FitOptions o = options_from(opts);
  const Family family = parse_family(o.family);
  const ColumnSums total = total_of(sums);
  py::dict out = scaling_to_dict(squares.is_none() ? scaling_means(total, family, o.intercept)
                                                   : scaling_from_sums(total, total_of(squares.cast<py::list>()),
                                                                       family, o.intercept));
  out["poisson_start"] = total.sy > 0.0 ? std::log(total.sy / total.s) : 0.0;
  out["rows"] = total.rows;
  return out;
}

py::array_t<double> matrix(const Eigen::MatrixXd& A) {
  py::array_t<double> out({static_cast<py::ssize_t>(A.rows()), static_cast<py::ssize_t>(A.cols())});
  for (Eigen::Index i = 0; i < A.rows(); ++i)
    for (Eigen::Index j = 0; j < A.cols(); ++j) out.mutable_at(i, j) = A(i, j);
  return out;
}

Eigen::MatrixXd matrix_from(const py::handle& h, Eigen::Index rows, Eigen::Index cols, const char* what) {
  const Array a = py::cast<Array>(h);
  if (a.ndim() != 2 || a.shape(0) != rows || a.shape(1) != cols)
    throw InvalidArgument(std::string("a partition's ") + what + " has the wrong shape");
  Eigen::MatrixXd A(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) A(i, j) = a.at(i, j);
  return A;
}

py::dict exact_pass_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                       const py::dict& opts, const py::dict& scaling, const Array& b, bool hessian) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  const FitOptions o = options_from(opts);
  const Scaling s = scaling_from_dict(scaling);
  if (d.m != static_cast<int>(s.c_mean.size()) || d.p != static_cast<int>(s.x_mean.size()))
    throw InvalidArgument("the partition's columns do not match the scaling's");
  const Eigen::VectorXd bv = Eigen::Map<const Eigen::VectorXd>(b.data(), b.size());
  ExactSums e;
  {
    py::gil_scoped_release release;
    const auto basis = o.encoder.type == "spline" ? make_spline_basis(o.encoder, d.m) : make_linear_basis(d.m);
    e = exact_pass(parse_family(o.family), d, s, *basis, bv, hessian, o.solver_options.threads);
  }
  py::dict out;
  if (hessian) out["H"] = matrix(e.H);
  out["g"] = matrix(e.g);
  out["M"] = matrix(e.M);
  out["f"] = e.f;
  out["total"] = e.total;
  out["zz"] = e.zz;
  out["rows"] = e.rows;
  return out;
}

// The exact fit; `passes(b, hessian)` returns the list of every partition's exact_pass dict,
// in partition order, which are added in that order. The GIL is held throughout: the work is
// the callback's (on the workers), the solve itself is small.
py::dict fit_exact_passes_py(const py::dict& opts, const py::dict& scaling, int m, int p, const py::function& passes) {
  const FitOptions o = options_from(opts);
  const Scaling s = scaling_from_dict(scaling);
  const double start = scaling.contains("poisson_start") ? scaling["poisson_start"].cast<double>() : 0.0;
  if (static_cast<int>(s.x_mean.size()) != p) throw InvalidArgument("the scaling does not match exog's columns");
  const bool spline = o.encoder.type == "spline";
  if (spline && (o.encoder.knots.empty() || o.encoder.centres.empty()))
    throw InvalidArgument("a spline fit over partitions needs its knots and centres placed first");
  const int m1 = spline ? spline_basis_size(o.encoder, m) : m + 1, D = s.q() * m1;
  const ExactPass pass = [&](const Eigen::VectorXd& b, bool hessian) {
    py::array_t<double> bp(static_cast<py::ssize_t>(b.size()));
    std::copy(b.data(), b.data() + b.size(), bp.mutable_data());
    const py::list parts = passes(bp, hessian);
    if (parts.empty()) throw InvalidArgument("there are no partitions");
    ExactSums total;
    for (std::size_t k = 0; k < parts.size(); ++k) {
      if (!py::isinstance<py::dict>(parts[k])) throw InvalidArgument("each partition's pass must be a dict");
      const py::dict d = py::reinterpret_borrow<py::dict>(parts[k]);
      ExactSums e;
      if (hessian) e.H = matrix_from(d["H"], D, D, "Hessian");
      e.g = matrix_from(d["g"], D, 1, "gradient");
      e.M = matrix_from(d["M"], m1, m1, "context Gram matrix");
      e.f = d["f"].cast<double>();
      e.total = d["total"].cast<double>();
      e.zz = d.contains("zz") ? d["zz"].cast<double>() : 0.0;
      e.rows = d.contains("rows") ? d["rows"].cast<double>() : 0.0;
      if (k == 0)
        total = std::move(e);
      else
        add_exact_sums(&total, e);
    }
    return total;
  };
  FitResult r = fit_exact_passes(o, s, m, pass, start);
  py::dict out = fit_report_to_dict(r, m);
  if (spline) out["spline"] = spline_fit_to_dict(r, m);
  out["model"] = std::make_shared<FittedModel>(make_fitted_model(option_map(opts), r, m, p));
  return out;
}

// A context-only view of a partition (C: rows x m), with weights when given.
DataView context_view(const Array& C, const py::object& weights, Array& w_holder) {
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  DataView d;
  d.n = static_cast<std::size_t>(C.shape(0));
  d.m = static_cast<int>(C.shape(1));
  d.C = C.data();
  if (!weights.is_none()) {
    w_holder = weights.cast<Array>();
    if (w_holder.ndim() != 1 || static_cast<std::size_t>(w_holder.shape(0)) != d.n)
      throw InvalidArgument("weights must hold one value per row of context");
    d.weights = w_holder.data();
  }
  check_finite(d.C, d.n, d.m, "context");
  return d;
}

py::dict spline_column_summary_py(const Array& C, const py::dict& opts, const py::dict& scaling) {
  Array w_holder;
  const DataView d = context_view(C, py::none(), w_holder);
  const FitOptions o = options_from(opts);
  const SplineColumnSummary sm = spline_column_summary(d, scaling_from_dict(scaling), o.encoder);
  py::list values;
  for (const auto& v : sm.values) values.append(to_array(v));
  py::dict out;
  out["lo"] = to_array(sm.lo);
  out["hi"] = to_array(sm.hi);
  out["values"] = values;
  return out;
}

// The knots from every partition's summary, added in partition order.
std::vector<double> spline_knots_py(const py::list& summaries, const py::dict& opts, int m,
                                    const std::vector<std::string>& context_names) {
  const FitOptions o = options_from(opts);
  if (summaries.empty()) throw InvalidArgument("there are no partitions");
  auto from = [](const py::handle& h) {
    const py::dict d = py::reinterpret_borrow<py::dict>(h);
    SplineColumnSummary sm;
    sm.lo = to_vector(d["lo"].cast<Array>());
    sm.hi = to_vector(d["hi"].cast<Array>());
    for (const auto& v : d["values"].cast<py::list>()) sm.values.push_back(to_vector(v.cast<Array>()));
    return sm;
  };
  SplineColumnSummary total = from(summaries[0]);
  for (std::size_t k = 1; k < summaries.size(); ++k) add_spline_column_summary(&total, from(summaries[k]), o.encoder, m);
  return spline_spec_from_summary(o.encoder, m, total, context_names).knots;
}

py::array_t<double> spline_centre_sums_py(const Array& C, const py::object& weights, const py::dict& opts,
                                          const py::dict& scaling) {
  Array w_holder;
  const DataView d = context_view(C, weights, w_holder);
  const FitOptions o = options_from(opts);
  return to_array(spline_centre_sums(d, scaling_from_dict(scaling), o.encoder, o.solver_options.threads));
}

// The centres from every partition's centre sums, added in partition order.
std::vector<double> spline_centres_py(const py::list& sums, const py::dict& opts, int m) {
  const FitOptions o = options_from(opts);
  if (sums.empty()) throw InvalidArgument("there are no partitions");
  std::vector<double> total = to_vector(sums[0].cast<Array>());
  for (std::size_t k = 1; k < sums.size(); ++k) {
    const std::vector<double> part = to_vector(sums[k].cast<Array>());
    if (part.size() != total.size()) throw InvalidArgument("the partitions' centre sums differ in length");
    for (std::size_t j = 0; j < total.size(); ++j) total[j] += part[j];
  }
  return spline_spec_with_centres(o.encoder, m, total).centres;
}

py::array_t<double> spline_basis_sum_py(const Array& C, const py::dict& opts, const py::dict& scaling) {
  const FitOptions o = options_from(opts, false);
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  return to_array(spline_basis_sum(o.encoder, scaling_from_dict(scaling), C.data(),
                                   static_cast<std::size_t>(C.shape(0)), static_cast<int>(C.shape(1))));
}

py::tuple spline_average_effects_at_py(const py::dict& opts, const py::dict& scaling, const Array& weights,
                                       const Array& Vp, const Array& bbar) {
  const FitOptions o = options_from(opts, false);
  const Scaling s = scaling_from_dict(scaling);
  const SplineAverageEffects a = spline_average_effects_at(o.encoder, s, to_vector(weights), to_vector(Vp),
                                                           to_vector(bbar));
  const auto q = static_cast<std::size_t>(s.q());
  return py::make_tuple(to_array(a.estimate), to_matrix(a.cov, q, q));
}

py::dict covariance_sums_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                            const std::string& family, const py::dict& scaling, const Array& params,
                            const std::string& cov_type, int threads, const py::object& groups,
                            const py::object& bread_inverse) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  if (threads < 0) throw InvalidArgument("threads must be >= 0");
  const Scaling s = scaling_from_dict(scaling);
  const std::vector<double> b = to_vector(params);
  const CovType type = parse_cov_type(cov_type);
  const std::vector<long long> codes = group_codes(groups);
  const Eigen::Index D = static_cast<Eigen::Index>(b.size());
  Eigen::MatrixXd Hinv;
  if (!bread_inverse.is_none()) Hinv = matrix_from(bread_inverse, D, D, "inverse bread");
  CovarianceSums c;
  {
    py::gil_scoped_release release;
    c = covariance_sums(d, parse_family(family), s, b, type, threads, groups.is_none() ? nullptr : &codes,
                        bread_inverse.is_none() ? nullptr : &Hinv);
  }
  py::dict out;
  out["H"] = matrix(c.H);
  out["meat"] = matrix(c.meat);
  out["ssr"] = c.ssr;
  out["pearson"] = c.pearson;
  out["nobs"] = c.nobs;
  py::array_t<long long> g(static_cast<py::ssize_t>(c.group_codes.size()));
  std::copy(c.group_codes.begin(), c.group_codes.end(), g.mutable_data());
  out["group_codes"] = g;
  out["S"] = matrix(c.S);
  return out;
}

CovarianceSums covariance_sums_from(const py::handle& h, Eigen::Index D) {
  if (!py::isinstance<py::dict>(h)) throw InvalidArgument("each partition's covariance sums must be a dict");
  const py::dict d = py::reinterpret_borrow<py::dict>(h);
  CovarianceSums c;
  const Array H = py::cast<Array>(d["H"]), meat = py::cast<Array>(d["meat"]), S = py::cast<Array>(d["S"]);
  if (H.size()) c.H = matrix_from(H, D, D, "bread");
  if (meat.size()) c.meat = matrix_from(meat, D, D, "meat");
  c.ssr = d["ssr"].cast<double>();
  c.pearson = d["pearson"].cast<double>();
  c.nobs = d["nobs"].cast<std::size_t>();
  c.group_codes = group_codes(d["group_codes"]);
  if (S.ndim() == 2 && S.shape(0) > 0) c.S = matrix_from(S, D, static_cast<Eigen::Index>(S.shape(1)), "score sums");
  if (static_cast<std::size_t>(c.S.cols()) != c.group_codes.size())
    throw InvalidArgument("a partition's score sums do not match its groups");
  return c;
}

// The linear encoder's covariance over reads of partitions: passes(bread_inverse or None)
// returns every partition's covariance_sums dict, in partition order, added in that order.
py::dict linear_covariance_passes_py(const std::string& family, const py::dict& scaling, const std::string& cov_type,
                                     bool quasi, const py::function& passes) {
  const Scaling s = scaling_from_dict(scaling);
  const Eigen::Index D = static_cast<Eigen::Index>(s.q()) * static_cast<Eigen::Index>(s.c_mean.size() + 1);
  const CovariancePass pass = [&](const Eigen::MatrixXd* bread_inverse) {
    const py::list parts = bread_inverse ? passes(matrix(*bread_inverse)) : passes(py::none());
    if (parts.empty()) throw InvalidArgument("there are no partitions");
    CovarianceSums total = covariance_sums_from(parts[0], D);
    for (std::size_t k = 1; k < parts.size(); ++k) add_covariance_sums(&total, covariance_sums_from(parts[k], D));
    return total;
  };
  return linear_covariance_to_dict(
      linear_covariance_passes(parse_family(family), s, parse_cov_type(cov_type), quasi, pass));
}

// The rows a network pass reads: 0 all, 1 the early-stopping split's training rows, 2 its held-out rows.
RowSet row_set(int rows) {
  if (rows < 0 || rows > 2) throw InvalidArgument("rows must be 0 (all), 1 (training) or 2 (held out)");
  return static_cast<RowSet>(rows);
}

py::dict network_pass_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                         const py::dict& opts, const py::dict& scaling, const Array& w, bool grad, int rows,
                         const py::object& held_out) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  const FitOptions o = options_from(opts);
  const Scaling s = scaling_from_dict(scaling);
  const std::vector<double> wv = to_vector(w);
  std::vector<std::size_t> held;
  if (!held_out.is_none())
    for (long long h : held_out.cast<std::vector<long long>>()) {
      if (h < 0) throw InvalidArgument("the held-out rows must be non-negative ordinals");
      held.push_back(static_cast<std::size_t>(h));
    }
  const RowSet set = row_set(rows);
  NetworkSums e;
  {
    py::gil_scoped_release release;
    e = network_pass(d, o, s, wv, grad, set, held);
  }
  py::dict out;
  out["f"] = e.f;
  out["total"] = e.total;
  out["grad"] = to_array(e.grad);
  return out;
}

// The neural encoders' fit; `passes(w, grad, rows)` returns the list of every partition's
// network_pass dict, in partition order, which are added in that order (GIL held: the work is
// the callback's, on the workers).
py::dict fit_network_passes_py(const py::dict& opts, const py::dict& scaling, int m, int p, const py::function& passes) {
  const FitOptions o = options_from(opts);
  const Scaling s = scaling_from_dict(scaling);
  if (static_cast<int>(s.x_mean.size()) != p) throw InvalidArgument("the scaling does not match exog's columns");
  const NetworkPass pass = [&](const std::vector<double>& w, bool grad, RowSet rows) {
    const py::list parts = passes(to_array(w), grad, static_cast<int>(rows));
    if (parts.empty()) throw InvalidArgument("there are no partitions");
    NetworkSums total;
    for (std::size_t k = 0; k < parts.size(); ++k) {
      if (!py::isinstance<py::dict>(parts[k])) throw InvalidArgument("each partition's pass must be a dict");
      const py::dict d = py::reinterpret_borrow<py::dict>(parts[k]);
      NetworkSums e;
      e.f = d["f"].cast<double>();
      e.total = d["total"].cast<double>();
      e.grad = to_vector(d["grad"].cast<Array>());
      if (k == 0)
        total = std::move(e);
      else
        add_network_sums(&total, e);
    }
    return total;
  };
  FitResult r = fit_network_passes(o, s, m, pass);
  py::dict out = fit_report_to_dict(r, m);
  out["model"] = std::make_shared<FittedModel>(make_fitted_model(option_map(opts), r, m, p));
  return out;
}

std::size_t positive_rows_py(std::size_t n, const py::object& weights) {
  DataView d;
  d.n = n;
  Array w_holder;
  if (!weights.is_none()) {
    w_holder = weights.cast<Array>();
    if (w_holder.ndim() != 1 || static_cast<std::size_t>(w_holder.shape(0)) != n)
      throw InvalidArgument("weights must hold one value per row");
    d.weights = w_holder.data();
  }
  return positive_rows(d);
}

py::array_t<long long> held_out_ordinals_py(std::uint64_t seed, std::size_t used) {
  const std::vector<std::size_t> h = held_out_ordinals(seed, used);
  py::array_t<long long> out(static_cast<py::ssize_t>(h.size()));
  std::copy(h.begin(), h.end(), out.mutable_data());
  return out;
}

py::array_t<double> poisson_counts_py(std::uint64_t seed, std::uint64_t replicate, std::uint64_t first_row,
                                      std::size_t rows) {
  std::vector<double> counts(rows);
  poisson_counts(seed, replicate, first_row, rows, counts.data());
  return to_array(counts);
}

}  // namespace

void bind_partitions(py::module_& mod) {
  mod.def("partition_sums", &partition_sums_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("options"), py::arg("about") = py::none(),
          "A partition's column sums (about=None) or squared deviations about a scaling's means.");
  mod.def("scaling_from_sums", &scaling_from_sums_py, py::arg("sums"), py::arg("squares"), py::arg("options"),
          "The scaling of all the partitions (squares=None: the means only), with poisson_start and rows.");
  mod.def("exact_pass", &exact_pass_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("options"), py::arg("scaling"), py::arg("b"), py::arg("hessian"),
          "One partition's sums of the linear encoder's exact pass at coefficients b.");
  mod.def("fit_exact_passes", &fit_exact_passes_py, py::arg("options"), py::arg("scaling"), py::arg("m"),
          py::arg("p"), py::arg("passes"),
          "The linear encoder's exact fit over passes(b, hessian) -> list of partition passes.");
  mod.def("spline_column_summary", &spline_column_summary_py, py::arg("C"), py::arg("options"), py::arg("scaling"),
          "A partition's range and distinct values of every spline margin's feature (knot placement).");
  mod.def("spline_knots", &spline_knots_py, py::arg("summaries"), py::arg("options"), py::arg("m"),
          py::arg("context_names"), "The spline's knots from every partition's spline_column_summary.");
  mod.def("spline_centre_sums", &spline_centre_sums_py, py::arg("C"), py::arg("weights"), py::arg("options"),
          py::arg("scaling"), "A partition's weighted sums of the spline margins' functions (centring).");
  mod.def("spline_centres", &spline_centres_py, py::arg("sums"), py::arg("options"), py::arg("m"),
          "The spline's centres from every partition's spline_centre_sums.");
  mod.def("spline_basis_sum", &spline_basis_sum_py, py::arg("C"), py::arg("options"), py::arg("scaling"),
          "A partition's sum of a fitted spline's basis rows (its average effects).");
  mod.def("spline_average_effects_at", &spline_average_effects_at_py, py::arg("options"), py::arg("scaling"),
          py::arg("weights"), py::arg("Vp"), py::arg("bbar"),
          "Average effects of a spline fit at the mean basis row bbar, and their covariance under Vp.");
  mod.def("covariance_sums", &covariance_sums_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("family"), py::arg("scaling"), py::arg("params"), py::arg("cov_type"), py::arg("threads"),
          py::arg("groups") = py::none(), py::arg("bread_inverse") = py::none(),
          "One partition's sums for the linear encoder's covariance (bread_inverse: HC2/HC3's second read).");
  mod.def("linear_covariance_passes", &linear_covariance_passes_py, py::arg("family"), py::arg("scaling"),
          py::arg("cov_type"), py::arg("quasi"), py::arg("passes"),
          "The linear encoder's covariance over passes(bread_inverse) -> list of partition covariance sums.");
  mod.def("network_pass", &network_pass_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("options"), py::arg("scaling"), py::arg("w"), py::arg("grad"), py::arg("rows"),
          py::arg("held_out") = py::none(),
          "One partition's sums of a neural encoder's objective at weights w (rows: 0 all, 1 training, 2 held out).");
  mod.def("fit_network_passes", &fit_network_passes_py, py::arg("options"), py::arg("scaling"), py::arg("m"),
          py::arg("p"), py::arg("passes"),
          "A neural encoder's L-BFGS fit over passes(w, grad, rows) -> list of partition network passes.");
  mod.def("positive_rows", &positive_rows_py, py::arg("n"), py::arg("weights"),
          "The rows of positive weight (the early-stopping split draws from them).");
  mod.def("held_out_ordinals", &held_out_ordinals_py, py::arg("seed"), py::arg("used"),
          "The early-stopping split's held-out ordinals among `used` rows of positive weight, sorted.");
  mod.def("poisson_counts", &poisson_counts_py, py::arg("seed"), py::arg("replicate"), py::arg("first_row"),
          py::arg("rows"), "The Poisson bootstrap's counts of rows first_row .. first_row + rows - 1 in a replicate.");
}

}  // namespace ctxstats_py
