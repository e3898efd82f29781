// The wording of the messages an iterative fit gives when it stops at its iteration cap
// without meeting its stopping criterion. The bindings pass SolverResult::message through
// unchanged (Python's ConvergenceWarning, R's warning()), so both languages say the same.
#pragma once
#include <cstddef>
#include <cstdio>
#include <string>

namespace ctxstats {

// A number as these messages print it (%.3g: 1e-08, 0.000312, 1000).
inline std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// What a user of a neural encoder can change when L-BFGS or Adam stops at its cap.
inline const char* neural_fit_advice() {
  return "raise max_iter, loosen tol, standardise the inputs or add weight_decay, or, for a "
         "low-dimensional context, use encoder=\"spline\"";
}

// The one warning for a bootstrap whose replicates did not all converge (empty when all did):
// how many, and the first unconverged replicate's own message (each replicate runs the same
// solver, criterion and cap as the full-data fit).
inline std::string bootstrap_convergence_message(std::size_t unconverged, std::size_t total,
                                                 const std::string& first_message) {
  if (unconverged == 0) return "";
  std::string s = std::to_string(unconverged) + " of " + std::to_string(total) +
                  " bootstrap replicates did not converge; the bootstrap standard errors and intervals include "
                  "these fits";
  if (!first_message.empty()) s += ". The first: " + first_message;
  return s;
}

}  // namespace ctxstats
