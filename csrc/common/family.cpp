#include "common/family.hpp"

#include <cmath>

#include "common/error.hpp"

namespace ctxstats {

Family parse_family(const std::string& name) {
  if (name == "gaussian") return Family::kGaussian;
  if (name == "binomial") return Family::kBinomial;
  if (name == "poisson") return Family::kPoisson;
  if (name == "negativebinomial")  // its theta is estimated with the coefficients: glm/negbin.hpp
    throw InvalidArgument("family 'negativebinomial' is available for in-memory fits of the linear encoder and "
                          "their statistics only, not here (Dask-held data, cross-validation, the objective of "
                          "other encoders); its theta is estimated with the coefficients");
  throw InvalidArgument("family must be one of 'gaussian', 'binomial', 'poisson', not '" + name + "'");
}

std::string family_name(Family family) {
  switch (family) {
    case Family::kGaussian: return "gaussian";
    case Family::kBinomial: return "binomial";
    case Family::kPoisson: return "poisson";
  }
  return "?";
}

void validate_response(Family family, const double* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const double v = y[i];
    // Messages are built only on failure (building them per row costs more than the checks).
    if (!std::isfinite(v)) throw InvalidArgument("endog contains a non-finite value at row " + std::to_string(i));
    if (family == Family::kBinomial && !(v >= 0.0 && v <= 1.0))
      throw InvalidArgument("endog must lie in [0, 1] for the binomial family; row " + std::to_string(i) + " is " +
                            std::to_string(v));
    if (family == Family::kPoisson && !(v >= 0.0))
      throw InvalidArgument("endog must be non-negative for the poisson family; row " + std::to_string(i) +
                            " is " + std::to_string(v));
  }
}

}  // namespace ctxstats
