# plot(fit): each coefficient as a function of each context feature with its band, as
# plot.gam draws smooths, and by the rules of the Python package's plot_coefficients
# (ctxstats/plotting.py), so both languages draw the same pictures:
# - the curve runs over the feature's 1st to 99th percentile (n_grid points) with the other
#   features held fixed: continuous ones at their mean, indicator columns (two values at
#   most, such as a factor's dummies) at their most common value;
# - an indicator on the horizontal axis is drawn at its two values, as points with intervals;
# - a factor with three levels or more is one feature, drawn by level (baseline first) as
#   points with intervals, the other features held as above;
# - bands are the fit's pointwise intervals (analytic, Vp or bootstrap), when it has them;
# - no zero line.

is_indicator <- function(v) length(unique(v)) <= 2L

held_context <- function(C) {
  ref <- colMeans(C)
  for (j in seq_len(ncol(C))) {
    if (is_indicator(C[, j])) {
      tab <- table(C[, j])
      ref[j] <- as.numeric(names(tab)[which.max(tab)])
    }
  }
  ref
}

context_grid <- function(C, j, n_grid) {
  v <- C[, j]
  x <- if (is_indicator(v)) {
    sort(unique(v))
  } else {
    r <- if (nrow(C) > 20L) unname(stats::quantile(v, c(0.01, 0.99))) else range(v)
    if (r[1L] == r[2L]) r <- range(v)
    seq(r[1L], r[2L], length.out = n_grid)
  }
  G <- matrix(held_context(C), length(x), ncol(C), byrow = TRUE, dimnames = list(NULL, colnames(C)))
  G[, j] <- x
  G
}

# The context's factors with three levels or more (a binary factor is one indicator column):
# factor -> its columns (treatment dummies named factor + level, the first level the
# baseline) and levels, from the fit's xlevels.
context_factors <- function(object) {
  lv <- object$xlevels$context
  out <- list()
  for (f in names(lv)) {
    cols <- match(paste0(f, lv[[f]][-1L]), colnames(object$context))
    if (length(lv[[f]]) > 2L && !anyNA(cols)) out[[f]] <- list(columns = cols, levels = lv[[f]])
  }
  out
}

# One context row per level of a factor (the baseline first; the other features held as
# held_context says) and each sample's level position -- the Python package's _factor_grid.
factor_grid <- function(C, g) {
  ref <- held_context(C)
  ref[g$columns] <- 0
  G <- matrix(ref, length(g$levels), ncol(C), byrow = TRUE, dimnames = list(g$levels, colnames(C)))
  for (i in seq_along(g$columns)) G[i + 1L, g$columns[i]] <- 1
  dummies <- C[, g$columns, drop = FALSE]
  position <- ifelse(apply(dummies, 1L, max) > 0, max.col(dummies, ties.method = "first") + 1L, 1L)
  list(G = G, position = position)
}

plot.ctx_glm <- function(x, context = NULL, select = NULL, pages = 0, level = 0.95, n_grid = 100,
                         show_samples = TRUE, ...) {
  object <- x
  C <- object$context
  pick <- function(chosen, names, what) {
    if (is.null(chosen)) return(seq_along(names))
    idx <- if (is.numeric(chosen)) as.integer(chosen) else match(chosen, names)
    if (anyNA(idx) || any(idx < 1L | idx > length(names))) {
      stop(sprintf("%s must name or number some of: %s", what, paste(names, collapse = ", ")), call. = FALSE)
    }
    idx
  }
  # The features drawn: each column, except that a factor's dummies are one feature (by level).
  factors <- context_factors(object)
  owner <- rep(NA_character_, ncol(C))
  for (f in names(factors)) owner[factors[[f]]$columns] <- f
  features <- unique(ifelse(is.na(owner), colnames(C), owner))
  if (is.character(context)) context <- ifelse(context %in% colnames(C) & !is.na(owner[match(context, colnames(C))]),
                                               owner[match(context, colnames(C))], context)
  if (is.numeric(context)) {
    if (any(context < 1 | context > ncol(C)))
      stop(sprintf("context must name or number some of: %s", paste(colnames(C), collapse = ", ")), call. = FALSE)
    context <- unique(ifelse(is.na(owner[context]), colnames(C)[context], owner[context]))
  }
  js <- features[pick(context, features, "context")]
  ks <- pick(select, object$param_names, "select")
  if (!is.numeric(n_grid) || length(n_grid) != 1L || n_grid < 2) stop("n_grid must be a number >= 2", call. = FALSE)
  if (!is.numeric(pages) || length(pages) != 1L || pages < 0) stop("pages must be 0 or a positive number", call. = FALSE)
  has_bands <- !is.null(object$cov_type) || has_spline_vp(object)
  theta <- object$sample_coef
  panels <- list()
  for (j in js) {
    if (j %in% names(factors)) {
      fg <- factor_grid(C, factors[[j]])
      fit <- theta_for(object, fg$G)
      lim <- if (has_bands) sample_limits(object, level, context = fg$G) else NULL
      for (k in ks) {
        panels[[length(panels) + 1L]] <- list(context = j, param = object$param_names[k],
                                              x = seq_along(factors[[j]]$levels), labels = factors[[j]]$levels,
                                              fit = fit[, k], indicator = TRUE,
                                              lower = if (has_bands) lim$lower[, k], upper = if (has_bands) lim$upper[, k],
                                              sample_x = fg$position, sample_y = theta[, k])
      }
      next
    }
    j <- match(j, colnames(C))
    G <- context_grid(C, j, n_grid)
    fit <- theta_for(object, G)
    lim <- if (has_bands) sample_limits(object, level, context = G) else NULL
    for (k in ks) {
      panels[[length(panels) + 1L]] <- list(context = colnames(C)[j], param = object$param_names[k],
                                            x = G[, j], fit = fit[, k], indicator = is_indicator(C[, j]),
                                            lower = if (has_bands) lim$lower[, k], upper = if (has_bands) lim$upper[, k],
                                            sample_x = C[, j], sample_y = theta[, k])
    }
  }
  n <- length(panels)
  per_page <- if (pages == 0) 1L else ceiling(n / pages)
  if (per_page > 1L) {
    nc <- ceiling(sqrt(per_page))
    old <- graphics::par(mfrow = c(ceiling(per_page / nc), nc))
    on.exit(graphics::par(old), add = TRUE)
  } else if (n > 1L && grDevices::dev.interactive()) {
    old_ask <- grDevices::devAskNewPage(TRUE)
    on.exit(grDevices::devAskNewPage(old_ask), add = TRUE)
  }
  for (p in panels) draw_curve_panel(p, show_samples, sprintf("%s vs %s", p$param, p$context), ...)
  invisible(panels)
}

# One panel: a curve p$fit over p$x with its band (p$lower, p$upper; NULL: none), an indicator
# as points with intervals, each sample as a grey dot (p$sample_x, p$sample_y). Also used by
# plot.ctx_network's edge curves.
draw_curve_panel <- function(p, show_samples, main, ...) {
  ys <- c(p$fit, p$lower, p$upper, if (show_samples) p$sample_y)
  xs <- c(p$x, if (show_samples) p$sample_x)
  graphics::plot(range(xs), range(ys, finite = TRUE), type = "n", xlab = p$context, ylab = p$param,
                 main = main, xaxt = if (p$indicator) "n" else "s", ...)
  if (p$indicator) graphics::axis(1, at = p$x, labels = if (is.null(p$labels)) p$x else p$labels)
  if (show_samples) graphics::points(p$sample_x, p$sample_y, pch = 16, cex = 0.3, col = grDevices::gray(0.5, 0.4))
  if (p$indicator) {
    if (!is.null(p$lower)) graphics::arrows(p$x, p$lower, p$x, p$upper, angle = 90, code = 3, length = 0.05, lwd = 2)
    graphics::points(p$x, p$fit, pch = 19)
  } else {
    if (!is.null(p$lower)) {
      graphics::polygon(c(p$x, rev(p$x)), c(p$lower, rev(p$upper)), col = grDevices::adjustcolor("steelblue", 0.25),
                        border = NA)
    }
    graphics::lines(p$x, p$fit, lwd = 2, col = "steelblue")
  }
}
