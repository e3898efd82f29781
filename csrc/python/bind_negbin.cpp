// Bindings for the negative binomial family's statistics (csrc/inference/negbin.hpp): theta by
// maximum likelihood, fit statistics, residuals and covariances. Converts arrays; the
// statistics are the core's.
#include "convert.hpp"

namespace ctxstats_py {

void bind_negbin(py::module_& mod) {
  mod.def(
      "negbin_theta_ml",
      [](const Array& y, const Array& mu, const py::object& weights, double start) {
        Array holder;
        const double* w = pair_weights(y, mu, weights, holder);
        const ThetaFit t = negbin_theta_ml(y.data(), mu.data(), w, static_cast<std::size_t>(y.shape(0)), start);
        py::dict out;
        out["theta"] = t.theta;
        out["se"] = t.se;
        out["n_iter"] = t.n_iter;
        out["converged"] = t.converged;
        out["message"] = t.message;
        return out;
      },
      py::arg("y"), py::arg("mu"), py::arg("weights") = py::none(), py::arg("start") = 0.0,
      "The maximum-likelihood theta of the negative binomial at fixed means (MASS::theta.ml).");
  mod.def(
      "negbin_theta_loglik",
      [](double theta, const Array& y, const Array& mu, const py::object& weights) {
        Array holder;
        const double* w = pair_weights(y, mu, weights, holder);
        if (!(theta > 0.0)) throw InvalidArgument("theta must be positive");
        const ThetaLoglik t = negbin_theta_loglik(theta, y.data(), mu.data(), w, static_cast<std::size_t>(y.shape(0)));
        return py::make_tuple(t.loglik, t.score, t.hessian);
      },
      py::arg("theta"), py::arg("y"), py::arg("mu"), py::arg("weights") = py::none(),
      "The theta-dependent part of the log-likelihood with its first and second derivatives in theta.");
  mod.def(
      "negbin_fit_statistics",
      [](double theta, const Array& y, const Array& mu, const py::object& weights, bool intercept) {
        Array holder;
        const double* w = pair_weights(y, mu, weights, holder);
        return fit_statistics_to_dict(
            negbin_fit_statistics(theta, y.data(), mu.data(), w, static_cast<std::size_t>(y.shape(0)), intercept));
      },
      py::arg("theta"), py::arg("y"), py::arg("mu"), py::arg("weights"), py::arg("intercept"));
  mod.def(
      "negbin_residuals",
      [](double theta, const std::string& type, const Array& y, const Array& mu, const py::object& weights) {
        Array holder;
        const double* w = pair_weights(y, mu, weights, holder);
        return to_array(negbin_residuals(theta, type, y.data(), mu.data(), w, static_cast<std::size_t>(y.shape(0))));
      },
      py::arg("theta"), py::arg("type"), py::arg("y"), py::arg("mu"), py::arg("weights"));
  mod.def(
      "negbin_covariance",
      [](const Array& C, const Array& X, const Array& y, const py::object& weights, bool intercept,
         const Array& params, double theta, const std::string& cov_type, int threads, const py::object& groups) {
        Array w_holder;
        const DataView d = view(C, X, y, weights, w_holder);
        if (threads < 0) throw InvalidArgument("threads must be >= 0");
        const std::vector<double> b = to_vector(params);
        const std::vector<long long> codes = group_codes(groups);
        NegBinCovariance nc;
        {
          py::gil_scoped_release release;
          nc = negbin_covariance(d, intercept, b, theta, cov_type, threads, groups.is_none() ? nullptr : &codes);
        }
        py::dict out = linear_covariance_to_dict(nc.beta);
        if (cov_type == "observed") out["cov_type"] = cov_type;
        out["theta_se"] = nc.theta_se;
        out["alpha_se"] = nc.alpha_se;
        out["theta_se_joint"] = nc.theta_se_joint;
        return out;
      },
      py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"), py::arg("intercept"), py::arg("params"),
      py::arg("theta"), py::arg("cov_type"), py::arg("threads") = 0, py::arg("groups") = py::none());
}

}  // namespace ctxstats_py
