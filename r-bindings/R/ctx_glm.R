# ctx_glm(): fit a contextualized GLM from a formula `y ~ predictors | context`. The fit
# itself runs in the C++ core shared with the Python package (src/glue.cpp), so the same
# data, options and seed give the same numbers in both languages.

# Every option left NULL takes the default of the core's option table (ctx_option_schema()),
# shared with the Python package.

# The family as a name ("poisson") or an R family object (poisson(), quasipoisson()): the core's
# family name, and whether it is a quasi-likelihood family (quasipoisson and quasibinomial are
# the poisson and binomial fits with dispersion = "pearson"). Only the canonical links exist.
family_option <- function(family) {
  if (is.null(family)) return(list(family = NULL, quasi = FALSE, name = NULL))
  if (is.function(family)) family <- family()
  if (inherits(family, "family") && grepl("^Negative Binomial", family$family))
    stop("family = negative.binomial(theta) fixes theta, which is not available yet; use family = \"negbin\" ",
         "(theta estimated by maximum likelihood, as MASS::glm.nb)", call. = FALSE)
  if (is.character(family) && length(family) == 1L && family %in% c("negbin", "negative.binomial", "nb2"))
    family <- "negativebinomial"
  if (inherits(family, "family")) {
    canonical <- c(gaussian = "identity", binomial = "logit", poisson = "log", quasibinomial = "logit",
                   quasipoisson = "log")
    if (!family$family %in% names(canonical))
      stop(sprintf("family %s is not available; use gaussian, binomial, poisson, quasibinomial or quasipoisson",
                   family$family), call. = FALSE)
    if (family$link != canonical[[family$family]])
      stop(sprintf("family %s with link '%s': only the canonical link '%s' is available", family$family,
                   family$link, canonical[[family$family]]), call. = FALSE)
    family <- family$family
  }
  if (is.character(family) && length(family) == 1L && family %in% c("quasipoisson", "quasibinomial"))
    return(list(family = sub("^quasi", "", family), quasi = TRUE, name = family))
  list(family = family, quasi = FALSE, name = family)
}
ctx_glm <- function(formula, data, family = NULL, encoder = NULL, solver = NULL,
                    n_bootstraps = NULL, seed = NULL, threads = NULL, weights = NULL, subset, na.action,
                    cov_type = NULL, groups = NULL, start_params = NULL, ...) {
  cl <- match.call()
  dots <- list(...)
  fam <- family_option(family)
  if (fam$quasi) {
    if (!is.null(dots$dispersion) && !identical(dots$dispersion, "pearson"))
      stop(sprintf("family %s estimates the dispersion; dispersion = \"%s\" contradicts it", fam$name,
                   format(dots$dispersion)), call. = FALSE)
    dots$dispersion <- "pearson"
  }
  family <- fam$family
  model <- resolve_options("glm", list(family = family, encoder = encoder), solver_known = FALSE)
  family <- model$family
  encoder <- model$encoder
  parts <- split_formula(formula)
  mf <- model_frame_from_call(cl, parts$frame, parent.frame())
  d <- design_from_frame(parts, mf, family)
  opts <- core_options(list(family = family, encoder = encoder, fit_intercept = d$fit_intercept, solver = solver,
                            seed = seed, threads = threads, n_bootstraps = n_bootstraps),
                       dots, d$context, ncol(d$x) + d$fit_intercept)
  n_bootstraps <- opts$n_bootstraps
  init <- start_params
  if (!is.null(init)) {
    if (!is.numeric(init)) stop("start_params must be a numeric vector of encoder weights", call. = FALSE)
    init <- as.double(init)
  }

  scale_context <- identical(opts$scale, "context")  # location_scale.R
  if (scale_context) check_location_scale_cov_type(cov_type)
  requested <- cov_type
  cov_type <- if (scale_context) NULL else resolve_cov_type(cov_type, opts, n_bootstraps)
  # Clusters: the analytic sandwich (linear encoder) and/or the cluster bootstrap, whose
  # replicates resample whole clusters (cov_type "cluster" on other encoders, or "bootstrap"
  # with groups), as the Python package's fit.
  clustered <- identical(requested, "cluster") || (identical(cov_type, "bootstrap") && !is.null(d$groups))
  if (clustered) {
    if (is.null(d$groups)) stop("cov_type = \"cluster\" needs groups: a column (groups = firm) or one label per row",
                                call. = FALSE)
    if (length(unique(d$groups)) < 2L) stop("cov_type = \"cluster\" needs at least 2 distinct groups", call. = FALSE)
  } else if (!is.null(d$groups)) {
    stop("groups are used by cov_type = \"cluster\" (or \"bootstrap\" with replicates: the cluster bootstrap) only",
         call. = FALSE)
  }
  boot_groups <- if (clustered) d$groups
  out <- core_call(ctxstats_fit_R, d$context, d$x, d$y, d$weights, opts, init)
  warn_if_unconverged(out)
  basis <- if (!is.null(out$spline)) out$spline else out$location_scale
  if (!is.null(basis) && encoder == "spline") {
    # The basis placed from the data travels with the options (predictions and refits).
    opts$knots <- basis$knots
    opts$centres <- basis$centres
  }
  boot <- NULL
  if (n_bootstraps > 0) {
    # Replicate fits on multinomial resamples of the rows, each from the fit's weights (the
    # core's bootstrap_fit, as the Python package's fit(n_bootstraps = B)).
    boot <- core_call(ctxstats_bootstrap_R, d$context, d$x, d$y, d$weights, opts, out$weights, n_bootstraps,
                      boot_groups)
    warn_bootstrap(boot$message)
    out$model <- core_call(ctxstats_model_with_bootstrap_R, out$model, boot)  # the core model carries them
  }
  param_names <- c(if (d$fit_intercept) "Intercept", colnames(d$x))
  theta <- core_call(ctxstats_predict_theta_R, opts, out$scaling, out$weights, d$context)
  dimnames(theta) <- list(d$row_names, param_names)

  fit <- structure(
    list(call = cl, formula = formula, family = family, encoder = encoder, options = opts,
         sample_coef = theta, param_names = param_names, context_names = colnames(d$context),
         response_name = d$response_name,
         encoder_weights = out$weights, scaling = out$scaling, solver = out$solver,
         n_iter = out$n_iter, converged = out$converged, objective = out$objective,
         history = out$history, val_history = out$val_history, message = out$message,
         rank_deficient = out$rank_deficient, spline = out$spline, early_stopping = out$early_stopping,
         bootstrap = boot, cov_type = cov_type, cache = new.env(parent = emptyenv()),
         y = d$y, x = d$x, context = d$context, prior_weights = d$weights,
         groups = if (identical(cov_type, "cluster")) d$groups,
         terms = d$terms, xlevels = d$xlevels, contrasts = d$contrasts, na.action = d$na.action,
         model = out$model, location_scale = out$location_scale, theta = out$theta),
    class = "ctx_glm")
  if (is_negbin(fit)) {  # glm.nb's fields
    fit$SE.theta <- theta_se(fit)
    fit$twologlik <- 2 * as.numeric(logLik(fit))
  }
  warn_if_unidentifiable(identifiability(fit))
  fit
}
