// The core's fitted model (model/fitted_model.hpp) as the Python class _core.FittedModel:
// made by _core.fit, it predicts, carries the fit's report and writes and reads the model
// file that the R package reads and writes too.
#include <map>

#include "convert.hpp"

namespace ctxstats_py {

namespace {

using Model = std::shared_ptr<FittedModel>;

std::vector<double> matrix_rows(const Array& a, std::size_t rows, int cols, const char* name) {
  if (a.ndim() != 2 || static_cast<std::size_t>(a.shape(0)) != rows || a.shape(1) != cols)
    throw InvalidArgument(std::string(name) + " must have shape (" + std::to_string(rows) + ", " +
                          std::to_string(cols) + ")");
  return to_vector(a);
}

// A copy with what only the front end knows: names, the training data and annotations (the
// replicates are the model's own, from with_bootstrap); the core checks it all against the
// model's dimensions.
Model annotated(const FittedModel& base, const std::vector<std::string>& param_names,
                const std::vector<std::string>& context_names, const std::string& response_name,
                const py::object& data, const std::map<std::string, std::string>& meta) {
  auto md = std::make_shared<FittedModel>(base);
  md->param_names = param_names;
  md->context_names = context_names;
  md->response_name = response_name;
  md->data = TrainingData();
  if (!data.is_none()) {
    const auto t = data.cast<py::tuple>();
    if (t.size() != 4) throw InvalidArgument("data must be (context, exog, endog, weights or None)");
    const Array y = t[2].cast<Array>();
    if (y.ndim() != 1) throw InvalidArgument("endog must be one-dimensional");
    TrainingData& d = md->data;
    d.n = static_cast<std::size_t>(y.shape(0));
    d.y = to_vector(y);
    d.C = matrix_rows(t[0].cast<Array>(), d.n, md->m, "context");
    d.X = matrix_rows(t[1].cast<Array>(), d.n, md->p, "exog");
    if (!t[3].is_none()) d.weights = to_vector(t[3].cast<Array>());
  }
  md->meta.assign(meta.begin(), meta.end());
  validate_fitted_model(*md);
  return md;
}

py::dict options_of(const FittedModel& md) {
  py::dict out;
  for (const auto& kv : md.options) out[py::str(kv.first)] = to_python(kv.second);
  return out;
}

py::object data_of(const FittedModel& md) {
  const TrainingData& d = md.data;
  if (d.n == 0) return py::none();
  py::object w = d.weights.empty() ? py::object(py::none()) : py::object(to_array(d.weights));
  return py::make_tuple(to_matrix(d.C, d.n, md.m), to_matrix(d.X, d.n, md.p), to_array(d.y), w);
}

py::array_t<double> predict_py(const FittedModel& md, const Array& C) {
  const int threads = md.fit_options.solver_options.threads;
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  const auto rows = static_cast<std::size_t>(C.shape(0));
  std::vector<double> theta;
  {
    py::gil_scoped_release release;
    theta = predict_theta(md, C.data(), rows, static_cast<int>(C.shape(1)), threads);
  }
  return to_matrix(theta, rows, static_cast<std::size_t>(md.q()));
}

py::dict pass_py(const FittedModel& md, const Array& C, const Array& theta) {
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  const auto rows = static_cast<std::size_t>(C.shape(0));
  if (theta.ndim() != 2 || static_cast<std::size_t>(theta.shape(0)) != rows || theta.shape(1) != md.q())
    throw InvalidArgument("theta must hold the fit's parameters for every row of context (rows x q)");
  BootstrapPass p;
  {
    py::gil_scoped_release release;
    p = bootstrap_pass(md, C.data(), rows, static_cast<int>(C.shape(1)), theta.data(),
                       md.fit_options.solver_options.threads);
  }
  return bootstrap_pass_to_dict(p);
}

py::tuple limits_py(const FittedModel& md, const Array& C, double alpha) {
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  const auto rows = static_cast<std::size_t>(C.shape(0));
  SampleLimits l;
  {
    py::gil_scoped_release release;
    l = bootstrap_sample_limits(md, C.data(), rows, static_cast<int>(C.shape(1)), alpha,
                                md.fit_options.solver_options.threads);
  }
  const auto q = static_cast<std::size_t>(md.q());
  return py::make_tuple(to_matrix(l.lower, rows, q), to_matrix(l.upper, rows, q));
}

Model from_bytes(const py::bytes& b) {
  return std::make_shared<FittedModel>(fitted_model_from_file(ModelFile::parse(std::string(b))));
}

}  // namespace

void bind_model(py::module_& mod) {
  py::class_<FittedModel, Model>(mod, "FittedModel",
                                 "A fitted contextualized GLM held by the core (made by fit; see ctxstats.io)")
      .def_readonly("m", &FittedModel::m)
      .def_readonly("p", &FittedModel::p)
      .def_readonly("param_names", &FittedModel::param_names)
      .def_readonly("context_names", &FittedModel::context_names)
      .def_readonly("response_name", &FittedModel::response_name)
      .def("options", &options_of)
      .def("report", [](const FittedModel& md) { return fit_report_to_dict(md.fit, md.m); })
      .def("bootstrap",
           [](const FittedModel& md) -> py::object {
             if (md.bootstrap.n_replicates == 0) return py::none();
             return bootstrap_to_dict(md.bootstrap);
           })
      .def("data", &data_of)
      .def("meta", [](const FittedModel& md) { return std::map<std::string, std::string>(md.meta.begin(), md.meta.end()); })
      .def("predict_theta", &predict_py, py::arg("C"))
      .def("with_bootstrap",
           [](const FittedModel& md, const py::dict& b) {
             return std::make_shared<FittedModel>(with_bootstrap(md, bootstrap_from_dict(b)));
           })
      .def_property_readonly("n_bootstraps", [](const FittedModel& md) { return md.bootstrap.n_replicates; })
      .def("bootstrap_pass", &pass_py, py::arg("C"), py::arg("theta"))
      .def("bootstrap_sample_limits", &limits_py, py::arg("C"), py::arg("alpha"))
      .def("annotated", &annotated, py::arg("param_names"), py::arg("context_names"), py::arg("response_name"),
           py::arg("data"), py::arg("meta"))
      .def("to_bytes", [](const FittedModel& md) { return py::bytes(to_model_file(md).serialize()); })
      .def_static("from_bytes", &from_bytes)
      .def("save", [](const FittedModel& md, const std::string& path) { save_fitted_model(md, path); })
      .def_static("load", [](const std::string& path) { return std::make_shared<FittedModel>(load_fitted_model(path)); })
      .def(py::pickle([](const FittedModel& md) { return py::bytes(to_model_file(md).serialize()); },
                      [](const py::bytes& b) { return from_bytes(b); }));
  mod.def(
      "model_file_kind", [](const py::bytes& b) { return model_file_kind(ModelFile::parse(std::string(b))); },
      py::arg("raw"), "The kind of model a model file holds ('glm', 'network'), its bytes checked.");
}

}  // namespace ctxstats_py
