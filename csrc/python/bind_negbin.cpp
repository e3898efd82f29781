// Bindings for the negative binomial family's statistics (csrc/inference/negbin.hpp): theta by
// maximum likelihood, fit statistics, residuals and covariances. Converts arrays; the
// statistics are the core's.
#include <limits>

#include "convert.hpp"

namespace ctxstats_py {

namespace {

std::size_t pair_length(const Array& y, const Array& mu) {
  if (y.ndim() != 1 || mu.ndim() != 1 || y.shape(0) != mu.shape(0))
    throw InvalidArgument("y and mu must be one-dimensional and of one length");
  return static_cast<std::size_t>(y.shape(0));
}

const double* optional_weights(const py::object& weights, std::size_t n, Array& holder) {
  if (weights.is_none()) return nullptr;
  holder = weights.cast<Array>();
  if (holder.ndim() != 1 || static_cast<std::size_t>(holder.shape(0)) != n)
    throw InvalidArgument("weights must be one-dimensional with one value per observation");
  return holder.data();
}

}  // namespace

void bind_negbin(py::module_& mod) {
  mod.def(
      "negbin_theta_ml",
      [](const Array& y, const Array& mu, const py::object& weights, double start) {
        const std::size_t n = pair_length(y, mu);
        Array holder;
        const ThetaFit t = negbin_theta_ml(y.data(), mu.data(), optional_weights(weights, n, holder), n, start);
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
        const std::size_t n = pair_length(y, mu);
        Array holder;
        if (!(theta > 0.0)) throw InvalidArgument("theta must be positive");
        const ThetaLoglik t = negbin_theta_loglik(theta, y.data(), mu.data(), optional_weights(weights, n, holder), n);
        return py::make_tuple(t.loglik, t.score, t.hessian);
      },
      py::arg("theta"), py::arg("y"), py::arg("mu"), py::arg("weights") = py::none(),
      "The theta-dependent part of the log-likelihood with its first and second derivatives in theta.");
  mod.def(
      "negbin_fit_statistics",
      [](double theta, const Array& y, const Array& mu, const py::object& weights, bool intercept) {
        const std::size_t n = pair_length(y, mu);
        Array holder;
        const FitStatistics s =
            negbin_fit_statistics(theta, y.data(), mu.data(), optional_weights(weights, n, holder), n, intercept);
        py::dict out;
        out["loglik"] = s.loglik;
        out["deviance"] = s.deviance;
        out["null_deviance"] = s.null_deviance;
        out["deviance_explained"] = s.deviance_explained;
        out["pearson_chi2"] = s.pearson_chi2;
        return out;
      },
      py::arg("theta"), py::arg("y"), py::arg("mu"), py::arg("weights"), py::arg("intercept"));
  mod.def(
      "negbin_residuals",
      [](double theta, const std::string& type, const Array& y, const Array& mu, const py::object& weights) {
        const std::size_t n = pair_length(y, mu);
        Array holder;
        return to_array(negbin_residuals(theta, type, y.data(), mu.data(), optional_weights(weights, n, holder), n));
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
