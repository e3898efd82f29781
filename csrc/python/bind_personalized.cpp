// Bindings for personalized regression: fit, objective (for gradient checks), prediction
// for new contexts, bootstrap counts.
#include <limits>
#include <stdexcept>

#include "convert.hpp"

namespace ctxstats_py {

namespace {

py::dict personalized_fit_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                             const py::dict& opts, const py::object& init) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  PersonalizedOptions o = personalized_options_from(option_map(opts));
  std::exception_ptr error;
  const py::object no_progress = py::none();
  o.callback = progress_callback(no_progress, error);  // Ctrl-C stops the fit (KeyboardInterrupt)
  std::vector<double> init_w;
  if (!init.is_none()) init_w = to_vector(init.cast<Array>());
  PersonalizedFit r;
  {
    py::gil_scoped_release release;
    r = fit_personalized(d, o, init.is_none() ? nullptr : &init_w);
  }
  if (error) std::rethrow_exception(error);
  const std::size_t q = r.theta_bar.size();
  py::dict out;
  out["params"] = to_array(r.params);
  out["theta"] = to_matrix(r.theta, d.n, q);
  out["theta_latent"] = to_matrix(r.theta_latent, d.n, q);
  out["local_neighbors"] = r.local_neighbors;
  out["phi_matching"] = to_array(r.phi_matching);
  out["local_grid"] = to_array(r.local_grid);
  out["local_loss"] = to_array(r.local_loss);
  out["theta_bar"] = to_array(r.theta_bar);
  out["theta_pop"] = to_array(r.theta_pop);
  out["Q"] = to_matrix(r.Q, static_cast<std::size_t>(r.rank), q);
  out["rank"] = r.rank;
  out["rank_grid"] = to_array(r.rank_grid);
  out["rank_loss"] = to_array(r.rank_loss);
  out["rank_se"] = to_array(r.rank_se);
  out["held_out_loss"] = r.held_out_loss;
  out["held_out_se"] = r.held_out_se;
  out["smoothing_bias"] = to_matrix(r.smoothing_bias, r.smoothing_bias.empty() ? 0 : d.n, q);
  out["shrink_target"] = r.shrink_target;
  out["shrinkage"] = r.shrinkage;
  out["shrink_grid"] = to_array(r.shrink_grid);
  out["shrink_loss"] = to_array(r.shrink_loss);
  out["shrink_linear"] = to_array(std::vector<double>(r.shrink_linear.begin(), r.shrink_linear.end()));
  out["target_map"] = to_matrix(r.target_map, r.target_map.size() / (q + 2), q + 2);
  out["phi"] = to_array(r.phi);
  out["dist_scale"] = to_array(r.dist_scale);
  std::vector<double> role(r.role.begin(), r.role.end());
  out["validation"] = to_array(role);
  out["scaling"] = scaling_to_dict(r.scaling);
  out["history"] = to_array(r.history);
  out["val_history"] = to_array(r.val_history);
  out["n_iter"] = r.n_iter;
  out["best_epoch"] = r.best_epoch;
  out["converged"] = r.converged;
  out["population_converged"] = r.population_converged;
  out["objective"] = r.objective;
  out["message"] = r.message;
  return out;
}

py::tuple personalized_objective_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                                    const py::dict& opts, const Array& params, std::uint64_t epoch) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  const PersonalizedOptions o = personalized_options_from(option_map(opts));
  const std::vector<double> pv = to_vector(params);
  std::vector<double> grad;
  double f;
  {
    py::gil_scoped_release release;
    f = personalized_objective(d, o, pv, epoch, &grad);
  }
  return py::make_tuple(f, to_array(grad));
}

py::array_t<double> personalized_predict_py(const Array& C_new, const Array& C_train, const Array& theta_train,
                                            const Array& phi, const Array& dist_scale,
                                            const std::vector<int>& categorical, const py::object& k,
                                            const py::object& threads_arg, const py::object& target_map) {
  const int n_neighbors = int_option("n_neighbors", option_value(k));
  const int threads = int_option("threads", option_value(threads_arg));
  if (C_new.ndim() != 2 || C_train.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  if (theta_train.ndim() != 2 || theta_train.shape(0) != C_train.shape(0))
    throw InvalidArgument("theta_train must have one row per training context");
  if (C_new.shape(1) != C_train.shape(1))
    throw InvalidArgument("context has " + std::to_string(C_new.shape(1)) + " columns; the model was fitted with " +
                          std::to_string(C_train.shape(1)));
  const std::size_t rows = static_cast<std::size_t>(C_new.shape(0)), n = static_cast<std::size_t>(C_train.shape(0));
  const int m = static_cast<int>(C_new.shape(1)), q = static_cast<int>(theta_train.shape(1));
  const std::vector<double> phv = to_vector(phi), dsv = to_vector(dist_scale);
  std::vector<double> tmap;
  if (!target_map.is_none()) {
    const Array tm = target_map.cast<Array>();
    if (tm.ndim() != 2 || (tm.shape(0) > 0 && tm.shape(1) != q + 2))
      throw InvalidArgument("target_map must be a matrix of 2 + q = " + std::to_string(q + 2) + " columns");
    tmap = to_vector(tm);
  }
  std::vector<double> out;
  {
    py::gil_scoped_release release;
    out = personalized_predict(C_new.data(), rows, C_train.data(), n, m, theta_train.data(), q, phv, dsv, categorical,
                               n_neighbors, threads, &tmap);
  }
  return to_matrix(out, rows, static_cast<std::size_t>(q));
}

py::array_t<double> personalized_bootstrap_counts_py(std::size_t n, std::uint64_t seed, std::uint64_t replicate) {
  return to_array(personalized_bootstrap_counts(n, seed, replicate));
}

py::dict modes_to_dict(const ModeSplit& s) {
  py::dict out;
  out["multimodal"] = to_array(std::vector<double>(s.multimodal.begin(), s.multimodal.end()));
  out["separation"] = to_array(s.separation);
  out["low_centre"] = to_array(s.low_centre);
  out["high_centre"] = to_array(s.high_centre);
  out["low_count"] = to_array(s.low_count);
  out["high_count"] = to_array(s.high_count);
  return out;
}

// The core's bootstrap (personalized_bootstrap): every replicate's sample models (B x n x q),
// metric weights, average effects and rank, the convergence of each, the modes check and
// its message for the given names.
// The replicates' arrays (what a range carries).
py::dict personalized_replicates_to_dict(const PersonalizedBootstrap& r) {
  const std::size_t nq = r.n * static_cast<std::size_t>(r.q);
  py::dict out;
  out["theta"] = to_matrix(r.theta, r.B, nq).attr("reshape")(r.B, r.n, r.q);
  out["phi"] = to_matrix(r.phi, r.B, static_cast<std::size_t>(r.m));
  out["means"] = to_matrix(r.means, r.B, static_cast<std::size_t>(r.q));
  out["rank"] = to_array(r.rank);
  py::list conv, msgs;
  for (std::size_t b = 0; b < r.B; ++b) {
    conv.append(py::bool_(r.converged[b] != 0));
    msgs.append(r.messages[b]);
  }
  out["converged"] = conv;
  out["messages"] = msgs;
  return out;
}

// The replicates with the modes check and its message for the given names.
py::dict personalized_boot_to_dict(const PersonalizedBootstrap& r, const std::vector<std::string>& param_names,
                                   const std::vector<std::string>& context_names) {
  py::dict out = personalized_replicates_to_dict(r);
  out["effect_modes"] = modes_to_dict(r.effect_modes);
  out["metric_modes"] = modes_to_dict(r.metric_modes);
  out["modes_message"] = personalized_modes_message(r, param_names, context_names);
  return out;
}

PersonalizedBootstrap run_personalized_bootstrap(const Array& C, const Array& X, const Array& y,
                                                 const py::object& weights, const py::dict& opts, std::size_t B,
                                                 const py::object& init, std::size_t first) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  PersonalizedOptions o = personalized_options_from(option_map(opts));
  std::exception_ptr error;
  const py::object no_progress = py::none();
  o.callback = progress_callback(no_progress, error);
  std::vector<double> init_w;
  if (!init.is_none()) init_w = to_vector(init.cast<Array>());
  PersonalizedBootstrap r;
  {
    py::gil_scoped_release release;
    r = personalized_bootstrap(d, o, B, init.is_none() ? nullptr : &init_w, first);
  }
  if (error) std::rethrow_exception(error);
  if (r.interrupted) throw std::runtime_error("the bootstrap was interrupted");
  return r;
}

// The core's bootstrap (personalized_bootstrap): every replicate's sample models (B x n x q),
// metric weights, average effects and rank, the convergence of each, the modes check and
// its message for the given names.
py::dict personalized_bootstrap_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                                   const py::dict& opts, std::size_t B, const py::object& init,
                                   const std::vector<std::string>& param_names,
                                   const std::vector<std::string>& context_names) {
  return personalized_boot_to_dict(run_personalized_bootstrap(C, X, y, weights, opts, B, init, 0), param_names,
                                   context_names);
}

// Replicates first .. first + B - 1 (a task of ctxstats.dask): the dict above plus `first`.
py::dict personalized_bootstrap_range_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                                         const py::dict& opts, std::size_t first, std::size_t B,
                                         const py::object& init) {
  py::dict out = personalized_replicates_to_dict(run_personalized_bootstrap(C, X, y, weights, opts, B, init, first));
  out["first"] = first;
  return out;
}

PersonalizedBootstrap personalized_boot_from_dict(const py::handle& h) {
  if (!py::isinstance<py::dict>(h)) throw InvalidArgument("each bootstrap range must be a dict");
  const py::dict d = py::reinterpret_borrow<py::dict>(h);
  if (!d.contains("first")) throw InvalidArgument("a bootstrap range lacks `first` (use personalized_bootstrap_range)");
  PersonalizedBootstrap r;
  const Array theta = d["theta"].cast<Array>(), phi = d["phi"].cast<Array>(), means = d["means"].cast<Array>();
  if (theta.ndim() != 3 || phi.ndim() != 2 || means.ndim() != 2)
    throw InvalidArgument("a bootstrap range is malformed (theta B x n x q, phi B x m, means B x q)");
  r.first = d["first"].cast<std::size_t>();
  r.B = static_cast<std::size_t>(theta.shape(0));
  r.n = static_cast<std::size_t>(theta.shape(1));
  r.q = static_cast<int>(theta.shape(2));
  r.m = static_cast<int>(phi.shape(1));
  r.theta = to_vector(theta);
  r.phi = to_vector(phi);
  r.means = to_vector(means);
  r.rank = to_vector(d["rank"].cast<Array>());
  for (const py::handle c : d["converged"].cast<py::list>()) r.converged.push_back(c.cast<bool>() ? 1 : 0);
  for (const py::handle m : d["messages"].cast<py::list>()) r.messages.push_back(m.cast<std::string>());
  return r;
}

py::dict personalized_bootstrap_merge_py(const py::list& ranges, const std::vector<std::string>& param_names,
                                         const std::vector<std::string>& context_names) {
  std::vector<PersonalizedBootstrap> parts;
  for (const py::handle h : ranges) parts.push_back(personalized_boot_from_dict(h));
  return personalized_boot_to_dict(personalized_bootstrap_merge(std::move(parts)), param_names, context_names);
}

// Percentile intervals centred on the estimate (inference/bootstrap_modes.hpp).
py::dict centred_intervals_py(const Array& estimate, const Array& samples, double alpha, double lo_bound,
                              double hi_bound, const py::object& bias) {
  if (samples.ndim() != 2) throw InvalidArgument("samples must be a matrix (replicates x quantities)");
  const std::size_t B = static_cast<std::size_t>(samples.shape(0)), k = static_cast<std::size_t>(samples.shape(1));
  if (static_cast<std::size_t>(estimate.size()) != k)
    throw InvalidArgument("estimate must have one entry per column of samples");
  std::vector<double> b;
  if (!bias.is_none()) {
    b = to_vector(bias.cast<Array>());
    if (b.size() != k) throw InvalidArgument("bias must have one entry per column of samples");
  }
  const CentredIntervals r = centred_intervals(estimate.data(), samples.data(), B, k, alpha, lo_bound, hi_bound,
                                               b.empty() ? nullptr : b.data());
  py::dict out;
  out["se"] = to_array(r.se);
  out["lower"] = to_array(r.lower);
  out["upper"] = to_array(r.upper);
  return out;
}

}  // namespace

void bind_personalized(py::module_& mod) {
  mod.def("personalized_fit", &personalized_fit_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("options"), py::arg("init") = py::none());
  mod.def("personalized_objective", &personalized_objective_py, py::arg("C"), py::arg("X"), py::arg("y"),
          py::arg("weights"), py::arg("options"), py::arg("params"), py::arg("epoch") = 0);
  mod.def("personalized_predict", &personalized_predict_py, py::arg("C_new"), py::arg("C_train"),
          py::arg("theta_train"), py::arg("phi"), py::arg("dist_scale"), py::arg("categorical"),
          py::arg("n_neighbors"), py::arg("threads") = py::int_(0), py::arg("target_map") = py::none());
  mod.def("personalized_bootstrap_counts", &personalized_bootstrap_counts_py, py::arg("n"), py::arg("seed"),
          py::arg("replicate"));
  mod.def("personalized_bootstrap", &personalized_bootstrap_py, py::arg("C"), py::arg("X"), py::arg("y"),
          py::arg("weights"), py::arg("options"), py::arg("n_bootstraps"), py::arg("init"), py::arg("param_names"),
          py::arg("context_names"));
  mod.def("personalized_bootstrap_range", &personalized_bootstrap_range_py, py::arg("C"), py::arg("X"),
          py::arg("y"), py::arg("weights"), py::arg("options"), py::arg("first"), py::arg("count"), py::arg("init"),
          "Replicates first .. first + count - 1 of personalized_bootstrap (bitwise the same).");
  mod.def("personalized_bootstrap_merge", &personalized_bootstrap_merge_py, py::arg("ranges"),
          py::arg("param_names"), py::arg("context_names"),
          "Consecutive personalized_bootstrap_range results joined into the dict personalized_bootstrap returns.");
  mod.def(
      "bootstrap_modes",
      [](const Array& samples, double min_gap) {
        if (samples.ndim() != 2) throw InvalidArgument("samples must be a matrix (replicates x quantities)");
        return modes_to_dict(bootstrap_modes(samples.data(), static_cast<std::size_t>(samples.shape(0)),
                                             static_cast<std::size_t>(samples.shape(1)), min_gap));
      },
      py::arg("samples"), py::arg("min_gap") = 0.0);
  mod.def("centred_intervals", &centred_intervals_py, py::arg("estimate"), py::arg("samples"), py::arg("alpha"),
          py::arg("lo_bound") = -std::numeric_limits<double>::infinity(),
          py::arg("hi_bound") = std::numeric_limits<double>::infinity(), py::arg("bias") = py::none());
}

}  // namespace ctxstats_py
