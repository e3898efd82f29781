# Inference for a fitted ctx_glm, computed as the Python package's ContextualizedGLMResults
# (ctxstats/results.py, ctxstats/inference.py) computes it, so both languages give the same
# numbers for the same fit:
#
# - analytic covariances for the unpenalised linear encoder (cov_type "nonrobust", "HC0" to
#   "HC3"): the model is a GLM on the interaction design z_i = [1, x_i] (x) [1, c_i], and the
#   average effects are a linear map of its coefficients;
# - bootstrap inference for every encoder (n_bootstraps = B): replicate fits by the C++ core
#   (csrc/bootstrap.hpp), percentile intervals with quantile type 7 (numpy's default linear
#   interpolation), percentile p-values, and the bootstrap heterogeneity test.

COV_TYPES <- c("nonrobust", "HC0", "HC1", "HC2", "HC3", "bootstrap")
ANALYTIC_COV_TYPES <- c("nonrobust", "HC0", "HC1", "HC2", "HC3")
# The core encodes samples in blocks of this many rows (kBlockRows in csrc/objective.hpp);
# replicate parameters are computed in chunks of whole blocks.
BLOCK_ROWS <- 256L
CHUNK_DOUBLES <- 2^21

# Derived quantities (covariances, the bootstrap pass) are kept in the fit's `cache`, an
# environment, so they are computed once per fit.
cache_get <- function(object, key) if (is.environment(object$cache)) object$cache[[key]] else NULL
cache_set <- function(object, key, value) {
  if (is.environment(object$cache)) assign(key, value, envir = object$cache)
  value
}

# ---- which inference a fit has ------------------------------------------------------------

analytic_available <- function(encoder, options) {
  encoder == "linear" && options$archetypes == 0 && options$alpha == 0 && options$weight_decay == 0
}

resolve_cov_type <- function(cov_type, analytic, n_bootstraps) {
  if (is.null(cov_type)) {
    if (analytic) return("nonrobust")
    return(if (n_bootstraps > 0) "bootstrap" else NULL)
  }
  if (!is.character(cov_type) || length(cov_type) != 1L || is.na(cov_type)) {
    stop(sprintf("cov_type must be a string, one of %s", quoted(COV_TYPES)), call. = FALSE)
  }
  match <- COV_TYPES[tolower(COV_TYPES) == tolower(cov_type)]
  if (!length(match)) stop(sprintf("cov_type must be one of %s, not '%s'", quoted(COV_TYPES), cov_type), call. = FALSE)
  if (match == "bootstrap" && n_bootstraps == 0) {
    stop("cov_type = \"bootstrap\" needs replicates: pass n_bootstraps = B (e.g. 200)", call. = FALSE)
  }
  if (match != "bootstrap" && !analytic) {
    stop(sprintf(paste0("cov_type = \"%s\" (analytic standard errors) needs the unpenalised linear encoder ",
                        "without archetypes; for other models pass n_bootstraps = B and use cov_type = \"bootstrap\""),
                 match), call. = FALSE)
  }
  match
}

no_inference_error <- function() {
  stop("this fit has no standard errors: analytic ones exist only for the unpenalised linear encoder; ",
       "for other models refit with n_bootstraps = B (e.g. 200)", call. = FALSE)
}

fit_cov_type <- function(object, cov_type = NULL) {
  if (is.null(cov_type)) return(object$cov_type)
  resolve_cov_type(cov_type, analytic_available(object$encoder, object$options), n_boot(object))
}

n_boot <- function(object) if (is.null(object$bootstrap)) 0L else nrow(object$bootstrap$weights)

check_level <- function(level) {
  if (!is.numeric(level) || length(level) != 1L || is.na(level) || !(level > 0 && level < 1)) {
    stop(sprintf("level must be a number in (0, 1), not %s",
                 if (is.numeric(level) && length(level) == 1L) format(level) else type_name(level)), call. = FALSE)
  }
  as.numeric(level)
}

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

# The linear encoder's weights in the user's units: U (q x (m+1)) with theta_i = U [1; c_i].
interaction_coefficients <- function(weights, scaling, m, q) {
  W <- matrix(weights, q, m + 1L, byrow = TRUE)
  cm <- scaling$c_mean
  cs <- scaling$c_scale
  A <- W
  A[, -1L] <- sweep(W[, -1L, drop = FALSE], 2L, cs, "/")
  A[, 1L] <- W[, 1L] - drop(W[, -1L, drop = FALSE] %*% (cm / cs))
  off <- if (isTRUE(scaling$intercept)) 1L else 0L
  U <- A
  rows <- seq_len(q)[seq_len(q) > off]
  B <- A[rows, , drop = FALSE] / scaling$x_scale
  U[rows, ] <- scaling$y_scale * B
  if (off) {
    U[1L, ] <- scaling$y_scale * (A[1L, ] - drop(scaling$x_mean %*% B))
    U[1L, 1L] <- U[1L, 1L] + scaling$y_mean
  }
  U
}

interaction_vector <- function(object, weights = object$encoder_weights) {
  as.vector(t(interaction_coefficients(weights, object$scaling, ncol(object$context), length(object$param_names))))
}

# The interaction design [1, x] (x) [1, c] (n x q(m+1)), b[k (m+1) + l] multiplying x_k c_l.
interaction_design <- function(X, C, intercept) {
  Xt <- if (intercept) cbind(1, X) else X
  Ct <- cbind(1, C)
  Z <- matrix(0, nrow(X), ncol(Xt) * ncol(Ct))
  for (k in seq_len(ncol(Xt))) Z[, (k - 1L) * ncol(Ct) + seq_len(ncol(Ct))] <- Xt[, k] * Ct
  Z
}

mean_and_variance <- function(family, eta) {
  switch(family,
         gaussian = list(mu = eta, v = rep(1, length(eta))),
         binomial = { mu <- stats::plogis(eta); list(mu = mu, v = mu * (1 - mu)) },
         poisson = { mu <- exp(eta); list(mu = mu, v = mu) })
}

# Pseudo-inverse and rank of a symmetric positive semi-definite matrix (eigenvalues above
# max * D * eps * 10, as the Python package).
pinv_sym <- function(H) {
  e <- eigen(H, symmetric = TRUE)
  tol <- max(e$values, 0) * nrow(H) * .Machine$double.eps * 10
  keep <- e$values > tol
  V <- e$vectors[, keep, drop = FALSE]
  list(inv = V %*% (t(V) / e$values[keep]), rank = sum(keep))
}

pinv <- function(A) {
  s <- svd(A)
  keep <- s$d > 1e-15 * max(s$d, 0)
  s$v[, keep, drop = FALSE] %*% (t(s$u[, keep, drop = FALSE]) / s$d[keep])
}

# The covariance of the interaction coefficients b (see ctxstats.inference.linear_covariance):
# H = Z' diag(w v) Z; nonrobust scale * H^-1; HC0 the sandwich with meat sum w^2 e^2 z z';
# HC1 HC0 * n / (n - rank); HC2 and HC3 divide row i's meat by (1 - h_i) and (1 - h_i)^2.
linear_covariance <- function(object, cov_type) {
  key <- paste0("linear_cov_", cov_type)
  if (!is.null(hit <- cache_get(object, key))) return(hit)
  X <- object$x
  C <- object$context
  y <- object$y
  n <- length(y)
  w <- if (is.null(object$prior_weights)) rep(1, n) else object$prior_weights
  b <- interaction_vector(object)
  Z <- interaction_design(X, C, object$options$fit_intercept)
  mv <- mean_and_variance(object$family, drop(Z %*% b))
  e <- y - mv$mu
  H <- crossprod(Z * (w * mv$v), Z)
  ssr <- sum(w * e * e)
  pi_ <- pinv_sym(H)
  Hinv <- pi_$inv
  rank <- pi_$rank
  df_resid <- n - rank
  gaussian <- object$family == "gaussian"
  scale <- if (gaussian) (if (df_resid > 0) ssr / df_resid else NaN) else 1
  if (cov_type == "nonrobust") {
    cov <- scale * Hinv
  } else {
    adj <- rep(1, n)
    if (cov_type %in% c("HC2", "HC3")) {
      h <- w * mv$v * rowSums((Z %*% Hinv) * Z)
      power <- if (cov_type == "HC2") 1 else 2
      adj <- ifelse(h < 1, 1 / (1 - h)^power, Inf)
    }
    u <- Z * (w * e * sqrt(adj))
    cov <- Hinv %*% crossprod(u) %*% Hinv
    if (cov_type == "HC1") cov <- cov * (if (df_resid > 0) n / df_resid else NaN)
  }
  cov <- 0.5 * (cov + t(cov))
  names_b <- interaction_names(object$param_names, object$context_names)
  dimnames(cov) <- list(names_b, names_b)
  out <- list(params = stats::setNames(b, names_b), cov = cov, cov_type = cov_type, scale = scale, nobs = n,
       rank = rank, df_resid = df_resid, use_t = gaussian && cov_type == "nonrobust", use_f = gaussian)
  cache_set(object, key, out)
}

# L (q x q(m+1)) with coef = L b.
average_effect_matrix <- function(C, q) kronecker(diag(q), matrix(c(1, colMeans(C)), 1L))

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

# Every replicate's per-sample parameters for the rows of C, by chunks of whole core blocks:
# calls f(start_row, theta) with theta an array (rows x q x B).
bootstrap_chunks <- function(object, C, f) {
  W <- object$bootstrap$weights
  B <- nrow(W)
  q <- length(object$param_names)
  n <- nrow(C)
  step <- max(BLOCK_ROWS, (max(1, min(n, CHUNK_DOUBLES %/% max(1, B * q))) %/% BLOCK_ROWS) * BLOCK_ROWS)
  for (s in seq(1L, n, by = step)) {
    rows <- s:min(n, s + step - 1L)
    f(s, core_call(ctxstats_bootstrap_theta_R, object$options, object$scaling, W, C[rows, , drop = FALSE]))
  }
}

# Each replicate's average effects (B x q) and, per coefficient, the share of samples whose
# sign differs from the fit's in more than FLIP_RATE of the replicates.
FLIP_RATE <- 0.1
SIGN_FLIP_LIMIT <- 0.5

bootstrap_pass <- function(object) {
  if (!is.null(hit <- cache_get(object, "boot_pass"))) return(hit)
  B <- n_boot(object)
  q <- length(object$param_names)
  sums <- matrix(0, B, q)
  flips <- numeric(q)
  sign0 <- sign(object$sample_coef)
  bootstrap_chunks(object, object$context, function(s, tb) {
    rows <- dim(tb)[1L]
    sums <<- sums + t(colSums(tb, dims = 1L))
    s0 <- sign0[s:(s + rows - 1L), , drop = FALSE]
    rate <- rowMeans(sign(tb) != array(s0, dim(tb)), dims = 2L)   # rows x q
    flips <<- flips + colSums(rate > FLIP_RATE)
  })
  means <- sums / nrow(object$context)
  colnames(means) <- object$param_names
  cache_set(object, "boot_pass",
            list(means = means, flips = stats::setNames(flips / nrow(object$context), object$param_names)))
}

# The lower and upper percentile limits of each column of `samples` (replicates in rows).
percentile_interval <- function(samples, alpha) {
  lo <- apply(samples, 2L, stats::quantile, probs = alpha / 2, type = 7L, names = FALSE)
  hi <- apply(samples, 2L, stats::quantile, probs = 1 - alpha / 2, type = 7L, names = FALSE)
  list(lower = lo, upper = hi)
}

# p = min(1, 2 (1 + min(#{b* <= 0}, #{b* >= 0})) / (B + 1)).
percentile_pvalue <- function(samples, null = 0) {
  B <- nrow(samples)
  pmin(1, 2 * (1 + pmin(colSums(samples <= null), colSums(samples >= null))) / (B + 1))
}

bootstrap_interactions <- function(object) {
  t(apply(object$bootstrap$weights, 1L, function(w) interaction_vector(object, w)))
}

# The statistic T_k = mean_i (d_ik / s_ik)^2 against its bootstrap null distribution (see
# ctxstats.inference.bootstrap_heterogeneity).
bootstrap_heterogeneity <- function(object, means) {
  theta <- object$sample_coef
  B <- nrow(means)
  q <- ncol(means)
  full_mean <- colMeans(theta)
  scale <- apply(abs(theta), 2L, max) + 1e-300
  num <- numeric(q)
  num_b <- matrix(0, B, q)
  used <- numeric(q)
  bootstrap_chunks(object, object$context, function(s, tb) {
    rows <- dim(tb)[1L]
    d <- sweep(theta[s:(s + rows - 1L), , drop = FALSE], 2L, full_mean)
    db <- tb - array(rep(t(means), each = rows), dim(tb))
    mb <- rowMeans(db, dims = 2L)
    sd <- sqrt(rowSums((db - array(mb, dim(db)))^2, dims = 2L) / (B - 1))
    ok <- sd > matrix(1e-12 * scale, rows, q, byrow = TRUE)
    inv <- ifelse(ok, 1 / ifelse(ok, sd, 1), 0)
    num <<- num + colSums((d * inv)^2)
    dev <- (db - array(d, dim(db))) * array(inv, dim(db))
    num_b <<- num_b + t(colSums(dev^2, dims = 1L))
    used <<- used + colSums(ok)
  })
  out <- matrix(NaN, q, 4L)
  T <- num / used
  Tb <- sweep(num_b, 2L, used, "/")
  for (k in seq_len(q)) {
    if (used[k] > 0) {
      out[k, 1L] <- T[k]
      out[k, 4L] <- (1 + sum(Tb[, k] >= T[k])) / (B + 1)
    }
  }
  out
}

# ---- methods -------------------------------------------------------------------------------------

# Covariance of the average effects coef(object): analytic (linear encoder) or the
# covariance of the bootstrap replicates' average effects.
vcov.ctx_glm <- function(object, cov_type = NULL, ...) {
  cov_type <- fit_cov_type(object, cov_type)
  names <- object$param_names
  if (is.null(cov_type)) no_inference_error()
  if (cov_type == "bootstrap") {
    cov <- stats::cov(bootstrap_pass(object)$means)
  } else {
    lc <- linear_covariance(object, cov_type)
    L <- average_effect_matrix(object$context, length(names))
    cov <- L %*% lc$cov %*% t(L)
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
    cov <- stats::cov(bootstrap_interactions(object))
    nm <- interaction_names(object$param_names, object$context_names)
    dimnames(cov) <- list(nm, nm)
    return(cov)
  }
  linear_covariance(object, cov_type)$cov
}

# The average effects with standard errors, statistics, p-values and intervals (as the
# Python package's params_table): a data frame.
coef_table <- function(object, level = 0.95, cov_type = NULL) {
  alpha <- 1 - check_level(level)
  cov_type <- fit_cov_type(object, cov_type)
  if (is.null(cov_type)) no_inference_error()
  est <- coef(object)
  lo_name <- sprintf("[%g", alpha / 2)
  hi_name <- sprintf("%g]", 1 - alpha / 2)
  if (cov_type == "bootstrap") {
    means <- bootstrap_pass(object)$means
    se <- apply(means, 2L, stats::sd)
    ci <- percentile_interval(means, alpha)
    out <- data.frame(est, se, est / se, percentile_pvalue(means), ci$lower, ci$upper)
    names(out) <- c("coef", "std err", "z", "P>|b|", lo_name, hi_name)
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
  out <- as.matrix(tab[, 5:6])
  a <- (1 - level) / 2
  dimnames(out) <- list(object$param_names, paste(format(100 * c(a, 1 - a), trim = TRUE, scientific = FALSE,
                                                         digits = 3), "%"))
  if (!missing(parm)) out <- out[parm, , drop = FALSE]
  out
}

sample_confint <- function(object, ...) UseMethod("sample_confint")

# Confidence limits for every sample's parameters (or for the contexts of `newdata`):
# bootstrap percentile intervals, or for the linear encoder with an analytic covariance
# theta_ik +- crit sqrt([1, c_i] V_k [1, c_i]'), or for a spline fit (exact solver) without
# bootstrap replicates -- or with cov_type = "Vp" -- the pointwise Bayesian intervals
# theta_ik +- z se_ik from Vp (Python's ctxstats.spline.sample_conf_int). A list of two
# matrices, lower and upper, shaped like sample_coef(object).
sample_confint.ctx_glm <- function(object, level = 0.95, newdata = NULL, cov_type = NULL, ...) {
  alpha <- 1 - check_level(level)
  vp <- is.character(cov_type) && length(cov_type) == 1L && identical(tolower(cov_type), "vp")
  if (vp && !has_spline_vp(object)) {
    stop("cov_type = \"Vp\" needs a fit with encoder = \"spline\" by the exact solver", call. = FALSE)
  }
  if (!vp) {
    cov_type <- fit_cov_type(object, cov_type)
    vp <- is.null(cov_type) && has_spline_vp(object)
    if (is.null(cov_type) && !vp) no_inference_error()
  }
  if (is.null(newdata)) {
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
      bootstrap_chunks(object, C[ok, , drop = FALSE], function(s, tb) {
        rows <- ok[s:(s + dim(tb)[1L] - 1L)]
        lo[rows, ] <<- apply(tb, c(1L, 2L), stats::quantile, probs = alpha / 2, type = 7L, names = FALSE)
        hi[rows, ] <<- apply(tb, c(1L, 2L), stats::quantile, probs = 1 - alpha / 2, type = 7L, names = FALSE)
      })
    }
  } else {
    lc <- linear_covariance(object, cov_type)
    m1 <- ncol(C) + 1L
    Ct <- cbind(1, C)
    crit <- critical_value(lc$use_t, lc$df_resid, alpha)
    for (k in seq_len(q)) {
      idx <- (k - 1L) * m1 + seq_len(m1)
      se <- sqrt(pmax(rowSums((Ct %*% lc$cov[idx, idx, drop = FALSE]) * Ct), 0))
      lo[, k] <- theta[, k] - crit * se
      hi[, k] <- theta[, k] + crit * se
    }
  }
  if (is.null(newdata)) {
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

# How each context feature modifies each coefficient (linear encoder): the interaction
# coefficient, its SE, statistic, p-value and interval; rows "coefficient:context".
context_effects <- function(object, level = 0.95, cov_type = NULL) {
  require_linear(object, "context_effects")
  alpha <- 1 - check_level(level)
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
    boot <- bootstrap_interactions(object)[, sel, drop = FALSE]
    ci <- percentile_interval(boot, alpha)
    se <- apply(boot, 2L, stats::sd)
    out <- data.frame(b[sel], se, b[sel] / se, percentile_pvalue(boot), ci$lower, ci$upper)
    names(out) <- c("coef", "std err", "z", "P>|b|", lo_name, hi_name)
  } else {
    lc <- linear_covariance(object, cov_type)
    out <- as.data.frame(coefficient_table(b[sel], sqrt(diag(lc$cov)[sel]), lc$use_t, lc$df_resid, alpha))
    stat <- if (lc$use_t) "t" else "z"
    names(out) <- c("coef", "std err", stat, sprintf("P>|%s|", stat), lo_name, hi_name)
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
  D <- q * (m + 1L)
  cols <- c("statistic", "df", "df_denom", "pvalue")
  if (method == "wald") {
    if (!analytic_cov) {
      require_linear(object, "the Wald heterogeneity test")
      stop("the Wald heterogeneity test needs an analytic cov_type (nonrobust, HC0-HC3) and an unpenalised fit; ",
           "use method = \"bootstrap\"", call. = FALSE)
    }
    lc <- linear_covariance(object, object$cov_type)
    I <- diag(D)
    if (by == "coefficient") {
      Rs <- lapply(seq_len(q), function(k) I[(k - 1L) * (m + 1L) + 1L + seq_len(m), , drop = FALSE])
      index <- names
    } else {
      Rs <- lapply(seq_len(m), function(l) I[(seq_len(q) - 1L) * (m + 1L) + 1L + l, , drop = FALSE])
      index <- cnames
    }
    tab <- t(vapply(Rs, function(R) {
      r <- drop(R %*% lc$params)
      V <- R %*% lc$cov %*% t(R)
      stat <- drop(r %*% pinv(V) %*% r)
      J <- nrow(R)
      if (lc$use_f) {
        stat <- stat / J
        c(stat, J, lc$df_resid, stats::pf(stat, J, lc$df_resid, lower.tail = FALSE))
      } else {
        c(stat, J, NaN, stats::pchisq(stat, J, lower.tail = FALSE))
      }
    }, numeric(4L)))
    out <- as.data.frame(tab, row.names = index)
    names(out) <- cols
    attr(out, "method") <- "wald"
    attr(out, "distribution") <- if (lc$use_f) "F" else "chi2"
    attr(out, "cov_type") <- lc$cov_type
    return(out)
  }
  require_bootstrap(object, "the bootstrap heterogeneity test")
  if (by == "context") stop("by = \"context\" is available for the Wald test of the linear encoder only", call. = FALSE)
  out <- as.data.frame(bootstrap_heterogeneity(object, bootstrap_pass(object)$means), row.names = names)
  names(out) <- cols
  attr(out, "method") <- "bootstrap"
  attr(out, "distribution") <- "bootstrap"
  attr(out, "n_bootstraps") <- n_boot(object)
  out
}
