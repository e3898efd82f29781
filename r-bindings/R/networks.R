# Contextualized correlation and Markov networks: a network over the columns of x for every
# row's context, fitted by the C++ core (csrc/networks/networks.hpp documents the models).
# R only converts and names; the core also averages over bootstrap replicates.

#' Contextualized correlation and Markov networks
#'
#' For every sample, a network among the columns of \code{x} whose edges are functions of the
#' sample's context. \code{type = "correlation"}: for every ordered pair (i, j) the univariate
#' regression \eqn{x_i = \mu_{ij}(c) + \beta_{ij}(c) x_j}, so that
#' \eqn{\rho_{ij}(c)^2 = \beta_{ij}(c) \beta_{ji}(c)}; the signed correlation takes the slopes'
#' common sign (0 where they disagree). \code{type = "markov"}: each column regressed on all the
#' others (neighbourhood regression); the precision is
#' \eqn{\Omega_{ii} = 1/\sigma_i^2}, \eqn{\Omega_{ij} = -(\beta_{ij}/\sigma_i^2 + \beta_{ji}/\sigma_j^2)/2},
#' with \eqn{\sigma_i^2} regression i's mean squared residual. All regressions share one context
#' encoder; the linear encoder (the default) is solved exactly from one pass over the data.
#'
#' @param x numeric matrix or data frame: the features (at least two columns).
#' @param context numeric matrix or data frame: the contexts, one row per row of \code{x}.
#' @param type \code{"correlation"} or \code{"markov"}.
#' @param encoder \code{"linear"}, \code{"mlp"} or \code{"ngam"}.
#' @param n_bootstraps 0 (none) or B >= 2 bootstrap refits; predictions average them.
#' @param seed,threads as for \code{\link{ctx_glm}}; results are identical for any \code{threads}.
#' @param weights optional non-negative row weights.
#' @param trained \code{FALSE} returns the untrained initial model (ContextualizedML's
#'   \code{max_epochs = 0}).
#' @param ... further options of the option table (\code{width}, \code{depth}, \code{archetypes},
#'   \code{alpha}, \code{l1_ratio}, \code{mu_ratio}, \code{weight_decay}, \code{solver}, \code{max_iter}, \code{tol}).
#' @return An object of class \code{ctx_network}; see \code{\link{predict.ctx_network}}.
#' @examples
#' set.seed(1)
#' C <- matrix(runif(400, -1, 1), ncol = 1)
#' X <- matrix(rnorm(1200), ncol = 3)
#' X[, 2] <- X[, 2] + C[, 1] * X[, 1]
#' net <- ctx_correlation_network(X, C)
#' dim(predict(net, type = "correlation"))
#' @export
ctx_network <- function(x, context, type = c("correlation", "markov", "bayesian"), encoder = "linear",
                        n_bootstraps = 0, seed = 0, threads = NULL, weights = NULL, trained = TRUE, dag = NULL, ...) {
  type <- match.arg(type)
  if (!is.null(dag) && type != "bayesian") stop("dag applies to type = 'bayesian' only", call. = FALSE)
  if (!is.null(dag) && (!is.list(dag) || (length(dag) && (is.null(names(dag)) || any(names(dag) == ""))))) {
    stop("dag must be a named list (e.g. list(sample_specific_alpha = 1))", call. = FALSE)
  }
  X <- network_matrix(x, "x")
  C <- network_matrix(context, "context")
  if (nrow(X) != nrow(C)) stop(sprintf("X has %d rows but C has %d", nrow(X), nrow(C)), call. = FALSE)
  dots <- list(...)
  if (length(dots) && (is.null(names(dots)) || any(names(dots) == ""))) {
    stop("the options in ... must be named (e.g. width = 16, alpha = 0.1)", call. = FALSE)
  }
  opts <- c(drop_null(list(family = "gaussian", encoder = encoder, seed = seed, threads = threads)), dots)
  if (!is.null(weights)) weights <- as.double(weights)
  model <- core_call(ctxstats_network_fit_R, type, C, X, weights, opts, as.integer(n_bootstraps), isTRUE(trained),
                     if (is.null(dag)) list() else dag)
  if (type == "bayesian") model$dag <- if (is.null(dag)) list() else dag
  if (isTRUE(trained)) {
    if (!isTRUE(model$converged)) warning(model$message, call. = FALSE)
    else if (nzchar(model$bootstrap_message)) warning(model$bootstrap_message, call. = FALSE)
  }
  if (isTRUE(model$rank_deficient)) {
    warning("some of the network's regressions have singular normal equations (a constant or collinear feature, ",
            "or too few rows for the context): their minimum-norm solutions are used", call. = FALSE)
  }
  structure(list(model = model, type = type, features = colnames(X), context_names = colnames(C),
                 context = C, x = X, call = match.call()), class = "ctx_network")
}

#' @rdname ctx_network
#' @export
ctx_correlation_network <- function(x, context, ...) ctx_network(x, context, type = "correlation", ...)

#' @rdname ctx_network
#' @export
ctx_markov_network <- function(x, context, ...) ctx_network(x, context, type = "markov", ...)

#' @rdname ctx_network
#' @export
ctx_bayesian_network <- function(x, context, dag = list(), ...) {
  ctx_network(x, context, type = "bayesian", dag = dag, ...)
}

network_matrix <- function(v, name) {
  m <- if (is.data.frame(v)) data.matrix(v) else as.matrix(v)
  if (!is.numeric(m)) stop(sprintf("%s must be numeric", name), call. = FALSE)
  storage.mode(m) <- "double"
  if (is.null(colnames(m))) colnames(m) <- paste0(if (name == "x") "x" else "c", seq_len(ncol(m)))
  m
}

#' Predictions of contextualized networks
#'
#' @param object a \code{ctx_network}.
#' @param newcontext contexts (default: the training contexts).
#' @param newx features for \code{type = "x"} and \code{"mses"} (default: the training rows).
#' @param type \code{"networks"} (coefficients \code{beta[i, j]} of feature j in the regression of
#'   feature i), \code{"offsets"} (the intercepts), \code{"correlation"} (signed correlations, or
#'   markov: partial correlations), \code{"squared"} (their squares), \code{"precision"} (markov),
#'   \code{"x"} (predicted features), \code{"mses"} (each row's mean squared error) or
#'   \code{"factors"} (Bayesian networks fitted with \code{dag = list(num_factors = k)}: the
#'   k x k factor graphs).
#' @param individual \code{TRUE}: a leading dimension over bootstrap replicates instead of
#'   their mean, which the core computes (\code{"squared"}: the square of the mean correlation,
#'   as ContextualizedML).
#' @param project_to_dag,threshold Bayesian networks: project every graph to a DAG (edges in
#'   decreasing |weight|, each kept unless it closes a directed cycle) before any mean, then set
#'   edges with |weight| <= \code{threshold} to 0.
#' @param ... unused.
#' @return An array: \code{[n, p, p]} for networks (\code{[replicate, n, p, p]} with
#'   \code{individual}), a vector of length n for \code{"mses"}.
#' @export
predict.ctx_network <- function(object, newcontext = NULL, newx = NULL,
                                type = c("networks", "offsets", "correlation", "squared", "precision", "x", "mses",
                                         "factors"),
                                individual = FALSE, project_to_dag = TRUE, threshold = 0, ...) {
  type <- match.arg(type)
  bayesian <- identical(object$type, "bayesian")
  if (bayesian && type %in% c("offsets", "correlation", "squared", "precision")) {
    stop("type = '", type, "' is not available for Bayesian networks (they are DAGs without offsets); use ",
         "'networks', 'x' or 'mses'", call. = FALSE)
  }
  C <- if (is.null(newcontext)) object$context else network_matrix(newcontext, "context")
  if (is.null(C)) stop("this network was loaded from a file without its training data (saved in Python): pass ",
                       "newcontext", call. = FALSE)
  X <- if (is.null(newx)) (if (is.null(newcontext)) object$x else NULL) else network_matrix(newx, "x")
  if (type %in% c("x", "mses") && is.null(X)) stop("newx is needed with newcontext for type = '", type, "'",
                                                   call. = FALSE)
  if (type == "factors" && !(bayesian && isTRUE(object$model$dag$num_factors >= 2))) {
    stop("type = 'factors' needs a Bayesian network fitted with dag = list(num_factors = k), k >= 2", call. = FALSE)
  }
  what <- switch(type, networks = "params", offsets = "params", type)
  out <- core_call(ctxstats_network_predict_R, object$model, C, X, what, isTRUE(individual),
                   bayesian && isTRUE(project_to_dag), as.double(threshold))
  if (what %in% c("params", "factors")) out <- if (type %in% c("networks", "factors")) out$betas else out$mus
  if (type == "factors") return(aperm(out, rev(seq_along(dim(out)))))
  out <- if (length(dim(out)) == 1L) as.vector(out) else aperm(out, rev(seq_along(dim(out))))  # row-major, in order
  p <- object$model$p
  nd <- length(dim(out))
  if (nd >= 2L && dim(out)[nd] == p) {
    dn <- vector("list", nd)
    dn[[nd]] <- object$features
    if (nd >= 3L && dim(out)[nd - 1L] == p) dn[[nd - 1L]] <- object$features
    dimnames(out) <- dn
  }
  out
}

#' Bootstrap inference on the edges of contextualized networks
#'
#' For a network fitted with \code{n_bootstraps >= 2}: per sample and edge, the bootstrap
#' standard deviation, percentile interval and percentile p-value of "the edge is 0", and per
#' edge the bootstrap test of "edge (i, j) does not vary with context" -- all computed by the core
#' (the same numbers as Python's \code{edge_inference}).
#'
#' @param object a \code{ctx_network} fitted with \code{n_bootstraps >= 2}.
#' @param newcontext contexts (default: the training contexts).
#' @param alpha one minus the intervals' level.
#' @param project_to_dag,threshold Bayesian networks: as for \code{\link{predict.ctx_network}}.
#' @return A list: \code{estimate}, \code{se}, \code{lower}, \code{upper}, \code{pvalue}
#'   (arrays \code{[n, p, p]}), \code{het_statistic}, \code{het_pvalue}, \code{sign_flip_share}
#'   (\code{[p, p]}), \code{pvalue_floor} and \code{n_bootstraps}.
#' @export
network_edges <- function(object, newcontext = NULL, alpha = 0.05, project_to_dag = TRUE, threshold = 0) {
  if (!inherits(object, "ctx_network")) stop("object must be a ctx_network", call. = FALSE)
  C <- if (is.null(newcontext)) object$context else network_matrix(newcontext, "context")
  out <- core_call(ctxstats_network_edges_R, object$model, C, as.double(alpha),
                   identical(object$type, "bayesian") && isTRUE(project_to_dag), as.double(threshold))
  for (k in c("estimate", "se", "lower", "upper", "pvalue", "het_statistic", "het_pvalue", "sign_flip_share")) {
    a <- aperm(out[[k]], rev(seq_along(dim(out[[k]]))))
    nd <- length(dim(a))
    dn <- vector("list", nd)
    dn[[nd]] <- object$features
    dn[[nd - 1L]] <- object$features
    dimnames(a) <- dn
    out[[k]] <- a
  }
  out
}

#' @export
print.ctx_network <- function(x, ...) {
  m <- x$model
  cat(sprintf("Contextualized %s network over %d features (%s) with %d context columns\n", x$type, m$p,
              paste(x$features, collapse = ", "), m$m))
  cat(sprintf("encoder %s, solver %s, %d replicate(s)%s\n", m$options$encoder, m$solver,
              nrow(m$replicate_weights), if (isTRUE(m$trained)) "" else ", untrained"))
  invisible(x)
}
