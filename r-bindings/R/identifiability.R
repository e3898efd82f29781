# identifiability(): the checks of the Python package's ctxstats.identifiability -- the
# counting heuristic n > d_g d_s, rank and conditioning of [1, X], [1, C] and (linear
# encoder) the interaction design naming aliased columns, constant and duplicated columns,
# archetypes, and with bootstrap replicates the stability of per-sample signs -- computed by
# the C++ core (csrc/inference/identifiability_report.*), so both languages print the same
# report; R only prints it and warns.

identifiability <- function(object, ...) UseMethod("identifiability")

# The identifiability report of a fit: a list with `checks` (a data frame: check, value,
# threshold, passed), `notes` (a sentence per failed check), `findings` (a data frame of
# every constant, duplicated and aliased column: design, kind, column, and the list column
# `with` naming what it equals or combines) and `identifiable`. The core
# computes the whole report (ctxstats_identifiability_report_R, as Python's
# _core.identifiability_report); R passes names and, with bootstrap replicates, the sign-flip
# shares and the percentile intervals the core computed, and classes the result.
identifiability.ctx_glm <- function(object, ...) {
  if (!is.null(hit <- cache_get(object, "ident"))) return(hit)
  flips <- determined <- NULL
  if (n_boot(object) > 0) {
    flips <- bootstrap_pass(object)$sign_flip_share
    ps <- boot_summary(object, 0.05)
    determined <- as.integer(ps$lower > 0 | ps$upper < 0)
  }
  names <- list(param = as.character(object$param_names), exog = as.character(colnames(object$x)),
                context = as.character(object$context_names))
  rep <- core_call(ctxstats_identifiability_report_R, object$context, object$x, object$scaling, object$options,
                   names, object$encoder_weights, flips, determined)
  findings <- data.frame(design = as.character(rep$findings$design), kind = as.character(rep$findings$kind),
                         column = as.character(rep$findings$column), stringsAsFactors = FALSE)
  findings$with <- lapply(rep$findings$with, as.character)
  out <- structure(list(checks = rep$checks, notes = as.character(rep$notes), findings = findings,
                        identifiable = all(rep$checks$passed)), class = "ctx_identifiability")
  cache_set(object, "ident", out)
}

print.ctx_identifiability <- function(x, ...) {
  cat(if (x$identifiable) "Identifiability: all checks passed" else
    sprintf("Identifiability: %d check(s) failed", sum(!x$checks$passed)), "\n", sep = "")
  frame <- x$checks[, -1L]
  frame$passed <- ifelse(frame$passed, "True", "False")
  rownames(frame) <- x$checks$check
  cat(format_frame(frame), sep = "\n")
  if (length(x$notes)) cat(sprintf("[%d] %s", seq_along(x$notes), x$notes), sep = "\n")
  invisible(x)
}

warn_if_unidentifiable <- function(report) {
  if (!report$identifiable) {
    warning(sprintf("identifiability check(s) failed: %s. %s See identifiability(fit).",
                    paste(report$checks$check[!report$checks$passed], collapse = ", "),
                    paste(report$notes, collapse = " ")), call. = FALSE)
  }
}
