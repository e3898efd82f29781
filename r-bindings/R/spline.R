# Inference for the spline encoder (encoder = "spline", exact solver), over what the core
# computes: the smooth-term and heterogeneity tests, concurvity and the spline identifiability
# messages that summary() prints come from the core (the same numbers as Python's
# ctxstats.spline); R only adds names and p-values.

spline_smoothing <- function(object) {
  sm <- object$spline$smoothing
  if (is.null(sm)) {
    stop("these results are not from a model with encoder = \"spline\" fitted by the exact solver", call. = FALSE)
  }
  sm
}

spline_term_label <- function(object, term) {
  names <- object$context_names
  switch(term$kind,
         tensor = paste0(names[term$feature1 + 1L], ":", names[term$feature2 + 1L]),
         constant = "(constant)",
         names[term$feature1 + 1L])
}

spline_terms <- function(object) {
  tt <- object$spline$terms
  lapply(seq_len(nrow(tt)), function(i) as.list(tt[i, , drop = FALSE]))
}

# The core's tests of the smooth terms (ctxstats_spline_tests_R), computed once per fit.
spline_tests <- function(object) {
  if (!is.null(hit <- cache_get(object, "spline_tests"))) return(hit)
  tests <- core_call(ctxstats_spline_tests_R, object$options, object$scaling, object$encoder_weights,
                     spline_smoothing(object), length(object$context_names))
  cache_set(object, "spline_tests", tests)
  tests
}

# The core's tests of the smooth terms (Wood 2013 on the terms' fitted values, as mgcv's
# summary.gam; see csrc/inference/smooth_tests.hpp) for part "terms" or "coefficients", with
# p-values: chi-square(rank), or for gaussian fits (scale estimated) statistic / rank against
# F(rank, n - total edf). A term without fitted values (rank 0) has statistic 0 and p-value 1
# (Python's ctxstats.spline._test_frame).
spline_test_frame <- function(object, part) {
  tests <- spline_tests(object)
  t <- tests[[part]]
  rank <- as.integer(t$rank)
  r <- pmax(rank, 1L)
  if (isTRUE(tests$estimated_scale)) {
    stat <- ifelse(rank > 0L, t$statistic / r, 0)
    p <- stats::pf(stat, r, tests$df_resid, lower.tail = FALSE)
  } else {
    stat <- t$statistic
    p <- stats::pchisq(stat, r, lower.tail = FALSE)
  }
  data.frame(output = t$output, term = t$term, edf = t$edf, ref_df = t$ref_df, rank = rank,
             statistic = stat, p_value = ifelse(rank > 0L, p, 1))
}

# One row per smooth term (coefficient x context feature, or tensor interaction): edf, ref_df,
# the test's rank, smoothing parameter(s), statistic and p-value (Python's
# ctxstats.spline.smooth_terms).
smooth_terms <- function(object) {
  sm <- spline_smoothing(object)
  terms <- spline_terms(object)
  f <- spline_test_frame(object, "terms")
  smoothing <- lapply(seq_len(nrow(f)), function(i) sm$smoothing[sm$penalty_output == f$output[i] & sm$penalty_term == f$term[i]])
  data.frame(coefficient = object$param_names[f$output + 1L],
             context = vapply(f$term, function(t) spline_term_label(object, terms[[t + 1L]]), character(1)),
             edf = f$edf, ref_df = f$ref_df, rank = f$rank, smoothing = I(smoothing),
             statistic = f$statistic, p_value = f$p_value, stringsAsFactors = FALSE)
}

# Is the basis large enough? mgcv's k.check for every smooth term (Python's
# ctxstats.spline.k_check): the deviance residuals in the order of each context feature give
# v = mean of squared neighbour differences / 2; k-index = v / mean(r^2), and the p-value is the
# share of n_rep seeded random orderings with a smaller v (the core's basis_dimension_check).
# Warns when a term has p < 0.05, k-index < 1 and edf above 80% of k'.
k_check <- function(fit, n_rep = 400L, seed = 0L, warn = TRUE) {
  if (!inherits(fit, "ctx_glm") || !has_spline_vp(fit))
    stop("k_check needs a ctx_glm fit with encoder = \"spline\" by the exact solver", call. = FALSE)
  if (!is.numeric(n_rep) || length(n_rep) != 1L || is.na(n_rep) || n_rep < 1 || n_rep != round(n_rep))
    stop("n_rep must be a positive whole number", call. = FALSE)
  if (!is.numeric(seed) || length(seed) != 1L || is.na(seed) || seed < 0 || seed != round(seed))
    stop("seed must be a whole number >= 0", call. = FALSE)
  terms <- spline_terms(fit)
  tab <- smooth_terms(fit)
  f <- spline_test_frame(fit, "terms")
  r <- residuals(fit, type = "deviance")
  kc <- core_call(ctxstats_basis_dimension_check_R, as.double(r[!is.na(r)]), fit$context, as.integer(n_rep),
                  as.numeric(seed))
  rows <- lapply(seq_len(nrow(f)), function(i) {
    term <- terms[[f$term[i] + 1L]]
    single <- !(term$kind %in% c("tensor", "constant"))
    j <- if (is.null(term$feature1)) 1L else term$feature1 + 1L
    data.frame(coefficient = tab$coefficient[i], context = tab$context[i], `k'` = as.integer(term$size),
               edf = tab$edf[i], `k-index` = if (single) kc$k_index[j] else NaN,
               `p-value` = if (single) kc$p_value[j] else NaN, check.names = FALSE, stringsAsFactors = FALSE)
  })
  out <- do.call(rbind, rows)
  if (warn) {
    low <- which(out$`p-value` < 0.05 & out$`k-index` < 1 & out$edf > 0.8 * out$`k'`)
    if (length(low)) {
      warning(sprintf("the basis may be too small for %s (k-index below 1 with p < 0.05 and edf close to k'): refit with a larger n_knots",
                      paste(sprintf("%s: s(%s)", out$coefficient[low], out$context[low]), collapse = ", ")),
              call. = FALSE)
    }
  }
  out
}

# Does each coefficient vary with context at all? The test that all its smooth terms are zero
# (Python's ctxstats.spline.heterogeneity_tests).
spline_heterogeneity <- function(object) {
  f <- spline_test_frame(object, "coefficients")
  out <- f[, c("edf", "ref_df", "rank", "statistic", "p_value")]
  row.names(out) <- object$param_names[f$output + 1L]
  out
}

# heterogeneity_test(fit, method = "smooth"): spline_heterogeneity in the columns of the other
# methods (Python's results._smooth_heterogeneity_test).
spline_heterogeneity_test <- function(object, by) {
  if (!has_spline_vp(object)) stop("method = \"smooth\" needs a fit with encoder = \"spline\" by the exact solver", call. = FALSE)
  if (by == "context") {
    stop("by = \"context\" is not available for method = \"smooth\"; smooth_terms(fit) tests each ",
         "(coefficient, context feature) term", call. = FALSE)
  }
  het <- spline_heterogeneity(object)
  tests <- spline_tests(object)
  use_f <- isTRUE(tests$estimated_scale)
  out <- data.frame(statistic = het$statistic, df = as.numeric(het$rank),
                    df_denom = if (use_f) tests$df_resid else NaN, pvalue = het$p_value, row.names = row.names(het))
  attr(out, "method") <- "smooth"
  attr(out, "distribution") <- if (use_f) "F" else "chi2"
  out
}

# The core's concurvity, rank checks and warnings of a spline fit
# (ctxstats_spline_identifiability_R, as Python's _core.spline_identifiability), computed once.
spline_identifiability <- function(object) {
  if (!is.null(hit <- cache_get(object, "spline_ident"))) return(hit)
  sm <- spline_smoothing(object)
  terms <- Filter(function(term) term$kind %in% c("smooth", "tensor"), spline_terms(object))
  labels <- vapply(terms, function(term) spline_term_label(object, term), character(1))
  out <- core_call(ctxstats_spline_identifiability_R, sm, vapply(terms, function(t) as.integer(t$offset), 1L),
                   vapply(terms, function(t) as.integer(t$size), 1L), labels, as.integer(object$spline$size),
                   object$encoder_weights)
  out$labels <- labels
  cache_set(object, "spline_ident", out)
}

# Concurvity between context terms (Python's ctxstats.spline.concurvity): `worst` is the
# largest squared canonical correlation between a term's span and the other terms' spans over
# the fitted samples; `observed` the largest share for the estimated functions.
spline_concurvity <- function(object) {
  core <- spline_identifiability(object)
  data.frame(worst = core$worst, observed = core$observed, row.names = core$labels)
}

# The spline identifiability messages (Python's ctxstats.spline.identifiability warnings).
spline_warnings <- function(object) as.character(spline_identifiability(object)$warnings)

# What summary() shows for a spline fit (Python's ctxstats.spline.summary_parts): the
# smoothing method, the smooth-term and heterogeneity tables and the notes.
spline_summary_parts <- function(object) {
  sm <- spline_smoothing(object)
  stat <- if (isTRUE(spline_tests(object)$estimated_scale)) "F" else "Chi.sq"
  terms <- smooth_terms(object)
  smoothing <- vapply(terms$smoothing, function(v) paste(fmt_g(v, 3L), collapse = ", "), character(1))
  label <- ifelse(grepl(":", terms$context, fixed = TRUE), "ti", "s")
  tab <- data.frame(edf = terms$edf, ref_df = terms$ref_df, rank = terms$rank, smoothing = smoothing,
                    stat = terms$statistic, p_value = terms$p_value, stringsAsFactors = FALSE,
                    row.names = sprintf("%s: %s(%s)", terms$coefficient, label, gsub(":", ",", terms$context, fixed = TRUE)))
  names(tab)[5L] <- stat
  het <- spline_heterogeneity(object)
  names(het)[4L] <- stat
  method <- paste0(sm$method, if (sm$method == "fixed") "" else sprintf(" (%d Newton steps)", as.integer(sm$n_iter)))
  notes <- spline_warnings(object)
  if (!isTRUE(sm$converged)) notes <- c(notes, paste0("the smoothing-parameter search did not converge: ", sm$message))
  list(method = method,
       tables = list(
         list(caption = sprintf("Smooth terms: effective degrees of freedom and tests (%s) that the term is zero",
                                stat), frame = tab),
         list(caption = "Heterogeneity: does the coefficient vary with context at all?", frame = het)),
       notes = notes)
}

# ---- pointwise intervals from Vp ------------------------------------------------------------

has_spline_vp <- function(object) !is.null(object$spline$smoothing)

# A spline fit's average effects (each coefficient's mean over the fitted samples) and their
# covariance L Vp L' (q x q), by the core (as the Python package's spline.average_effects).
spline_average_effects <- function(object) {
  if (!is.null(hit <- cache_get(object, "spline_average_effects"))) return(hit)
  out <- core_call(ctxstats_spline_average_effects_R, object$options, object$scaling, object$encoder_weights,
                   spline_smoothing(object)$Vp, object$context)
  dimnames(out$cov) <- list(object$param_names, object$param_names)
  cache_set(object, "spline_average_effects", out)
}

# The core's estimates and Vp standard errors (rows x q, user units) of the whole coefficients
# (term < 0) or of one basis term (0-based) at contexts C (the glue's
# ctxstats_spline_pointwise_R, as the Python package's _core.spline_pointwise).
spline_pointwise <- function(object, C, term = -1L) {
  sm <- spline_smoothing(object)
  core_call(ctxstats_spline_pointwise_R, object$options, object$scaling, object$encoder_weights, sm$Vp,
            C, as.integer(term))
}

# Pointwise standard errors of every coefficient theta_k(c_i) under Vp (Python's
# ctxstats.spline.sample_params_se). Rows with a missing context value give NA.
spline_sample_se <- function(object, C) {
  q <- length(object$param_names)
  se <- matrix(NA_real_, nrow(C), q, dimnames = list(rownames(C), object$param_names))
  ok <- stats::complete.cases(C)
  if (!any(ok)) return(se)
  se[ok, ] <- spline_pointwise(object, C[ok, , drop = FALSE])$se
  se
}

sample_se <- function(object, ...) UseMethod("sample_se")

# Pointwise standard errors of every sample's coefficients (or of the contexts of `newdata`)
# from the Bayesian covariance Vp of a spline fit.
sample_se.ctx_glm <- function(object, newdata = NULL, ...) {
  if (!has_spline_vp(object)) {
    stop("sample_se needs a fit with encoder = \"spline\" by the exact solver (its standard errors come from ",
         "the Bayesian covariance Vp); for other models use sample_confint with bootstrap replicates", call. = FALSE)
  }
  if (is.null(newdata)) {
    se <- spline_sample_se(object, object$context)
    dimnames(se) <- dimnames(object$sample_coef)
    return(stats::napredict(object$na.action, se))
  }
  if (!is.data.frame(newdata) && !is.list(newdata)) stop("newdata must be a data frame", call. = FALSE)
  spline_sample_se(object, new_part_matrix(object, "context", newdata))
}

# Every coefficient's smooth function of every context feature, with pointwise Vp bands
# (Python's ctxstats.spline.coefficient_functions): f_kl in the user's units, centred over the
# fitted samples, on n_points values spanning the fitted range of feature l, the other
# features at their means. A long data frame: coefficient, context, value, estimate, se,
# lower, upper.
coefficient_functions <- function(object, n_points = 100, level = 0.95) {
  if (!inherits(object, "ctx_glm")) stop("coefficient_functions needs a ctx_glm fit", call. = FALSE)
  sm <- spline_smoothing(object)
  n_points <- as.integer(check_int(n_points, "n_points", 2))
  alpha <- 1 - check_level(level)
  z <- stats::qnorm(1 - alpha / 2)
  q <- length(object$param_names)
  Cfit <- object$context
  out <- list()
  terms <- spline_terms(object)
  for (t in seq_along(terms)) {
    term <- terms[[t]]
    if (term$kind != "smooth") next
    l <- term$feature1 + 1L
    grid <- seq(min(Cfit[, l]), max(Cfit[, l]), length.out = n_points)
    C <- matrix(colMeans(Cfit), n_points, ncol(Cfit), byrow = TRUE)
    C[, l] <- grid
    pw <- spline_pointwise(object, C, t - 1L)
    for (k in seq_len(q)) {
      est <- pw$estimate[, k]
      se <- pw$se[, k]
      out[[length(out) + 1L]] <- data.frame(
        coefficient = object$param_names[k], context = object$context_names[l], value = grid,
        estimate = est, se = se, lower = est - z * se, upper = est + z * se, stringsAsFactors = FALSE)
    }
  }
  if (!length(out)) {
    return(data.frame(coefficient = character(0), context = character(0), value = numeric(0),
                      estimate = numeric(0), se = numeric(0), lower = numeric(0), upper = numeric(0)))
  }
  frame <- do.call(rbind, out)
  rownames(frame) <- NULL
  frame
}
