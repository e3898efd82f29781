// The negative binomial (NB2, log link) fit of the linear encoder with theta estimated, as
// R's MASS::glm.nb: alternate (a) the coefficients at fixed theta by Newton's method on the NB
// likelihood -- the exact solver's iterations, fed by a pass whose gradient is a poisson GLM's
// with prior weights w theta / (theta + mu) (inference/negbin.hpp), whose Hessian is the
// observed one and whose objective is the NB negative log-likelihood -- and (b) theta by
// maximum likelihood
// at the fitted means, until theta moves by less than 1e-11 relative (at most max_iter
// alternations, default 100). Each IRLS runs to a Newton decrement of tol (default 1e-30
// relative: until rounding noise). Other encoders, archetypes, solvers other than exact and the L1
// penalty are refused by the option schema (resolve_options).
#pragma once
#include <vector>

#include "glm/fit.hpp"

namespace ctxstats {

FitResult fit_negbin(const DataView& data, const FitOptions& options, const std::vector<double>* init);

}  // namespace ctxstats
