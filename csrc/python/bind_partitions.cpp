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
    const auto basis = make_linear_basis(d.m);
    e = exact_pass(parse_family(o.family), d, s, *basis, bv, hessian, o.solver_options.threads);
  }
  py::dict out;
  if (hessian) out["H"] = matrix(e.H);
  out["g"] = matrix(e.g);
  out["M"] = matrix(e.M);
  out["f"] = e.f;
  out["total"] = e.total;
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
  const int m1 = m + 1, D = s.q() * m1;
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
      if (k == 0)
        total = std::move(e);
      else
        add_exact_sums(&total, e);
    }
    return total;
  };
  FitResult r = fit_exact_passes(o, s, m, pass, start);
  py::dict out = fit_report_to_dict(r, m);
  out["model"] = std::make_shared<FittedModel>(make_fitted_model(option_map(opts), r, m, p));
  return out;
}

std::vector<long long> group_labels(const py::object& groups) {
  const auto g = groups.cast<py::array_t<long long, py::array::c_style | py::array::forcecast>>();
  if (g.ndim() != 1) throw InvalidArgument("groups must be one-dimensional");
  return std::vector<long long>(g.data(), g.data() + g.shape(0));
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
  std::vector<long long> codes;
  if (!groups.is_none()) codes = group_labels(groups);
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
  c.group_codes = group_labels(d["group_codes"]);
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
  mod.def("covariance_sums", &covariance_sums_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("family"), py::arg("scaling"), py::arg("params"), py::arg("cov_type"), py::arg("threads"),
          py::arg("groups") = py::none(), py::arg("bread_inverse") = py::none(),
          "One partition's sums for the linear encoder's covariance (bread_inverse: HC2/HC3's second read).");
  mod.def("linear_covariance_passes", &linear_covariance_passes_py, py::arg("family"), py::arg("scaling"),
          py::arg("cov_type"), py::arg("quasi"), py::arg("passes"),
          "The linear encoder's covariance over passes(bread_inverse) -> list of partition covariance sums.");
}

}  // namespace ctxstats_py
