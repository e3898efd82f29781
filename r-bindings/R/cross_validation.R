# ctx_cv(): K-fold cross-validated held-out deviance of a fit's model (its data, family,
# encoder and options), by the core (csrc/glm/cross_validation.hpp) as the Python package's
# ctxstats.cross_validate: the same folds and numbers for the same model, options and seed.
# A spline refits its knots on each fold's training rows.
ctx_cv <- function(fit, folds = 5L, seed = 0L) {
  if (!inherits(fit, "ctx_glm")) stop("fit must be a ctx_glm fit", call. = FALSE)
  if (!is.numeric(folds) || length(folds) != 1L || is.na(folds) || folds != round(folds) || folds < 2)
    stop("folds must be a whole number >= 2", call. = FALSE)
  if (!is.numeric(seed) || length(seed) != 1L || is.na(seed) || seed != round(seed) || seed < 0)
    stop("seed must be a whole number >= 0", call. = FALSE)
  opts <- fit$options
  opts$knots <- NULL                        # each fold places its own
  opts$centres <- NULL
  opts$seed <- as.numeric(seed)
  raw <- core_call(ctxstats_cross_validate_R, fit$context, fit$x, fit$y, fit$prior_weights, opts,
                   as.integer(folds), as.numeric(seed))
  K <- length(raw$fold_deviance)
  tab <- data.frame(rows = raw$fold_rows, weight = raw$fold_weight, deviance = raw$fold_deviance,
                    mean_deviance = raw$fold_deviance / raw$fold_weight, converged = raw$fold_converged,
                    row.names = seq_len(K))
  if (!all(raw$fold_converged)) {
    bad <- which(!raw$fold_converged)
    warning(sprintf("%d of %d cross-validation folds did not converge (folds %s); the first: %s", length(bad), K,
                    paste(bad, collapse = ", "), raw$fold_message[bad[1L]]), call. = FALSE)
  }
  structure(list(folds = tab, deviance = raw$deviance, mean_deviance = raw$deviance / sum(raw$fold_weight),
                 se = stats::sd(tab$mean_deviance) / sqrt(K), fold = raw$fold,
                 predicted_mean = stats::setNames(raw$predicted_mean, rownames(fit$context))),
            class = "ctx_cv")
}

print.ctx_cv <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  cat(sprintf("%d-fold cross-validation: held-out mean deviance %s (se %s)\n", nrow(x$folds),
              format(x$mean_deviance, digits = digits), format(x$se, digits = digits)))
  print(x$folds, digits = digits)
  invisible(x)
}
