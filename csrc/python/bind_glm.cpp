// Bindings for contextualized GLM fits: fit, objective (for gradient checks), prediction.
#include <cmath>

#include "convert.hpp"

namespace ctxstats_py {

namespace {

py::dict fit_py(const Array& C, const Array& X, const Array& y, const py::object& weights, const py::dict& opts,
                const py::object& init, const py::object& callback, const py::object& context_names, bool train) {
  Array w_holder;
  DataView d = view(C, X, y, weights, w_holder);
  // The context's column names, for messages that name a column (the spline's knots).
  std::vector<std::string> names;
  if (!context_names.is_none()) {
    names = context_names.cast<std::vector<std::string>>();
    if (names.size() != static_cast<std::size_t>(d.m))
      throw InvalidArgument("context_names must have one name per context column");
    d.context_names = &names;
  }
  FitOptions o = options_from(opts);
  std::exception_ptr error;
  o.solver_options.callback = progress_callback(callback, error);
  std::vector<double> init_w;
  if (!init.is_none()) init_w = to_vector(init.cast<Array>());
  FitResult r;
  {
    py::gil_scoped_release release;
    r = fit(d, o, init.is_none() ? nullptr : &init_w, train);
  }
  if (error) std::rethrow_exception(error);
  py::dict out = fit_report_to_dict(r, d.m);
  // The core's fitted model (bind_model.cpp): predictions and the file format. An interrupted
  // fit may stop at weights the model refuses (non-finite): it then has none.
  try {
    out["model"] = std::make_shared<FittedModel>(make_fitted_model(option_map(opts), r, d.m, d.p));
  } catch (const InvalidArgument&) {
    if (!r.solve.interrupted) throw;
    out["model"] = py::none();
  }
  return out;
}

py::dict cross_validate_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                           const py::dict& opts, int folds, std::uint64_t seed, const py::object& callback) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  FitOptions o = options_from(opts);
  std::exception_ptr error;
  const py::object no_callback = py::none();  // progress_callback keeps a reference: it must outlive the fits
  o.solver_options.callback = progress_callback(no_callback, error);  // Ctrl-C inside a fold's fit
  const auto progress = progress_callback(callback, error);
  CrossValidation cv;
  {
    py::gil_scoped_release release;
    cv = cross_validate(d, o, folds, seed, progress);
  }
  if (error) std::rethrow_exception(error);
  py::dict out;
  out["fold_of_row"] = py::array_t<int>(static_cast<py::ssize_t>(cv.fold_of_row.size()), cv.fold_of_row.data());
  out["predicted_mean"] = to_array(cv.predicted_mean);
  out["fold_deviance"] = to_array(cv.fold_deviance);
  out["fold_weight"] = to_array(cv.fold_weight);
  out["fold_rows"] = cv.fold_rows;
  out["fold_converged"] = cv.fold_converged;
  out["fold_message"] = cv.fold_message;
  out["deviance"] = cv.deviance;
  out["interrupted"] = cv.interrupted;
  return out;
}

py::tuple objective_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                       const py::dict& opts, const Array& w) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  const FitOptions o = options_from(opts);
  const std::vector<double> wv = to_vector(w);
  std::vector<double> grad;
  double f;
  {
    py::gil_scoped_release release;
    f = objective_value_grad(d, o, wv, &grad);
  }
  return py::make_tuple(f, to_array(grad));
}

py::array_t<double> predict_theta_py(const py::dict& opts, const py::dict& scaling, const Array& w, const Array& C) {
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  const FitOptions o = options_from(opts, false);
  const Scaling s = scaling_from_dict(scaling);
  const std::vector<double> wv = to_vector(w);
  const std::size_t rows = static_cast<std::size_t>(C.shape(0));
  std::vector<double> theta;
  {
    py::gil_scoped_release release;
    theta = predict_theta(o.encoder, s, wv, C.data(), rows, static_cast<int>(C.shape(1)), o.solver_options.threads);
  }
  py::array_t<double> out({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(s.q())});
  std::copy(theta.begin(), theta.end(), out.mutable_data());
  return out;
}

std::size_t n_weights_py(const py::dict& opts, int m, int q) { return encoder_n_weights(options_from(opts).encoder, m, q); }

}  // namespace

py::dict fit_report_to_dict(const FitResult& r, int m) {
  py::dict out;
  out["weights"] = to_array(r.weights);
  out["scaling"] = scaling_to_dict(r.scaling);
  out["solver"] = r.solver;
  out["n_iter"] = r.solve.n_iter;
  out["converged"] = r.solve.converged;
  out["objective"] = r.solve.objective;
  out["history"] = to_array(r.solve.history);
  out["val_history"] = to_array(r.solve.val_history);
  out["message"] = r.solve.message;
  out["rank_deficient"] = r.solve.rank_deficient;
  out["interrupted"] = r.solve.interrupted;
  out["trained"] = r.trained;
  if (std::isfinite(r.nb_theta)) out["theta"] = r.nb_theta;  // family negativebinomial
  if (r.location_scale.present) {  // scale = "context": its own report (a spline's basis included)
    py::dict ls = location_scale_to_dict(r.location_scale);
    ls["knots"] = to_array(r.encoder.knots);
    ls["centres"] = to_array(r.encoder.centres);
    out["location_scale"] = ls;
  } else if (r.encoder.type == "spline") {
    out["spline"] = spline_fit_to_dict(r, m);
  }
  if (r.early_stopped) {  // the iterations chosen on the held-out rows
    py::dict es;
    es["best_iter"] = r.early_best_iter;
    es["val_loss"] = to_array(r.early_val_loss);
    es["split_iter"] = r.early_split_iter;
    out["early_stopping"] = es;
  }
  return out;
}

void bind_glm(py::module_& mod) {
  mod.def("cross_validate", &cross_validate_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("options"), py::arg("folds"), py::arg("seed"), py::arg("callback") = py::none(),
          "K-fold cross-validation: every row's held-out prediction and each fold's held-out deviance.");
  mod.def("fit", &fit_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"), py::arg("options"),
          py::arg("init") = py::none(), py::arg("callback") = py::none(), py::arg("context_names") = py::none(),
          py::arg("train") = true);
  mod.def("objective", &objective_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("options"), py::arg("w"));
  mod.def("predict_theta", &predict_theta_py, py::arg("options"), py::arg("scaling"), py::arg("w"), py::arg("C"));
  mod.def("n_weights", &n_weights_py, py::arg("options"), py::arg("m"), py::arg("q"));
}

}  // namespace ctxstats_py
