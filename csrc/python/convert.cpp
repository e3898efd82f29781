#include "convert.hpp"

namespace ctxstats_py {


// Python values as the core's option parser reads them (options/schema.hpp): the parser,
// not pybind11's casts, decides what is valid, so every error names the option.
OptionValue option_value(const py::handle& x) {
  static const py::object np = py::module_::import("numpy");
  if (x.is_none()) return OptionValue::null();
  if (py::isinstance<py::bool_>(x) || py::isinstance(x, np.attr("bool_"))) return OptionValue::boolean(x.cast<bool>());
  if (py::isinstance<py::int_>(x) || py::isinstance(x, np.attr("integer")))
    return OptionValue::integer_text(py::str(py::int_(py::reinterpret_borrow<py::object>(x))));
  if (py::isinstance<py::float_>(x) || py::isinstance(x, np.attr("floating"))) return OptionValue::real(x.cast<double>());
  if (py::isinstance<py::str>(x)) return OptionValue::string(x.cast<std::string>());
  if (py::isinstance(x, np.attr("ndarray"))) return option_value(x.attr("tolist")());
  if (py::isinstance<py::list>(x) || py::isinstance<py::tuple>(x)) {
    std::vector<OptionValue> items;
    for (const auto& item : x) items.push_back(option_value(item));
    return OptionValue::list(std::move(items));
  }
  return OptionValue::other("a value of type " + py::str(x.get_type().attr("__name__")).cast<std::string>());
}

OptionMap option_map(const py::dict& d) {
  OptionMap out;
  for (const auto& kv : d) {
    if (!py::isinstance<py::str>(kv.first)) throw InvalidType("option names must be strings");
    out.emplace_back(kv.first.cast<std::string>(), option_value(kv.second));
  }
  return out;
}

py::object to_python(const OptionValue& v) {
  switch (v.kind) {
    case OptionValue::Kind::kBool: return py::bool_(v.flag);
    case OptionValue::Kind::kInt: return py::int_(py::str(v.text));
    case OptionValue::Kind::kDouble: return py::float_(v.number);
    case OptionValue::Kind::kString: return py::str(v.text);
    case OptionValue::Kind::kList: {
      py::list out;
      for (const auto& item : v.items) out.append(to_python(item));
      return std::move(out);
    }
    default: return py::none();
  }
}

FitOptions options_from(const py::dict& d, bool strict) { return fit_options_from(option_map(d), strict); }

py::array_t<double> to_array(const std::vector<double>& v) { return py::array_t<double>(v.size(), v.data()); }

py::array_t<double> to_matrix(const std::vector<double>& v, std::size_t rows, std::size_t cols) {
  py::array_t<double> out({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

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
