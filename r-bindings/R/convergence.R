# Warnings for fits that stopped without meeting their solver's stopping criterion (usually
# at the iteration cap max_iter). The text is the core's (csrc/common/convergence.hpp and the
# solvers' messages), the same the Python package raises as a ConvergenceWarning. An
# interrupted fit never gets here: the glue turns it into an error.

warn_if_unconverged <- function(out) {
  if (!isTRUE(out$converged)) warning(out$message, call. = FALSE)
}

# The core's summary of replicates that did not converge ("" when all did), quoting the first
# failure's own message.
bootstrap_message <- function(converged, messages) {
  failed <- which(!converged)
  core_call(ctxstats_bootstrap_convergence_message_R, length(failed), length(converged),
            if (length(failed)) messages[failed[1L]] else "")
}

warn_bootstrap <- function(message) {
  if (!is.null(message) && nzchar(message)) warning(message, call. = FALSE)
}

# The summary line on how many replicates converged (as the Python package's summary).
bootstrap_share_note <- function(converged) {
  sprintf("Bootstrap convergence: %d of %d replicate fits converged by the solver's stopping criterion.",
          sum(converged), length(converged))
}
