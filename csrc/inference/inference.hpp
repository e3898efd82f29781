// The core's inference, one header for the bindings: analytic covariances, Wald tests and
// average effects of the linear encoder (linear_inference.hpp), and summaries of bootstrap
// replicates (bootstrap_summary.hpp). Everything is returned as estimates, covariances,
// statistics and degrees of freedom; the front ends turn statistics into p-values with
// their own distribution functions.
#pragma once
#include "inference/bootstrap_summary.hpp"
#include "inference/linear_inference.hpp"
