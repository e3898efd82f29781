#include "model/network_file.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

#include "common/error.hpp"
#include "common/memory.hpp"
#include "model/fitted_model.hpp"

namespace ctxstats {

namespace {

using Shape = std::vector<std::uint64_t>;
constexpr const char* kKind = "network";
constexpr int kMaxDim = 1000000;

Shape vec(std::size_t n) { return {static_cast<std::uint64_t>(n)}; }
Shape mat(std::size_t r, std::size_t c) { return {static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(c)}; }

std::size_t regressions(const NetworkModel& md) {
  return static_cast<std::size_t>(network_layout(md.type, md.p).regressions());
}

// The DAG options as dag/<name> records, typed as dag_options_to_map gives them.
void write_dag(ModelFile& f, const DagOptions& dag) {
  for (const auto& kv : dag_options_to_map(dag)) {
    const std::string key = "dag/" + kv.first;
    switch (kv.second.kind) {
      case OptionValue::Kind::kString: f.add_string(key, kv.second.text); break;
      case OptionValue::Kind::kInt: f.add_int(key, std::stoll(kv.second.text)); break;
      case OptionValue::Kind::kDouble: f.add_double(key, kv.second.number); break;
      default: throw InvalidArgument("cannot save the DAG option '" + kv.first + "': not a string or number");
    }
  }
}

// Back, checked by dag_options_from (unknown names, wrong types, out-of-range values).
OptionMap read_dag(const ModelFile& f) {
  OptionMap given;
  for (const FileRecord& r : f.records()) {
    if (r.name.rfind("dag/", 0) != 0) continue;
    const std::string name = r.name.substr(4);
    require(r.shape.empty(), "the model file's DAG option '" + name + "' must be a scalar");
    switch (r.type) {
      case FileRecord::Type::kStrings: given.emplace_back(name, OptionValue::string(r.strings[0])); break;
      case FileRecord::Type::kInts: given.emplace_back(name, OptionValue::integer(r.ints[0])); break;
      case FileRecord::Type::kDoubles: given.emplace_back(name, OptionValue::real(r.doubles[0])); break;
    }
  }
  return given;
}

void require_finite(double x, const std::string& name) {
  require(std::isfinite(x), "the model file's " + name + " is not finite");
}

}  // namespace

void validate_saved_network(const SavedNetwork& s) {
  const NetworkModel& md = s.model;
  check_network_options(md.type, md.options);
  check_factors(md.type, md.dag, md.p);
  validate_network_model(md);
  validate_dag_options(md.fitted_dag);
  const std::size_t B = md.n_replicates;
  require(md.replicate_n_iter.empty() || md.replicate_n_iter.size() == B,
          "the network's replicate iteration counts must be one per replicate");
  require(md.replicate_converged.empty() || md.replicate_converged.size() == B,
          "the network's replicate convergence flags must be one per replicate");
  for (int it : md.replicate_n_iter) require(it >= 0, "the network's replicate iteration counts must be >= 0");
  for (unsigned char c : md.replicate_converged) require(c <= 1, "the network's replicate convergence flags must be 0 or 1");
  require(md.solve.n_iter >= 0, "the network's iteration count must be >= 0");
  require(s.feature_names.size() == static_cast<std::size_t>(md.p),
          "the network has " + std::to_string(md.p) + " features but " + std::to_string(s.feature_names.size()) +
              " feature names");
  require(s.context_names.size() == static_cast<std::size_t>(md.m),
          "the network has " + std::to_string(md.m) + " context columns but " +
              std::to_string(s.context_names.size()) + " context names");
  if (s.n > 0) {
    require(s.C.size() == s.n * static_cast<std::size_t>(md.m), "the network's training context must be n x m");
    require(s.X.size() == s.n * static_cast<std::size_t>(md.p), "the network's training features must be n x p");
    for (double x : s.C) require(std::isfinite(x), "the network's training context holds a non-finite value");
    for (double x : s.X) require(std::isfinite(x), "the network's training features hold a non-finite value");
  } else {
    require(s.C.empty() && s.X.empty(), "the network's training data have no rows but hold values");
  }
}

ModelFile network_to_model_file(const SavedNetwork& s) {
  validate_saved_network(s);
  const NetworkModel& md = s.model;
  ModelFile f;
  f.add_string("model/kind", kKind);
  f.add_int("model/m", md.m);
  f.add_int("model/p", md.p);
  f.add_string("network/type", network_type_name(md.type));
  f.add_string("network/solver", md.solver);
  write_option_records(f, s.options);
  if (md.type == NetworkType::kBayesian) {
    write_dag(f, md.dag);
    f.add_doubles("network/fitted_dag",
                  {md.fitted_dag.archetype.alpha, md.fitted_dag.archetype.rho, md.fitted_dag.sample.alpha,
                   md.fitted_dag.sample.rho},
                  vec(4));
  }
  write_scaling_records(f, md.scaling);
  const std::size_t nw = md.weights.size(), B = md.n_replicates;
  f.add_doubles("weights", md.weights, vec(nw));
  f.add_doubles("replicates/weights", md.replicate_weights, mat(B, nw));
  f.add_doubles("replicates/residual_variance", md.residual_variance, mat(B, regressions(md)));
  f.add_ints("replicates/n_iter", {md.replicate_n_iter.begin(), md.replicate_n_iter.end()},
             vec(md.replicate_n_iter.size()));
  f.add_ints("replicates/converged", {md.replicate_converged.begin(), md.replicate_converged.end()},
             vec(md.replicate_converged.size()));
  f.add_string("replicates/message", md.bootstrap_message);

  const SolverResult& r = md.solve;
  f.add_int("fit/n_iter", r.n_iter);
  f.add_int("fit/converged", r.converged ? 1 : 0);
  f.add_double("fit/objective", r.objective);
  f.add_doubles("fit/history", r.history, vec(r.history.size()));
  f.add_string("fit/message", r.message);
  f.add_int("fit/rank_deficient", r.rank_deficient ? 1 : 0);
  f.add_int("fit/interrupted", r.interrupted ? 1 : 0);
  f.add_int("fit/untrained", md.trained ? 0 : 1);

  f.add_strings("names/features", s.feature_names);
  f.add_strings("names/context", s.context_names);
  if (s.n > 0) {
    f.add_doubles("data/C", s.C, mat(s.n, static_cast<std::size_t>(md.m)));
    f.add_doubles("data/X", s.X, mat(s.n, static_cast<std::size_t>(md.p)));
  }
  for (const auto& kv : s.meta) f.add_string("meta/" + kv.first, kv.second);
  return f;
}

SavedNetwork network_from_model_file(const ModelFile& f) {
  const std::string kind = model_file_kind(f);
  require(kind == kKind, "the file holds a model of kind '" + kind + "', not a network");
  SavedNetwork s;
  NetworkModel& md = s.model;
  md.type = parse_network_type(f.string("network/type"));
  md.m = record_int(f, "model/m", 1, kMaxDim);
  md.p = record_int(f, "model/p", 2, kMaxDim);
  md.solver = f.string("network/solver");
  require(md.solver == "exact" || md.solver == "lbfgs",
          "the model file's network/solver must be 'exact' or 'lbfgs', not '" + md.solver + "'");
  s.options = read_option_records(f);
  md.options = fit_options_from(s.options, false);
  md.encoder = md.options.encoder;
  if (md.type == NetworkType::kBayesian) {
    md.dag = dag_options_from(read_dag(f));
    check_factors(md.type, md.dag, md.p);
    const std::vector<double>& a = f.doubles("network/fitted_dag", 4);
    for (double x : a) require_finite(x, "network/fitted_dag");
    md.fitted_dag = md.dag;
    md.fitted_dag.archetype.alpha = a[0];
    md.fitted_dag.archetype.rho = a[1];
    md.fitted_dag.sample.alpha = a[2];
    md.fitted_dag.sample.rho = a[3];
  } else {
    for (const FileRecord& r : f.records())
      require(r.name.rfind("dag/", 0) != 0 && r.name != "network/fitted_dag",
              "the model file gives DAG options (" + r.name + ") for a " + network_type_name(md.type) + " network");
    md.fitted_dag = md.dag;
  }
  md.scaling = read_scaling_records(f, md.m, md.p);

  // The weights' length is checked against the encoder by validate_network_model; every
  // other array's extent follows from it and from the file's (bounded) records.
  // Before anything builds the network's layout (p^2 entries): p must be one this machine can
  // hold, and the weights at least as many as the encoder's outputs (each output has at least
  // one weight), which bounds the layout by the file's own size.
  const double pd = md.p, kd = md.dag.factors > 0 ? md.dag.factors : md.p;
  require_memory(16.0 * pd * pd, "the model file's network over " + std::to_string(md.p) + " features",
                 "the file is damaged or was written on a machine with more memory");
  md.weights = f.doubles("weights");
  const std::size_t nw = md.weights.size();
  const double outputs = md.type == NetworkType::kCorrelation ? 2.0 * pd * (pd - 1.0)
                         : md.type == NetworkType::kMarkov    ? pd * pd
                                                              : kd * (kd - 1.0);
  require(static_cast<double>(nw) >= outputs, "the model file's weights (" + std::to_string(nw) +
                                                  ") are fewer than the network's encoder outputs");
  md.n_replicates = record_rows(f, "replicates/weights", nw);
  const auto B = static_cast<long long>(md.n_replicates);
  md.replicate_weights = f.matrix("replicates/weights", B, static_cast<long long>(nw));
  md.residual_variance = f.matrix("replicates/residual_variance", B, static_cast<long long>(regressions(md)));
  const std::vector<std::int64_t>& its = f.ints("replicates/n_iter");
  require(its.empty() || its.size() == md.n_replicates,
          "the model file's replicates/n_iter must hold one count per replicate (or none)");
  for (auto x : its) {
    require(x >= 0 && x <= std::numeric_limits<int>::max(), "the model file's replicates/n_iter is out of range");
    md.replicate_n_iter.push_back(static_cast<int>(x));
  }
  const std::vector<std::int64_t>& conv = f.ints("replicates/converged");
  require(conv.empty() || conv.size() == md.n_replicates,
          "the model file's replicates/converged must hold one flag per replicate (or none)");
  for (auto x : conv) {
    require(x == 0 || x == 1, "the model file's replicates/converged must hold 0 or 1");
    md.replicate_converged.push_back(static_cast<unsigned char>(x));
  }
  md.bootstrap_message = f.string("replicates/message");

  SolverResult& r = md.solve;
  r.n_iter = record_int(f, "fit/n_iter", 0, std::numeric_limits<int>::max());
  r.converged = record_flag(f, "fit/converged");
  r.objective = f.scalar("fit/objective");
  r.history = f.doubles("fit/history");
  r.message = f.string("fit/message");
  r.rank_deficient = record_flag(f, "fit/rank_deficient");
  r.interrupted = record_flag(f, "fit/interrupted");
  md.trained = !record_flag(f, "fit/untrained");

  s.feature_names = f.strings("names/features");
  s.context_names = f.strings("names/context");
  if (f.has("data/C") || f.has("data/X")) {
    s.n = record_rows(f, "data/C", static_cast<std::size_t>(md.m));
    require(s.n > 0, "the model file's training data have no rows");
    s.C = f.matrix("data/C", static_cast<long long>(s.n), md.m);
    s.X = f.matrix("data/X", static_cast<long long>(s.n), md.p);
  }
  for (const FileRecord& rec : f.records())
    if (rec.name.rfind("meta/", 0) == 0) s.meta.emplace_back(rec.name.substr(5), f.string(rec.name));
  validate_saved_network(s);
  return s;
}

}  // namespace ctxstats
