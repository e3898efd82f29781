#' Subtypes of the samples found from their models
#'
#' Groups the samples by their estimated per-sample models (the "analysis clusters" of
#' Lengerich et al. 2023) and summarises each group by its average model. Computed by the
#' C++ core, the same code as Python's \code{results.subtypes()}: the same seed gives the same
#' subtypes, bitwise, for any thread count.
#'
#' The per-sample parameters (\code{sample_coef}, or a network's off-diagonal edges) are
#' standardised column by column (centred at their mean, divided by their standard deviation,
#' ddof 0; a parameter that does not vary is only centred) and clustered by k-means from
#' \code{n_starts} k-means++ seedings (the start with the smallest within-cluster sum of
#' squares is kept; subtypes are numbered by decreasing size). Without \code{k}, k in
#' 2..\code{k_max} maximises the mean silhouette width (computed on a seeded subsample of 2,000
#' samples when there are more), and k = 1 when the best mean silhouette is below 0.25 ("no
#' substantial structure", Kaufman & Rousseeuw 1990). With bootstrap replicates each replicate
#' is re-clustered with the same k: the adjusted Rand index against the fit's clustering, the
#' per-sample share of replicates keeping the sample in its subtype (replicate clusters matched
#' by maximal overlap), and percentile intervals for each subtype's average parameters. Without
#' replicates, a linear-encoder fit with an analytic covariance, or a spline fit (Bayesian Vp),
#' gets intervals for the subtype averages given the assignment; other fits get none.
#'
#' @param object a \code{ctx_glm}, \code{personalized_regression} or \code{ctx_network} fit.
#' @param k the number of subtypes (\code{NULL}: chosen by the silhouette).
#' @param params names of the parameters to cluster on (default: all).
#' @param k_max the largest k considered.
#' @param n_starts k-means++ starts.
#' @param seed the seed (default: the fit's, else 0).
#' @param alpha one minus the intervals' level.
#' @param ... unused.
#' @return An object of class \code{ctx_subtypes}: \code{labels} (1..k), \code{k},
#'   \code{criterion}, \code{sizes}, \code{table} (each subtype's average model with intervals),
#'   \code{stability}, \code{replicate_ari}, \code{coassignment}, \code{scores}, \code{explained}.
#' @export
ctx_subtypes <- function(object, k = NULL, ...) UseMethod("ctx_subtypes")

subtype_arg_int <- function(x, name, low) {
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || x != round(x)) {
    stop(name, " must be a whole number", call. = FALSE)
  }
  if (x < low) stop(name, " must be at least ", low, ", not ", x, call. = FALSE)
  as.integer(x)
}

subtypes_core <- function(theta, reps, k, k_max, n_starts, seed, alpha, threads, analytic = NULL) {
  k <- if (is.null(k)) 0L else subtype_arg_int(k, "k", 1L)
  k_max <- subtype_arg_int(k_max, "k_max", 2L)
  n_starts <- subtype_arg_int(n_starts, "n_starts", 1L)
  seed <- subtype_arg_int(if (is.null(seed)) 0 else seed, "seed", 0L)
  if (!is.numeric(alpha) || length(alpha) != 1L || !(alpha > 0 && alpha < 1)) {
    stop("alpha must lie in (0, 1)", call. = FALSE)
  }
  storage.mode(theta) <- "double"
  if (!is.null(reps)) storage.mode(reps) <- "double"
  out <- core_call(ctxstats_subtypes_R, theta, reps, k, k_max, n_starts, as.double(seed), as.double(alpha),
                   as.integer(if (is.null(threads)) 0L else threads))
  pn <- colnames(theta)
  kk <- out$k
  rows <- paste0("subtype ", rep(seq_len(kk), each = length(pn)), ":", rep(pn, kk))
  table <- data.frame(subtype = rep(seq_len(kk), each = length(pn)), parameter = rep(pn, kk),
                      mean = as.vector(t(out$means)), row.names = rows)
  if (out$n_bootstraps > 0) {
    table$se <- as.vector(t(out$se))
    table$lower <- as.vector(t(out$lower))
    table$upper <- as.vector(t(out$upper))
    intervals <- paste0("bootstrap, B=", out$n_bootstraps, ", percentile, membership re-estimated per replicate")
  } else if (!is.null(analytic)) {
    a <- analytic(out$labels, out$means, alpha)
    table$se <- as.vector(t(a$se))
    table$lower <- as.vector(t(a$lower))
    table$upper <- as.vector(t(a$upper))
    intervals <- a$caption
  } else {
    intervals <- "none (fit with n_bootstraps = B for bootstrap intervals and stability)"
  }
  means <- out$means
  dimnames(means) <- list(paste("subtype", seq_len(kk)), pn)
  scores <- out$scores
  dimnames(scores) <- list(rownames(theta), c("PC1", "PC2"))
  structure(list(
    labels = out$labels, k = kk,
    criterion = stats::setNames(out$criterion, as.character(out$candidates)),
    sizes = stats::setNames(out$sizes, paste("subtype", seq_len(kk))),
    means = means, table = table, intervals = intervals,
    stability = if (out$n_bootstraps > 0) mean(out$replicate_ari) else NULL,
    replicate_ari = out$replicate_ari, coassignment = out$coassignment,
    scores = scores, explained = out$explained, center = stats::setNames(out$center, pn),
    scale = stats::setNames(out$scale, pn), n_bootstraps = out$n_bootstraps,
    unconverged_starts = out$unconverged_starts, param_names = pn), class = "ctx_subtypes")
}

subtype_params <- function(theta, reps, params) {
  if (is.null(params)) return(list(theta = theta, reps = reps))
  bad <- setdiff(params, colnames(theta))
  if (length(bad) || !length(params)) {
    stop("params must name parameters among ", paste(colnames(theta), collapse = ", "), call. = FALSE)
  }
  idx <- match(params, colnames(theta))
  list(theta = theta[, idx, drop = FALSE], reps = if (!is.null(reps)) reps[, idx, , drop = FALSE])
}

fit_seed <- function(object, seed) {
  if (!is.null(seed)) return(seed)
  if (is.null(object$options$seed)) 0 else object$options$seed
}

# Intervals for the subtypes' average parameters from the fit's own covariance, given the
# assignment (as Python's _intervals_given_assignment): the linear encoder's analytic
# covariance, or the spline encoder's Bayesian Vp; NULL for other fits.
intervals_given_assignment <- function(object, params) {
  q <- length(object$param_names)
  cov_type <- object$cov_type
  if (!is.null(cov_type) && cov_type != "bootstrap") {
    lc <- linear_covariance(object, cov_type)
    cov_of <- function(Cs) core_call(ctxstats_average_effect_covariance_R, lc$cov, Cs, q)
    use_t <- lc$use_t
    df <- lc$df_resid
    caption <- paste0("analytic, cov_type=", lc$cov_type, ", given the assignment (linear encoder)")
  } else if (is.null(cov_type) && has_spline_vp(object)) {
    tests <- spline_tests(object)
    Vp <- spline_smoothing(object)$Vp
    cov_of <- function(Cs) {
      core_call(ctxstats_spline_average_effects_R, object$options, object$scaling, object$encoder_weights, Vp,
                Cs)$cov
    }
    use_t <- isTRUE(tests$estimated_scale)
    df <- tests$df_resid
    caption <- "Bayesian covariance Vp (mgcv), given the assignment (spline encoder)"
  } else {
    return(NULL)
  }
  cols <- if (is.null(params)) seq_len(q) else match(params, object$param_names)
  function(labels, means, alpha) {
    crit <- critical_value(use_t, df, alpha)
    se <- t(vapply(seq_len(nrow(means)), function(s) {
      sqrt(diag(cov_of(object$context[labels == s, , drop = FALSE])))[cols]
    }, numeric(length(cols))))
    if (length(cols) == 1L) se <- matrix(se, ncol = 1L)
    list(se = se, lower = means - crit * se, upper = means + crit * se, caption = caption)
  }
}

#' @rdname ctx_subtypes
#' @export
ctx_subtypes.ctx_glm <- function(object, k = NULL, params = NULL, k_max = 8, n_starts = 10, seed = NULL,
                                 alpha = 0.05, ...) {
  theta <- object$sample_coef
  reps <- NULL
  if (n_boot(object) > 0) {
    reps <- core_call(ctxstats_bootstrap_theta_R, object$options, object$scaling, object$bootstrap$weights,
                      object$context)
  }
  sel <- subtype_params(theta, reps, params)
  analytic <- if (is.null(reps)) intervals_given_assignment(object, params) else NULL
  subtypes_core(sel$theta, sel$reps, k, k_max, n_starts, fit_seed(object, seed), alpha, object$options$threads,
                analytic)
}

#' @rdname ctx_subtypes
#' @export
ctx_subtypes.personalized_regression <- function(object, k = NULL, params = NULL, k_max = 8, n_starts = 10,
                                                 seed = NULL, alpha = 0.05, ...) {
  sel <- subtype_params(object$sample_coef, if (!is.null(object$bootstrap)) object$bootstrap$theta, params)
  subtypes_core(sel$theta, sel$reps, k, k_max, n_starts, fit_seed(object, seed), alpha, object$options$threads)
}

#' @rdname ctx_subtypes
#' @param newcontext contexts whose networks are clustered (default: the training contexts).
#' @export
ctx_subtypes.ctx_network <- function(object, k = NULL, newcontext = NULL, k_max = 8, n_starts = 10, seed = 0,
                                     alpha = 0.05, ...) {
  nets <- predict(object, newcontext = newcontext, type = "networks")
  p <- dim(nets)[2]
  feats <- if (is.null(object$features)) paste0("x", seq_len(p)) else object$features
  pairs <- which(!diag(p), arr.ind = TRUE)
  pairs <- pairs[order(pairs[, 1], pairs[, 2]), , drop = FALSE]  # row-major, as Python
  theta <- vapply(seq_len(nrow(pairs)), function(e) nets[, pairs[e, 1], pairs[e, 2]], numeric(dim(nets)[1]))
  theta <- matrix(theta, dim(nets)[1])
  colnames(theta) <- paste0(feats[pairs[, 1]], "~", feats[pairs[, 2]])
  reps <- NULL
  ind <- predict(object, newcontext = newcontext, type = "networks", individual = TRUE)  # [B, n, p, p]
  if (length(dim(ind)) == 4L && dim(ind)[1] >= 2L) {
    reps <- array(0, c(dim(nets)[1], nrow(pairs), dim(ind)[1]))
    for (e in seq_len(nrow(pairs))) reps[, e, ] <- t(ind[, , pairs[e, 1], pairs[e, 2]])
  }
  subtypes_core(theta, reps, k, k_max, n_starts, seed, alpha, NULL)
}

#' @export
print.ctx_subtypes <- function(x, digits = 4, ...) {
  cat("Subtypes from sample models: k =", x$k, paste0("(", length(x$labels), " samples)"), "\n")
  if (length(x$criterion) > 1) {
    cat("k chosen by the mean silhouette width (k = 1 below 0.25):\n ",
        paste0("k=", names(x$criterion), ": ", formatC(x$criterion, digits = 3, format = "f"), collapse = "  "), "\n")
  } else if (length(x$criterion) == 1) {
    cat("k given; mean silhouette width", formatC(x$criterion, digits = 3, format = "f"), "\n")
  }
  cat("sizes:", paste0(seq_len(x$k), ": ", x$sizes, collapse = ", "), "\n")
  if (!is.null(x$stability)) {
    cat("bootstrap stability: mean adjusted Rand index", formatC(x$stability, digits = 3, format = "f"), "over",
        x$n_bootstraps, "replicates; median co-assignment", formatC(stats::median(x$coassignment), digits = 3,
                                                                   format = "f"), "\n")
  }
  cat("intervals:", x$intervals, "\n")
  print(x$table[, setdiff(names(x$table), c("subtype", "parameter")), drop = FALSE], digits = digits)
  invisible(x)
}

#' @export
summary.ctx_subtypes <- function(object, ...) object

#' @export
plot.ctx_subtypes <- function(x, params = NULL, ...) {
  pn <- if (is.null(params)) x$param_names[seq_len(min(12L, length(x$param_names)))] else params
  op <- graphics::par(mfrow = c(1, 2), mar = c(5, 4, 3, 1))
  on.exit(graphics::par(op))
  cols <- grDevices::palette.colors(max(x$k, 2), "Tableau 10")[seq_len(x$k)]
  graphics::plot(x$scores[, 1], x$scores[, 2], col = cols[x$labels], pch = 20, cex = 0.6,
                 xlab = sprintf("PC1 (%.0f%%)", 100 * x$explained[1]), ylab = sprintf("PC2 (%.0f%%)", 100 * x$explained[2]),
                 main = "sample models, standardised")
  graphics::legend("topright", legend = paste0("subtype ", seq_len(x$k), " (n=", x$sizes, ")"), col = cols,
                   pch = 20, cex = 0.7, bty = "n")
  tab <- x$table[x$table$parameter %in% pn, ]
  w <- 0.8 / x$k
  pos <- match(tab$parameter, pn) - 0.4 + w * (tab$subtype - 0.5)
  yl <- range(c(tab$mean, tab$lower, tab$upper, 0), na.rm = TRUE)
  graphics::plot(pos, tab$mean, col = cols[tab$subtype], pch = 19, xaxt = "n", xlab = "", ylab = "average",
                 ylim = yl, xlim = c(0.5, length(pn) + 0.5), main = "average model per subtype")
  if (!is.null(tab$lower)) graphics::arrows(pos, tab$lower, pos, tab$upper, angle = 90, code = 3, length = 0.03,
                                            col = cols[tab$subtype])
  graphics::abline(h = 0, col = "grey60")
  graphics::axis(1, at = seq_along(pn), labels = pn, las = if (length(pn) > 4) 2 else 1)
  invisible(x)
}
