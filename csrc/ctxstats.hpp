// The core's public header: everything the Python (csrc/python/) and R (r-bindings/src/)
// bindings call. The core is arranged by concern:
//   common/        data views and scaling, families, errors, the random generator, messages
//   encoders/      the context encoders (linear, spline basis, ngam, mlp, archetypes)
//   glm/           the objective, the solvers (exact/IRLS, L-BFGS, Adam), fit and bootstrap
//   smoothing/     the spline encoder's penalties and REML/GCV smoothing-parameter selection
//   personalized/  distance-matching personalized regression
//   networks/      contextualized correlation, markov and bayesian (NOTMAD) networks
//   inference/     covariances, tests, bootstrap summaries, spline tests, identifiability
//   options/       the option schema (every option's type, default, bounds and scope)
//   model/         the fitted model and its file format
#pragma once

#include "common/convergence.hpp"
#include "common/error.hpp"
#include "encoders/context_basis.hpp"
#include "glm/bootstrap.hpp"
#include "glm/cross_validation.hpp"
#include "glm/exact_passes.hpp"
#include "glm/fit.hpp"
#include "glm/location_scale.hpp"
#include "glm/network_passes.hpp"
#include "glm/poisson_bootstrap.hpp"
#include "glm/mixture.hpp"
#include "glm/mixture_bootstrap.hpp"
#include "glm/objective.hpp"
#include "inference/design_grams.hpp"
#include "inference/inference.hpp"
#include "inference/negbin.hpp"
#include "model/fitted_model.hpp"
#include "model/model_file.hpp"
#include "model/network_file.hpp"
#include "networks/networks.hpp"
#include "options/schema.hpp"
#include "personalized/personalized.hpp"
