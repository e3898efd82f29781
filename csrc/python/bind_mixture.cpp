// Bindings for mixtures of contextualized regressions (csrc/glm/mixture.hpp): the fit, the
// choice of the number of components by BIC, predictions and the log-likelihood with its
// gradient (for checks).
#include "convert.hpp"

namespace ctxstats_py {

namespace {

MixtureOptions mixture_options(const std::string& family, const std::string& encoder, int k, int n_starts,
                               int max_iter, double tol, double min_share, long long seed, int threads) {
  if (seed < 0) throw InvalidArgument("seed must be a non-negative integer");
  MixtureOptions o;
  o.family = family;
  o.encoder = encoder;
  o.k = k;
  o.n_starts = n_starts;
  o.max_iter = max_iter;
  o.tol = tol;
  o.min_share = min_share;
  o.seed = static_cast<std::uint64_t>(seed);
  o.threads = threads;
  return o;
}

py::dict mixture_to_dict(const MixtureResult& r) {
  const auto K = static_cast<std::size_t>(r.k), q = static_cast<std::size_t>(r.q),
             m1 = static_cast<std::size_t>(r.m + 1), n = r.n;
  py::dict out;
  out["k"] = r.k;
  out["scaling"] = scaling_to_dict(r.scaling);
  out["weights"] = to_matrix(r.weights, K, q * m1);
  out["gate"] = to_matrix(r.gate, K, m1);
  out["sigma"] = to_array(r.sigma);
  py::array_t<double> coef({K, q, m1});
  std::copy(r.coef.begin(), r.coef.end(), coef.mutable_data());
  out["coef"] = coef;
  out["gate_coef"] = to_matrix(r.gate_coef, K, m1);
  out["posterior"] = to_matrix(r.posterior, n, K);
  out["prior"] = to_matrix(r.prior, n, K);
  py::array_t<double> theta({K, n, q});
  std::copy(r.theta.begin(), r.theta.end(), theta.mutable_data());
  out["theta"] = theta;
  out["size"] = to_array(r.size);
  out["loglik"] = r.loglik;
  out["df"] = r.df;
  out["nobs"] = r.nobs;
  out["aic"] = r.aic;
  out["bic"] = r.bic;
  out["n_iter"] = r.n_iter;
  out["converged"] = r.converged;
  out["sigma_floored"] = r.sigma_floored;
  out["message"] = r.message;
  out["best_start"] = r.best_start;
  out["start_loglik"] = to_array(r.start_loglik);
  out["start_iter"] = py::array_t<int>(static_cast<py::ssize_t>(r.start_iter.size()), r.start_iter.data());
  out["start_status"] = py::array_t<int>(static_cast<py::ssize_t>(r.start_status.size()), r.start_status.data());
  return out;
}

py::dict fit_py(const Array& C, const Array& X, const Array& y, const py::object& weights, const std::string& family,
                const std::string& encoder, int k, int n_starts, int max_iter, double tol, double min_share,
                long long seed, int threads, const py::object& start_posterior) {
  Array w_holder, post;
  const DataView d = view(C, X, y, weights, w_holder);
  const MixtureOptions o = mixture_options(family, encoder, k, n_starts, max_iter, tol, min_share, seed, threads);
  if (!start_posterior.is_none()) {
    post = start_posterior.cast<Array>();
    if (post.ndim() != 2 || static_cast<std::size_t>(post.shape(0)) != d.n || post.shape(1) != k)
      throw InvalidArgument("start_posterior must be an array of shape (nobs, n_components)");
  }
  MixtureResult r;
  {
    py::gil_scoped_release release;
    r = fit_mixture(d, o, start_posterior.is_none() ? nullptr : post.data());
  }
  return mixture_to_dict(r);
}

py::tuple select_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                    const std::string& family, const std::string& encoder, int k_min, int k_max, int n_starts,
                    int max_iter, double tol, double min_share, long long seed, int threads) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  const MixtureOptions o = mixture_options(family, encoder, k_min, n_starts, max_iter, tol, min_share, seed, threads);
  std::vector<MixtureResult> fits;
  int chosen = 0;
  {
    py::gil_scoped_release release;
    fits = select_mixture_components(d, o, k_min, k_max, &chosen);
  }
  py::list out;
  for (const auto& f : fits) out.append(mixture_to_dict(f));
  return py::make_tuple(out, chosen);
}

py::dict predict_py(const std::string& family, const py::dict& scaling, const Array& weights, const Array& gate,
                    const Array& sigma, const Array& X, const Array& C, const py::object& y) {
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  if (X.ndim() != 2 || X.shape(0) != C.shape(0))
    throw InvalidArgument("exog must be two-dimensional, one row per context row");
  if (gate.ndim() != 2) throw InvalidArgument("gate must be two-dimensional, one row per component");
  const Scaling s = scaling_from_dict(scaling);
  const int K = static_cast<int>(gate.shape(0));
  Array yv;
  if (!y.is_none()) {
    yv = y.cast<Array>();
    if (yv.ndim() != 1 || yv.shape(0) != C.shape(0)) throw InvalidArgument("endog must have one value per row");
  }
  const auto rows = static_cast<std::size_t>(C.shape(0));
  MixturePrediction p = predict_mixture(family, s, K, to_vector(weights), to_vector(gate), to_vector(sigma), X.data(), C.data(),
                                        y.is_none() ? nullptr : yv.data(), rows, static_cast<int>(X.shape(1)),
                                        static_cast<int>(C.shape(1)));
  py::dict out;
  const auto k = static_cast<std::size_t>(K);
  out["prior"] = to_matrix(p.prior, rows, k);
  out["means"] = to_matrix(p.means, rows, k);
  out["mean"] = to_array(p.mean);
  if (!y.is_none()) out["posterior"] = to_matrix(p.posterior, rows, k);
  return out;
}

py::dict bootstrap_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                      const std::string& family, const std::string& encoder, int k, int max_iter, double tol,
                      double min_share, long long seed, int threads, const Array& posterior, int n_bootstraps,
                      double alpha) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  const MixtureOptions o = mixture_options(family, encoder, k, 0, max_iter, tol, min_share, seed, threads);
  if (posterior.ndim() != 2 || static_cast<std::size_t>(posterior.shape(0)) != d.n || posterior.shape(1) != k)
    throw InvalidArgument("the full fit's posterior must be an array of shape (nobs, n_components)");
  const std::vector<double> post = to_vector(posterior);
  MixtureBootstrap b;
  {
    py::gil_scoped_release release;
    b = bootstrap_mixture(d, o, post, n_bootstraps, alpha);
  }
  const auto B = b.n_replicates;
  py::dict out;
  out["coef"] = to_matrix(b.coef, B, b.coef.size() / B);
  out["sigma"] = to_matrix(b.sigma, B, b.sigma.size() / B);
  out["gate_coef"] = to_matrix(b.gate_coef, B, b.gate_coef.size() / B);
  out["loglik"] = to_array(b.loglik);
  out["coef_summary"] = percentile_summary_to_dict(b.coef_summary);
  out["sigma_summary"] = percentile_summary_to_dict(b.sigma_summary);
  out["gate_summary"] = percentile_summary_to_dict(b.gate_summary);
  out["failed"] = b.failed;
  out["unconverged"] = b.unconverged;
  out["relabelled"] = b.relabelled;
  out["message"] = b.message;
  return out;
}

py::tuple loglik_py(const Array& C, const Array& X, const Array& y, const py::object& weights, int k,
                    const Array& params, const std::string& family) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  std::vector<double> grad;
  const double l = mixture_loglik(d, k, to_vector(params), &grad, family);
  return py::make_tuple(l, to_array(grad));
}

}  // namespace

void bind_mixture(py::module_& mod) {
  mod.def("mixture_fit", &fit_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"), py::arg("family"),
          py::arg("encoder"), py::arg("k"), py::arg("n_starts"), py::arg("max_iter"), py::arg("tol"),
          py::arg("min_share"), py::arg("seed"), py::arg("threads"), py::arg("start_posterior"),
          "A mixture of contextualized regressions fitted by EM from several starts (csrc/glm/mixture.hpp).");
  mod.def("mixture_select", &select_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("family"), py::arg("encoder"), py::arg("k_min"), py::arg("k_max"), py::arg("n_starts"),
          py::arg("max_iter"), py::arg("tol"), py::arg("min_share"), py::arg("seed"), py::arg("threads"),
          "Mixtures with k_min..k_max components and the index of the smallest BIC.");
  mod.def("mixture_predict", &predict_py, py::arg("family"), py::arg("scaling"), py::arg("weights"), py::arg("gate"), py::arg("sigma"),
          py::arg("X"), py::arg("C"), py::arg("y"),
          "A mixture's mixing weights, component means, mean and (given y) posterior at new rows.");
  mod.def("mixture_bootstrap", &bootstrap_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("family"), py::arg("encoder"), py::arg("k"), py::arg("max_iter"), py::arg("tol"),
          py::arg("min_share"), py::arg("seed"), py::arg("threads"), py::arg("posterior"), py::arg("n_bootstraps"),
          py::arg("alpha"),
          "The mixture's bootstrap: replicates started at the full fit's posterior, their components matched "
          "to its (csrc/glm/mixture_bootstrap.hpp).");
  mod.def("mixture_loglik", &loglik_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"), py::arg("k"),
          py::arg("params"), py::arg("family") = "gaussian",
          "The mixture's observed log-likelihood (internal scale) and its gradient.");
}

}  // namespace ctxstats_py
