// Conversions shared by the binding files: numpy arrays and option dicts to core types.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "ctxstats.hpp"

namespace ctxstats_py {

namespace py = pybind11;
using namespace ctxstats;

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

// Options cross into the core as one name -> value map read by the core's schema.
OptionValue option_value(const py::handle& x);
OptionMap option_map(const py::dict& d);
py::object to_python(const OptionValue& v);
// strict false: a fitted model's stored options (see fit_options_from).
FitOptions options_from(const py::dict& d, bool strict = true);
py::array_t<double> to_array(const std::vector<double>& v);
// A rows x cols array from a row-major vector.
py::array_t<double> to_matrix(const std::vector<double>& v, std::size_t rows, std::size_t cols);
std::vector<double> to_vector(const Array& a);
py::dict scaling_to_dict(const Scaling& s);
Scaling scaling_from_dict(const py::dict& d);
// A view of (C, X, y, weights); w_holder keeps a converted weights array alive.
DataView view(const Array& C, const Array& X, const Array& y, const py::object& weights, Array& w_holder);

// A solver callback that, with the GIL held briefly, checks for Ctrl-C and calls
// `callback(iteration, objective)` (when not None; a False return stops the fit). A Python
// exception stops the fit and is stored in `error`, to be rethrown once the GIL is back.
std::function<bool(int, double)> progress_callback(const py::object& callback, std::exception_ptr& error);

// One registration function per binding file.
void bind_glm(py::module_& mod);
void bind_personalized(py::module_& mod);
void bind_bootstrap(py::module_& mod);
void bind_spline(py::module_& mod);
void bind_identifiability(py::module_& mod);
void bind_inference(py::module_& mod);
void bind_options(py::module_& mod);
void bind_model(py::module_& mod);
void bind_networks(py::module_& mod);
void bind_partitions(py::module_& mod);
void bind_subtypes(py::module_& mod);
void bind_location_scale(py::module_& mod);
void bind_negbin(py::module_& mod);
void bind_toolkit(py::module_& mod);
void bind_mixture(py::module_& mod);

// What a fit reports, as _core.fit returns it (bind_glm.cpp).
py::dict fit_report_to_dict(const FitResult& r, int m);
// A bootstrap's replicates as _core.bootstrap returns them, and back (bind_bootstrap.cpp).
py::dict bootstrap_to_dict(const BootstrapResult& r);
BootstrapResult bootstrap_from_dict(const py::dict& d);
// A bootstrap pass (means, sign-flip shares, heterogeneity test) as a dict.
py::dict bootstrap_pass_to_dict(const BootstrapPass& p);
// A bootstrap percentile summary (inference/bootstrap_summary.hpp): se, lower, upper, pvalue,
// pvalue_floor (bind_inference.cpp).
py::dict percentile_summary_to_dict(const PercentileSummary& s);

// cov_type = "cluster"'s group codes (None: none) (bind_inference.cpp).
std::vector<long long> group_codes(const py::object& groups);
// Fitted means' y and mu (one-dimensional, one length) and their optional weights (None: null;
// `holder` keeps a converted array alive); fit statistics as _core.fit_statistics returns them.
const double* pair_weights(const Array& y, const Array& mu, const py::object& weights, Array& holder);
py::dict fit_statistics_to_dict(const FitStatistics& s);

// What a spline fit reports (bind_spline.cpp).
py::dict spline_fit_to_dict(const FitResult& r, int m);

// A scale = "context" fit's report, and back (bind_location_scale.cpp).
// The core's covariance of the linear encoder's interaction coefficients, as the front end's dict.
py::dict linear_covariance_to_dict(const LinearCovariance& lc);
py::dict location_scale_to_dict(const LocationScaleReport& r);
LocationScaleReport location_scale_from_dict(const py::dict& d);

}  // namespace ctxstats_py
