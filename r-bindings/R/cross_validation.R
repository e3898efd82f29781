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
  cv_of_options(fit, fit$options, folds, seed)
}

# The cross-validation of fit's data under the options opts (ctx_cv, ctx_choose_encoder).
cv_of_options <- function(fit, opts, folds, seed) {
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

# calibration_test(): grf's test_calibration for the per-sample parameters, computed by the core
# (csrc/inference/calibration.hpp) on parameters cross-fitted with ctx_cv's folds, as the
# Python package's ctxstats.calibration_test: the same numbers for the same model and seed.
calibration_test <- function(fit, folds = 5L, seed = 0L, cov_type = "HC3") {
  if (!inherits(fit, "ctx_glm")) stop("fit must be a ctx_glm fit", call. = FALSE)
  if (!is.numeric(folds) || length(folds) != 1L || is.na(folds) || folds != round(folds) || folds < 2)
    stop("folds must be a whole number >= 2", call. = FALSE)
  if (!is.numeric(seed) || length(seed) != 1L || is.na(seed) || seed != round(seed) || seed < 0)
    stop("seed must be a whole number >= 0", call. = FALSE)
  if (!is.character(cov_type) || length(cov_type) != 1L)
    stop("cov_type must be one of 'HC3', 'HC0', 'HC1', 'HC2', 'nonrobust'", call. = FALSE)
  if (is_negbin(fit))
    stop("calibration_test is not available for the negative binomial family; use family = quasipoisson()",
         call. = FALSE)
  opts <- fit$options
  opts$knots <- NULL
  opts$centres <- NULL
  opts$seed <- as.numeric(seed)
  raw <- core_call(ctxstats_calibration_test_R, fit$context, fit$x, fit$y, fit$prior_weights, opts,
                   as.integer(folds), as.numeric(seed), cov_type)
  if (!all(raw$fold_converged)) {
    bad <- which(!raw$fold_converged)
    warning(sprintf("%d of %d cross-fitting folds did not converge (folds %s); the first: %s", length(bad),
                    length(raw$fold_converged), paste(bad, collapse = ", "), raw$fold_message[bad[1L]]),
            call. = FALSE)
  }
  names <- fit$param_names
  if (!all(raw$identified))
    warning(sprintf("the calibration regression is not identified for %s (their held-out values do not vary, or their predictor is 0): their rows are NA",
                    paste(names[!raw$identified], collapse = ", ")), call. = FALSE)
  if (any(raw$identified & !raw$converged))
    warning(sprintf("the calibration regression's Newton iterations did not converge for %s",
                    paste(names[raw$identified & !raw$converged], collapse = ", ")), call. = FALSE)
  est <- as.vector(t(raw$coef))
  se <- sqrt(as.vector(t(raw$cov[, c(1L, 4L), drop = FALSE])))
  stat <- est / se
  p <- if (raw$use_t) stats::pt(stat, raw$df_resid, lower.tail = FALSE) else stats::pnorm(stat, lower.tail = FALSE)
  lab <- if (raw$use_t) "t" else "z"
  tab <- data.frame(est, se, stat, p,
                    row.names = paste0(rep(names, each = 2L), ":", c("mean", "differential")))
  names(tab) <- c("Estimate", "Std. Error", paste(lab, "value"), sprintf("Pr(>%s)", lab))
  held <- raw$held_out_theta
  dimnames(held) <- list(rownames(fit$context), names)
  structure(list(table = tab, mean_effect = stats::setNames(raw$mean_effect, names), held_out_coef = held,
                 fold = raw$fold, cov_type = raw$cov_type, df_resid = raw$df_resid, folds = as.integer(folds)),
            class = "ctx_calibration")
}

print.ctx_calibration <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  cat(sprintf("Calibration test of the heterogeneity (%d-fold cross-fitted, cov_type = %s)\n", x$folds, x$cov_type))
  cat("one-sided p-values of H0: coefficient <= 0\n")
  print(x$table, digits = digits)
  invisible(x)
}

# ctx_choose_encoder(): the held-out deviance of fit's data (response, predictors, context,
# weights, family, intercept, dispersion) under each candidate encoder on the same folds, as
# the Python package's ctxstats.choose_encoder; the comparison (mean deviance, its SE, the
# difference from the best and its paired SE) is the core's (inference/cv_comparison.hpp).
ctx_choose_encoder <- function(fit, candidates = c("linear", "spline", "ngam"), folds = 5L, seed = 0L, ...) {
  if (!inherits(fit, "ctx_glm")) stop("fit must be a ctx_glm fit", call. = FALSE)
  if (!is.numeric(folds) || length(folds) != 1L || is.na(folds) || folds != round(folds) || folds < 2)
    stop("folds must be a whole number >= 2", call. = FALSE)
  if (!is.numeric(seed) || length(seed) != 1L || is.na(seed) || seed != round(seed) || seed < 0)
    stop("seed must be a whole number >= 0", call. = FALSE)
  if (is.character(candidates)) {
    candidates <- stats::setNames(lapply(candidates, function(e) list(encoder = e)), candidates)
  } else if (is.list(candidates) && length(candidates) && !is.null(names(candidates)) && all(names(candidates) != "")) {
    candidates <- stats::setNames(lapply(names(candidates), function(nm) {
      c <- candidates[[nm]]
      if (is.character(c) && length(c) == 1L) c <- list(encoder = c)
      if (!is.list(c) || is.null(c$encoder))
        stop(sprintf("candidate '%s' must be an encoder name or a list of options with an encoder", nm), call. = FALSE)
      c
    }), names(candidates))
  } else {
    stop("candidates must be encoder names or a named list of option lists (each with an encoder)", call. = FALSE)
  }
  if (!length(candidates)) stop("candidates is empty", call. = FALSE)
  schema <- ctx_option_schema()
  # what stays: the model options that are not the encoder's and differ from the table's default
  # (family and intercept always), as the Python package keeps the options given
  keep <- fit$options[vapply(names(fit$options), function(k)
    !is.null(schema[[k]]) && identical(schema[[k]]$group, "model") && k != "encoder" &&
      (k %in% c("family", "fit_intercept") || !identical(fit$options[[k]], schema[[k]]$default)), logical(1))]
  q <- ncol(fit$x) + isTRUE(fit$options$fit_intercept)
  cvs <- lapply(candidates, function(cand) {
    opts <- core_options(keep, c(cand, list(...)), fit$context, q)
    cv_of_options(fit, opts, folds, seed)
  })
  dev <- do.call(rbind, lapply(cvs, function(cv) cv$folds$deviance))
  cmp <- core_call(ctxstats_compare_cross_validation_R, dev, cvs[[1L]]$folds$weight)
  tab <- data.frame(mean_deviance = cmp$mean_deviance, se = cmp$se, diff = cmp$diff, diff_se = cmp$diff_se,
                    deviance = vapply(cvs, function(cv) cv$deviance, numeric(1)),
                    folds_converged = vapply(cvs, function(cv) sum(cv$folds$converged), numeric(1)),
                    row.names = names(candidates))
  tab[order(tab$mean_deviance), , drop = FALSE]
}
