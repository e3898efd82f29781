// Bindings for choosing and checking a model: the calibration test of the heterogeneity
// (csrc/inference/calibration.hpp). Converts arrays; the statistics are the core's.
#include "convert.hpp"
#include "inference/calibration.hpp"
#include "inference/cv_comparison.hpp"

namespace ctxstats_py {
namespace {

py::dict calibration_to_dict(const CalibrationTest& t) {
  py::dict out;
  out["mean_effect"] = to_array(t.mean_effect);
  out["coef"] = to_matrix(t.coef, static_cast<std::size_t>(t.q), 2);
  out["cov"] = to_matrix(t.cov, static_cast<std::size_t>(t.q), 4);
  out["identified"] = t.identified;
  out["converged"] = t.converged;
  out["nobs"] = t.nobs;
  out["df_resid"] = t.df_resid;
  out["use_t"] = t.use_t;
  out["cov_type"] = cov_type_name(t.cov_type);
  return out;
}

}  // namespace

void bind_toolkit(py::module_& mod) {
  mod.def(
      "calibration_test",
      [](const Array& C, const Array& X, const Array& y, const py::object& weights, const py::dict& opts, int folds,
         std::uint64_t seed, const std::string& cov_type) {
        Array w_holder;
        const DataView d = view(C, X, y, weights, w_holder);
        FitOptions o = options_from(opts);
        std::exception_ptr error;
        const py::object no_callback = py::none();
        o.solver_options.callback = progress_callback(no_callback, error);  // Ctrl-C inside a fold's fit
        const CovType type = parse_cov_type(cov_type);
        CrossValidation cv;
        CalibrationTest t;
        {
          py::gil_scoped_release release;
          t = calibration_test(d, o, folds, seed, type, &cv);
        }
        if (error) std::rethrow_exception(error);
        if (cv.interrupted) throw std::runtime_error("the calibration test's cross-fitting was interrupted");
        py::dict out = calibration_to_dict(t);
        out["fold_of_row"] = py::array_t<int>(static_cast<py::ssize_t>(cv.fold_of_row.size()), cv.fold_of_row.data());
        out["held_out_theta"] = to_matrix(cv.held_out_theta, cv.fold_of_row.size(), static_cast<std::size_t>(cv.q));
        out["fold_converged"] = cv.fold_converged;
        out["fold_message"] = cv.fold_message;
        return out;
      },
      py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"), py::arg("options"), py::arg("folds"),
      py::arg("seed"), py::arg("cov_type") = "HC3",
      "The calibration test of the heterogeneity on the model's cross-fitted parameters.");
  mod.def(
      "calibration_regression",
      [](const std::string& family, bool quasi, const Array& y, const Array& X, const Array& C, bool intercept,
         const Array& theta, const py::object& weights, const std::string& cov_type) {
        const std::size_t n = static_cast<std::size_t>(y.shape(0));
        if (X.ndim() != 2 || static_cast<std::size_t>(X.shape(0)) != n)
          throw InvalidArgument("X must be a matrix with a row per element of y");
        if (C.ndim() != 2 || static_cast<std::size_t>(C.shape(0)) != n)
          throw InvalidArgument("C must be a matrix with a row per element of y");
        const int p = static_cast<int>(X.shape(1));
        if (theta.ndim() != 2 || static_cast<std::size_t>(theta.shape(0)) != n ||
            theta.shape(1) != p + (intercept ? 1 : 0))
          throw InvalidArgument("theta must have a row per element of y and a column per parameter");
        Array w;
        const double* wp = nullptr;
        if (!weights.is_none()) {
          w = weights.cast<Array>();
          if (w.ndim() != 1 || static_cast<std::size_t>(w.shape(0)) != n)
            throw InvalidArgument("weights must have an element per element of y");
          wp = w.data();
        }
        return calibration_to_dict(calibration_regression(parse_family(family), quasi, y.data(), X.data(), p,
                                                          C.data(), static_cast<int>(C.shape(1)), intercept, theta.data(), wp, n, parse_cov_type(cov_type)));
      },
      py::arg("family"), py::arg("quasi"), py::arg("y"), py::arg("X"), py::arg("C"), py::arg("intercept"),
      py::arg("theta"),
      py::arg("weights") = py::none(), py::arg("cov_type") = "HC3",
      "The calibration regressions for given held-out parameters theta (n x q).");
  mod.def(
      "compare_cross_validation",
      [](const Array& fold_deviance, const Array& fold_weight) {
        if (fold_deviance.ndim() != 2) throw InvalidArgument("fold_deviance must be a models x folds matrix");
        const CrossValidationComparison c = compare_cross_validation(
            to_vector(fold_deviance), to_vector(fold_weight), static_cast<int>(fold_deviance.shape(0)));
        py::dict out;
        out["best"] = c.best;
        out["mean_deviance"] = to_array(c.mean_deviance);
        out["se"] = to_array(c.se);
        out["diff"] = to_array(c.diff);
        out["diff_se"] = to_array(c.diff_se);
        return out;
      },
      py::arg("fold_deviance"), py::arg("fold_weight"),
      "Models compared on the same cross-validation folds: mean deviance, its SE, the difference from the best.");
}

}  // namespace ctxstats_py
