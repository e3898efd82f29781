// Bindings for the core's inference (csrc/inference/): analytic covariances, Wald tests and
// average effects of the linear encoder, and summaries of bootstrap replicates. Converts
// arrays and releases the GIL; the statistics are the core's.
#include "convert.hpp"

namespace ctxstats_py {

py::dict percentile_summary_to_dict(const PercentileSummary& s) {
  py::dict out;
  out["se"] = to_array(s.se);
  out["lower"] = to_array(s.lower);
  out["upper"] = to_array(s.upper);
  out["pvalue"] = to_array(s.pvalue);
  out["pvalue_floor"] = s.pvalue_floor;
  return out;
}

std::vector<long long> group_codes(const py::object& groups) {
  std::vector<long long> codes;
  if (!groups.is_none()) {
    const auto g = groups.cast<py::array_t<long long, py::array::c_style | py::array::forcecast>>();
    if (g.ndim() != 1) throw InvalidArgument("groups must be one-dimensional");
    codes.assign(g.data(), g.data() + g.shape(0));
  }
  return codes;
}

const double* pair_weights(const Array& y, const Array& mu, const py::object& weights, Array& holder) {
  if (y.ndim() != 1 || mu.ndim() != 1 || y.shape(0) != mu.shape(0))
    throw InvalidArgument("y and mu must be one-dimensional and of one length");
  if (weights.is_none()) return nullptr;
  holder = weights.cast<Array>();
  if (holder.ndim() != 1 || holder.shape(0) != y.shape(0))
    throw InvalidArgument("weights must be one-dimensional with one value per observation");
  return holder.data();
}

py::dict fit_statistics_to_dict(const FitStatistics& s) {
  py::dict out;
  out["loglik"] = s.loglik;
  out["deviance"] = s.deviance;
  out["null_deviance"] = s.null_deviance;
  out["deviance_explained"] = s.deviance_explained;
  out["pearson_chi2"] = s.pearson_chi2;
  return out;
}

namespace {

void require_matrix(const Array& a, const char* name) {
  if (a.ndim() != 2) throw InvalidArgument(std::string(name) + " must be two-dimensional");
}

// A square covariance matrix as the core's row-major vector.
std::vector<double> square_matrix(const Array& cov) {
  require_matrix(cov, "cov");
  if (cov.shape(0) != cov.shape(1)) throw InvalidArgument("cov must be a square matrix");
  return to_vector(cov);
}

py::array_t<double> interaction_coefficients_py(const py::dict& scaling, int m, const Array& weights) {
  const Scaling s = scaling_from_dict(scaling);
  const std::size_t D = static_cast<std::size_t>(s.q()) * (m + 1);
  if (weights.ndim() == 1) {
    return to_matrix(interaction_coefficients(s, m, weights.data(), 1, static_cast<std::size_t>(weights.shape(0))),
                  static_cast<std::size_t>(s.q()), static_cast<std::size_t>(m + 1));
  }
  require_matrix(weights, "weights");
  const std::size_t B = static_cast<std::size_t>(weights.shape(0));
  return to_matrix(interaction_coefficients(s, m, weights.data(), B, static_cast<std::size_t>(weights.shape(1))), B, D);
}

py::dict linear_covariance_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                              const std::string& family, bool intercept, const Array& params,
                              const std::string& cov_type, int threads, const py::object& groups, bool quasi) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  if (threads < 0) throw InvalidArgument("threads must be >= 0");
  const Family fam = parse_family(family);
  const CovType type = parse_cov_type(cov_type);
  const std::vector<double> b = to_vector(params);
  const std::vector<long long> codes = group_codes(groups);
  LinearCovariance lc;
  {
    py::gil_scoped_release release;
    lc = linear_covariance(d, fam, intercept, b, type, threads, groups.is_none() ? nullptr : &codes, quasi);
  }
  return linear_covariance_to_dict(lc);
}

py::array_t<double> average_effect_covariance_py(const Array& cov, const Array& C, int q) {
  require_matrix(C, "context");
  const std::vector<double> V = square_matrix(cov);
  return to_matrix(average_effect_covariance(V, q, C.data(), static_cast<std::size_t>(C.shape(0)),
                                          static_cast<int>(C.shape(1))),
                q, q);
}

py::array_t<double> heterogeneity_wald_py(const Array& params, const Array& cov, int q, int m, const std::string& by,
                                          bool use_f, double df_resid) {
  if (by != "coefficient" && by != "context")
    throw InvalidArgument("by must be 'coefficient' or 'context', not '" + by + "'");
  const auto tests = wald_tests(to_vector(params), square_matrix(cov), heterogeneity_restrictions(q, m, by == "context"),
                                use_f, df_resid);
  py::array_t<double> out({static_cast<py::ssize_t>(tests.size()), py::ssize_t{3}});
  double* o = out.mutable_data();
  for (std::size_t j = 0; j < tests.size(); ++j) {
    o[3 * j] = tests[j].statistic;
    o[3 * j + 1] = tests[j].df;
    o[3 * j + 2] = tests[j].df_denom;
  }
  return out;
}

py::array_t<double> sample_param_se_py(const Array& cov, const Array& C, int q) {
  require_matrix(C, "context");
  const std::size_t rows = static_cast<std::size_t>(C.shape(0));
  return to_matrix(sample_param_se(square_matrix(cov), q, C.data(), rows, static_cast<int>(C.shape(1))), rows, q);
}

py::array_t<double> linear_predictor_se_py(const Array& cov, const Array& X, const Array& C, bool intercept) {
  require_matrix(X, "exog");
  require_matrix(C, "context");
  if (X.shape(0) != C.shape(0)) throw InvalidArgument("exog and context have different numbers of rows");
  return to_array(linear_predictor_se(square_matrix(cov), X.data(), static_cast<int>(X.shape(1)), C.data(),
                                      static_cast<int>(C.shape(1)), static_cast<std::size_t>(C.shape(0)), intercept));
}

py::dict prediction_intervals_py(const std::string& family, const Array& eta, const Array& se_eta, double crit,
                                 const Array& scale, bool link_scale) {
  if (eta.ndim() != 1 || se_eta.ndim() != 1 || eta.shape(0) != se_eta.shape(0))
    throw InvalidArgument("eta and se_eta must be one-dimensional and of one length");
  // scale: one residual variance (NaN: no observation interval), or one per row (scale='context').
  if (scale.ndim() > 1 || (scale.ndim() == 1 && scale.shape(0) != eta.shape(0)))
    throw InvalidArgument("scale must be a number or one variance per row of eta");
  const auto n = static_cast<std::size_t>(eta.shape(0));
  const PredictionIntervals p =
      scale.ndim() == 1 ? prediction_intervals(parse_family(family), eta.data(), se_eta.data(), n, crit, scale.data(),
                                               link_scale)
                        : prediction_intervals(parse_family(family), eta.data(), se_eta.data(), n, crit,
                                               *scale.data(), link_scale);
  py::dict out;
  out["mean"] = to_array(p.mean);
  out["se_mean"] = to_array(p.se_mean);
  out["lower"] = to_array(p.lower);
  out["upper"] = to_array(p.upper);
  if (!p.obs_lower.empty()) {
    out["obs_lower"] = to_array(p.obs_lower);
    out["obs_upper"] = to_array(p.obs_upper);
  }
  return out;
}

py::dict column_spread_py(const Array& values) {
  require_matrix(values, "values");
  const ColumnSpread s = column_spread(values.data(), static_cast<std::size_t>(values.shape(0)),
                                       static_cast<std::size_t>(values.shape(1)));
  py::dict out;
  out["mean"] = to_array(s.mean);
  out["std"] = to_array(s.std);
  out["min"] = to_array(s.min);
  out["25%"] = to_array(s.q25);
  out["50%"] = to_array(s.median);
  out["75%"] = to_array(s.q75);
  out["max"] = to_array(s.max);
  return out;
}

py::dict percentile_summary_py(const Array& samples, double alpha) {
  require_matrix(samples, "samples");
  return percentile_summary_to_dict(percentile_summary(samples.data(), static_cast<std::size_t>(samples.shape(0)),
                                                      static_cast<std::size_t>(samples.shape(1)), alpha));
}

py::array_t<double> sign_pvalues_py(const Array& samples, double smoothing) {
  require_matrix(samples, "samples");
  return to_array(sign_pvalues(samples.data(), static_cast<std::size_t>(samples.shape(0)),
                               static_cast<std::size_t>(samples.shape(1)), smoothing));
}

py::dict fit_statistics_py(const std::string& family, const Array& y, const Array& mu, const py::object& weights,
                           bool intercept, bool quasi) {
  Array holder;
  const double* w = pair_weights(y, mu, weights, holder);
  return fit_statistics_to_dict(fit_statistics(parse_family(family), y.data(), mu.data(), w,
                                               static_cast<std::size_t>(y.shape(0)), intercept, quasi));
}

py::array_t<double> residuals_py(const std::string& family, const std::string& type, const Array& y, const Array& mu,
                                 const py::object& weights) {
  Array holder;
  const double* w = pair_weights(y, mu, weights, holder);
  return to_array(residuals(parse_family(family), type, y.data(), mu.data(), w, static_cast<std::size_t>(y.shape(0))));
}

py::array_t<double> replicate_covariance_py(const Array& samples) {
  require_matrix(samples, "samples");
  const std::size_t k = static_cast<std::size_t>(samples.shape(1));
  return to_matrix(replicate_covariance(samples.data(), static_cast<std::size_t>(samples.shape(0)), k), k, k);
}

}  // namespace

py::dict linear_covariance_to_dict(const LinearCovariance& lc) {
  py::dict out;
  out["cov"] = to_matrix(lc.cov, lc.D, lc.D);
  out["cov_type"] = cov_type_name(lc.cov_type);
  out["scale"] = lc.scale;
  out["nobs"] = lc.nobs;
  out["rank"] = lc.rank;
  out["df_resid"] = lc.df_resid;
  out["df_denom"] = lc.df_denom;
  out["n_groups"] = lc.n_groups;
  out["use_t"] = lc.use_t;
  out["use_f"] = lc.use_f;
  return out;
}

void bind_inference(py::module_& mod) {
  mod.def("analytic_available", [](const py::dict& opts) { return analytic_covariance_available(options_from(opts, false)); },
          py::arg("options"));
  mod.def(
      "resolve_cov_type",
      [](const py::object& cov_type, const py::dict& opts, long long n_bootstraps) -> py::object {
        const std::string c = resolve_cov_type(option_value(cov_type), options_from(opts, false), n_bootstraps);
        if (c.empty()) return py::none();
        return py::str(c);
      },
      py::arg("cov_type"), py::arg("options"), py::arg("n_bootstraps"));
  mod.def("interaction_coefficients", &interaction_coefficients_py, py::arg("scaling"), py::arg("m"),
          py::arg("weights"));
  mod.def("linear_covariance", &linear_covariance_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("family"), py::arg("intercept"), py::arg("params"), py::arg("cov_type"), py::arg("threads") = 0, py::arg("groups") = py::none(),
          py::arg("quasi") = false);
  mod.def("average_effect_covariance", &average_effect_covariance_py, py::arg("cov"), py::arg("C"), py::arg("q"));
  mod.def("heterogeneity_wald", &heterogeneity_wald_py, py::arg("params"), py::arg("cov"), py::arg("q"),
          py::arg("m"), py::arg("by"), py::arg("use_f"), py::arg("df_resid"));
  mod.def("sample_param_se", &sample_param_se_py, py::arg("cov"), py::arg("C"), py::arg("q"));
  mod.def("linear_predictor_se", &linear_predictor_se_py, py::arg("cov"), py::arg("X"), py::arg("C"),
          py::arg("intercept"));
  mod.def("percentile_summary", &percentile_summary_py, py::arg("samples"), py::arg("alpha"));
  mod.def("sign_pvalues", &sign_pvalues_py, py::arg("samples"), py::arg("smoothing"));
  mod.def("prediction_intervals", &prediction_intervals_py, py::arg("family"), py::arg("eta"), py::arg("se_eta"),
          py::arg("crit"), py::arg("scale"), py::arg("link_scale"),
          "Predicted means, their standard errors and intervals from a linear predictor and its standard error.");
  mod.def("column_spread", &column_spread_py, py::arg("values"),
          "Per column: mean (the average effects of per-sample parameters), std (ddof 0), min, quartiles, max.");
  mod.def("replicate_covariance", &replicate_covariance_py, py::arg("samples"));
  mod.def(
      "linear_projection",
      [](const Array& theta, const Array& C) {
        require_matrix(theta, "theta");
        require_matrix(C, "C");
        if (theta.shape(0) != C.shape(0)) throw InvalidArgument("theta and C must have the same number of rows");
        const int q = static_cast<int>(theta.shape(1)), m = static_cast<int>(C.shape(1));
        return to_matrix(linear_projection(theta.data(), static_cast<std::size_t>(theta.shape(0)), q, C.data(), m),
                         static_cast<std::size_t>(q), static_cast<std::size_t>(m + 1));
      },
      py::arg("theta"), py::arg("C"),
      "Best linear projection of per-sample parameters (rows x q) on [1, C]: q x (m + 1), user units.");
  mod.def("fit_statistics", &fit_statistics_py, py::arg("family"), py::arg("y"), py::arg("mu"), py::arg("weights"),
          py::arg("intercept"), py::arg("quasi") = false,
          "Log-likelihood, deviance, null deviance and Pearson chi-square of fitted means.");
  mod.def("dispersion", [](const std::string& family, double chi2, double df, bool quasi) {
            return dispersion(parse_family(family), chi2, df, quasi);
          }, py::arg("family"), py::arg("pearson_chi2"), py::arg("df_resid"), py::arg("quasi") = false);
  mod.def(
      "nested_test",
      [](const std::string& family, double dev0, double df0, double dev1, double df1, const py::object& dev_big,
         const py::object& df_big, const py::object& dispersion_big) {
        const NestedTest t = nested_test(parse_family(family), dev0, df0, dev1, df1,
                                         dev_big.is_none() ? dev1 : dev_big.cast<double>(),
                                         df_big.is_none() ? df1 : df_big.cast<double>(),
                                         dispersion_big.is_none() ? std::numeric_limits<double>::quiet_NaN()
                                                                  : dispersion_big.cast<double>());
        py::dict out;
        out["statistic"] = t.statistic;
        out["df"] = t.df;
        out["df_denom"] = t.df_denom;
        out["use_f"] = t.use_f;
        out["not_nested"] = t.not_nested;
        return out;
      },
      py::arg("family"), py::arg("dev0"), py::arg("df0"), py::arg("dev1"), py::arg("df1"),
      py::arg("dev_big") = py::none(), py::arg("df_big") = py::none(), py::arg("dispersion_big") = py::none());
  mod.def("residuals", &residuals_py, py::arg("family"), py::arg("type"), py::arg("y"), py::arg("mu"),
          py::arg("weights"));
}

}  // namespace ctxstats_py
