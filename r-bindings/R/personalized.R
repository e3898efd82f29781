# personalized_regression(): low-rank personalized regression with distance matching
# (Lengerich et al. 2019), fitted by the C++ core shared with the Python package
# (csrc/personalized/personalized.hpp; Python: ctxstats.PersonalizedRegression), so the same data,
# options and seed give the same sample models in both languages.
#
# The context part of the formula lists variables: numeric ones enter the learned metric
# through squared differences, factors, characters (and the columns named in `categorical`)
# through mismatch indicators. Categorical columns are passed to the core as codes (the
# position of the value among the fitted levels, from 0; a level unseen in training gets
# -1), of which only equality matters.

# The options of personalized regression, their defaults and bounds: the core's option table
# (ctx_option_schema()), as in the Python package; NULL arguments take its defaults.

# The context variables of the model frame, one column each, with the categorical ones
# as codes; `levels` holds the fitted levels of each categorical column.
personalized_context <- function(frame, categorical_names, levels = NULL) {
  if (!is.null(levels)) {
    missing <- setdiff(names(levels), colnames(frame))
    if (length(missing)) stop(sprintf("newdata lacks the context column '%s'", missing[1L]), call. = FALSE)
  }
  names <- colnames(frame)
  out <- matrix(0, nrow(frame), length(names), dimnames = list(rownames(frame), names))
  flags <- logical(length(names))
  new_levels <- list()
  for (j in seq_along(names)) {
    v <- frame[[j]]
    if (is.matrix(v)) stop(sprintf("context term '%s' has %d columns; give one column per term", names[j], ncol(v)),
                           call. = FALSE)
    cat <- if (is.null(levels)) is.factor(v) || is.character(v) || names[j] %in% categorical_names else
      !is.null(levels[[names[j]]])
    if (cat) {
      flags[j] <- TRUE
      lv <- if (!is.null(levels)) levels[[names[j]]] else if (is.factor(v)) levels(v) else
        sort(unique(as.character(v)), method = "radix")  # code-point order, as the Python package
      new_levels[[names[j]]] <- lv
      out[, j] <- match(as.character(v), lv, nomatch = 0L) - 1
    } else {
      if (!is.numeric(v) && !is.logical(v)) {
        stop(sprintf("context column '%s' is not numeric (%s) but was numeric when the model was fitted",
                     names[j], type_name(v)), call. = FALSE)
      }
      out[, j] <- as.double(v)
    }
  }
  list(C = out, categorical = flags, levels = new_levels)
}

context_frame_columns <- function(tc, mf) {
  vars <- vapply(as.list(attr(tc, "variables"))[-1L], deparse1, "")
  labels <- attr(tc, "term.labels")
  if (!setequal(labels, vars)) {
    stop("the context part of a personalized_regression() formula lists variables separated by '+' ",
         "(no interactions)", call. = FALSE)
  }
  mf[vars]
}

personalized_regression <- function(formula, data, family = NULL, rank = NULL, categorical = NULL,
                                    n_bootstraps = NULL, seed = NULL, threads = NULL, n_neighbors = NULL,
                                    weights = NULL, subset, na.action, ...) {
  cl <- match.call()
  dots <- list(...)
  if (length(dots) && (is.null(names(dots)) || any(names(dots) == ""))) {
    stop("the options in ... must be named (e.g. gamma = 2, max_iter = 500)", call. = FALSE)
  }
  if ("fit_intercept" %in% names(dots)) {
    stop("fit_intercept is set by the formula: remove the intercept with '- 1' or '0 +'", call. = FALSE)
  }
  given <- c(drop_null(list(family = family, rank = rank, n_bootstraps = n_bootstraps, seed = seed,
                            threads = threads, n_neighbors = n_neighbors)), drop_null(dots))
  opts <- resolve_options("personalized", given)
  family <- opts$family
  rank <- opts$rank
  n_bootstraps <- opts$n_bootstraps
  n_neighbors <- opts$n_neighbors
  parts <- split_formula(formula)
  mf <- model_frame_from_call(cl, parts$frame, parent.frame())
  rows <- rownames(mf)
  tx <- terms(parts$exog)
  tc <- delete.response(terms(parts$context))
  fit_intercept <- attr(tx, "intercept") == 1L
  X <- part_matrix(tx, mf)
  check_finite_columns(X, rows)
  cframe <- context_frame_columns(tc, mf)
  if (!is.null(categorical)) {
    if (!is.character(categorical)) stop("categorical must name context columns", call. = FALSE)
    bad <- setdiff(categorical, colnames(cframe))
    if (length(bad)) {
      stop(sprintf("categorical names '%s', which is not a context column; the columns are %s", bad[1L],
                   quoted(colnames(cframe))), call. = FALSE)
    }
  }
  ctx <- personalized_context(cframe, categorical)
  check_finite_columns(ctx$C, rows)
  if (!fit_intercept && ncol(X) == 0L) {
    stop("the model has no parameters: there are no predictors and no intercept", call. = FALSE)
  }
  response_name <- deparse1(parts$exog[[2L]])
  y <- response_vector(model.response(mf), response_name, family, rows)
  if (length(y) < 2L) stop("personalized regression needs at least two rows", call. = FALSE)
  w <- model.weights(mf)
  if (!is.null(w)) {
    if (!is.numeric(w)) stop("weights must be numeric", call. = FALSE)
    w <- as.double(w)
    if (any(!is.finite(w) | w < 0)) stop("weights must be non-negative", call. = FALSE)
    if (!(sum(w) > 0)) stop("weights sum to zero", call. = FALSE)
  }
  opts <- resolve_options("personalized", c(given, list(fit_intercept = fit_intercept,
                                                          categorical = as.integer(ctx$categorical))))
  out <- core_call(ctxstats_personalized_fit_R, ctx$C, X, y, w, opts)
  warn_if_unconverged(out)
  param_names <- c(if (fit_intercept) "Intercept", colnames(X))
  theta <- out$theta
  dimnames(theta) <- list(rows, param_names)
  boot <- NULL
  if (n_bootstraps > 0) {
    # The core refits B multinomial resamples (frequency weights) and checks their modes, as
    # for the Python package's PersonalizedRegression.fit(n_bootstraps = B).
    boot <- core_call(ctxstats_personalized_bootstrap_R, ctx$C, X, y, w, opts, n_bootstraps, param_names,
                      colnames(ctx$C))
    boot$theta <- aperm(boot$theta, c(2L, 1L, 3L))  # n x q x B
    boot$message <- bootstrap_message(boot$converged, boot$messages)
    warn_bootstrap(boot$message)
    if (nzchar(boot$modes_message)) warning(boot$modes_message, call. = FALSE)
  }
  structure(
    list(call = cl, formula = formula, family = family, rank = out$rank, options = opts, n_neighbors = n_neighbors,
         rank_grid = data.frame(rank = as.integer(out$rank_grid), loss = out$rank_loss, se = out$rank_se),
         held_out_loss = out$held_out_loss, smoothing_bias = out$smoothing_bias,
         shrink_target = out$shrink_target, shrinkage = out$shrinkage,
         shrink_grid = data.frame(target = ifelse(out$shrink_linear, "linear", "population"),
                                  strength = out$shrink_grid, loss = out$shrink_loss, stringsAsFactors = FALSE),
         target_map = out$target_map,
         sample_coef = theta, param_names = param_names, context_names = colnames(ctx$C),
         response_name = response_name,
         theta_bar = stats::setNames(out$theta_bar, param_names),
         population_coef = stats::setNames(out$theta_pop, param_names),
         loadings = matrix(out$Q, out$rank, length(param_names),
                           dimnames = list(paste0("z", seq_len(out$rank)), param_names)),
         metric_weights = stats::setNames(out$phi, colnames(ctx$C)), dist_scale = out$dist_scale,
         matching_weights = stats::setNames(out$phi_matching, colnames(ctx$C)),
         latent_coef = `dimnames<-`(out$theta_latent, list(rows, param_names)),
         local_neighbors = out$local_neighbors,
         local_grid = stats::setNames(out$local_loss, as.character(as.integer(out$local_grid))),
         held_out = out$validation, flat_params = out$params, scaling = out$scaling,
         history = out$history, val_history = out$val_history, n_iter = out$n_iter, best_epoch = out$best_epoch,
         converged = out$converged, population_converged = out$population_converged, objective = out$objective,
         message = out$message, bootstrap = boot,
         y = y, x = X, context = ctx$C, categorical = ctx$categorical, levels = ctx$levels, prior_weights = w,
         terms = list(exog = tx, context = tc), xlevels = list(exog = .getXlevels(tx, mf)),
         contrasts = list(exog = attr(X, "contrasts")), na.action = attr(mf, "na.action")),
    class = "personalized_regression")
}

sample_coef.personalized_regression <- function(object, ...) stats::napredict(object$na.action, object$sample_coef)

coef.personalized_regression <- function(object, ...) {
  stats::setNames(column_spread(object$sample_coef)$mean, colnames(object$sample_coef))
}

nobs.personalized_regression <- function(object, ...) length(object$y)

# The latent coordinates z_i (n x K, internal scale).
latent <- function(object) {
  q <- length(object$param_names)
  K <- object$rank
  start <- q + K * q + length(object$context_names)
  matrix(object$flat_params[(start + 1):length(object$flat_params)], ncol = K, byrow = TRUE,
         dimnames = list(rownames(object$sample_coef), paste0("z", seq_len(K))))
}

# The contexts of new data as the fitted codes (categorical levels unseen in training: -1).
personalized_new_context <- function(object, newdata) {
  mf <- model.frame(object$terms$context, newdata, na.action = na.pass)
  cframe <- context_frame_columns(object$terms$context, mf)
  C <- personalized_context(cframe, NULL, levels = object$levels)$C
  bad <- !stats::complete.cases(C)
  if (any(bad)) {
    j <- which(colSums(is.na(C[bad, , drop = FALSE])) > 0)[1L]
    stop(sprintf("context column '%s' contains a missing value at row %s", colnames(C)[j],
                 rownames(C)[which(bad)[1L]]), call. = FALSE)
  }
  C
}

neighbour_theta <- function(object, C, k) {
  core_call(ctxstats_personalized_predict_R, C, object$context, object$sample_coef, unname(object$metric_weights),
            object$dist_scale, as.integer(object$categorical), k, object$options$threads, object$target_map)
}

# Predictions: for the fitted samples their own models; for new data, the weighted average
# of the models of the n_neighbors training samples nearest under the learned metric.
predict.personalized_regression <- function(object, newdata = NULL, type = c("response", "link", "params"),
                                            n_neighbors = NULL, ...) {
  type <- match.arg(type)
  k <- if (is.null(n_neighbors)) object$n_neighbors else n_neighbors  # checked by the core's option table
  if (is.null(newdata)) {
    theta <- object$sample_coef
    X <- object$x
  } else {
    if (!is.data.frame(newdata) && !is.list(newdata)) stop("newdata must be a data frame", call. = FALSE)
    C <- personalized_new_context(object, newdata)
    theta <- neighbour_theta(object, C, k)
    dimnames(theta) <- list(rownames(C), object$param_names)
    if (type == "params") return(theta)
    X <- new_part_matrix(object, "exog", newdata)
  }
  if (type == "params") return(stats::napredict(object$na.action, theta))
  eta <- linear_predictor(theta, X, object$options$fit_intercept)
  names(eta) <- rownames(theta)
  out <- if (type == "link") eta else inverse_link(object$family, eta)
  if (is.null(newdata)) stats::napredict(object$na.action, out) else out
}

fitted.personalized_regression <- function(object, ...) predict(object, type = "response")

residuals.personalized_regression <- function(object, ...) {
  r <- object$y - inverse_link(object$family, linear_predictor(object$sample_coef, object$x,
                                                               object$options$fit_intercept))
  names(r) <- rownames(object$sample_coef)
  stats::naresid(object$na.action, r)
}

# The full log-likelihood of fitted means, computed by the core (inference/fit_statistics.hpp),
# as ctx_glm's logLik and the Python package's llf.
family_loglik <- function(family, y, mu, w) {
  core_call(ctxstats_fit_statistics_R, family, as.double(y), as.double(mu),
            if (is.null(w)) NULL else as.double(w), TRUE, FALSE)$loglik
}

# The log-likelihood of the sample models over all rows. No degrees of freedom are given:
# the n x K latent coordinates are shrunk by the distance matching and are not free
# parameters, so no honest parameter count (hence no AIC) exists.
logLik.personalized_regression <- function(object, ...) {
  mu <- inverse_link(object$family, linear_predictor(object$sample_coef, object$x, object$options$fit_intercept))
  structure(family_loglik(object$family, object$y, mu, object$prior_weights), df = NA_real_,
            nobs = length(object$y), class = "logLik")
}

personalized_llf_population <- function(object) {
  theta <- matrix(object$population_coef, length(object$y), length(object$param_names), byrow = TRUE)
  mu <- inverse_link(object$family, linear_predictor(theta, object$x, object$options$fit_intercept))
  family_loglik(object$family, object$y, mu, object$prior_weights)
}

personalized_llf_held_out <- function(object) {
  h <- object$held_out
  if (!any(h)) return(NULL)
  mu <- inverse_link(object$family, linear_predictor(object$sample_coef, object$x, object$options$fit_intercept))
  family_loglik(object$family, object$y[h], mu[h], if (is.null(object$prior_weights)) NULL else object$prior_weights[h])
}

require_personalized_bootstrap <- function(object) {
  if (is.null(object$bootstrap)) stop("intervals need bootstrap replicates: fit with n_bootstraps > 0", call. = FALSE)
}

# The core's percentile intervals re-centred on the estimate (centred_intervals; as the
# Python package): est + (q_{alpha/2} - median), est + (q_{1-alpha/2} - median).
personalized_intervals <- function(estimate, samples, alpha, bounds = c(-Inf, Inf), bias = NULL) {
  if (nrow(samples) < 2L) {
    stop("intervals need at least two bootstrap replicates: fit with n_bootstraps >= 2", call. = FALSE)
  }
  core_call(ctxstats_centred_intervals_R, as.double(estimate), samples, alpha, bounds[1L], bounds[2L],
            if (is.null(bias)) NULL else as.double(bias))
}

# Bootstrap intervals for the average effects.
confint.personalized_regression <- function(object, parm, level = 0.95, ...) {
  require_personalized_bootstrap(object)
  a <- level_alpha(level) / 2
  ci <- personalized_intervals(coef(object), object$bootstrap$means, 2 * a)
  out <- cbind(ci$lower, ci$upper)
  dimnames(out) <- list(object$param_names, paste(format(100 * c(a, 1 - a), trim = TRUE, digits = 3), "%"))
  if (!missing(parm)) out <- out[parm, , drop = FALSE]
  out
}

vcov.personalized_regression <- function(object, ...) {
  require_personalized_bootstrap(object)
  out <- core_call(ctxstats_replicate_covariance_R, object$bootstrap$means)
  dimnames(out) <- list(object$param_names, object$param_names)
  out
}

# Bootstrap intervals for the metric weights (centred percentile, within [0, 1]).
metric_weights_confint <- function(object, level = 0.95) {
  require_personalized_bootstrap(object)
  alpha <- level_alpha(level)
  ci <- personalized_intervals(object$metric_weights, object$bootstrap$phi, alpha, c(0, 1))
  out <- cbind(ci$lower, ci$upper)
  dimnames(out) <- list(object$context_names, paste(format(100 * c(alpha / 2, 1 - alpha / 2), trim = TRUE,
                                                           digits = 3), "%"))
  out
}

sample_confint.personalized_regression <- function(object, level = 0.95, ...) {
  require_personalized_bootstrap(object)
  alpha <- level_alpha(level)
  # The core's centred limits over the replicates (the third dimension) of every entry.
  th <- object$bootstrap$theta
  # Local GLMs: half-widths combined with the core's smoothing-bias estimate (as Python).
  bias <- if (length(object$smoothing_bias)) as.vector(object$smoothing_bias) else NULL
  ci <- personalized_intervals(as.vector(object$sample_coef), matrix(aperm(th, c(3L, 1L, 2L)), dim(th)[3L]), alpha,
                               bias = bias)
  lo <- matrix(ci$lower, dim(th)[1L], dim(th)[2L])
  hi <- matrix(ci$upper, dim(th)[1L], dim(th)[2L])
  dimnames(lo) <- dimnames(hi) <- dimnames(object$sample_coef)
  list(lower = stats::napredict(object$na.action, lo), upper = stats::napredict(object$na.action, hi))
}

print.personalized_regression <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  cat("Personalized regression (distance matching): ", x$family, " family, rank ", x$rank, "\n", sep = "")
  cat("Call: ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  cat(sprintf("%d observations; %d epochs (kept %d)%s\n", nobs(x), x$n_iter, x$best_epoch,
              if (x$converged) "" else "; early stopping did not trigger"))
  cat("\nAverage effects (mean of the sample coefficients):\n")
  print.default(format(coef(x), digits = digits), print.gap = 2L, quote = FALSE)
  cat("\nContext metric weights:\n")
  print.default(format(x$metric_weights, digits = digits), print.gap = 2L, quote = FALSE)
  invisible(x)
}

# The same tables as the Python package's PersonalizedRegressionResults.summary().
summary.personalized_regression <- function(object, level = 0.95, ...) {
  alpha <- level_alpha(level)
  py_bool <- function(b) if (isTRUE(b)) "True" else "False"
  held <- personalized_llf_held_out(object)
  o <- object$options
  B <- if (is.null(object$bootstrap)) 0L else dim(object$bootstrap$theta)[3L]
  header <- list(
    left = list(c("Dep. Variable", object$response_name), c("Family", object$family),
                c("Rank K", if (nrow(object$rank_grid)) sprintf("%d (chosen)", as.integer(object$rank)) else
                  as.character(object$rank)), c("gamma", fmt_g(o$gamma, 4L)),
                c("Partners/sample", as.character(o$n_partners)), c("No. Observations", as.character(nobs(object))),
                c("Held out", as.character(sum(object$held_out)))),
    right = list(c("Converged", py_bool(object$converged)),
                 c("Epochs", sprintf("%d (kept %d)", object$n_iter, object$best_epoch)),
                 c("Log-Likelihood", fmt_g(logLik(object), 6L)),
                 c("LL population GLM", fmt_g(personalized_llf_population(object), 6L)),
                 c("LL held-out rows", if (is.null(held)) "-" else fmt_g(held, 6L)),
                 c("Bootstraps", as.character(B))))
  spread <- cbind(population = unname(object$population_coef), column_spread(object$sample_coef))
  row.names(spread) <- object$param_names
  lo_name <- sprintf("[%g", alpha / 2)
  hi_name <- sprintf("%g]", 1 - alpha / 2)
  if (B > 0) {
    ci <- confint(object, level = 1 - alpha)
    spread <- cbind(spread[1:2], stats::setNames(data.frame(ci[, 1], ci[, 2]), c(lo_name, hi_name)),
                    spread[-(1:2)])
  }
  metric <- data.frame(weight = unname(object$metric_weights),
                       kind = ifelse(object$categorical, "categorical", "numeric"),
                       row.names = object$context_names, stringsAsFactors = FALSE)
  if (B > 0) {
    ci <- metric_weights_confint(object, 1 - alpha)
    metric[[lo_name]] <- ci[, 1]
    metric[[hi_name]] <- ci[, 2]
  }
  notes <- character(0)
  local <- identical(o$sample_models, "local")
  if (nrow(object$rank_grid)) {
    losses <- paste(sprintf("%d: %s", object$rank_grid$rank, fmt_g(object$rank_grid$loss, 5L)), collapse = ", ")
    notes <- c(notes, sprintf(paste0("Rank K=%d chosen from the data: the smallest rank whose held-out mean loss is ",
                                     "within one standard error of the least (%s)."), as.integer(object$rank), losses))
  }
  if (local) {
    how <- if (length(object$local_grid) == 0L) "set by local_neighbors" else
      paste0("chosen by held-out deviance among ", paste(names(object$local_grid), collapse = ", "))
    notes <- c(notes, sprintf(paste0("Sample models: local GLMs of the %d training samples nearest under the ",
                                     "learned metric (%s); latent_params holds theta_bar + Q' z_i."),
                              as.integer(object$local_neighbors), how))
    what <- if (identical(object$shrink_target, "population")) "the population GLM" else
      "the linear varying-coefficient GLM (chosen on the training rows, then refitted on every row)"
    how <- if (is.infinite(object$shrinkage)) paste(what, "itself") else
      sprintf("local GLMs shrunk towards %s with strength %s (observations' worth)", what,
              sprintf("%g", object$shrinkage))
    notes <- c(notes, sprintf("Shrinkage chosen by held-out deviance among %d candidates (shrink_grid): %s.",
                              nrow(object$shrink_grid), how))
  }
  if (any(object$held_out)) {
    notes <- c(notes, if (local) {
      sprintf(paste0("%d rows (val_split=%s) were held out: their outcomes enter neither the distance matching ",
                     "nor any local GLM."), sum(object$held_out), sprintf("%g", o$val_split))
    } else {
      sprintf(paste0("%d rows (val_split=%s) were held out for early stopping: their models ",
                     "are placed by distance matching alone."), sum(object$held_out), sprintf("%g", o$val_split))
    })
  }
  if (!isTRUE(object$converged)) {
    notes <- c(notes, sprintf("Early stopping did not trigger: %s.", object$message))
  }
  if (!is.null(object$bootstrap$converged)) notes <- c(notes, bootstrap_share_note(object$bootstrap$converged))
  if (!is.null(object$bootstrap)) {
    notes <- c(notes, paste0("Intervals: bootstrap percentile intervals re-centred on the estimate (per-sample ",
                             "intervals also allow for the local GLMs' estimated smoothing and shrinkage bias)."))
    mm <- object$bootstrap$modes_message
    if (nzchar(mm)) notes <- c(notes, paste0("Warning: ", toupper(substr(mm, 1L, 1L)), substring(mm, 2L)))
  }
  if (!isTRUE(object$population_converged)) {
    notes <- c(notes, paste0("The population GLM (the starting point) did not converge; in a binomial fit, ",
                             "complete separation is a common cause."))
  }
  n_active <- sum(object$matching_weights > 0.05)
  if (n_active > object$rank) {
    notes <- c(notes, sprintf(paste0("%d context columns carry more than 5%% of the matching's metric with rank ",
                                     "K=%d; a metric over more than K columns cannot be matched exactly. Consider a ",
                                     "larger rank."), n_active, as.integer(object$rank)))
  }
  structure(list(title = "Personalized Regression Results (distance matching)", header = header,
                 tables = list(list(caption = "Sample parameters: population GLM, average effect and spread over samples",
                                    frame = spread),
                               list(caption = "Context metric weights (shares of D_phi, sum to one)", frame = metric)),
                 notes = notes, width = 78L),
            class = "summary.ctx_glm")
}
