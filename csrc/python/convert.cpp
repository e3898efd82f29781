#include "convert.hpp"

namespace ctxstats_py {


FitOptions options_from(const py::dict& d) {
  FitOptions o;
  o.family = get<std::string>(d, "family", o.family);
  o.encoder.type = get<std::string>(d, "encoder", o.encoder.type);
  o.encoder.width = get<int>(d, "width", o.encoder.width);
  o.encoder.depth = get<int>(d, "depth", o.encoder.depth);
  o.encoder.archetypes = get<int>(d, "archetypes", o.encoder.archetypes);
  o.encoder.activation = parse_activation(get<std::string>(d, "activation", "relu"));
  spline_options_from(d, o.encoder);
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
  validate_scaling(s);
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

std::function<bool(int, double)> progress_callback(const py::object& callback, std::exception_ptr& error) {
  return [&callback, &error](int iteration, double objective) -> bool {
    py::gil_scoped_acquire gil;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (callback.is_none()) return true;
      py::object keep_going = callback(iteration, objective);
      return keep_going.is_none() || keep_going.cast<bool>();
    } catch (...) {
      error = std::current_exception();
      return false;
    }
  };
}

}  // namespace ctxstats_py
