// The core's inference, one header for the bindings: analytic covariances, Wald tests and
// average effects of the linear encoder (linear_inference.hpp), summaries of bootstrap
// replicates (bootstrap_summary.hpp), and the spline encoder's smooth-term tests
// (smooth_tests.hpp) and pointwise Vp bands (spline_pointwise.hpp), and the identifiability
// report with the spline encoder's concurvity and rank checks (identifiability_report.hpp). Everything is returned as estimates, covariances,
// statistics and degrees of freedom; the front ends turn statistics into p-values with
// their own distribution functions.
#pragma once
#include "inference/basis_check.hpp"
#include "inference/bootstrap_summary.hpp"
#include "inference/cov_type.hpp"
#include "inference/fit_statistics.hpp"
#include "inference/identifiability_report.hpp"
#include "inference/linear_inference.hpp"
#include "inference/linear_projection.hpp"
#include "inference/prediction_intervals.hpp"
#include "inference/smooth_tests.hpp"
#include "inference/spline_pointwise.hpp"
#include "inference/subtypes.hpp"
