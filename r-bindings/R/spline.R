# Inference for the spline encoder (encoder = "spline", exact solver), computed as the Python
# package's ctxstats.spline from what the core reports: the Bayesian covariance
# Vp = (Z'WZ + S)^-1 * scale, the Hessian H = Z'WZ, the basis Gram matrix and the layout of
# the basis terms. These give the per-smooth edf and Wald tests, the per-coefficient
# heterogeneity tests, concurvity and the spline identifiability messages that summary()
# prints, with the same formulas (and so the same numbers) as Python.

spline_smoothing <- function(object) {
  sm <- object$spline$smoothing
  if (is.null(sm)) {
    stop("these results are not from a model with encoder = \"spline\" fitted by the exact solver", call. = FALSE)
  }
  sm
}

# G (q x q): theta_user = G theta_internal (+ y_mean on the intercept).
spline_theta_map <- function(object) {
  sc <- object$scaling
  q <- length(object$param_names)
  ys <- sc$y_scale
  xm <- sc$x_mean
  xs <- sc$x_scale
  off <- if (isTRUE(object$options$fit_intercept)) 1L else 0L
  G <- matrix(0, q, q)
  for (j in seq_along(xs)) G[off + j, off + j] <- ys / xs[j]
  if (off == 1L) {
    G[1L, 1L] <- ys
    if (length(xs)) G[1L, -1L] <- -ys * xm / xs
  }
  G
}

spline_term_label <- function(object, term) {
  names <- object$context_names
  switch(term$kind,
         tensor = paste0(names[term$feature1 + 1L], ":", names[term$feature2 + 1L]),
         constant = "(constant)",
         names[term$feature1 + 1L])
}

# The columns (1-based) of a term within one coefficient's block of the basis.
term_cols <- function(term) term$offset + seq_len(term$size)

spline_terms <- function(object) {
  tt <- object$spline$terms
  lapply(seq_len(nrow(tt)), function(i) as.list(tt[i, , drop = FALSE]))
}

# F = (H + S)^-1 H, whose trace is the edf.
spline_edf_matrix <- function(sm) sm$Vp %*% sm$H / sm$scale

# The reference of the Wald tests: the residual df and whether F (gaussian: estimated scale)
# or chi-square applies.
spline_reference <- function(object, sm) list(df_resid = max(sm$n - sm$edf_total, 1), use_f = object$family == "gaussian")

# gamma' V^{r-} gamma with V's pseudo-inverse truncated to rank r = round(rank) (between 1 and
# length(gamma)), and its p-value.
spline_wald <- function(gamma, V, rank, df_resid, use_f) {
  r <- as.integer(min(max(round(rank), 1), length(gamma)))
  e <- eigen((V + t(V)) / 2, symmetric = TRUE)
  ord <- order(e$values, decreasing = TRUE)[seq_len(r)]
  ev <- e$values[ord]
  U <- e$vectors[, ord, drop = FALSE]
  keep <- if (length(ev) && max(ev) > 0) ev > max(ev) * 1e-12 else logical(length(ev))
  if (!any(keep)) return(c(statistic = NaN, p_value = NaN))
  z <- crossprod(U[, keep, drop = FALSE], gamma)
  stat <- sum(z^2 / ev[keep])
  if (use_f) {
    c(statistic = stat / r, p_value = stats::pf(stat / r, r, df_resid, lower.tail = FALSE))
  } else {
    c(statistic = stat, p_value = stats::pchisq(stat, r, lower.tail = FALSE))
  }
}

# The user-unit coefficients gamma of coefficient k's terms (a linear map L of the weights)
# and their covariance L Vp L'.
spline_contrast <- function(object, sm, k, terms) {
  G <- spline_theta_map(object)
  nb <- object$spline$size
  q <- nrow(G)
  cols <- unlist(lapply(terms, term_cols))
  L <- matrix(0, length(cols), q * nb)
  for (kp in seq_len(q)) {
    if (G[k, kp] != 0) L[cbind(seq_along(cols), (kp - 1L) * nb + cols)] <- G[k, kp]
  }
  list(gamma = drop(L %*% object$encoder_weights), V = L %*% sm$Vp %*% t(L))
}

# tr(2F - F^2) over a block of indices: mgcv's alternative edf, the rank of the Wald tests.
ref_df_of <- function(F, F2, idx) sum(diag(2 * F[idx, idx, drop = FALSE] - F2[idx, idx, drop = FALSE]))

# One row per smooth term (coefficient x context feature, or tensor interaction): edf, ref_df,
# smoothing parameter(s), Wald statistic and p-value (Python's ctxstats.spline.smooth_terms).
smooth_terms <- function(object) {
  sm <- spline_smoothing(object)
  nb <- object$spline$size
  terms <- spline_terms(object)
  F <- spline_edf_matrix(sm)
  F2 <- F %*% F
  ref <- spline_reference(object, sm)
  rows <- list()
  for (k in seq_along(object$param_names)) {
    for (t in seq_along(terms)) {
      term <- terms[[t]]
      if (!term$kind %in% c("smooth", "tensor")) next
      idx <- (k - 1L) * nb + term_cols(term)
      ref_df <- ref_df_of(F, F2, idx)
      con <- spline_contrast(object, sm, k, list(term))
      w <- spline_wald(con$gamma, con$V, ref_df, ref$df_resid, ref$use_f)
      sp <- sm$smoothing[sm$penalty_output == k - 1L & sm$penalty_term == t - 1L]
      rows[[length(rows) + 1L]] <- data.frame(
        coefficient = object$param_names[k], context = spline_term_label(object, term),
        edf = sm$edf[k, t], ref_df = ref_df, smoothing = I(list(sp)),
        statistic = unname(w["statistic"]), p_value = unname(w["p_value"]), stringsAsFactors = FALSE)
    }
  }
  do.call(rbind, rows)
}

# Does each coefficient vary with context at all? The Wald test that all its smooth terms are
# zero (Python's ctxstats.spline.heterogeneity_tests).
spline_heterogeneity <- function(object) {
  sm <- spline_smoothing(object)
  nb <- object$spline$size
  terms <- spline_terms(object)
  smooth <- which(vapply(terms, function(tm) tm$kind %in% c("smooth", "tensor"), logical(1)))
  F <- spline_edf_matrix(sm)
  F2 <- F %*% F
  ref <- spline_reference(object, sm)
  q <- length(object$param_names)
  out <- data.frame(edf = numeric(q), ref_df = numeric(q), statistic = numeric(q), p_value = numeric(q),
                    row.names = object$param_names)
  for (k in seq_len(q)) {
    idx <- unlist(lapply(terms[smooth], function(tm) (k - 1L) * nb + term_cols(tm)))
    ref_df <- ref_df_of(F, F2, idx)
    con <- spline_contrast(object, sm, k, terms[smooth])
    w <- spline_wald(con$gamma, con$V, ref_df, ref$df_resid, ref$use_f)
    out[k, ] <- c(sum(sm$edf[k, smooth]), ref_df, w[["statistic"]], w[["p_value"]])
  }
  out
}

# numpy's pinv(A, rcond, hermitian = TRUE): eigenvalues below rcond * max |ev| are dropped.
pinv_hermitian <- function(A, rcond) {
  e <- eigen((A + t(A)) / 2, symmetric = TRUE)
  keep <- abs(e$values) > rcond * max(abs(e$values))
  U <- e$vectors[, keep, drop = FALSE]
  U %*% (t(U) / e$values[keep])
}

# Concurvity between context terms (Python's ctxstats.spline.concurvity): `worst` is the
# largest squared canonical correlation between a term's span and the other terms' spans over
# the fitted samples; `observed` the largest share for the estimated functions.
spline_concurvity <- function(object) {
  sm <- spline_smoothing(object)
  M <- sm$gram
  nb <- object$spline$size
  q <- length(object$param_names)
  W <- matrix(object$encoder_weights, q, nb, byrow = TRUE)
  rows <- list()
  for (term in spline_terms(object)) {
    if (!term$kind %in% c("smooth", "tensor")) next
    I <- term_cols(term)
    R <- setdiff(seq_len(nb), I)
    Mll <- M[I, I, drop = FALSE]
    MlR <- M[I, R, drop = FALSE]
    Q <- MlR %*% pinv_hermitian(M[R, R, drop = FALSE], 1e-12) %*% t(MlR)
    e <- eigen(Mll, symmetric = TRUE)
    keep <- e$values > max(e$values) * 1e-12
    Wh <- sweep(e$vectors[, keep, drop = FALSE], 2L, sqrt(e$values[keep]), "/")
    worst <- min(max(max(eigen(t(Wh) %*% Q %*% Wh, symmetric = TRUE, only.values = TRUE)$values), 0), 1)
    obs <- numeric(0)
    for (k in seq_len(q)) {
      beta <- W[k, I]
      den <- drop(beta %*% Mll %*% beta)
      if (den > 1e-14 * max(1, max(abs(Mll)))) obs <- c(obs, min(max(drop(beta %*% Q %*% beta) / den, 0), 1))
    }
    rows[[length(rows) + 1L]] <- data.frame(worst = worst, observed = if (length(obs)) max(obs) else NaN,
                                            row.names = spline_term_label(object, term))
  }
  do.call(rbind, rows)
}

# The spline identifiability messages (Python's ctxstats.spline.identifiability warnings).
spline_warnings <- function(object) {
  sm <- spline_smoothing(object)
  M <- sm$gram
  rank_of <- function(A) {
    ev <- eigen((A + t(A)) / 2, symmetric = TRUE, only.values = TRUE)$values
    sum(ev > max(max(ev), 0) * 1e-10)
  }
  deficient <- character(0)
  for (term in spline_terms(object)) {
    if (term$kind %in% c("smooth", "tensor")) {
      I <- term_cols(term)
      if (rank_of(M[I, I, drop = FALSE]) < term$size) deficient <- c(deficient, spline_term_label(object, term))
    }
  }
  conc <- spline_concurvity(object)
  msgs <- character(0)
  if (length(deficient)) {
    msgs <- c(msgs, sprintf(paste0(
      "the spline basis of %s is rank deficient on these data (some basis functions see (almost) no samples: ",
      "too few samples or distinct values for n_knots); the smoothing penalty keeps the fit unique, but a ",
      "smaller n_knots may suit"), paste(deficient, collapse = ", ")))
  }
  high <- rownames(conc)[conc$worst > 0.9]
  if (length(high)) {
    msgs <- c(msgs, sprintf("high concurvity (worst > 0.9) for %s: the data barely separate these context features' effects",
                            paste(high, collapse = ", ")))
  }
  if (sm$edf_total > 0.5 * sm$n) {
    msgs <- c(msgs, sprintf("the fit uses %.1f effective degrees of freedom for %.0f samples", sm$edf_total, sm$n))
  }
  msgs
}

# What summary() shows for a spline fit (Python's ctxstats.spline.summary_parts): the
# smoothing method, the smooth-term and heterogeneity tables and the notes.
spline_summary_parts <- function(object) {
  sm <- spline_smoothing(object)
  stat <- if (spline_reference(object, sm)$use_f) "F" else "Chi.sq"
  terms <- smooth_terms(object)
  smoothing <- vapply(terms$smoothing, function(v) paste(fmt_g(v, 3L), collapse = ", "), character(1))
  label <- ifelse(grepl(":", terms$context, fixed = TRUE), "ti", "s")
  tab <- data.frame(edf = terms$edf, ref_df = terms$ref_df, smoothing = smoothing,
                    stat = terms$statistic, p_value = terms$p_value, stringsAsFactors = FALSE,
                    row.names = sprintf("%s: %s(%s)", terms$coefficient, label, gsub(":", ",", terms$context, fixed = TRUE)))
  names(tab)[4L] <- stat
  het <- spline_heterogeneity(object)
  names(het)[3L] <- stat
  method <- paste0(sm$method, if (sm$method == "fixed") "" else sprintf(" (%d Newton steps)", as.integer(sm$n_iter)))
  notes <- spline_warnings(object)
  if (!isTRUE(sm$converged)) notes <- c(notes, paste0("the smoothing-parameter search did not converge: ", sm$message))
  list(method = method,
       tables = list(
         list(caption = sprintf("Smooth terms: effective degrees of freedom and Wald tests (%s) that the term is zero",
                                stat), frame = tab),
         list(caption = "Heterogeneity: does the coefficient vary with context at all?", frame = het)),
       notes = notes)
}

# ---- pointwise intervals from Vp ------------------------------------------------------------

has_spline_vp <- function(object) !is.null(object$spline$smoothing)

# The spline encoder's constrained basis b(c) (rows x size) at contexts C in user units, from
# the core (the glue's ctxstats_spline_basis_R, as the Python package's _core.spline_basis).
spline_basis <- function(object, C) {
  core_call(ctxstats_spline_basis_R, object$options, object$scaling, C)
}

# Pointwise standard errors of every coefficient theta_k(c_i) under Vp (Python's
# ctxstats.spline.sample_params_se): theta_k(c) = sum_k' G[k, k'] W_k' b(c) (+ y_mean), so its
# variance is b' M_k b with M_k = sum_{a, b} G[k, a] G[k, b] Vp[a, b] (blocks of Vp). Rows
# with a missing context value give NA.
spline_sample_se <- function(object, C) {
  sm <- spline_smoothing(object)
  G <- spline_theta_map(object)
  q <- nrow(G)
  nb <- object$spline$size
  se <- matrix(NA_real_, nrow(C), q, dimnames = list(rownames(C), object$param_names))
  ok <- stats::complete.cases(C)
  if (!any(ok)) return(se)
  B <- spline_basis(object, C[ok, , drop = FALSE])
  block <- function(a) (a - 1L) * nb + seq_len(nb)
  for (k in seq_len(q)) {
    ks <- which(G[k, ] != 0)
    M <- matrix(0, nb, nb)
    for (a in ks) {
      for (b in ks) M <- M + G[k, a] * G[k, b] * sm$Vp[block(a), block(b), drop = FALSE]
    }
    se[ok, k] <- sqrt(pmax(rowSums((B %*% M) * B), 0))
  }
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
  nb <- object$spline$size
  G <- spline_theta_map(object)
  q <- nrow(G)
  Cfit <- object$context
  out <- list()
  for (term in spline_terms(object)) {
    if (term$kind != "smooth") next
    l <- term$feature1 + 1L
    grid <- seq(min(Cfit[, l]), max(Cfit[, l]), length.out = n_points)
    C <- matrix(colMeans(Cfit), n_points, ncol(Cfit), byrow = TRUE)
    C[, l] <- grid
    cols <- term_cols(term)
    B <- spline_basis(object, C)[, cols, drop = FALSE]
    for (k in seq_len(q)) {
      # f = sum_k' G[k, k'] B W[k', cols]; J is its Jacobian in the weights.
      J <- matrix(0, n_points, q * nb)
      for (kp in seq_len(q)) {
        if (G[k, kp] != 0) J[, (kp - 1L) * nb + cols] <- G[k, kp] * B
      }
      est <- drop(J %*% object$encoder_weights)
      se <- sqrt(pmax(rowSums((J %*% sm$Vp) * J), 0))
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
