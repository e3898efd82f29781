// Bindings for the identifiability computations: the Gram matrices of the standardised designs.
#include "convert.hpp"
#include "identifiability.hpp"
#include "objective.hpp"

namespace ctxstats_py {

namespace {

py::array_t<double> square(const std::vector<double>& v, int k) {
  py::array_t<double> out({static_cast<py::ssize_t>(k), static_cast<py::ssize_t>(k)});
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

py::dict design_grams_py(const Array& C, const Array& X, const py::dict& scaling, bool interaction, int threads) {
  if (C.ndim() != 2 || X.ndim() != 2) throw InvalidArgument("context and exog must be two-dimensional");
  if (C.shape(0) != X.shape(0)) throw InvalidArgument("context and exog have different numbers of rows");
  const Scaling s = scaling_from_dict(scaling);
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

}  // namespace

void bind_identifiability(py::module_& mod) {
  mod.def("design_grams", &design_grams_py, py::arg("C"), py::arg("X"), py::arg("scaling"), py::arg("interaction"),
          py::arg("threads") = 0);
}

}  // namespace ctxstats_py
