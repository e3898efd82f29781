# ctx_glm(): fit a contextualized GLM from a formula `y ~ predictors | context`. The fit
# itself runs in the C++ core shared with the Python package (src/glue.cpp), so the same
# data, options and seed give the same numbers in both languages.

ctx_glm <- function(formula, data, family = "gaussian", encoder = "mlp", solver = NULL,
                    n_bootstraps = 0, seed = 0, threads = NULL, weights = NULL, subset, na.action,
                    ...) {
  cl <- match.call()
  family <- check_choice(family, FAMILIES, "family")
  encoder <- check_choice(encoder, ENCODERS, "encoder")
  n_bootstraps <- check_int(n_bootstraps, "n_bootstraps", 0)
  if (n_bootstraps > 0) {
    # Hook: bootstrap inference (replicate fits on resampled weights) is being added to the
    # C++ core; it will be called from here and its intervals added to summary().
    stop("n_bootstraps > 0 is not yet available in ctxstats: bootstrap intervals are still being ",
         "added to the C++ core; fit with n_bootstraps = 0 for now", call. = FALSE)
  }
  parts <- split_formula(formula)
  mf <- model_frame_from_call(cl, parts$frame, parent.frame())
  d <- design_from_frame(parts, mf, family)
  opts <- core_options(family, encoder, d$fit_intercept, solver, seed, threads, list(...))
  init <- opts$start_params
  opts$start_params <- NULL
  if (!is.null(init)) {
    if (!is.numeric(init)) stop("start_params must be a numeric vector of encoder weights", call. = FALSE)
    init <- as.double(init)
  }

  out <- core_call(ctxstats_fit_R, d$context, d$x, d$y, d$weights, opts, init)
  param_names <- c(if (d$fit_intercept) "Intercept", colnames(d$x))
  theta <- core_call(ctxstats_predict_theta_R, opts, out$scaling, out$weights, d$context)
  dimnames(theta) <- list(d$row_names, param_names)

  structure(
    list(call = cl, formula = formula, family = family, encoder = encoder, options = opts,
         sample_coef = theta, param_names = param_names, context_names = colnames(d$context),
         response_name = d$response_name,
         encoder_weights = out$weights, scaling = out$scaling, solver = out$solver,
         n_iter = out$n_iter, converged = out$converged, objective = out$objective,
         history = out$history, val_history = out$val_history, message = out$message,
         rank_deficient = out$rank_deficient,
         y = d$y, x = d$x, context = d$context, prior_weights = d$weights,
         terms = d$terms, xlevels = d$xlevels, contrasts = d$contrasts, na.action = d$na.action),
    class = "ctx_glm")
}
