# S3 methods of a fitted ctx_glm: parameters, predictions and fit statistics, computed as in
# the Python package's ContextualizedGLMResults.

sample_coef <- function(object, ...) UseMethod("sample_coef")

# Each sample's intercept and coefficients (n x (1 + p)); rows dropped by na.exclude come
# back as NA rows.
sample_coef.ctx_glm <- function(object, ...) stats::napredict(object$na.action, object$sample_coef)

# The average effects: sample coefficients averaged over the fitted samples.
coef.ctx_glm <- function(object, ...) stats::setNames(column_spread(object$sample_coef)$mean, colnames(object$sample_coef))

nobs.ctx_glm <- function(object, ...) length(object$y)

inverse_link <- function(family, eta) {
  switch(family, gaussian = eta, binomial = stats::plogis(eta), poisson = exp(eta), negativebinomial = exp(eta))
}

linear_predictor <- function(theta, X, intercept) {
  if (intercept) theta[, 1L] + rowSums(X * theta[, -1L, drop = FALSE]) else rowSums(X * theta)
}

# Per-sample parameters for a context matrix; rows with a missing value give NA.
theta_for <- function(object, C) {
  ok <- stats::complete.cases(C)
  theta <- matrix(NA_real_, nrow(C), length(object$param_names),
                  dimnames = list(rownames(C), object$param_names))
  if (any(ok)) {
    theta[ok, ] <- if (is.null(object$model)) {
      core_call(ctxstats_predict_theta_R, object$options, object$scaling, object$encoder_weights,
                C[ok, , drop = FALSE])
    } else {
      core_call(ctxstats_model_predict_R, core_model(object), object$model, C[ok, , drop = FALSE])
    }
  }
  theta
}

predict.ctx_glm <- function(object, newdata = NULL, type = c("response", "link", "params"), se.fit = FALSE,
                            interval = c("none", "confidence", "prediction"), level = 0.95, cov_type = NULL, ...) {
  type <- match.arg(type)
  interval <- match.arg(interval)
  # Arguments of predict.lm / predict.glm that are not implemented are refused rather than
  # silently ignored (issue 16): a user asking for them must not get something else.
  extra <- names(list(...))
  unsupported <- intersect(extra, c("dispersion", "terms", "pred.var", "weights"))
  if (length(unsupported) > 0L)
    stop("predict() for ctx_glm fits does not support ", paste(sQuote(unsupported), collapse = ", "), call. = FALSE)
  if (length(extra) > 0L)
    stop("unknown argument(s) to predict(): ", paste(sQuote(extra), collapse = ", "), call. = FALSE)
  if (!is.logical(se.fit) || length(se.fit) != 1L || is.na(se.fit)) stop("se.fit must be TRUE or FALSE", call. = FALSE)
  with_se <- se.fit || interval != "none"
  if (with_se && type == "params")
    stop("se.fit and interval are for type = \"response\" or \"link\"; per-sample parameter intervals come ",
         "from sample_confint()", call. = FALSE)
  if (is.null(newdata)) {
    theta <- object$sample_coef
    if (type == "params") return(stats::napredict(object$na.action, theta))
    X <- object$x
    C <- object$context
  } else {
    if (!is.data.frame(newdata) && !is.list(newdata)) stop("newdata must be a data frame", call. = FALSE)
    C <- new_part_matrix(object, "context", newdata)
    theta <- theta_for(object, C)
    if (type == "params") return(theta)
    X <- new_part_matrix(object, "exog", newdata)
  }
  eta <- linear_predictor(theta, X, object$options$fit_intercept)
  names(eta) <- rownames(theta)
  out <- if (type == "link") eta else inverse_link(object$family, eta)
  if (with_se) out <- prediction_with_se(object, X, C, eta, type, se.fit, interval, level, cov_type)
  if (is.null(newdata)) out <- pad_prediction(object$na.action, out)
  out
}

# predict()'s standard errors and intervals, shaped as predict.lm's: a list of fit (a vector,
# or with an interval a matrix fit/lwr/upr), se.fit, df and residual.scale; an interval
# without se.fit gives the matrix alone. Analytic for the linear encoder and, with Vp, the spline encoder (se of eta
# sqrt(z' V z); the mean's by the delta method and its interval the link-scale one mapped, as
# predict.glm; gaussian prediction intervals with variance z' V z + scale, as predict.lm);
# bootstrap: the replicates' predicted means, their standard deviation and percentile
# interval. Computed by the core (csrc/inference/prediction_intervals.hpp) as in Python's
# get_prediction.
prediction_with_se <- function(object, X, C, eta, type, se.fit, interval, level, cov_type) {
  if (has_location_scale(object)) {
    check_location_scale_cov_type(cov_type)
    return(location_scale_prediction(object, X, C, eta, se.fit, interval, level))
  }
  alpha <- level_alpha(level)
  cov_type <- fit_cov_type(object, cov_type)
  if (is.null(cov_type) && !has_spline_vp(object))
    stop("standard errors of predictions need an analytic covariance (the unpenalised linear encoder), a ",
         "spline fit's Vp, or bootstrap replicates (refit with n_bootstraps = B); this fit has none",
         call. = FALSE)
  ok <- which(!is.na(eta))
  n <- length(eta)
  res <- list(mean = rep(NA_real_, n), se_mean = rep(NA_real_, n), lower = rep(NA_real_, n), upper = rep(NA_real_, n))
  if (is.null(cov_type)) {
    # A spline fit: se of eta sqrt(z' Vp z) (mgcv's predict.gam(se.fit = TRUE)), t on the residual
    # df when the scale is estimated, as the average effects.
    tests <- spline_tests(object)
    use_t <- isTRUE(tests$estimated_scale)
    df <- tests$df_resid
    scale <- if (object$family == "gaussian") dispersion(object) else 1
    if (interval == "prediction" && object$family != "gaussian")
      stop("interval = \"prediction\" exists for gaussian fits only", call. = FALSE)
    if (length(ok)) {
      se_eta <- core_call(ctxstats_spline_linear_predictor_se_R, object$options, object$scaling,
                          object$encoder_weights, spline_smoothing(object)$Vp, X[ok, , drop = FALSE],
                          C[ok, , drop = FALSE])
      p <- core_call(ctxstats_prediction_intervals_R, link_family(object$family), unname(eta[ok]), se_eta,
                     critical_value(use_t, df, alpha), if (interval == "prediction") scale else NA_real_,
                     type == "link")
      res$mean[ok] <- p$mean
      res$se_mean[ok] <- p$se_mean
      res$lower[ok] <- if (interval == "prediction") p$obs_lower else p$lower
      res$upper[ok] <- if (interval == "prediction") p$obs_upper else p$upper
    }
  } else if (cov_type == "bootstrap") {
    if (interval == "prediction")
      stop("interval = \"prediction\" needs an analytic gaussian fit (the linear encoder); bootstrap fits give ",
           "interval = \"confidence\"", call. = FALSE)
    df <- NA_real_
    scale <- NA_real_
    if (length(ok)) {
      mus <- core_call(ctxstats_bootstrap_predictions_R, object$options, object$scaling, object$bootstrap$weights,
                       X[ok, , drop = FALSE], C[ok, , drop = FALSE])
      if (type == "link") mus <- link_function(object$family, mus)
      ps <- percentile_summary(mus, alpha)
      res$se_mean[ok] <- ps$se
      res$lower[ok] <- ps$lower
      res$upper[ok] <- ps$upper
    }
    res$mean <- if (type == "link") eta else inverse_link(object$family, eta)
  } else {
    lc <- linear_covariance(object, cov_type)
    df <- lc$df_resid
    scale <- if (object$family == "gaussian" || is_quasi(object)) lc$scale else 1  # predict.glm's residual.scale
    if (interval == "prediction" && object$family != "gaussian")
      stop("interval = \"prediction\" exists for gaussian fits only", call. = FALSE)
    if (length(ok)) {
      se_eta <- core_call(ctxstats_linear_predictor_se_R, lc$cov, X[ok, , drop = FALSE], C[ok, , drop = FALSE],
                          object$options$fit_intercept)
      crit <- critical_value(lc$use_t, lc$df_resid, alpha)
      p <- core_call(ctxstats_prediction_intervals_R, link_family(object$family), unname(eta[ok]), se_eta, crit,
                     if (interval == "prediction") lc$scale else NA_real_, type == "link")
      res <- fill_limits(res, ok, p, interval)
    }
  }
  prediction_result(res, eta, interval, se.fit, df, sqrt(scale))
}

# The core's intervals p (csrc/inference/prediction_intervals.hpp) for rows ok into res; the
# observation interval for interval = "prediction".
fill_limits <- function(res, ok, p, interval) {
  res$mean[ok] <- p$mean
  res$se_mean[ok] <- p$se_mean
  res$lower[ok] <- if (interval == "prediction") p$obs_lower else p$lower
  res$upper[ok] <- if (interval == "prediction") p$obs_upper else p$upper
  res
}

# predict()'s value, shaped as predict.lm's.
prediction_result <- function(res, eta, interval, se.fit, df, residual_scale) {
  fit <- stats::setNames(res$mean, names(eta))
  if (interval != "none") fit <- cbind(fit = fit, lwr = res$lower, upr = res$upper)
  if (!se.fit) return(fit)
  list(fit = fit, se.fit = stats::setNames(res$se_mean, names(eta)), df = df, residual.scale = residual_scale)
}

link_function <- function(family, mu) {
  switch(family, gaussian = mu, binomial = stats::qlogis(mu), poisson = log(mu), negativebinomial = log(mu))
}

# napredict() for every part of a prediction (a vector, a matrix, or predict.lm's list).
pad_prediction <- function(na.action, out) {
  if (!is.list(out)) return(stats::napredict(na.action, out))
  out$fit <- stats::napredict(na.action, out$fit)
  out$se.fit <- stats::napredict(na.action, out$se.fit)
  out
}

# The fitted means of the fitted rows (without na.exclude padding).
fitted_mean <- function(object) {
  inverse_link(object$family, linear_predictor(object$sample_coef, object$x, object$options$fit_intercept))
}

fitted.ctx_glm <- function(object, ...) predict(object, type = "response")

prior_weights <- function(object) {
  if (is.null(object$prior_weights)) NULL else as.double(object$prior_weights)
}

# The core's fit statistics of the fitted means (inference/fit_statistics.hpp): log-likelihood,
# deviance, null deviance, Pearson chi-square, as R's glm defines them.
fit_statistics <- function(object) {
  if (!is.null(hit <- cache_get(object, "fit_statistics"))) return(hit)
  out <- if (is_negbin(object)) {  # at the fit's theta (negbin.R)
    core_call(ctxstats_negbin_fit_statistics_R, object$theta, as.double(object$y), as.double(fitted_mean(object)),
              prior_weights(object), isTRUE(object$options$fit_intercept))
  } else {
    core_call(ctxstats_fit_statistics_R, object$family, as.double(object$y), as.double(fitted_mean(object)),
              prior_weights(object), isTRUE(object$options$fit_intercept), is_quasi(object))
  }
  if (is.nan(out$loglik)) out$loglik <- NA_real_  # a quasi-likelihood fit has none (as glm's logLik: NA)
  cache_set(object, "fit_statistics", out)
}

# Residuals of the four types R's glm has; "response" (the default, as the Python package's
# resid): y - fitted mean; "pearson": (y - mu) sqrt(w / V(mu)); "deviance": signed square roots
# of the deviance terms; "working": (y - mu) d eta / d mu. Computed by the core.
residuals.ctx_glm <- function(object, type = c("response", "pearson", "deviance", "working"), ...) {
  type <- match.arg(type)
  r <- if (is_negbin(object)) {
    core_call(ctxstats_negbin_residuals_R, object$theta, type, as.double(object$y), as.double(fitted_mean(object)),
              prior_weights(object))
  } else {
    core_call(ctxstats_residuals_R, object$family, type, as.double(object$y), as.double(fitted_mean(object)),
              prior_weights(object))
  }
  names(r) <- rownames(object$sample_coef)
  stats::naresid(object$na.action, r)
}

# The parameter count of logLik, AIC and BIC: the encoder weights, or for a spline fit by the
# exact solver its total edf (mgcv's sum(edf)).
model_df <- function(object) {
  ls <- object$location_scale
  if (!is.null(ls)) return(ls$edf_mean + ls$edf_scale)  # mean and scale weights (a spline's: their edf)
  if (!is.null(object$spline$smoothing)) object$spline$smoothing$edf_total else length(object$encoder_weights)
}

deviance.ctx_glm <- function(object, ...) fit_statistics(object)$deviance

# A quasi-likelihood fit: binomial or poisson with dispersion = "pearson" (family = quasibinomial
# or quasipoisson): the family's estimates, the dispersion estimated by the core.
is_quasi <- function(object) identical(object$options$dispersion, "pearson") && object$family != "gaussian"

# The dispersion as R's summary.glm reports it: Pearson chi-square / residual df for gaussian and
# quasi fits, 1 for binomial and poisson (the core's rule).
dispersion <- function(object) {
  if (is_negbin(object)) return(1)  # its dispersion is theta, estimated by maximum likelihood
  core_call(ctxstats_dispersion_R, object$family, fit_statistics(object)$pearson_chi2, df.residual(object),
            is_quasi(object))
}

# The family as R names it: quasipoisson / quasibinomial for quasi-likelihood fits.
family_label <- function(object) if (is_quasi(object)) paste0("quasi", object$family) else object$family

# nobs minus the rank of the interaction design when the fit has analytic inference (the
# linear encoder), else nobs minus model_df; as the Python package's df_resid.
df.residual.ctx_glm <- function(object, ...) {
  ct <- object$cov_type
  if (!is.null(ct) && ct != "bootstrap") return(linear_covariance(object, ct)$df_resid)
  nobs(object) - model_df(object)
}

# The full log-likelihood, as the Python package's llf: gaussian with the ML variance RSS/n;
# df counts the encoder weights (plus the variance for gaussian), as its aic and bic do; for a
# spline fit by the exact solver it is the total edf (plus the variance), as mgcv's logLik.gam
# at fixed smoothing parameters and Python's df_model.
logLik.ctx_glm <- function(object, ...) {
  if (has_location_scale(object))  # each sample's own sigma(c); df: mean and scale weights
    return(structure(object$location_scale$loglik, df = model_df(object), nobs = length(object$y), class = "logLik"))
  structure(fit_statistics(object)$loglik, df = model_df(object) + (object$family == "gaussian") + is_negbin(object),
            nobs = length(object$y), class = "logLik")
}

print.ctx_glm <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  cat("Contextualized GLM: ", family_label(x), " family, ", x$encoder, " encoder, solver ", x$solver, "\n", sep = "")
  cat("Call: ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  cat("Context: ", paste(x$context_names, collapse = ", "), "\n", sep = "")
  cat(sprintf("%d observations; %s after %d iteration%s\n", nobs(x),
              if (x$converged) "converged" else "NOT converged", x$n_iter, if (x$n_iter == 1) "" else "s"))
  if (is_negbin(x)) cat(sprintf("Theta: %s (SE %s), 2 x log-likelihood: %s\n", format(x$theta, digits = digits),
                                format(theta_se(x), digits = digits), format(2 * as.numeric(logLik(x)), digits = 8)))
  cat("\nAverage effects (mean of the sample coefficients):\n")
  print.default(format(coef(x), digits = digits), print.gap = 2L, quote = FALSE)
  invisible(x)
}

# Analysis of deviance of nested fits of the same rows, smallest model first (as anova.lm /
# anova.glm of several models): F with the largest fit's dispersion for gaussian, the deviance
# difference (chi-square) otherwise. The statistics are the core's (inference/fit_statistics),
# the same as the Python package's ctxstats.compare.
anova.ctx_glm <- function(object, ...) {
  fits <- c(list(object), list(...))
  if (length(fits) < 2L || !all(vapply(fits, inherits, logical(1), "ctx_glm")))
    stop("anova needs two or more ctx_glm fits, smallest model first", call. = FALSE)
  for (f in fits[-1]) {
    if (!identical(unname(as.double(f$y)), unname(as.double(object$y))))
      stop("the fits to compare must be of the same response on the same rows", call. = FALSE)
    if (f$family != object$family || is_quasi(f) != is_quasi(object))
      stop("the fits to compare must be of one family (and all or none quasi-likelihood)", call. = FALSE)
  }
  df <- vapply(fits, df.residual, numeric(1))
  dev <- vapply(fits, deviance, numeric(1))
  big <- which.min(df)
  # Quasi-likelihood fits: F with the largest fit's estimated dispersion (anova.glm, test = "F").
  dispersion_big <- if (is_quasi(object)) dispersion(fits[[big]])
  k <- length(fits)
  stat <- pval <- ddf <- ddev <- rep(NA_real_, k)
  if (is_negbin(object)) return(anova_negbin(fits))
  for (i in seq_len(k)[-1]) {
    t <- core_call(ctxstats_nested_test_R, object$family, dev[i - 1], df[i - 1], dev[i], df[i], dev[big], df[big],
                   dispersion_big)
    if (t$not_nested) warning("the larger fit has the larger deviance: the fits are not nested, or one did not converge",
                              call. = FALSE)
    ddf[i] <- t$df
    ddev[i] <- dev[i - 1] - dev[i]
    stat[i] <- t$statistic
    pval[i] <- if (t$use_f) stats::pf(t$statistic, t$df, t$df_denom, lower.tail = FALSE)
               else stats::pchisq(t$statistic, t$df, lower.tail = FALSE)
  }
  gaussian <- object$family == "gaussian"
  table <- if (is_quasi(object)) {
    data.frame("Resid. Df" = df, "Resid. Dev" = dev, Df = ddf, Deviance = ddev, F = stat, "Pr(>F)" = pval,
               check.names = FALSE)
  } else if (gaussian) {
    data.frame(Res.Df = df, RSS = dev, Df = ddf, "Sum of Sq" = ddev, F = stat, "Pr(>F)" = pval, check.names = FALSE)
  } else {
    data.frame("Resid. Df" = df, "Resid. Dev" = dev, Df = ddf, Deviance = ddev, "Pr(>Chi)" = pval,
               check.names = FALSE)
  }
  formulas <- vapply(fits, function(f) paste(deparse(f$formula), collapse = " "), character(1))
  heading <- c(if (gaussian) "Analysis of Variance Table\n" else "Analysis of Deviance Table\n",
               paste0("Model ", format(seq_len(k)), ": ", formulas, collapse = "\n"))
  structure(table, heading = heading, class = c("anova", "data.frame"))
}

# ---- the model's formula, frame and design, and update() ---------------------------------------

formula.ctx_glm <- function(x, ...) x$formula

# update(fit, . ~ . - x2): a formula without `|` updates the predictors and keeps the context;
# `. ~ . | . + c3` (or `~ . | c1`) updates both parts, each with update.formula()'s rules
# (`.` is the part's old terms). Other arguments replace or add to those of the fit's call.
update.ctx_glm <- function(object, formula., ..., evaluate = TRUE) {
  call <- stats::getCall(object)
  if (is.null(call)) stop("the fit has no call to update", call. = FALSE)
  extras <- match.call(expand.dots = FALSE)$...
  if (!missing(formula.)) call$formula <- update_ctx_formula(stats::formula(object), formula.)
  if (length(extras)) {
    existing <- !is.na(match(names(extras), names(call)))
    for (a in names(extras)[existing]) call[[a]] <- extras[[a]]
    if (any(!existing)) call <- as.call(c(as.list(call), extras[!existing]))
  }
  if (evaluate) eval(call, parent.frame()) else call
}

update_ctx_formula <- function(old, new) {
  if (!inherits(new, "formula")) stop("formula. must be a formula", call. = FALSE)
  parts <- split_formula(old)
  env <- environment(old)
  rhs <- new[[length(new)]]
  is_bar <- is.call(rhs) && identical(rhs[[1L]], as.name("|"))
  exog_new <- new
  exog_new[[length(new)]] <- if (is_bar) rhs[[2L]] else rhs
  exog <- stats::update.formula(parts$exog, exog_new)
  context <- if (is_bar) stats::update.formula(parts$context, call("~", rhs[[3L]])) else parts$context
  out <- exog
  out[[3L]] <- call("|", exog[[3L]], context[[2L]])
  environment(out) <- env
  out
}

# The model frame of the fit: both parts' variables (and `(weights)`) of the rows used, as
# model.frame.lm gives it; re-evaluated from the call, in the formula's environment.
model.frame.ctx_glm <- function(formula, ...) {
  object <- formula
  parts <- split_formula(object$formula)
  model_frame_from_call(stats::getCall(object), parts$frame, environment(object$formula))
}

# The design of one part: `part = "exog"` the predictors (with an (Intercept) column when the
# model has one), `"context"` the context matrix the encoder sees.
model.matrix.ctx_glm <- function(object, part = c("exog", "context"), ...) {
  part <- match.arg(part)
  if (part == "context") return(object$context)
  if (isTRUE(object$options$fit_intercept)) cbind(`(Intercept)` = 1, object$x) else object$x
}
