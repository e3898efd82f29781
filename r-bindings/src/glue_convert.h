// Conversions between R objects and core types shared by the glue files (defined in glue.cpp).
#pragma once
#include <Rcpp.h>

#include "ctxstats.hpp"

// A scaling as the list the R functions carry, and back (validated).
Rcpp::List scaling_to_r(const ctxstats::Scaling& s);
ctxstats::Scaling scaling_from_r(SEXP sexp);

// A bootstrap percentile summary (inference/bootstrap_summary.hpp) as a list: se, lower,
// upper, pvalue, pvalue_floor.
Rcpp::List percentile_summary_to_r(const ctxstats::PercentileSummary& s);
