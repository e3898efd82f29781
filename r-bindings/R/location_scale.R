# Heteroskedastic contextualized regression, ctx_glm(..., scale = "context"): log sigma(c) is
# a second output of the encoder (linear or spline), fitted with the mean by the C++ core
# (csrc/glm/location_scale.hpp), as the Python package's ctxstats.location_scale. Standard
# errors come from the inverse observed information the core returns (normal intervals);
# prediction intervals use each row's sigma(c); scale_test() asks whether sigma varies with
# context. This file only names the core's numbers and turns statistics into p-values.

has_location_scale <- function(object) !is.null(object$location_scale)

require_location_scale <- function(object) {
  if (!has_location_scale(object))
    stop("this fit has a constant scale; refit with scale = \"context\" (family gaussian, encoder \"linear\" or ",
         "\"spline\") for per-sample standard deviations", call. = FALSE)
}

check_location_scale_cov_type <- function(cov_type) {
  if (!is.null(cov_type) && !identical(cov_type, "nonrobust"))
    stop(sprintf("cov_type = \"%s\" is not available with scale = \"context\": its covariance is the inverse ",
                 cov_type), "observed information (cov_type = NULL or \"nonrobust\")", call. = FALSE)
}

location_scale_predict <- function(object, X, C) {
  core_call(ctxstats_location_scale_predict_R, object$options, object$scaling, object$encoder_weights,
            object$location_scale, X, C)
}

# Each sample's residual standard deviation sigma(c_i) in the response's units (newdata: at
# its contexts instead).
sample_scale <- function(object, newdata = NULL) {
  require_location_scale(object)
  C <- if (is.null(newdata)) object$context else new_part_matrix(object, "context", newdata)
  X <- matrix(0, nrow(C), ncol(object$x))
  stats::setNames(location_scale_predict(object, X, C)$sigma, rownames(C))
}

# Whether sigma varies with context: the likelihood-ratio test against constant sigma (linear
# encoder) and the Wald test of the scale weights beyond the constant, chi-squared.
scale_test <- function(object) {
  require_location_scale(object)
  ls <- object$location_scale
  df <- ls$test_df
  rows <- list()
  if (is.finite(ls$lr_statistic)) rows[["likelihood ratio"]] <- c(ls$lr_statistic, df, stats::pchisq(ls$lr_statistic, df, lower.tail = FALSE))
  rows[["wald"]] <- c(ls$wald_statistic, df, stats::pchisq(ls$wald_statistic, df, lower.tail = FALSE))
  out <- as.data.frame(do.call(rbind, rows))
  names(out) <- c("statistic", "df", "pvalue")
  out
}

location_scale_vcov <- function(object) {
  cov <- core_call(ctxstats_location_scale_average_cov_R, object$options, object$scaling, object$location_scale,
                   object$context)
  dimnames(cov) <- list(object$param_names, object$param_names)
  cov
}

location_scale_coef_table <- function(object, alpha) {
  se <- sqrt(diag(location_scale_vcov(object)))
  out <- as.data.frame(coefficient_table(coef(object), se, FALSE, Inf, alpha))
  names(out) <- c("coef", "std err", "z", "P>|z|", sprintf("[%g", alpha / 2), sprintf("%g]", 1 - alpha / 2))
  rownames(out) <- object$param_names
  out
}

# predict()'s standard errors and intervals for a scale = "context" fit (gaussian): the mean's
# interval eta -+ z se_eta, the prediction interval eta -+ z sqrt(se_eta^2 + sigma(c)^2).
location_scale_prediction <- function(object, X, C, eta, se.fit, interval, level) {
  alpha <- level_alpha(level)
  ok <- which(!is.na(eta))
  n <- length(eta)
  res <- list(mean = rep(NA_real_, n), se_mean = rep(NA_real_, n), lower = rep(NA_real_, n), upper = rep(NA_real_, n))
  if (length(ok)) {
    p <- location_scale_predict(object, X[ok, , drop = FALSE], C[ok, , drop = FALSE])
    crit <- critical_value(FALSE, Inf, alpha)
    pi <- core_call(ctxstats_prediction_intervals_rows_R, unname(eta[ok]), p$se_eta, crit, p$sigma^2)
    res <- fill_limits(res, ok, pi, interval)
  }
  prediction_result(res, eta, interval, se.fit, Inf, NA_real_)
}

location_scale_note <- function(object) {
  t <- scale_test(object)
  row <- if ("likelihood ratio" %in% rownames(t)) "likelihood ratio" else "wald"
  s <- sample_scale(object)
  sprintf(paste0("Heteroskedastic fit (scale='context'): log sigma(c) is fitted with the mean; sample sigma from ",
                 "%s to %s. %s test that sigma does not vary with context: chi2(%g) = %s, p = %s."),
          fmt_g(min(s), 4L), fmt_g(max(s), 4L), if (row == "wald") "Wald" else "Likelihood-ratio",
          t[row, "df"], fmt_g(t[row, "statistic"], 4L), fmt_g(t[row, "pvalue"], 4L))
}
