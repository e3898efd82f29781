# plot(net): the pictures of a contextualized network, the same as Python's
# ctxstats.network_plots (plot_network, plot_network_edge), from the same core numbers:
# - type = "network": one sample's network as a heat map of its edge weights;
# - type = "edge": how one edge changes with one context feature (the core's
#   network_edge_curve: the grid, the held values, the edge and its bootstrap band).

#' Plot a contextualized network
#'
#' \code{type = "network"}: the network of one sample (row \code{sample} of the contexts) as a
#' heat map -- correlations (correlation networks), partial correlations (Markov networks), the
#' graph projected to a DAG (Bayesian networks; rows are parents, columns children), or with
#' \code{what = "coefficients"} the regression coefficients of any network.
#' \code{type = "edge"}: how edge \code{edge = c(i, j)} (\code{predict(net)[, i, j]}) changes with
#' context column \code{context}, the other columns held at their mean (indicators: their most
#' common value), over the column's 1st to 99th percentile; each sample's own edge as a dot; the
#' bootstrap percentile band at level 1 - \code{alpha} when the fit has replicates. The curve and the
#' dots are the full-data fit's edges, as in \code{\link{network_edges}}.
#'
#' @param x a \code{ctx_network}.
#' @param type \code{"network"} or \code{"edge"}.
#' @param sample the row of the contexts whose network is drawn.
#' @param edge two feature names or positions (i, j).
#' @param context the context column (name or position) on the horizontal axis.
#' @param what \code{"correlation"}, \code{"partial_correlation"}, \code{"precision"},
#'   \code{"dag"} or \code{"coefficients"}; default by network type.
#' @param alpha one minus the band's level (as \code{\link{network_edges}}' \code{alpha}, so that
#'   R and Python give the same bits).
#' @param n_grid points on the curve.
#' @param show_samples draw each sample's edge.
#' @param project_to_dag,threshold Bayesian networks: as for \code{\link{predict.ctx_network}}.
#' @param newcontext contexts to draw for (default: the training contexts).
#' @param ... passed to the plotting functions.
#' @return Invisibly, the plotted data: \code{values} (network), or the curve's \code{x},
#'   \code{estimate}, \code{lower}, \code{upper}, \code{held}, \code{indicator},
#'   \code{sample_x}, \code{sample_edge} (edge).
#' @export
plot.ctx_network <- function(x, type = c("network", "edge"), sample = 1, edge = c(1, 2), context = 1, what = NULL,
                             alpha = 0.05, n_grid = 100, show_samples = TRUE, project_to_dag = TRUE, threshold = 0,
                             newcontext = NULL, ...) {
  type <- match.arg(type)
  C <- if (is.null(newcontext)) x$context else network_matrix(newcontext, "context")
  flag <- function(v, name) {
    if (!is.logical(v) || length(v) != 1L || is.na(v)) stop(sprintf("%s must be TRUE or FALSE", name), call. = FALSE)
    v
  }
  flag(project_to_dag, "project_to_dag")
  flag(show_samples, "show_samples")
  if (!is.numeric(threshold) || length(threshold) != 1L || !is.finite(threshold) || threshold < 0) {
    stop("threshold must be a finite number >= 0", call. = FALSE)
  }
  if (type == "network") plot_sample_network(x, C, sample, what, project_to_dag, threshold, ...)
  else plot_edge_curve(x, C, edge, context, alpha, n_grid, show_samples, project_to_dag, threshold, ...)
}

pick_one <- function(v, names, what) {
  idx <- if (is.numeric(v) && length(v) == 1L && v == round(v)) as.integer(v) else if (is.character(v) && length(v) == 1L) match(v, names) else NA
  if (is.na(idx) || idx < 1L || idx > length(names)) {
    stop(sprintf("%s must name or number one of: %s", what, paste(names, collapse = ", ")), call. = FALSE)
  }
  idx
}

network_kinds <- list(correlation = c("correlation", "coefficients"),
                      markov = c("partial_correlation", "precision", "coefficients"),
                      bayesian = c("dag", "coefficients"))

plot_sample_network <- function(net, C, sample, what, project_to_dag, threshold, ...) {
  if (!is.numeric(sample) || length(sample) != 1L || sample != round(sample) || sample < 1 || sample > nrow(C)) {
    stop(sprintf("sample must be a row of the contexts (1 to %d)", nrow(C)), call. = FALSE)
  }
  kinds <- network_kinds[[net$type]]
  if (is.null(what)) what <- kinds[1L]
  if (!is.character(what) || length(what) != 1L || !(what %in% kinds)) {
    stop(sprintf("what must be one of %s for a %s network", paste(kinds, collapse = ", "), net$type), call. = FALSE)
  }
  one <- C[sample, , drop = FALSE]
  bayes <- identical(net$type, "bayesian")
  ptype <- switch(what, correlation = "correlation", partial_correlation = "correlation", precision = "precision",
                  "networks")
  values <- predict(net, newcontext = one, type = ptype, project_to_dag = bayes && project_to_dag && what == "dag",
                    threshold = if (bayes) threshold else 0)
  values <- matrix(values, dim(values)[2L], dim(values)[3L], dimnames = list(net$features, net$features))
  p <- nrow(values)
  off <- values[row(values) != col(values)]
  vmax <- if (length(off) && max(abs(off)) > 0) max(abs(off)) else 1
  shown <- values
  diag(shown) <- NA
  label <- c(correlation = "correlation", partial_correlation = "partial correlation", precision = "precision",
             dag = "edge weight", coefficients = "coefficient")[[what]]
  cols <- grDevices::hcl.colors(101, "Blue-Red 3")
  graphics::image(seq_len(p), seq_len(p), t(shown[p:1, , drop = FALSE]), zlim = c(-vmax, vmax), col = cols,
                  axes = FALSE, main = sprintf("sample %d: %s", sample, label),
                  xlab = if (bayes && what == "dag") "to (child)" else "",
                  ylab = if (bayes && what == "dag") "from (parent)" else "", ...)
  graphics::axis(1, at = seq_len(p), labels = net$features, las = 2)
  graphics::axis(2, at = seq_len(p), labels = rev(net$features), las = 1)
  if (p <= 12L) {
    for (i in seq_len(p)) for (j in seq_len(p)) {
      if (i != j && values[i, j] != 0) graphics::text(j, p + 1 - i, sprintf("%.2f", values[i, j]), cex = 0.7)
    }
  }
  invisible(list(values = values, what = what, sample = sample))
}

plot_edge_curve <- function(net, C, edge, context, alpha, n_grid, show_samples, project_to_dag, threshold, ...) {
  if (length(edge) != 2L) stop("edge must be two feature names or positions c(i, j)", call. = FALSE)
  i <- pick_one(edge[[1L]], net$features, "edge")
  j <- pick_one(edge[[2L]], net$features, "edge")
  if (i == j) stop(sprintf("edge must join two different features, not %s to itself", net$features[i]), call. = FALSE)
  k <- pick_one(context, colnames(C), "context")
  if (!is.numeric(alpha) || length(alpha) != 1L || !(alpha > 0 && alpha < 1)) {
    stop("alpha must be a number in (0, 1)", call. = FALSE)
  }
  if (!is.numeric(n_grid) || length(n_grid) != 1L || n_grid != round(n_grid) || n_grid < 2) {
    stop("n_grid must be a whole number >= 2", call. = FALSE)
  }
  bayes <- identical(net$type, "bayesian")
  d <- core_call(ctxstats_network_edge_curve_R, net$model, C, as.integer(k - 1L), as.integer(i - 1L),
                 as.integer(j - 1L), as.integer(n_grid), as.double(alpha), bayes && project_to_dag, as.double(threshold))
  d$context <- colnames(C)[k]
  d$edge <- net$features[c(i, j)]
  name <- paste(d$edge, collapse = if (bayes) " -> " else " ~ ")
  draw_curve_panel(list(x = d$x, fit = d$estimate, lower = d$lower, upper = d$upper, indicator = d$indicator,
                        sample_x = d$sample_x, sample_y = d$sample_edge, context = d$context,
                        param = paste("edge", name)),
                   show_samples, sprintf("%s vs %s", name, d$context), ...)
  invisible(d)
}
