// Which covariance a contextualized GLM fit reports (its `cov_type`), decided once for both
// front ends: analytic covariances (nonrobust, HC0-HC3, cluster) exist for the unpenalised linear
// encoder without archetypes; "bootstrap" needs replicates; None (empty here) picks
// "nonrobust" when analytic covariances exist, else "bootstrap" when there are replicates,
// else no standard errors.
#pragma once
#include <string>

#include "glm/fit.hpp"
#include "options/schema.hpp"

namespace ctxstats {

bool analytic_covariance_available(const FitOptions& options);

// `cov_type` as a binding hands it over (null, or a string matched without regard to case);
// InvalidType for another kind of value, InvalidArgument naming what the fit lacks.
// Returns the covariance's canonical name, or "" when the fit has no standard errors;
// "cluster" for a model without analytic covariances (given replicates) is "bootstrap": the
// cluster bootstrap, whose replicates resample the groups.
std::string resolve_cov_type(const OptionValue& cov_type, const FitOptions& options, long long n_bootstraps);

}  // namespace ctxstats
