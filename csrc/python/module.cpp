// ctxstats._core: converts arrays and option dicts, releases the GIL, calls the core.
// No statistics here. InvalidArgument derives from std::invalid_argument, which pybind11
// raises as ValueError; InvalidType (a wrong kind of option value) is raised as TypeError. Each concern registers its functions from its own bind_*.cpp.
#include "convert.hpp"

PYBIND11_MODULE(_core, mod) {
  mod.doc() = "ctxstats' C++ core (private; use the ctxstats package)";
  pybind11::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ctxstats::InvalidType& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    }
  });
  ctxstats_py::bind_glm(mod);
  ctxstats_py::bind_personalized(mod);
  ctxstats_py::bind_bootstrap(mod);
  ctxstats_py::bind_spline(mod);
  ctxstats_py::bind_identifiability(mod);
  ctxstats_py::bind_inference(mod);
  ctxstats_py::bind_options(mod);
  ctxstats_py::bind_model(mod);
  ctxstats_py::bind_networks(mod);
  ctxstats_py::bind_partitions(mod);
  ctxstats_py::bind_subtypes(mod);
  ctxstats_py::bind_location_scale(mod);
  ctxstats_py::bind_negbin(mod);
  ctxstats_py::bind_toolkit(mod);
  ctxstats_py::bind_mixture(mod);
}
