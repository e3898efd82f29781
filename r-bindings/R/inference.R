# Inference for a fitted ctx_glm. The statistics are computed by the C++ core
# (csrc/inference/), the same functions the Python package calls, so both languages give the
# same numbers for the same fit; this file names them, turns Wald statistics into p-values
# with R's pf/pchisq/pt/pnorm, and formats the tables:
#
# - analytic covariances for the unpenalised linear encoder (cov_type "nonrobust", "HC0" to
#   "HC3"): the model is a GLM on the interaction design z_i = [1, x_i] (x) [1, c_i], and the
#   average effects are a linear map of its coefficients;
# - bootstrap inference for every encoder (n_bootstraps = B): replicate fits by the core
#   (csrc/glm/bootstrap.hpp); standard errors, percentile intervals (numpy's linear
#   interpolation, R's quantile type 7), percentile p-values (never below 2 / (B + 1); no z
#   statistic goes with them), sign-flip shares and the bootstrap heterogeneity test, all by
#   the core (csrc/inference/bootstrap_summary.hpp).

COV_TYPES <- c("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster", "bootstrap")
ANALYTIC_COV_TYPES <- c("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster")
# Derived quantities (covariances, the bootstrap pass) are kept in the fit's `cache`, an
# environment, so they are computed once per fit.
cache_get <- function(object, key) if (is.environment(object$cache)) object$cache[[key]] else NULL
cache_set <- function(object, key, value) {
  if (is.environment(object$cache)) assign(key, value, envir = object$cache)
  value
}

# ---- which inference a fit has ------------------------------------------------------------

# Whether analytic covariances exist, and the covariance a fit reports: the core decides
# (inference/cov_type.hpp), with the Python package's messages.
analytic_available <- function(options) core_call(ctxstats_analytic_available_R, options)

resolve_cov_type <- function(cov_type, options, n_bootstraps) {
  core_call(ctxstats_resolve_cov_type_R, cov_type, options, as.double(n_bootstraps))
}

no_inference_error <- function() {
  stop("this fit has no standard errors: analytic ones exist only for the unpenalised linear encoder; ",
       "for other models refit with n_bootstraps = B (e.g. 200)", call. = FALSE)
}

fit_cov_type <- function(object, cov_type = NULL) {
  if (is.null(cov_type)) return(object$cov_type)
  resolve_cov_type(cov_type, object$options, n_boot(object))
}

n_boot <- function(object) if (is.null(object$bootstrap)) 0L else nrow(object$bootstrap$weights)

check_level <- function(level) {
  if (!is.numeric(level) || length(level) != 1L || is.na(level) || !(level > 0 && level < 1)) {
    stop(sprintf("level must be a number in (0, 1), not %s",
                 if (is.numeric(level) && length(level) == 1L) format(level) else type_name(level)), call. = FALSE)
  }
  as.numeric(level)
}

# The alpha of a confidence level as the user wrote it: 1 - 0.95 is 0.050000000000000044 in
# binary, rounded to 15 significant digits it is 0.05, the alpha a Python user passes, so
# both languages ask the core for the same quantiles and get the same limits to the bit.
level_alpha <- function(level) signif(1 - check_level(level), 15L)

require_linear <- function(object, what) {
  if (object$encoder != "linear" || object$options$archetypes > 0) {
    stop(sprintf("%s exists only for the linear encoder without archetypes (this fit uses encoder = \"%s\"%s)",
                 what, object$encoder, if (object$options$archetypes > 0) ", archetypes" else ""), call. = FALSE)
  }
}

require_bootstrap <- function(object, what) {
  if (n_boot(object) == 0L) {
    stop(sprintf("%s needs bootstrap replicates: refit with n_bootstraps = B (e.g. 200)", what), call. = FALSE)
  }
}

# ---- the interaction design of the linear encoder ------------------------------------------

interaction_names <- function(param_names, context_names) {
  unlist(lapply(param_names, function(k) {
    c(k, if (k == "Intercept") context_names else paste0(k, ":", context_names))
  }), use.names = FALSE)
}

# The linear encoder's weights in the user's units, by the core: U (q x (m+1)) with
# theta_i = U [1; c_i]; for a matrix of replicate weights, one row vec(U) per replicate.
interaction_coefficients <- function(weights, scaling, m) {
  core_call(ctxstats_interaction_coefficients_R, scaling, m, weights)
}

interaction_vector <- function(object, weights = object$encoder_weights) {
  as.vector(t(interaction_coefficients(weights, object$scaling, ncol(object$context))))
}

# The covariance of the interaction coefficients b, by the core (see
# ctxstats.inference.linear_covariance): H = Z' diag(w v) Z; nonrobust scale * H^-1; HC0 the
# sandwich with meat sum w^2 e^2 z z'; HC1 HC0 * n / (n - rank); HC2 and HC3 divide row i's
# meat by (1 - h_i) and (1 - h_i)^2; cluster sums each group's scores (statsmodels' factor
# G/(G-1) (n-1)/(n-rank); F tests on G-1 denominator df).
linear_covariance <- function(object, cov_type) {
  key <- paste0("linear_cov_", cov_type)
  if (!is.null(hit <- cache_get(object, key))) return(hit)
  b <- interaction_vector(object)
  groups <- NULL
  if (identical(cov_type, "cluster")) {
    groups <- object$groups
    if (is.null(groups)) stop("cov_type = \"cluster\" needs the fit's groups: fit with cov_type = \"cluster\", ",
                              "groups = ...", call. = FALSE)
  }
  out <- if (is_negbin(object)) {  # at the fit's theta (negbin.R)
    core_call(ctxstats_negbin_covariance_R, object$context, object$x, object$y, object$prior_weights,
              object$options$fit_intercept, b, object$theta, cov_type, object$options$threads, groups)
  } else {
    core_call(ctxstats_linear_covariance_R, object$context, object$x, object$y, object$prior_weights,
              object$family, object$options$fit_intercept, b, cov_type, object$options$threads, groups,
              is_quasi(object))
  }
  names_b <- interaction_names(object$param_names, object$context_names)
  dimnames(out$cov) <- list(names_b, names_b)
  out$params <- stats::setNames(b, names_b)
  cache_set(object, key, out)
}

critical_value <- function(use_t, df_resid, alpha) {
  if (use_t) stats::qt(1 - alpha / 2, df_resid) else stats::qnorm(1 - alpha / 2)
}

# Columns estimate, SE, statistic, p-value, lower, upper.
coefficient_table <- function(est, se, use_t, df_resid, alpha) {
  stat <- est / se
  if (use_t) {
    p <- 2 * stats::pt(abs(stat), df_resid, lower.tail = FALSE)
  } else {
    p <- 2 * stats::pnorm(abs(stat), lower.tail = FALSE)
  }
  crit <- critical_value(use_t, df_resid, alpha)
  cbind(est, se, stat, p, est - crit * se, est + crit * se)
}

# ---- bootstrap ---------------------------------------------------------------------------------

# The core's pass over the samples: each replicate's average effects (B x q), per
# coefficient the share of samples whose sign differs from the fit's in more than 10% of the
# replicates, and the bootstrap heterogeneity test (see ctxstats.inference.bootstrap_pass).
SIGN_FLIP_LIMIT <- 0.5
FLIP_RATE <- 0.1

bootstrap_pass <- function(object) {
  if (!is.null(hit <- cache_get(object, "boot_pass"))) return(hit)
  out <- core_call(ctxstats_bootstrap_pass_R, object$options, object$scaling, object$bootstrap$weights,
                   object$context, object$sample_coef)
  colnames(out$means) <- object$param_names
  names(out$sign_flip_share) <- object$param_names
  cache_set(object, "boot_pass", out)
}

# Per column of `samples` (replicates in rows), by the core: se, lower and upper percentile
# limits, the percentile p-value and its floor 2 / (B + 1).
percentile_summary <- function(samples, alpha) core_call(ctxstats_percentile_summary_R, samples, alpha)

# The lower and upper percentile limits of each column of `samples` (replicates in rows).
percentile_interval <- function(samples, alpha) {
  ps <- percentile_summary(samples, alpha)
  list(lower = ps$lower, upper = ps$upper)
}

boot_summary <- function(object, alpha = 0.05) {
  key <- paste0("boot_summary_", format(alpha, digits = 17))
  if (!is.null(hit <- cache_get(object, key))) return(hit)
  cache_set(object, key, percentile_summary(bootstrap_pass(object)$means, alpha))
}

bootstrap_interactions <- function(object) {
  interaction_coefficients(object$bootstrap$weights, object$scaling, ncol(object$context))
}

# ---- methods -------------------------------------------------------------------------------------

# Covariance of the average effects coef(object): analytic (linear encoder) or the
# covariance of the bootstrap replicates' average effects.
vcov.ctx_glm <- function(object, cov_type = NULL, ...) {
  if (has_location_scale(object)) {
    check_location_scale_cov_type(cov_type)
    return(location_scale_vcov(object))
  }
  cov_type <- fit_cov_type(object, cov_type)
  names <- object$param_names
  if (is.null(cov_type) && has_spline_vp(object)) return(spline_average_effects(object)$cov)
  if (is.null(cov_type)) no_inference_error()
  if (cov_type == "bootstrap") {
    cov <- core_call(ctxstats_replicate_covariance_R, bootstrap_pass(object)$means)
  } else {
    lc <- linear_covariance(object, cov_type)
    cov <- core_call(ctxstats_average_effect_covariance_R, lc$cov, object$context, length(names))
  }
  dimnames(cov) <- list(names, names)
  cov
}

# Covariance of the interaction coefficients (linear encoder).
interaction_vcov <- function(object, cov_type = NULL) {
  require_linear(object, "interaction_vcov")
  cov_type <- fit_cov_type(object, cov_type)
  if (is.null(cov_type)) no_inference_error()
  if (cov_type == "bootstrap") {
    cov <- core_call(ctxstats_replicate_covariance_R, bootstrap_interactions(object))
    nm <- interaction_names(object$param_names, object$context_names)
    dimnames(cov) <- list(nm, nm)
    return(cov)
  }
  linear_covariance(object, cov_type)$cov
}

# The average effects with standard errors, statistics, p-values and intervals (as the
# Python package's params_table): a data frame. Bootstrap inference has no statistic column:
# its p-value P>|b| is the percentile p-value, not a function of coef / std err.
coef_table <- function(object, level = 0.95, cov_type = NULL) {
  alpha <- level_alpha(level)
  if (has_location_scale(object)) {
    check_location_scale_cov_type(cov_type)
    return(location_scale_coef_table(object, alpha))
  }
  cov_type <- fit_cov_type(object, cov_type)
  if (is.null(cov_type) && !has_spline_vp(object)) no_inference_error()
  est <- coef(object)
  lo_name <- sprintf("[%g", alpha / 2)
  hi_name <- sprintf("%g]", 1 - alpha / 2)
  if (is.null(cov_type)) {
    # A spline fit without replicates: Vp's covariance of the average effects, t on the
    # residual df when the scale is estimated (as mgcv treats parametric terms).
    tests <- spline_tests(object)
    use_t <- isTRUE(tests$estimated_scale)
    se <- sqrt(diag(spline_average_effects(object)$cov))
    out <- as.data.frame(coefficient_table(est, se, use_t, tests$df_resid, alpha))
    stat <- if (use_t) "t" else "z"
    names(out) <- c("coef", "std err", stat, sprintf("P>|%s|", stat), lo_name, hi_name)
  } else if (cov_type == "bootstrap") {
    ps <- boot_summary(object, alpha)
    out <- data.frame(est, ps$se, ps$pvalue, ps$lower, ps$upper)
    names(out) <- c("coef", "std err", "P>|b|", lo_name, hi_name)
  } else {
    lc <- linear_covariance(object, cov_type)
    se <- sqrt(diag(vcov(object, cov_type = cov_type)))
    out <- as.data.frame(coefficient_table(est, se, lc$use_t, lc$df_resid, alpha))
    stat <- if (lc$use_t) "t" else "z"
    names(out) <- c("coef", "std err", stat, sprintf("P>|%s|", stat), lo_name, hi_name)
  }
  rownames(out) <- object$param_names
  out
}

# Confidence intervals for the average effects: percentile intervals of the bootstrap
# replicates, or t / normal intervals from the analytic covariance.
confint.ctx_glm <- function(object, parm, level = 0.95, cov_type = NULL, ...) {
  level <- check_level(level)
  tab <- coef_table(object, level, cov_type)
  out <- as.matrix(tab[, ncol(tab) - 1:0])
  a <- (1 - level) / 2
  dimnames(out) <- list(object$param_names, paste(format(100 * c(a, 1 - a), trim = TRUE, scientific = FALSE,
                                                         digits = 3), "%"))
  if (!missing(parm)) out <- out[parm, , drop = FALSE]
  out
}

# What a scale = "context" fit has no inference for yet (as the Python package's
# LocationScaleInference): an error that says so rather than one suggesting a remedy that does
# not apply.
refuse_scale_context <- function(object, what) {
  if (identical(object$options$scale, "context"))
    stop(what, " is not available for a scale = \"context\" fit yet (its inference is the inverse observed ",
         "information of the average effects and predictions); scale_test() tests whether sigma varies with ",
         "context", call. = FALSE)
}

sample_confint <- function(object, ...) UseMethod("sample_confint")

# Confidence limits for every sample's parameters (or for the contexts of `newdata`):
# bootstrap percentile intervals, or for the linear encoder with an analytic covariance
# theta_ik +- crit sqrt([1, c_i] V_k [1, c_i]'), or for a spline fit (exact solver) without
# bootstrap replicates -- or with cov_type = "Vp" -- the pointwise Bayesian intervals
# theta_ik +- z se_ik from Vp (Python's ctxstats.spline.sample_conf_int). A list of two
# matrices, lower and upper, shaped like sample_coef(object).
sample_confint.ctx_glm <- function(object, level = 0.95, newdata = NULL, cov_type = NULL, ...) {
  refuse_scale_context(object, "sample_confint()")
  sample_limits(object, level, newdata, cov_type)
}

# sample_confint's work; `context` (a context matrix in the encoder's columns, as plot()'s
# grids) replaces newdata.
sample_limits <- function(object, level = 0.95, newdata = NULL, cov_type = NULL, context = NULL) {
  alpha <- level_alpha(level)
  vp <- is.character(cov_type) && length(cov_type) == 1L && identical(tolower(cov_type), "vp")
  if (vp && !has_spline_vp(object)) {
    stop("cov_type = \"Vp\" needs a fit with encoder = \"spline\" by the exact solver", call. = FALSE)
  }
  if (!vp) {
    cov_type <- fit_cov_type(object, cov_type)
    vp <- is.null(cov_type) && has_spline_vp(object)
    if (is.null(cov_type) && !vp) no_inference_error()
  }
  if (!is.null(context)) {
    C <- context
    theta <- theta_for(object, C)
  } else if (is.null(newdata)) {
    C <- object$context
    theta <- object$sample_coef
  } else {
    C <- new_part_matrix(object, "context", newdata)
    theta <- theta_for(object, C)
  }
  q <- length(object$param_names)
  lo <- hi <- matrix(NA_real_, nrow(C), q, dimnames = dimnames(theta))
  if (vp) {
    se <- spline_sample_se(object, C)
    z <- stats::qnorm(1 - alpha / 2)
    lo[] <- theta - z * se
    hi[] <- theta + z * se
  } else if (cov_type == "bootstrap") {
    ok <- which(stats::complete.cases(C))
    if (length(ok)) {
      lim <- core_call(ctxstats_bootstrap_sample_limits_R, object$options, object$scaling, object$bootstrap$weights,
                       C[ok, , drop = FALSE], alpha)
      lo[ok, ] <- lim$lower
      hi[ok, ] <- lim$upper
    }
  } else {
    lc <- linear_covariance(object, cov_type)
    crit <- critical_value(lc$use_t, lc$df_resid, alpha)
    se <- core_call(ctxstats_sample_param_se_R, lc$cov, C, q)
    lo[] <- theta - crit * se
    hi[] <- theta + crit * se
  }
  if (is.null(newdata) && is.null(context)) {
    lo <- stats::napredict(object$na.action, lo)
    hi <- stats::napredict(object$na.action, hi)
  }
  list(lower = lo, upper = hi)
}

# The replicates' average effects (B x q).
bootstrap_coef <- function(object) {
  require_bootstrap(object, "bootstrap_coef")
  bootstrap_pass(object)$means
}

# Per coefficient, the share of samples whose coefficient has the opposite sign to the fit's
# in more than 10% of the bootstrap replicates (Python's sign_flip_share).
sign_flip_share <- function(object) {
  require_bootstrap(object, "sign_flip_share")
  bootstrap_pass(object)$sign_flip_share
}

# How each context feature modifies each coefficient (linear encoder): the interaction
# coefficient, its SE, statistic, p-value and interval; rows "coefficient:context".
context_effects <- function(object, level = 0.95, cov_type = NULL) {
  refuse_scale_context(object, "context_effects()")
  require_linear(object, "context_effects")
  alpha <- level_alpha(level)
  cov_type <- fit_cov_type(object, cov_type)
  if (is.null(cov_type)) no_inference_error()
  m <- ncol(object$context)
  q <- length(object$param_names)
  b <- interaction_vector(object)
  sel <- unlist(lapply(seq_len(q), function(k) (k - 1L) * (m + 1L) + 1L + seq_len(m)))
  rn <- as.vector(t(outer(object$param_names, object$context_names, paste, sep = ":")))
  lo_name <- sprintf("[%g", alpha / 2)
  hi_name <- sprintf("%g]", 1 - alpha / 2)
  if (cov_type == "bootstrap") {
    ps <- percentile_summary(bootstrap_interactions(object)[, sel, drop = FALSE], alpha)
    out <- data.frame(b[sel], ps$se, ps$pvalue, ps$lower, ps$upper)
    names(out) <- c("coef", "std err", "P>|b|", lo_name, hi_name)
  } else {
    lc <- linear_covariance(object, cov_type)
    out <- as.data.frame(coefficient_table(b[sel], sqrt(diag(lc$cov)[sel]), lc$use_t, lc$df_resid, alpha))
    stat <- if (lc$use_t) "t" else "z"
    names(out) <- c("coef", "std err", stat, sprintf("P>|%s|", stat), lo_name, hi_name)
  }
  rownames(out) <- rn
  out
}

# How each coefficient varies with the context, summarised linearly, for any encoder: each
# coefficient's least-squares projection on [1, c] over the fitted samples (grf's
# best_linear_projection), rows named as interaction_names (the value at c = 0, then the slope
# in each context feature). Computed by the core, as the Python package's
# results.best_linear_projection(): the linear encoder's interaction coefficients with their
# analytic covariance; a spline fit's projection with covariance P Vp P'; bootstrap fits each
# replicate's projection (SE, percentile p-value and interval).
best_linear_projection <- function(object, level = 0.95, cov_type = NULL) {
  refuse_scale_context(object, "best_linear_projection()")
  alpha <- level_alpha(level)
  cov_type <- fit_cov_type(object, cov_type)
  rn <- interaction_names(object$param_names, object$context_names)
  lo_name <- sprintf("[%g", alpha / 2)
  hi_name <- sprintf("%g]", 1 - alpha / 2)
  table <- function(est, se, use_t, df) {
    out <- as.data.frame(coefficient_table(est, se, use_t, df, alpha))
    stat <- if (use_t) "t" else "z"
    names(out) <- c("coef", "std err", stat, sprintf("P>|%s|", stat), lo_name, hi_name)
    out
  }
  if (is.null(cov_type)) {
    if (!has_spline_vp(object)) no_inference_error()
    p <- core_call(ctxstats_spline_projection_R, object$options, object$scaling, object$encoder_weights,
                   spline_smoothing(object)$Vp, object$context)
    tests <- spline_tests(object)
    out <- table(p$estimate, sqrt(diag(p$cov)), isTRUE(tests$estimated_scale), tests$df_resid)
  } else if (cov_type == "bootstrap") {
    point <- core_call(ctxstats_linear_projection_R, object$sample_coef, object$context)
    reps <- core_call(ctxstats_bootstrap_projections_R, object$options, object$scaling, object$bootstrap$weights,
                      object$context)
    ps <- percentile_summary(reps, alpha)
    out <- data.frame(point, ps$se, ps$pvalue, ps$lower, ps$upper)
    names(out) <- c("coef", "std err", "P>|b|", lo_name, hi_name)
  } else {
    # The linear encoder's coefficients are linear in c: the projection is the fit itself.
    lc <- linear_covariance(object, cov_type)
    out <- table(interaction_vector(object), sqrt(diag(lc$cov)), lc$use_t, lc$df_resid)
  }
  rownames(out) <- rn
  out
}

heterogeneity_test <- function(object, ...) UseMethod("heterogeneity_test")

# Tests of H0 "this coefficient does not vary with context" (by = "coefficient") or, for the
# linear encoder's Wald test, "this context feature modifies no coefficient" (by =
# "context"). method "wald" (linear encoder, analytic covariance: F for gaussian fits,
# chi-squared otherwise) or "bootstrap" (any encoder with replicates); NULL picks wald when
# it is available; "smooth" (spline encoder) tests all of a coefficient's smooth terms on their
# fitted values (Wood 2013, as summary.gam) and is the default for a spline fit without
# bootstrap replicates. A data frame with columns statistic, df, df_denom, pvalue.
heterogeneity_test.ctx_glm <- function(object, method = NULL, by = c("coefficient", "context"), ...) {
  refuse_scale_context(object, "heterogeneity_test()")
  by <- if (identical(by, c("coefficient", "context"))) "coefficient" else check_choice(by, c("coefficient", "context"), "by")
  analytic_cov <- !is.null(object$cov_type) && object$cov_type %in% ANALYTIC_COV_TYPES
  if (is.null(method)) {
    method <- if (analytic_cov) "wald" else if (has_spline_vp(object) && is.null(object$cov_type)) "smooth" else "bootstrap"
  }
  method <- check_choice(method, c("wald", "smooth", "bootstrap"), "method")
  if (method == "smooth") return(spline_heterogeneity_test(object, by))
  names <- object$param_names
  cnames <- object$context_names
  q <- length(names)
  m <- length(cnames)
  cols <- c("statistic", "df", "df_denom", "pvalue")
  if (method == "wald") {
    if (!analytic_cov) {
      require_linear(object, "the Wald heterogeneity test")
      stop("the Wald heterogeneity test needs an analytic cov_type (nonrobust, HC0-HC3, cluster) and an unpenalised fit; ",
           "use method = \"bootstrap\"", call. = FALSE)
    }
    lc <- linear_covariance(object, object$cov_type)
    # The core's statistics (divided by J for the F form) and degrees of freedom; R's tails.
    tab <- core_call(ctxstats_heterogeneity_wald_R, unname(lc$params), lc$cov, q, m, by, lc$use_f, lc$df_denom)
    p <- if (lc$use_f) stats::pf(tab[, 1L], tab[, 2L], tab[, 3L], lower.tail = FALSE) else
      stats::pchisq(tab[, 1L], tab[, 2L], lower.tail = FALSE)
    out <- as.data.frame(cbind(tab, p), row.names = if (by == "coefficient") names else cnames)
    names(out) <- cols
    attr(out, "method") <- "wald"
    attr(out, "distribution") <- if (lc$use_f) "F" else "chi2"
    attr(out, "cov_type") <- lc$cov_type
    return(out)
  }
  require_bootstrap(object, "the bootstrap heterogeneity test")
  if (by == "context") stop("by = \"context\" is available for the Wald test of the linear encoder only", call. = FALSE)
  bp <- bootstrap_pass(object)
  out <- data.frame(bp$het_statistic, NaN, NaN, bp$het_pvalue, row.names = names)
  names(out) <- cols
  attr(out, "method") <- "bootstrap"
  attr(out, "distribution") <- "bootstrap"
  attr(out, "n_bootstraps") <- n_boot(object)
  out
}

# The spread of per-sample parameters over the samples (rows: parameters; columns mean, std
# with ddof 0, min, 25%, 50%, 75%, max), computed by the core as the Python package's
# ctxstats.inference.column_spread: its mean column is coef().
column_spread <- function(theta) {
  s <- core_call(ctxstats_column_spread_R, theta)
  as.data.frame(s, check.names = FALSE, row.names = colnames(theta))
}
