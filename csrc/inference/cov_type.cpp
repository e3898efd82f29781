#include "inference/cov_type.hpp"

#include <cctype>
#include <vector>

#include "common/error.hpp"

namespace ctxstats {

namespace {

const std::vector<std::string>& cov_types() {
  static const std::vector<std::string> names = {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster", "bootstrap", "observed"};
  return names;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string choices() {
  std::string out;
  for (const auto& c : cov_types()) out += (out.empty() ? "'" : ", '") + c + "'";
  return out;
}

}  // namespace

bool analytic_covariance_available(const FitOptions& o) {
  return o.encoder.type == "linear" && o.encoder.archetypes == 0 && o.penalty.alpha == 0.0 &&
         o.penalty.weight_decay == 0.0;
}

std::string resolve_cov_type(const OptionValue& cov_type, const FitOptions& o, long long n_bootstraps) {
  const bool analytic = analytic_covariance_available(o);
  if (cov_type.kind == OptionValue::Kind::kNull) {
    if (analytic) return "nonrobust";
    return n_bootstraps > 0 ? "bootstrap" : "";
  }
  if (cov_type.kind != OptionValue::Kind::kString) throw InvalidType("cov_type must be a string, one of " + choices());
  std::string match;
  for (const auto& c : cov_types())
    if (lower(c) == lower(cov_type.text)) match = c;
  require(!match.empty(), "cov_type must be one of " + choices() + ", not '" + cov_type.text + "'");
  require(match != "bootstrap" || n_bootstraps > 0,
          "cov_type 'bootstrap' needs replicates: pass n_bootstraps = B (e.g. 200)");
  // Other models' cluster covariance is the cluster bootstrap: its inference is the bootstrap's
  // (the bindings pass the groups to the replicates).
  if (match == "cluster" && !analytic) {
    require(n_bootstraps > 0, "cov_type 'cluster' for this model is the cluster bootstrap (the linear encoder's "
                              "is analytic): pass n_bootstraps = B (e.g. 200) with groups");
    return "bootstrap";
  }
  require(match == "bootstrap" || analytic,
          "cov_type '" + match + "' (analytic standard errors) needs the unpenalised linear encoder without "
          "archetypes; for other models pass n_bootstraps = B and use cov_type 'bootstrap'");
  require(match != "observed" || o.family == "negativebinomial",
          "cov_type 'observed' (the inverse observed information of the coefficients and alpha jointly, as "
          "statsmodels' NegativeBinomial) is for family 'negativebinomial'");
  return match;
}

}  // namespace ctxstats
