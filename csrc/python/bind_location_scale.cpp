// Bindings for the heteroskedastic (scale = "context") fit: its report, predictions with
// sigma(c), the covariance of the average effects, and the objective for gradient checks.
#include "convert.hpp"

namespace ctxstats_py {

py::dict location_scale_to_dict(const LocationScaleReport& r) {
  py::dict out;
  out["weights"] = to_array(r.weights);
  const auto D = static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(r.cov.size()))));
  out["cov"] = to_matrix(r.cov, D, D);
  out["loglik"] = r.loglik;
  out["loglik_constant"] = r.loglik_constant;
  out["lr_statistic"] = r.lr_statistic;
  out["wald_statistic"] = r.wald_statistic;
  out["test_df"] = r.test_df;
  out["edf_mean"] = r.edf_mean;
  out["edf_scale"] = r.edf_scale;
  out["lambda"] = to_array(r.lambda);
  out["outer_iter"] = r.outer_iter;
  out["constant_converged"] = r.constant_converged;
  return out;
}

LocationScaleReport location_scale_from_dict(const py::dict& d) {
  LocationScaleReport r;
  r.present = true;
  r.weights = to_vector(d["weights"].cast<Array>());
  r.cov = to_vector(d["cov"].cast<Array>());
  for (const char* k : {"loglik", "loglik_constant", "lr_statistic", "wald_statistic", "test_df"})
    if (!d.contains(k)) throw InvalidArgument(std::string("the scale report has no ") + k);
  r.loglik = d["loglik"].cast<double>();
  r.loglik_constant = d["loglik_constant"].cast<double>();
  r.lr_statistic = d["lr_statistic"].cast<double>();
  r.wald_statistic = d["wald_statistic"].cast<double>();
  r.test_df = d["test_df"].cast<double>();
  return r;
}

namespace {

py::dict predict_py(const py::dict& opts, const py::dict& scaling, const Array& w, const py::dict& report,
                    const Array& X, const Array& C) {
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  if (X.ndim() != 2 || X.shape(0) != C.shape(0)) throw InvalidArgument("exog must be two-dimensional, one row per context row");
  const FitOptions o = options_from(opts, false);
  const Scaling s = scaling_from_dict(scaling);
  const LocationScaleReport r = location_scale_from_dict(report);
  const std::vector<double> wv = to_vector(w);
  LocationScalePrediction p;
  {
    py::gil_scoped_release release;
    p = predict_location_scale(o.encoder, s, wv, r, X.data(), C.data(), static_cast<std::size_t>(C.shape(0)),
                               static_cast<int>(X.shape(1)), static_cast<int>(C.shape(1)));
  }
  py::dict out;
  out["eta"] = to_array(p.eta);
  out["se_eta"] = to_array(p.se_eta);
  out["sigma"] = to_array(p.sigma);
  return out;
}

py::array_t<double> average_cov_py(const py::dict& opts, const py::dict& scaling, const py::dict& report,
                                   const Array& C) {
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  const FitOptions o = options_from(opts, false);
  const Scaling s = scaling_from_dict(scaling);
  const LocationScaleReport r = location_scale_from_dict(report);
  const std::vector<double> v = location_scale_average_cov(o.encoder, s, r, C.data(),
                                                           static_cast<std::size_t>(C.shape(0)),
                                                           static_cast<int>(C.shape(1)));
  const auto q = static_cast<std::size_t>(s.q());
  return to_matrix(v, q, q);
}

py::tuple objective_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                       const py::dict& opts, const Array& w, const Array& lambda) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  const FitOptions o = options_from(opts);
  std::vector<double> grad, hess;
  const double f = location_scale_objective(d, o, to_vector(w), to_vector(lambda), &grad, &hess);
  const auto D = grad.size();
  return py::make_tuple(f, to_array(grad), to_matrix(hess, D, D));
}

}  // namespace

void bind_location_scale(py::module_& mod) {
  mod.def("location_scale_predict", &predict_py, py::arg("options"), py::arg("scaling"), py::arg("weights"),
          py::arg("report"), py::arg("X"), py::arg("C"),
          "scale='context': the mean, its standard error and sigma at rows (X, C).");
  mod.def("location_scale_average_cov", &average_cov_py, py::arg("options"), py::arg("scaling"), py::arg("report"),
          py::arg("C"), "scale='context': covariance of the average over rows of C of the sample parameters.");
  mod.def("location_scale_objective", &objective_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("options"), py::arg("w"), py::arg("lambda_"),
          "scale='context': the objective, gradient and observed Hessian at [mean weights; scale weights].");
}

}  // namespace ctxstats_py
