// Exponential families with their canonical links. loss is the per-sample negative
// log-likelihood up to terms free of eta; dloss its derivative in eta; variance the second
// derivative (the IRLS working weight).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>

namespace ctxstats {

enum class Family { kGaussian, kBinomial, kPoisson };

Family parse_family(const std::string& name);
std::string family_name(Family family);

// Checks the response's domain; throws InvalidArgument naming `endog`.
void validate_response(Family family, const double* y, std::size_t n);

inline double inverse_link(Family family, double eta) {
  switch (family) {
    case Family::kGaussian: return eta;
    case Family::kBinomial:
      return eta >= 0 ? 1.0 / (1.0 + std::exp(-eta)) : std::exp(eta) / (1.0 + std::exp(eta));
    case Family::kPoisson: return std::exp(eta);
  }
  return eta;
}

inline double loss(Family family, double y, double eta) {
  switch (family) {
    case Family::kGaussian: { const double r = y - eta; return 0.5 * r * r; }
    // log(1 + e^eta) - y eta, without overflow for large |eta|.
    case Family::kBinomial: return std::max(eta, 0.0) + std::log1p(std::exp(-std::fabs(eta))) - y * eta;
    case Family::kPoisson: return std::exp(eta) - y * eta;
  }
  return 0.0;
}

inline double dloss(Family family, double y, double eta) {
  return inverse_link(family, eta) - y;
}

inline double variance(Family family, double eta) {
  switch (family) {
    case Family::kGaussian: return 1.0;
    case Family::kBinomial: { const double p = inverse_link(family, eta); return p * (1.0 - p); }
    case Family::kPoisson: return std::exp(eta);
  }
  return 1.0;
}

}  // namespace ctxstats
