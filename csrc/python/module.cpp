// ctxstats._core: converts arrays and option dicts, releases the GIL, calls the core.
// No statistics here. InvalidArgument derives from std::invalid_argument, which pybind11
// raises as ValueError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "error.hpp"
#include "fit.hpp"

namespace py = pybind11;
using namespace ctxstats;

namespace {

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

template <typename T>
T get(const py::dict& d, const char* key, T fallback) {
  return d.contains(key) && !d[key].is_none() ? d[key].cast<T>() : fallback;
}

FitOptions options_from(const py::dict& d) {
  FitOptions o;
  o.family = get<std::string>(d, "family", o.family);
  o.encoder.type = get<std::string>(d, "encoder", o.encoder.type);
  o.encoder.width = get<int>(d, "width", o.encoder.width);
  o.encoder.depth = get<int>(d, "depth", o.encoder.depth);
  o.encoder.archetypes = get<int>(d, "archetypes", o.encoder.archetypes);
  o.encoder.activation = parse_activation(get<std::string>(d, "activation", "relu"));
  o.intercept = get<bool>(d, "fit_intercept", o.intercept);
  o.penalty.alpha = get<double>(d, "alpha", o.penalty.alpha);
  o.penalty.l1_ratio = get<double>(d, "l1_ratio", o.penalty.l1_ratio);
  o.penalty.mu_ratio = get<double>(d, "mu_ratio", o.penalty.mu_ratio);
  o.penalty.weight_decay = get<double>(d, "weight_decay", o.penalty.weight_decay);
  o.solver = get<std::string>(d, "solver", o.solver);
  SolverOptions& s = o.solver_options;
  s.max_iter = get<int>(d, "max_iter", s.max_iter);
  s.tol = get<double>(d, "tol", s.tol);
  s.batch_size = get<int>(d, "batch_size", s.batch_size);
  s.learning_rate = get<double>(d, "learning_rate", s.learning_rate);
  s.val_split = get<double>(d, "val_split", s.val_split);
  s.patience = get<int>(d, "patience", s.patience);
  s.seed = get<std::uint64_t>(d, "seed", s.seed);
  s.threads = get<int>(d, "threads", s.threads);
  return o;
}

py::array_t<double> to_array(const std::vector<double>& v) { return py::array_t<double>(v.size(), v.data()); }

std::vector<double> to_vector(const Array& a) { return std::vector<double>(a.data(), a.data() + a.size()); }

py::dict scaling_to_dict(const Scaling& s) {
  py::dict d;
  d["c_mean"] = to_array(s.c_mean);
  d["c_scale"] = to_array(s.c_scale);
  d["x_mean"] = to_array(s.x_mean);
  d["x_scale"] = to_array(s.x_scale);
  d["y_mean"] = s.y_mean;
  d["y_scale"] = s.y_scale;
  d["intercept"] = s.intercept;
  return d;
}

Scaling scaling_from_dict(const py::dict& d) {
  Scaling s;
  s.c_mean = to_vector(d["c_mean"].cast<Array>());
  s.c_scale = to_vector(d["c_scale"].cast<Array>());
  s.x_mean = to_vector(d["x_mean"].cast<Array>());
  s.x_scale = to_vector(d["x_scale"].cast<Array>());
  s.y_mean = d["y_mean"].cast<double>();
  s.y_scale = d["y_scale"].cast<double>();
  s.intercept = d["intercept"].cast<bool>();
  return s;
}

// Shapes are checked here only as far as needed to read the buffers; the core validates
// the values.
DataView view(const Array& C, const Array& X, const Array& y, const py::object& weights, Array& w_holder) {
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  if (X.ndim() != 2) throw InvalidArgument("exog must be two-dimensional");
  if (y.ndim() != 1) throw InvalidArgument("endog must be one-dimensional");
  DataView d;
  d.n = static_cast<std::size_t>(y.shape(0));
  if (static_cast<std::size_t>(C.shape(0)) != d.n || static_cast<std::size_t>(X.shape(0)) != d.n)
    throw InvalidArgument("endog, exog and context must have the same number of rows");
  d.m = static_cast<int>(C.shape(1));
  d.p = static_cast<int>(X.shape(1));
  d.C = C.data();
  d.X = X.data();
  d.y = y.data();
  if (!weights.is_none()) {
    w_holder = weights.cast<Array>();
    if (w_holder.ndim() != 1 || static_cast<std::size_t>(w_holder.shape(0)) != d.n)
      throw InvalidArgument("weights must be one-dimensional with one entry per row");
    d.weights = w_holder.data();
  }
  return d;
}

py::dict fit_py(const Array& C, const Array& X, const Array& y, const py::object& weights, const py::dict& opts,
                const py::object& init) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  const FitOptions o = options_from(opts);
  std::vector<double> init_w;
  if (!init.is_none()) init_w = to_vector(init.cast<Array>());
  FitResult r;
  {
    py::gil_scoped_release release;
    r = fit(d, o, init.is_none() ? nullptr : &init_w);
  }
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
  const FitOptions o = options_from(opts);
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

PYBIND11_MODULE(_core, mod) {
  mod.doc() = "ctxstats' C++ core (private; use the ctxstats package)";
  mod.def("fit", &fit_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"), py::arg("options"),
          py::arg("init") = py::none());
  mod.def("objective", &objective_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("options"), py::arg("w"));
  mod.def("predict_theta", &predict_theta_py, py::arg("options"), py::arg("scaling"), py::arg("w"), py::arg("C"));
  mod.def("n_weights", &n_weights_py, py::arg("options"), py::arg("m"), py::arg("q"));
}
