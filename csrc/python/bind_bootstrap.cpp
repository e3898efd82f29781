// Bindings for the bootstrap: replicate fits, per-replicate sample parameters and the
// summaries that need the encoder (csrc/inference/bootstrap_summary.hpp).
#include "convert.hpp"

namespace ctxstats_py {

namespace {

// groups: one cluster label per row for the cluster bootstrap, or None (rows are resampled).
std::unique_ptr<Resampling> resampling_from(const py::object& groups, std::size_t n) {
  if (groups.is_none()) return nullptr;
  return std::make_unique<Resampling>(cluster_resampling(group_codes(groups), n));
}

py::dict bootstrap_py(const Array& C, const Array& X, const Array& y, const py::object& weights, const py::dict& opts,
                      const Array& start, int n_bootstraps, const py::object& callback, const py::object& groups) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  const FitOptions o = options_from(opts);
  const std::vector<double> start_w = to_vector(start);
  const auto units = resampling_from(groups, d.n);
  std::exception_ptr error;
  const auto progress = progress_callback(callback, error);  // also turns Ctrl-C into KeyboardInterrupt
  BootstrapResult r;
  {
    py::gil_scoped_release release;
    r = bootstrap_fit(d, o, start_w, n_bootstraps, progress, units.get());
  }
  if (error) std::rethrow_exception(error);
  return bootstrap_to_dict(r);
}

// A range of replicates (a task of ctxstats.dask): the bootstrap's dict plus the two fields
// bootstrap_merge needs. The local bootstrap's dict (and the model file's) has neither.
py::dict bootstrap_range_py(const Array& C, const Array& X, const Array& y, const py::object& weights,
                            const py::dict& opts, const Array& start, std::size_t first, int count,
                            const py::object& groups) {
  Array w_holder;
  const DataView d = view(C, X, y, weights, w_holder);
  const FitOptions o = options_from(opts);
  const std::vector<double> start_w = to_vector(start);
  const auto units = resampling_from(groups, d.n);
  BootstrapResult r;
  {
    py::gil_scoped_release release;
    r = bootstrap_fit_range(d, o, start_w, first, count, nullptr, units.get());
  }
  py::dict out = bootstrap_to_dict(r);
  out["first_replicate"] = r.first_replicate;
  out["first_unconverged"] = r.first_unconverged;
  return out;
}

py::dict bootstrap_merge_py(const py::list& ranges) {
  std::vector<BootstrapResult> parts;
  for (const py::handle& h : ranges) {
    if (!py::isinstance<py::dict>(h)) throw InvalidArgument("each bootstrap range must be a dict");
    const py::dict d = py::reinterpret_borrow<py::dict>(h);
    if (!d.contains("first_replicate") || !d.contains("first_unconverged"))
      throw InvalidArgument("a bootstrap range lacks first_replicate or first_unconverged (use bootstrap_range)");
    BootstrapResult r = bootstrap_from_dict(d);
    r.first_replicate = d["first_replicate"].cast<std::size_t>();
    r.first_unconverged = d["first_unconverged"].cast<std::string>();
    parts.push_back(std::move(r));
  }
  return bootstrap_to_dict(bootstrap_merge(std::move(parts)));
}

py::array_t<double> bootstrap_projections_py(const py::dict& opts, const py::dict& scaling, const Array& W,
                                             const Array& C) {
  if (W.ndim() != 2) throw InvalidArgument("the replicate weights must be two-dimensional (replicates x weights)");
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  const FitOptions o = options_from(opts, false);
  const Scaling s = scaling_from_dict(scaling);
  const std::size_t B = static_cast<std::size_t>(W.shape(0)), nw = static_cast<std::size_t>(W.shape(1));
  std::vector<double> out;
  {
    py::gil_scoped_release release;
    out = bootstrap_projections(o.encoder, s, W.data(), B, nw, C.data(), static_cast<std::size_t>(C.shape(0)),
                                static_cast<int>(C.shape(1)), o.solver_options.threads);
  }
  return to_matrix(out, B, out.size() / std::max<std::size_t>(B, 1));
}

py::array_t<double> bootstrap_theta_py(const py::dict& opts, const py::dict& scaling, const Array& W, const Array& C) {
  if (W.ndim() != 2) throw InvalidArgument("the replicate weights must be two-dimensional (replicates x weights)");
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  const FitOptions o = options_from(opts, false);
  const Scaling s = scaling_from_dict(scaling);
  const std::size_t B = static_cast<std::size_t>(W.shape(0)), nw = static_cast<std::size_t>(W.shape(1));
  const std::size_t rows = static_cast<std::size_t>(C.shape(0));
  std::vector<double> theta;
  {
    py::gil_scoped_release release;
    theta = bootstrap_theta(o.encoder, s, W.data(), B, nw, C.data(), rows, static_cast<int>(C.shape(1)),
                            o.solver_options.threads);
  }
  py::array_t<double> out({static_cast<py::ssize_t>(B), static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(s.q())});
  std::copy(theta.begin(), theta.end(), out.mutable_data());
  return out;
}

// The replicate weights and contexts of a summary: checked, with B, n_weights and rows.
struct Replicates {
  std::size_t B, nw, rows;
  int m;
};

Replicates replicates_of(const Array& W, const Array& C) {
  if (W.ndim() != 2) throw InvalidArgument("the replicate weights must be two-dimensional (replicates x weights)");
  if (C.ndim() != 2) throw InvalidArgument("context must be two-dimensional");
  return {static_cast<std::size_t>(W.shape(0)), static_cast<std::size_t>(W.shape(1)),
          static_cast<std::size_t>(C.shape(0)), static_cast<int>(C.shape(1))};
}

py::array_t<double> frame(const std::vector<double>& v, std::size_t rows, std::size_t cols) {
  py::array_t<double> out({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

py::dict bootstrap_pass_py(const py::dict& opts, const py::dict& scaling, const Array& W, const Array& C,
                           const Array& theta) {
  const Replicates r = replicates_of(W, C);
  const FitOptions o = options_from(opts, false);
  const Scaling s = scaling_from_dict(scaling);
  if (theta.ndim() != 2 || static_cast<std::size_t>(theta.shape(0)) != r.rows || theta.shape(1) != s.q())
    throw InvalidArgument("theta must hold the fit's parameters for every row of context (rows x q)");
  BootstrapPass p;
  {
    py::gil_scoped_release release;
    p = bootstrap_pass(o.encoder, s, W.data(), r.B, r.nw, C.data(), r.rows, r.m, theta.data(),
                       o.solver_options.threads);
  }
  return bootstrap_pass_to_dict(p);
}

py::tuple bootstrap_sample_limits_py(const py::dict& opts, const py::dict& scaling, const Array& W, const Array& C,
                                     double alpha) {
  const Replicates r = replicates_of(W, C);
  const FitOptions o = options_from(opts, false);
  const Scaling s = scaling_from_dict(scaling);
  SampleLimits l;
  {
    py::gil_scoped_release release;
    l = bootstrap_sample_limits(o.encoder, s, W.data(), r.B, r.nw, C.data(), r.rows, r.m, alpha,
                                o.solver_options.threads);
  }
  const std::size_t q = static_cast<std::size_t>(s.q());
  return py::make_tuple(frame(l.lower, r.rows, q), frame(l.upper, r.rows, q));
}

py::array_t<double> bootstrap_predictions_py(const py::dict& opts, const py::dict& scaling, const Array& W,
                                             const Array& X, const Array& C) {
  const Replicates r = replicates_of(W, C);
  if (X.ndim() != 2 || static_cast<std::size_t>(X.shape(0)) != r.rows)
    throw InvalidArgument("exog must be two-dimensional with one row per row of context");
  const FitOptions o = options_from(opts, false);
  const Scaling s = scaling_from_dict(scaling);
  std::vector<double> mu;
  {
    py::gil_scoped_release release;
    mu = bootstrap_predictions(o.encoder, s, parse_family(o.family), W.data(), r.B, r.nw, X.data(),
                               static_cast<int>(X.shape(1)), C.data(), r.rows, r.m, o.solver_options.threads);
  }
  return frame(mu, r.B, r.rows);
}

py::array_t<double> bootstrap_counts_py(std::uint64_t seed, std::uint64_t replicate, std::size_t n,
                                        const py::object& groups) {
  const auto units = resampling_from(groups, n);
  py::array_t<double> out(static_cast<py::ssize_t>(n));
  bootstrap_counts(seed, replicate, n, out.mutable_data(), units.get());
  return out;
}

}  // namespace

py::dict bootstrap_pass_to_dict(const BootstrapPass& p) {
  py::dict out;
  out["means"] = to_matrix(p.means, p.B, static_cast<std::size_t>(p.q));
  out["sign_flip_share"] = to_array(p.sign_flip_share);
  out["het_statistic"] = to_array(p.het_statistic);
  out["het_pvalue"] = to_array(p.het_pvalue);
  return out;
}

py::dict bootstrap_to_dict(const BootstrapResult& r) {
  py::array_t<double> W({static_cast<py::ssize_t>(r.n_replicates), static_cast<py::ssize_t>(r.n_weights)});
  std::copy(r.weights.begin(), r.weights.end(), W.mutable_data());
  py::array_t<int> n_iter(static_cast<py::ssize_t>(r.n_replicates), r.n_iter.data());
  py::array_t<bool> converged(static_cast<py::ssize_t>(r.n_replicates));
  for (std::size_t k = 0; k < r.n_replicates; ++k) converged.mutable_data()[k] = r.converged[k] != 0;
  py::dict out;
  out["weights"] = W;
  out["n_iter"] = n_iter;
  out["converged"] = converged;
  out["objective"] = to_array(r.objective);
  out["interrupted"] = r.interrupted;
  out["message"] = r.message;
  out["clusters"] = r.clusters;
  out["rule"] = r.rule;
  return out;
}

// Only copies: the fitted model that receives it checks every length against its own.
BootstrapResult bootstrap_from_dict(const py::dict& d) {
  BootstrapResult r;
  const auto W = py::cast<py::array_t<double, py::array::c_style | py::array::forcecast>>(d["weights"]);
  if (W.ndim() != 2) throw InvalidArgument("the bootstrap weights must be two-dimensional (replicates x weights)");
  r.n_replicates = static_cast<std::size_t>(W.shape(0));
  r.n_weights = static_cast<std::size_t>(W.shape(1));
  r.weights.assign(W.data(), W.data() + W.size());
  const auto it = py::cast<py::array_t<long long, py::array::c_style | py::array::forcecast>>(d["n_iter"]);
  for (py::ssize_t k = 0; k < it.size(); ++k) r.n_iter.push_back(static_cast<int>(it.data()[k]));
  const auto cv = py::cast<py::array_t<bool, py::array::c_style | py::array::forcecast>>(d["converged"]);
  for (py::ssize_t k = 0; k < cv.size(); ++k) r.converged.push_back(cv.data()[k] ? 1 : 0);
  const auto ob = py::cast<py::array_t<double, py::array::c_style | py::array::forcecast>>(d["objective"]);
  r.objective.assign(ob.data(), ob.data() + ob.size());
  r.interrupted = d.contains("interrupted") && d["interrupted"].cast<bool>();
  r.message = d.contains("message") ? d["message"].cast<std::string>() : std::string();
  r.clusters = d.contains("clusters") ? d["clusters"].cast<std::size_t>() : 0;
  r.rule = d.contains("rule") ? d["rule"].cast<std::string>() : std::string();
  bootstrap_rule_note(r.rule);  // validates it
  return r;
}

void bind_bootstrap(py::module_& mod) {
  mod.def("bootstrap", &bootstrap_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("options"), py::arg("start"), py::arg("n_bootstraps"), py::arg("callback") = py::none(),
          py::arg("groups") = py::none());
  mod.def("bootstrap_range", &bootstrap_range_py, py::arg("C"), py::arg("X"), py::arg("y"), py::arg("weights"),
          py::arg("options"), py::arg("start"), py::arg("first"), py::arg("count"), py::arg("groups") = py::none(),
          "Replicates first .. first + count - 1 of the bootstrap `bootstrap` fits (bitwise the same).");
  mod.def("bootstrap_merge", &bootstrap_merge_py, py::arg("ranges"),
          "Consecutive bootstrap_range results joined into the dict `bootstrap` returns.");
  mod.def("bootstrap_theta", &bootstrap_theta_py, py::arg("options"), py::arg("scaling"), py::arg("W"),
          py::arg("C"));
  mod.def("bootstrap_projections", &bootstrap_projections_py, py::arg("options"), py::arg("scaling"), py::arg("W"),
          py::arg("C"), "Every replicate's best linear projection of its per-sample parameters on [1, C]: B x q (m+1).");
  mod.def("bootstrap_pass", &bootstrap_pass_py, py::arg("options"), py::arg("scaling"), py::arg("W"), py::arg("C"),
          py::arg("theta"));
  mod.def("bootstrap_sample_limits", &bootstrap_sample_limits_py, py::arg("options"), py::arg("scaling"),
          py::arg("W"), py::arg("C"), py::arg("alpha"));
  mod.def("bootstrap_predictions", &bootstrap_predictions_py, py::arg("options"), py::arg("scaling"), py::arg("W"),
          py::arg("X"), py::arg("C"));
  mod.def("bootstrap_rule_note", &bootstrap_rule_note, py::arg("rule"));
  mod.def("bootstrap_convergence_message", &bootstrap_convergence_message, py::arg("unconverged"),
          py::arg("total"), py::arg("first_message"),
          "The warning for bootstrap replicates that did not converge ('' when none).");
  mod.def("bootstrap_counts", &bootstrap_counts_py, py::arg("seed"), py::arg("replicate"), py::arg("n"),
          py::arg("groups") = py::none());
}

}  // namespace ctxstats_py
