// The Bayesian networks' penalty options (networks.hpp: DagOptions), read from the keywords of
// ContextualizedML's easy interface by one parser for both languages.
#include <cmath>
#include <map>
#include <string>

#include "common/convergence.hpp"
#include "common/error.hpp"
#include "networks/networks.hpp"

namespace ctxstats {

namespace {

using Kind = OptionValue::Kind;

DagPenalty defaults_for(DagLoss loss) {
  DagPenalty d;
  d.loss = loss;
  if (loss == DagLoss::kNotears) {
    d.alpha = 0.1;
    d.rho = 0.01;
  } else {
    d.alpha = 1.0;
    d.rho = 0.0;
  }
  return d;
}

double number_of(const std::string& name, const OptionValue& v) {
  if (v.kind == Kind::kDouble) return v.number;
  if (v.kind == Kind::kInt) return std::stod(v.text);
  throw InvalidType(name + " must be a number");
}

void check_penalty(const DagPenalty& d, const std::string& prefix) {
  const auto nonneg = [&](double v, const char* what) {
    if (!(std::isfinite(v) && v >= 0.0))
      throw InvalidArgument(prefix + what + " must be a finite number >= 0, not " + format_number(v));
  };
  nonneg(d.alpha, "alpha");
  nonneg(d.rho, "rho");
  nonneg(d.l1, "l1");
  if (!(std::isfinite(d.s) && d.s > 0.0))
    throw InvalidArgument(prefix + "s must be a finite number > 0, not " + format_number(d.s));
}

}  // namespace

void validate_dag_options(const DagOptions& o) {
  check_penalty(o.archetype, "archetype_");
  check_penalty(o.sample, "sample_specific_");
  if (!(std::isfinite(o.h_tol) && o.h_tol > 0.0))
    throw InvalidArgument("dag_h_tol must be a finite number > 0, not " + format_number(o.h_tol));
  if (o.factors < 0 || o.factors == 1)
    throw InvalidArgument("num_factors must be 0 (no factors) or at least 2, not " + std::to_string(o.factors));
  if (!(std::isfinite(o.factor_l1) && o.factor_l1 >= 0.0))
    throw InvalidArgument("factor_mat_l1 must be a finite number >= 0, not " + format_number(o.factor_l1));
}

void check_factors(NetworkType type, const DagOptions& dag, int p) {
  if (dag.factors == 0) return;
  require(type == NetworkType::kBayesian, "num_factors applies to Bayesian networks only");
  require(dag.factors < p, "num_factors must be smaller than the number of features (" + std::to_string(p) +
                               "), not " + std::to_string(dag.factors) + "; use 0 for no factors");
}

NetworkLayout network_output_layout(NetworkType type, int p, const DagOptions& dag) {
  check_factors(type, dag, p);
  return network_layout(type, dag.factors > 0 ? dag.factors : p);
}

DagOptions dag_options_from(const OptionMap& given) {
  std::map<std::string, OptionValue> raw;
  const char* parts[] = {"archetype_", "sample_specific_"};
  const char* fields[] = {"dag_loss_type", "alpha", "rho", "s", "l1"};
  for (const auto& kv : given) {
    bool known = kv.first == "dag_schedule" || kv.first == "dag_h_tol" || kv.first == "num_factors" ||
                 kv.first == "factor_mat_l1";
    for (const char* part : parts)
      for (const char* field : fields) known = known || kv.first == std::string(part) + field;
    if (!known)
      throw InvalidType("unknown Bayesian network option " + kv.first + "; the options are archetype_ and "
                        "sample_specific_ followed by dag_loss_type, alpha, rho, s or l1, and dag_schedule, "
                        "dag_h_tol, num_factors and factor_mat_l1");
    if (raw.count(kv.first)) throw InvalidArgument("the option " + kv.first + " is given twice");
    if (kv.second.kind != Kind::kNull) raw[kv.first] = kv.second;
  }
  DagOptions out;
  for (int k = 0; k < 2; ++k) {
    const std::string part = parts[k];
    DagLoss loss = DagLoss::kNotears;
    const auto type = raw.find(part + "dag_loss_type");
    if (type != raw.end()) {
      if (type->second.kind != Kind::kString) throw InvalidType(part + "dag_loss_type must be a string");
      loss = parse_dag_loss(type->second.text);
    }
    DagPenalty d = defaults_for(loss);
    const auto read = [&](const char* field, double& target) {
      const auto it = raw.find(part + field);
      if (it != raw.end()) target = number_of(part + field, it->second);
    };
    read("alpha", d.alpha);
    read("rho", d.rho);
    read("s", d.s);
    read("l1", d.l1);
    (k == 0 ? out.archetype : out.sample) = d;
  }
  const auto schedule = raw.find("dag_schedule");
  if (schedule != raw.end()) {
    if (schedule->second.kind != Kind::kString) throw InvalidType("dag_schedule must be a string");
    const std::string& v = schedule->second.text;
    if (v != "augmented_lagrangian" && v != "fixed")
      throw InvalidArgument("dag_schedule must be 'augmented_lagrangian' or 'fixed', not '" + v + "'");
    out.augmented = v == "augmented_lagrangian";
  }
  const auto tol = raw.find("dag_h_tol");
  if (tol != raw.end()) out.h_tol = number_of("dag_h_tol", tol->second);
  const auto factors = raw.find("num_factors");
  if (factors != raw.end()) {
    const double k = number_of("num_factors", factors->second);
    if (!(k == std::floor(k) && std::fabs(k) < 1e6))
      throw InvalidArgument("num_factors must be a whole number, not " + format_number(k));
    out.factors = static_cast<int>(k);
  }
  const auto factor_l1 = raw.find("factor_mat_l1");
  if (factor_l1 != raw.end()) out.factor_l1 = number_of("factor_mat_l1", factor_l1->second);
  validate_dag_options(out);
  return out;
}

OptionMap dag_options_to_map(const DagOptions& o) {
  OptionMap m;
  for (int k = 0; k < 2; ++k) {
    const std::string part = k == 0 ? "archetype_" : "sample_specific_";
    const DagPenalty& d = k == 0 ? o.archetype : o.sample;
    m.emplace_back(part + "dag_loss_type", OptionValue::string(dag_loss_name(d.loss)));
    m.emplace_back(part + "alpha", OptionValue::real(d.alpha));
    m.emplace_back(part + "rho", OptionValue::real(d.rho));
    m.emplace_back(part + "s", OptionValue::real(d.s));
    m.emplace_back(part + "l1", OptionValue::real(d.l1));
  }
  m.emplace_back("dag_schedule", OptionValue::string(o.augmented ? "augmented_lagrangian" : "fixed"));
  m.emplace_back("dag_h_tol", OptionValue::real(o.h_tol));
  m.emplace_back("num_factors", OptionValue::integer(o.factors));
  m.emplace_back("factor_mat_l1", OptionValue::real(o.factor_l1));
  return m;
}

}  // namespace ctxstats
