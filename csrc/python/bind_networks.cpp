// Bindings for contextualized networks (csrc/networks/networks.hpp). A fitted network crosses
// as a dict of plain arrays (network_model_to_dict) and comes back for predictions.
#include "convert.hpp"
#include "model/network_file.hpp"

namespace ctxstats_py {

namespace {

struct NetworkInput {
  std::size_t n = 0;
  int m = 0, p = 0;
  const double* weights = nullptr;
  Array w_holder;
};

NetworkInput network_input(const Array& C, const Array& X, const py::object& weights) {
  if (C.ndim() != 2) throw InvalidArgument("C must be two-dimensional");
  if (X.ndim() != 2) throw InvalidArgument("X must be two-dimensional");
  NetworkInput in;
  in.n = static_cast<std::size_t>(X.shape(0));
  if (static_cast<std::size_t>(C.shape(0)) != in.n)
    throw InvalidArgument("X has " + std::to_string(in.n) + " rows but C has " + std::to_string(C.shape(0)));
  in.m = static_cast<int>(C.shape(1));
  in.p = static_cast<int>(X.shape(1));
  if (!weights.is_none()) {
    in.w_holder = weights.cast<Array>();
    if (in.w_holder.ndim() != 1 || static_cast<std::size_t>(in.w_holder.shape(0)) != in.n)
      throw InvalidArgument("weights must be one-dimensional with one entry per row");
    in.weights = in.w_holder.data();
  }
  return in;
}

py::dict network_model_to_dict(const NetworkModel& md, const py::dict& opts, const py::dict& dag) {
  py::dict d;
  d["type"] = std::string(network_type_name(md.type));
  d["p"] = md.p;
  d["m"] = md.m;
  d["options"] = opts;
  d["dag"] = dag;
  d["scaling"] = scaling_to_dict(md.scaling);
  d["solver"] = md.solver;
  d["weights"] = to_array(md.weights);
  d["replicate_weights"] = to_matrix(md.replicate_weights, md.n_replicates, md.weights.size());
  d["residual_variance"] =
      to_matrix(md.residual_variance, md.n_replicates, md.residual_variance.size() / std::max<std::size_t>(1, md.n_replicates));
  d["trained"] = md.trained;
  d["n_iter"] = md.solve.n_iter;
  d["converged"] = md.solve.converged;
  d["objective"] = md.solve.objective;
  d["history"] = to_array(md.solve.history);
  d["message"] = md.solve.message;
  d["rank_deficient"] = md.solve.rank_deficient;
  d["interrupted"] = md.solve.interrupted;
  d["replicate_n_iter"] = py::array_t<int>(static_cast<py::ssize_t>(md.replicate_n_iter.size()),
                                           md.replicate_n_iter.data());
  py::array_t<bool> conv(static_cast<py::ssize_t>(md.replicate_converged.size()));
  for (std::size_t k = 0; k < md.replicate_converged.size(); ++k) conv.mutable_data()[k] = md.replicate_converged[k];
  d["replicate_converged"] = conv;
  d["bootstrap_message"] = md.bootstrap_message;
  // where bootstrap replicates start (network_bootstrap_range): the last solve's penalties
  d["fitted_dag"] = to_array(std::vector<double>{md.fitted_dag.archetype.alpha, md.fitted_dag.archetype.rho,
                                                 md.fitted_dag.sample.alpha, md.fitted_dag.sample.rho});
  return d;
}

NetworkModel network_model_from_dict(const py::dict& d) {
  NetworkModel md;
  md.type = parse_network_type(d["type"].cast<std::string>());
  md.p = d["p"].cast<int>();
  md.m = d["m"].cast<int>();
  md.options = options_from(d["options"].cast<py::dict>(), false);
  md.encoder = md.options.encoder;
  md.scaling = scaling_from_dict(d["scaling"].cast<py::dict>());
  if (d.contains("dag")) md.dag = dag_options_from(option_map(d["dag"].cast<py::dict>()));
  md.weights = to_vector(d["weights"].cast<Array>());
  const Array W = d["replicate_weights"].cast<Array>();
  if (W.ndim() != 2) throw InvalidArgument("the network model's replicate weights must be two-dimensional");
  md.n_replicates = static_cast<std::size_t>(W.shape(0));
  md.replicate_weights = to_vector(W);
  md.residual_variance = to_vector(d["residual_variance"].cast<Array>());
  if (d.contains("solver")) md.solver = d["solver"].cast<std::string>();
  if (d.contains("trained")) md.trained = d["trained"].cast<bool>();
  md.fitted_dag = md.dag;
  if (d.contains("fitted_dag")) {
    const std::vector<double> a = to_vector(d["fitted_dag"].cast<Array>());
    if (a.size() != 4) throw InvalidArgument("the network model's fitted_dag must hold 4 values");
    md.fitted_dag.archetype.alpha = a[0];
    md.fitted_dag.archetype.rho = a[1];
    md.fitted_dag.sample.alpha = a[2];
    md.fitted_dag.sample.rho = a[3];
    validate_dag_options(md.fitted_dag);
  }
  validate_network_model(md);
  return md;
}

py::dict replicates_to_dict(const NetworkReplicates& r, std::size_t n_weights, std::size_t regressions) {
  py::dict d;
  d["first"] = r.first;
  d["weights"] = to_matrix(r.weights, r.count, n_weights);
  d["residual_variance"] = to_matrix(r.residual_variance, r.count, regressions);
  d["n_iter"] = std::vector<int>(r.n_iter.begin(), r.n_iter.end());
  d["converged"] = std::vector<int>(r.converged.begin(), r.converged.end());
  d["messages"] = r.messages;
  return d;
}

NetworkReplicates replicates_from_dict(const py::handle& h) {
  if (!py::isinstance<py::dict>(h)) throw InvalidArgument("each bootstrap range must be a dict");
  const py::dict d = py::reinterpret_borrow<py::dict>(h);
  NetworkReplicates r;
  r.first = d["first"].cast<std::uint64_t>();
  r.weights = to_vector(d["weights"].cast<Array>());
  r.residual_variance = to_vector(d["residual_variance"].cast<Array>());
  r.n_iter = d["n_iter"].cast<std::vector<int>>();
  for (int c : d["converged"].cast<std::vector<int>>()) r.converged.push_back(c ? 1 : 0);
  r.messages = d["messages"].cast<std::vector<std::string>>();
  r.count = r.n_iter.size();
  return r;
}

// Replicates first .. first + count - 1 of the bootstrap of `model` (a fit without one) on C, X.
py::dict network_bootstrap_range_py(const py::dict& model, const Array& C, const Array& X, const py::object& weights,
                                    std::uint64_t first, int count, int threads) {
  const NetworkModel md = network_model_from_dict(model);
  NetworkInput in = network_input(C, X, weights);
  if (in.m != md.m || in.p != md.p) throw InvalidArgument("C and X do not match the network model's columns");
  NetworkReplicates r;
  {
    py::gil_scoped_release release;
    r = network_bootstrap_range(md, C.data(), X.data(), in.weights, in.n, first, count, threads);
  }
  return replicates_to_dict(r, md.weights.size(), static_cast<std::size_t>(network_layout(md.type, md.p).regressions()));
}

// The full-data fit's solver report of a model dict.
void read_solve(const py::dict& model, NetworkModel& md) {
  md.solve.n_iter = model["n_iter"].cast<int>();
  md.solve.converged = model["converged"].cast<bool>();
  md.solve.objective = model["objective"].cast<double>();
  md.solve.history = to_vector(model["history"].cast<Array>());
  md.solve.message = model["message"].cast<std::string>();
  md.solve.rank_deficient = model["rank_deficient"].cast<bool>();
  md.solve.interrupted = model["interrupted"].cast<bool>();
}

// `model` (a fit without a bootstrap) with the ranges, in order from replicate 0, as its bootstrap.
py::dict network_bootstrap_merge_py(const py::dict& model, const py::list& ranges) {
  NetworkModel md = network_model_from_dict(model);
  read_solve(model, md);
  std::vector<NetworkReplicates> parts;
  for (const auto& h : ranges) parts.push_back(replicates_from_dict(h));
  return network_model_to_dict(network_with_replicates(md, parts), model["options"].cast<py::dict>(),
                               model["dag"].cast<py::dict>());
}

// A fitted network's model file (model/network_file.hpp): the model dict with its names and
// annotations, checked and written by the core.
py::bytes network_to_bytes_py(const py::dict& model, const std::vector<std::string>& feature_names,
                              const std::vector<std::string>& context_names,
                              const std::map<std::string, std::string>& meta) {
  SavedNetwork s;
  s.model = network_model_from_dict(model);
  read_solve(model, s.model);
  s.model.replicate_n_iter = model["replicate_n_iter"].cast<std::vector<int>>();
  for (bool c : model["replicate_converged"].cast<std::vector<bool>>()) s.model.replicate_converged.push_back(c ? 1 : 0);
  s.model.bootstrap_message = model["bootstrap_message"].cast<std::string>();
  s.options = option_map(model["options"].cast<py::dict>());
  s.feature_names = feature_names;
  s.context_names = context_names;
  s.meta.assign(meta.begin(), meta.end());
  return py::bytes(network_to_model_file(s).serialize());
}

// Back: {"model": the model dict, "feature_names", "context_names", "meta", "data": (C, X) or None}.
py::dict network_from_bytes_py(const py::bytes& raw) {
  const SavedNetwork s = network_from_model_file(ModelFile::parse(std::string(raw)));
  const NetworkModel& md = s.model;
  py::dict opts, dag;
  for (const auto& kv : s.options) opts[py::str(kv.first)] = to_python(kv.second);
  if (md.type == NetworkType::kBayesian)
    for (const auto& kv : dag_options_to_map(md.dag)) dag[py::str(kv.first)] = to_python(kv.second);
  py::dict out;
  out["model"] = network_model_to_dict(md, opts, dag);
  out["feature_names"] = s.feature_names;
  out["context_names"] = s.context_names;
  out["meta"] = std::map<std::string, std::string>(s.meta.begin(), s.meta.end());
  if (s.n > 0)
    out["data"] = py::make_tuple(to_matrix(s.C, s.n, static_cast<std::size_t>(md.m)),
                                 to_matrix(s.X, s.n, static_cast<std::size_t>(md.p)));
  else
    out["data"] = py::none();
  return out;
}

py::dict network_fit_py(const std::string& type, const Array& C, const Array& X, const py::object& weights,
                        const py::dict& opts, int n_bootstraps, bool train, const py::object& callback,
                        const py::dict& dag) {
  const NetworkType t = parse_network_type(type);
  NetworkInput in = network_input(C, X, weights);
  const FitOptions o = options_from(opts);
  const DagOptions dag_options = dag_options_from(option_map(dag));
  std::exception_ptr error;
  const auto progress = progress_callback(callback, error);
  NetworkModel md;
  {
    py::gil_scoped_release release;
    md = fit_network(t, C.data(), X.data(), in.weights, in.n, in.m, in.p, o, n_bootstraps, train, progress,
                     dag_options);
  }
  if (error) std::rethrow_exception(error);
  return network_model_to_dict(md, opts, dag);
}

py::tuple network_objective_py(const std::string& type, const Array& C, const Array& X, const py::object& weights,
                               const py::dict& opts, const Array& w, const py::dict& dag) {
  const NetworkType t = parse_network_type(type);
  NetworkInput in = network_input(C, X, weights);
  const FitOptions o = options_from(opts);
  const DagOptions dag_options = dag_options_from(option_map(dag));
  const std::vector<double> wv = to_vector(w);
  std::vector<double> grad;
  double f;
  {
    py::gil_scoped_release release;
    f = network_objective(t, C.data(), X.data(), in.weights, in.n, in.m, in.p, o, wv, &grad, dag_options);
  }
  return py::make_tuple(f, to_array(grad));
}

// Parameters for contexts C under every replicate of the model (Bayesian networks: projected to
// DAGs and thresholded as asked).
NetworkParams params_of(const NetworkModel& md, const Array& C, bool project = false, double threshold = 0.0,
                        bool factors = false) {
  if (C.ndim() != 2) throw InvalidArgument("C must be two-dimensional");
  py::gil_scoped_release release;
  NetworkParams prm = predict_network_params(md, C.data(), static_cast<std::size_t>(C.shape(0)),
                                             static_cast<int>(C.shape(1)), md.options.solver_options.threads, factors);
  project_network_dags(md, prm, project, threshold);
  return prm;
}

py::array_t<double> shaped(const std::vector<double>& v, std::vector<py::ssize_t> shape) {
  py::array_t<double> out(shape);
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

// The shape of a prediction: (n_replicates, rows, tail...), or (rows, tail...) for the mean
// over replicates the core computed (individual = false).
std::vector<py::ssize_t> prediction_shape(const NetworkParams& prm, bool individual, std::vector<py::ssize_t> tail) {
  std::vector<py::ssize_t> shape;
  if (individual) shape.push_back(static_cast<py::ssize_t>(prm.replicates));
  shape.push_back(static_cast<py::ssize_t>(prm.rows));
  shape.insert(shape.end(), tail.begin(), tail.end());
  return shape;
}

std::vector<py::ssize_t> square(const NetworkParams& prm) { return {prm.p, prm.p}; }

py::tuple network_params_py(const py::dict& model, const Array& C, bool individual, bool project, double threshold,
                            bool factors) {
  const NetworkModel md = network_model_from_dict(model);
  const NetworkParams prm = network_params_summary(params_of(md, C, project, threshold, factors), individual);
  const std::vector<py::ssize_t> mu_tail =
      md.type != NetworkType::kCorrelation ? std::vector<py::ssize_t>{prm.p} : square(prm);
  return py::make_tuple(shaped(prm.betas, prediction_shape(prm, individual, square(prm))),
                        shaped(prm.mus, prediction_shape(prm, individual, mu_tail)));
}

py::array_t<double> network_correlations_py(const py::dict& model, const Array& C, bool squared, bool individual) {
  const NetworkModel md = network_model_from_dict(model);
  const NetworkParams prm = params_of(md, C);
  return shaped(network_correlations(md, prm, squared, individual), prediction_shape(prm, individual, square(prm)));
}

py::array_t<double> network_precisions_py(const py::dict& model, const Array& C, bool individual) {
  const NetworkModel md = network_model_from_dict(model);
  const NetworkParams prm = params_of(md, C);
  return shaped(network_precisions(md, prm, individual), prediction_shape(prm, individual, square(prm)));
}

const NetworkParams checked_params(const NetworkModel& md, const Array& C, const Array& X, bool project,
                                   double threshold) {
  if (X.ndim() != 2) throw InvalidArgument("X must be two-dimensional");
  return params_of(md, C, project, threshold);
}

py::array_t<double> network_predict_x_py(const py::dict& model, const Array& C, const Array& X, bool individual,
                                         bool project, double threshold) {
  const NetworkModel md = network_model_from_dict(model);
  const NetworkParams prm = checked_params(md, C, X, project, threshold);
  const std::vector<py::ssize_t> tail =
      md.type != NetworkType::kCorrelation ? std::vector<py::ssize_t>{prm.p} : square(prm);
  return shaped(network_predict_x(md, prm, X.data(), static_cast<std::size_t>(X.shape(0)), static_cast<int>(X.shape(1)),
                                  individual),
                prediction_shape(prm, individual, tail));
}

py::array_t<double> network_mses_py(const py::dict& model, const Array& C, const Array& X, bool individual,
                                    bool project, double threshold) {
  const NetworkModel md = network_model_from_dict(model);
  const NetworkParams prm = checked_params(md, C, X, project, threshold);
  return shaped(network_mses(md, prm, X.data(), static_cast<std::size_t>(X.shape(0)), static_cast<int>(X.shape(1)),
                             individual),
                prediction_shape(prm, individual, {}));
}

py::dict network_edge_inference_py(const py::dict& model, const Array& C, double alpha, bool project,
                                   double threshold) {
  if (C.ndim() != 2) throw InvalidArgument("C must be two-dimensional");
  const NetworkModel md = network_model_from_dict(model);
  NetworkEdgeInference e;
  {
    py::gil_scoped_release release;
    e = network_edge_inference(md, C.data(), static_cast<std::size_t>(C.shape(0)), static_cast<int>(C.shape(1)),
                               alpha, project, threshold, md.options.solver_options.threads);
  }
  const std::vector<py::ssize_t> each = {static_cast<py::ssize_t>(e.rows), e.p, e.p}, edges = {e.p, e.p};
  py::dict d;
  d["estimate"] = shaped(e.estimate, each);
  d["se"] = shaped(e.se, each);
  d["lower"] = shaped(e.lower, each);
  d["upper"] = shaped(e.upper, each);
  d["pvalue"] = shaped(e.pvalue, each);
  d["het_statistic"] = shaped(e.het_statistic, edges);
  d["het_pvalue"] = shaped(e.het_pvalue, edges);
  d["sign_flip_share"] = shaped(e.sign_flip_share, edges);
  d["pvalue_floor"] = e.pvalue_floor;
  d["n_bootstraps"] = e.replicates;
  return d;
}

py::dict network_edge_curve_py(const py::dict& model, const Array& C, int feature, int from, int to, int n_grid,
                               double alpha, bool project, double threshold) {
  if (C.ndim() != 2) throw InvalidArgument("C must be two-dimensional");
  const NetworkModel md = network_model_from_dict(model);
  NetworkEdgeCurve e;
  {
    py::gil_scoped_release release;
    e = network_edge_curve(md, C.data(), static_cast<std::size_t>(C.shape(0)), static_cast<int>(C.shape(1)), feature,
                           from, to, n_grid, alpha, project, threshold, md.options.solver_options.threads);
  }
  py::dict d;
  d["indicator"] = e.indicator;
  d["held"] = to_array(e.held);
  d["x"] = to_array(e.x);
  d["estimate"] = to_array(e.estimate);
  d["lower"] = e.lower.empty() ? py::object(py::none()) : py::object(to_array(e.lower));
  d["upper"] = e.upper.empty() ? py::object(py::none()) : py::object(to_array(e.upper));
  d["sample_x"] = to_array(e.sample_x);
  d["sample_edge"] = to_array(e.sample_edge);
  return d;
}

std::size_t network_n_weights_py(const std::string& type, const py::dict& opts, int m, int p, const py::dict& dag) {
  return network_n_weights(parse_network_type(type), options_from(opts), m, p, dag_options_from(option_map(dag)));
}

}  // namespace

void bind_networks(py::module_& mod) {
  mod.def("network_bootstrap_range", &network_bootstrap_range_py, py::arg("model"), py::arg("C"), py::arg("X"),
          py::arg("weights"), py::arg("first"), py::arg("count"), py::arg("threads") = 1,
          "Replicates first .. first + count - 1 of the bootstrap of a network fitted without one.");
  mod.def("network_bootstrap_merge", &network_bootstrap_merge_py, py::arg("model"), py::arg("ranges"),
          "The network model with consecutive network_bootstrap_range results as its bootstrap.");
  mod.def("network_to_bytes", &network_to_bytes_py, py::arg("model"), py::arg("feature_names"),
          py::arg("context_names"), py::arg("meta"), "A fitted network's model file (checked by the core).");
  mod.def("network_from_bytes", &network_from_bytes_py, py::arg("raw"),
          "A fitted network read from its model file: the model dict, names, annotations and data.");
  mod.def("network_fit", &network_fit_py, py::arg("type"), py::arg("C"), py::arg("X"), py::arg("weights"),
          py::arg("options"), py::arg("n_bootstraps") = 0, py::arg("train") = true, py::arg("callback") = py::none(),
          py::arg("dag") = py::dict());
  mod.def("network_objective", &network_objective_py, py::arg("type"), py::arg("C"), py::arg("X"), py::arg("weights"),
          py::arg("options"), py::arg("w"), py::arg("dag") = py::dict());
  mod.def("network_params", &network_params_py, py::arg("model"), py::arg("C"), py::arg("individual") = true,
          py::arg("project") = false, py::arg("threshold") = 0.0, py::arg("factors") = false);
  mod.def("network_correlations", &network_correlations_py, py::arg("model"), py::arg("C"), py::arg("squared"),
          py::arg("individual") = true);
  mod.def("network_precisions", &network_precisions_py, py::arg("model"), py::arg("C"), py::arg("individual") = true);
  mod.def("network_predict_x", &network_predict_x_py, py::arg("model"), py::arg("C"), py::arg("X"),
          py::arg("individual") = true, py::arg("project") = false, py::arg("threshold") = 0.0);
  mod.def("network_mses", &network_mses_py, py::arg("model"), py::arg("C"), py::arg("X"), py::arg("individual") = true,
          py::arg("project") = false, py::arg("threshold") = 0.0);
  mod.def("network_edge_inference", &network_edge_inference_py, py::arg("model"), py::arg("C"), py::arg("alpha") = 0.05,
          py::arg("project") = false, py::arg("threshold") = 0.0);
  mod.def("network_edge_curve", &network_edge_curve_py, py::arg("model"), py::arg("C"), py::arg("feature"),
          py::arg("from"), py::arg("to"), py::arg("n_grid") = 100, py::arg("alpha") = 0.05, py::arg("project") = false,
          py::arg("threshold") = 0.0);
  mod.def("network_n_weights", &network_n_weights_py, py::arg("type"), py::arg("options"), py::arg("m"), py::arg("p"),
          py::arg("dag") = py::dict());
}

}  // namespace ctxstats_py
