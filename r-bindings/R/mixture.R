# ctx_mixture(): a mixture of contextualized regressions,
#   y ~ sum_k pi_k(c) N(x . theta_k(c), sigma_k^2),  theta_k(c) = B_k [1, c],  pi(c) = softmax(V [1, c]),
# flexmix's flexmix(y ~ x * c, k = K, concomitant = FLXPmultinom(~ c)); with family = "poisson"
# each component is a Poisson regression with log link, log E y = x . theta_k(c)
# (flexmix's model = FLXMRglm(family = "poisson")). The EM fit, its starts,
# the canonical order of the components (ascending mean fitted response) and the predictions run
# in the C++ core (csrc/glm/mixture.hpp) shared with the Python package's ContextualizedMixture:
# the same data and seed give the same numbers in both languages.

mixture_param_names <- function(x_names, c_names) {
  out <- character(0)
  for (a in c("(Intercept)", x_names)) for (j in c("(Intercept)", c_names)) {
    out <- c(out, if (a == "(Intercept)") j else if (j == "(Intercept)") a else paste0(a, ":", j))
  }
  out
}

mixture_int <- function(value, name, low) {
  if (!is.numeric(value) || length(value) != 1L || is.na(value) || value != round(value))
    stop(sprintf("%s must be a whole number", name), call. = FALSE)
  if (value < low) stop(sprintf("%s must be at least %d, not %s", name, low, format(value)), call. = FALSE)
  as.integer(value)
}

ctx_mixture <- function(formula, data, k = 2, n_starts = 10, seed = 0, max_iter = 1000, tol = 1e-10,
                        min_share = 0.05, threads = 0, weights = NULL, subset, na.action, start_posterior = NULL,
                        k_range = c(1, 4), family = "gaussian", encoder = "linear", n_bootstraps = 0) {
  cl <- match.call()
  if (is.function(family)) family <- family()
  if (inherits(family, "family")) {
    canonical <- c(gaussian = "identity", poisson = "log")[family$family]
    if (!is.na(canonical) && family$link != canonical)
      stop(sprintf("family = %s(link = \"%s\") is not available for mixtures; use the canonical link",
                   family$family, family$link), call. = FALSE)
    family <- family$family
  }
  if (!(is.character(family) && length(family) == 1L && family %in% c("gaussian", "poisson")))
    stop(sprintf(paste("family = \"%s\" is not available for mixtures of contextualized regressions;",
                       "use family = \"gaussian\" or \"poisson\" (a mixture of logistic regressions of 0/1",
                       "responses is not identifiable from one response per row)"), format(family)), call. = FALSE)
  if (!identical(encoder, "linear"))
    stop(sprintf(paste("encoder = \"%s\" is not available for mixtures of contextualized regressions;",
                       "use encoder = \"linear\""), format(encoder)), call. = FALSE)
  parts <- split_formula(formula)
  mf <- model_frame_from_call(cl, parts$frame, parent.frame())
  d <- design_from_frame(parts, mf, family)
  if (!d$fit_intercept)
    stop("a mixture of contextualized regressions needs the intercept; remove '- 1' / '+ 0'", call. = FALSE)
  control <- list(family = family, encoder = encoder, k = 1L, n_starts = mixture_int(n_starts, "n_starts", 0L),
                  max_iter = mixture_int(max_iter, "max_iter", 1L), tol = as.double(tol),
                  min_share = as.double(min_share),
                  seed = as.double(mixture_int(seed, "seed", 0L)), threads = mixture_int(threads, "threads", 0L))
  X <- d$x
  storage.mode(X) <- "double"
  C <- d$context
  storage.mode(C) <- "double"
  bic_table <- NULL
  if (identical(k, "bic")) {
    if (!is.null(start_posterior)) stop("start_posterior needs a fixed k, not \"bic\"", call. = FALSE)
    ks <- c(mixture_int(k_range[1L], "k_range", 1L), mixture_int(k_range[2L], "k_range", 1L))
    sel <- core_call(ctxstats_mixture_select_R, C, X, as.double(d$y), d$weights, control, ks)
    out <- sel$fits[[sel$chosen]]
    bic_table <- data.frame(k = vapply(sel$fits, function(f) f$k, 0L),
                            logLik = vapply(sel$fits, function(f) f$loglik, 0),
                            df = vapply(sel$fits, function(f) f$df, 0),
                            AIC = vapply(sel$fits, function(f) f$aic, 0),
                            BIC = vapply(sel$fits, function(f) f$bic, 0))
  } else {
    control$k <- mixture_int(k, "k", 1L)
    if (!is.null(start_posterior)) {
      start_posterior <- as.matrix(start_posterior)
      storage.mode(start_posterior) <- "double"
    }
    out <- core_call(ctxstats_mixture_fit_R, C, X, as.double(d$y), d$weights, control, start_posterior)
  }
  if (nzchar(out$message)) warning(out$message, call. = FALSE)
  n_bootstraps <- mixture_int(n_bootstraps, "n_bootstraps", 0L)
  if (n_bootstraps == 1L) stop("n_bootstraps must be 0 (none) or at least 2", call. = FALSE)
  K <- out$k
  comps <- paste0("Comp.", seq_len(K))
  x_names <- colnames(X)
  c_names <- colnames(C)
  q <- length(x_names) + 1L
  m1 <- length(c_names) + 1L
  coef <- matrix(0, q * m1, K, dimnames = list(mixture_param_names(x_names, c_names), comps))
  for (kk in seq_len(K)) coef[, kk] <- as.vector(t(out$coef[kk, , ]))
  gate <- t(out$gate_coef)
  dimnames(gate) <- list(c("(Intercept)", c_names), comps)
  posterior <- out$posterior
  dimnames(posterior) <- list(d$row_names, comps)
  prior <- out$prior
  dimnames(prior) <- list(d$row_names, comps)
  sample_coef <- lapply(seq_len(K), function(kk) {
    th <- out$theta[kk, , , drop = TRUE]
    th <- matrix(th, ncol = q, dimnames = list(d$row_names, c("(Intercept)", x_names)))
    th
  })
  names(sample_coef) <- comps
  sigma <- if (length(out$sigma)) setNames(out$sigma, comps) else NULL
  boot <- NULL
  se <- NULL
  if (n_bootstraps > 0L) {
    control$k <- K
    boot <- core_call(ctxstats_mixture_bootstrap_R, C, X, as.double(d$y), d$weights, control, out$posterior,
                      n_bootstraps, 0.05)
    if (nzchar(boot$message)) warning(boot$message, call. = FALSE)
    se <- matrix(boot$coef_summary$se, q * m1, K, dimnames = dimnames(coef))
    boot$n_bootstraps <- n_bootstraps
  }
  structure(list(call = cl, formula = formula, family = family, k = K, coefficients = coef, sigma = sigma, gate = gate,
                 posterior = posterior, prior = prior, cluster = max.col(posterior, ties.method = "first"),
                 sample_coef = sample_coef, size = setNames(out$size, comps), loglik = out$loglik, df = out$df,
                 se = se, bootstrap = boot,
                 nobs = out$nobs, aic = out$aic, bic = out$bic, converged = out$converged, n_iter = out$n_iter,
                 start_loglik = out$start_loglik, bic_table = bic_table, core = out, terms = d$terms,
                 xlevels = d$xlevels, contrasts = d$contrasts, x = X, context = C, y = d$y),
            class = "ctx_mixture")
}

coef.ctx_mixture <- function(object, ...) object$coefficients

mixture_family <- function(object) if (is.null(object$family)) "gaussian" else object$family

# Bootstrap percentile intervals of the coefficients (ctx_mixture(..., n_bootstraps = B)): one
# row per coefficient and component, as confint of a glm names them ("Comp.1:x1").
confint.ctx_mixture <- function(object, parm, level = 0.95, ...) {
  b <- object$bootstrap
  if (is.null(b)) stop("intervals need the bootstrap: refit with n_bootstraps = B (B >= 200 for 95% intervals)",
                       call. = FALSE)
  reps <- b$coef[stats::complete.cases(b$coef), , drop = FALSE]
  # rounded so that level = 0.95 gives the alpha 0.05 Python passes, to the bit
  s <- percentile_summary(reps, round(1 - level, 12))
  names <- as.vector(outer(rownames(object$coefficients), colnames(object$coefficients),
                           function(a, k) paste0(k, ":", a)))
  pct <- paste(format(100 * c((1 - level) / 2, 1 - (1 - level) / 2), trim = TRUE, scientific = FALSE), "%")
  out <- matrix(c(s$lower, s$upper), ncol = 2, dimnames = list(names, pct))
  if (!missing(parm)) out <- out[parm, , drop = FALSE]
  out
}

logLik.ctx_mixture <- function(object, ...) {
  structure(object$loglik, df = object$df, nobs = object$nobs, class = "logLik")
}

nobs.ctx_mixture <- function(object, ...) object$nobs

sample_coef.ctx_mixture <- function(object, ...) object$sample_coef

# type: "response" (the mixture mean), "components" (each component's mean), "prior" (the
# mixing weights pi_k(c)), "posterior" (needs the response in newdata).
predict.ctx_mixture <- function(object, newdata = NULL, type = c("response", "components", "prior", "posterior"),
                                ...) {
  type <- match.arg(type)
  y <- NULL
  if (is.null(newdata)) {
    X <- object$x
    C <- object$context
    if (type == "posterior") y <- as.double(object$y)
  } else {
    X <- new_part_matrix(object, "exog", newdata)
    C <- new_part_matrix(object, "context", newdata)
    if (type == "posterior") {
      y <- eval(object$formula[[2L]], newdata, environment(object$formula))
      y <- as.double(y)
    }
  }
  storage.mode(X) <- "double"
  storage.mode(C) <- "double"
  p <- core_call(ctxstats_mixture_predict_R, mixture_family(object), object$core$scaling, object$core$weights,
                 object$core$gate,
                 object$core$sigma, X, C, y)
  comps <- colnames(object$posterior)
  switch(type, response = p$mean,
         components = `colnames<-`(p$means, comps),
         prior = `colnames<-`(p$prior, comps),
         posterior = `colnames<-`(p$posterior, comps))
}

print.ctx_mixture <- function(x, ...) {
  cat(sprintf("Mixture of %d contextualized regressions (%s, linear encoder), fitted by EM\n", x$k,
              mixture_family(x)))
  cat(sprintf("log Lik. %.4f (df = %g)   AIC: %.4f   BIC: %.4f   converged: %s after %d iterations\n\n", x$loglik,
              x$df, x$aic, x$bic, x$converged, x$n_iter))
  print(if (is.null(x$sigma)) rbind(size = x$size) else rbind(size = x$size, sigma = x$sigma))
  invisible(x)
}

summary.ctx_mixture <- function(object, ...) {
  print(object)
  cat("\nCoefficients theta_k(c) = B_k [1, c]:\n")
  print(object$coefficients)
  if (!is.null(object$se)) {
    b <- object$bootstrap
    cat(sprintf("\nBootstrap standard errors (%d replicates; %g lost a component, %g unconverged, %g relabelled):\n",
                b$n_bootstraps, b$failed, b$unconverged, b$relabelled))
    print(object$se)
  }
  cat("\nMixing weights: multinomial logit on the context (Comp.1 the reference):\n")
  print(object$gate)
  if (!is.null(object$bic_table)) {
    cat("\nNumber of components chosen by BIC:\n")
    print(object$bic_table, row.names = FALSE)
  }
  cat("\nComponents are ordered by their mean fitted response (ascending).\n")
  invisible(object)
}
