# S3 methods of a fitted ctx_glm: parameters, predictions and fit statistics, computed as in
# the Python package's ContextualizedGLMResults.

sample_coef <- function(object, ...) UseMethod("sample_coef")

# Each sample's intercept and coefficients (n x (1 + p)); rows dropped by na.exclude come
# back as NA rows.
sample_coef.ctx_glm <- function(object, ...) stats::napredict(object$na.action, object$sample_coef)

# The average effects: sample coefficients averaged over the fitted samples.
coef.ctx_glm <- function(object, ...) stats::setNames(column_spread(object$sample_coef)$mean, colnames(object$sample_coef))

nobs.ctx_glm <- function(object, ...) length(object$y)

inverse_link <- function(family, eta) {
  switch(family, gaussian = eta, binomial = stats::plogis(eta), poisson = exp(eta))
}

linear_predictor <- function(theta, X, intercept) {
  if (intercept) theta[, 1L] + rowSums(X * theta[, -1L, drop = FALSE]) else rowSums(X * theta)
}

# Per-sample parameters for a context matrix; rows with a missing value give NA.
theta_for <- function(object, C) {
  ok <- stats::complete.cases(C)
  theta <- matrix(NA_real_, nrow(C), length(object$param_names),
                  dimnames = list(rownames(C), object$param_names))
  if (any(ok)) {
    theta[ok, ] <- if (is.null(object$model)) {
      core_call(ctxstats_predict_theta_R, object$options, object$scaling, object$encoder_weights,
                C[ok, , drop = FALSE])
    } else {
      core_call(ctxstats_model_predict_R, core_model(object), object$model, C[ok, , drop = FALSE])
    }
  }
  theta
}

predict.ctx_glm <- function(object, newdata = NULL, type = c("response", "link", "params"), ...) {
  type <- match.arg(type)
  if (is.null(newdata)) {
    theta <- object$sample_coef
    if (type == "params") return(stats::napredict(object$na.action, theta))
    eta <- linear_predictor(theta, object$x, object$options$fit_intercept)
    names(eta) <- rownames(theta)
    out <- if (type == "link") eta else inverse_link(object$family, eta)
    return(stats::napredict(object$na.action, out))
  }
  if (!is.data.frame(newdata) && !is.list(newdata)) stop("newdata must be a data frame", call. = FALSE)
  theta <- theta_for(object, new_part_matrix(object, "context", newdata))
  if (type == "params") return(theta)
  X <- new_part_matrix(object, "exog", newdata)
  eta <- linear_predictor(theta, X, object$options$fit_intercept)
  names(eta) <- rownames(theta)
  if (type == "link") eta else inverse_link(object$family, eta)
}

# The fitted means of the fitted rows (without na.exclude padding).
fitted_mean <- function(object) {
  inverse_link(object$family, linear_predictor(object$sample_coef, object$x, object$options$fit_intercept))
}

fitted.ctx_glm <- function(object, ...) predict(object, type = "response")

# Residuals. "response" (the default, as the Python package's resid): y - fitted mean;
# "pearson": (y - mu) sqrt(w / V(mu)); "deviance": signed square roots of the deviance terms.
residuals.ctx_glm <- function(object, type = c("response", "pearson", "deviance"), ...) {
  type <- match.arg(type)
  y <- object$y
  mu <- fitted_mean(object)
  w <- if (is.null(object$prior_weights)) rep(1, length(y)) else object$prior_weights
  r <- switch(type,
    response = y - mu,
    pearson = (y - mu) * sqrt(w) / sqrt(switch(object$family, gaussian = 1, binomial = mu * (1 - mu), poisson = mu)),
    deviance = {
      dev <- switch(object$family,
        gaussian = w * (y - mu)^2,
        binomial = 2 * w * (ifelse(y > 0, y * log(y / mu), 0) + ifelse(y < 1, (1 - y) * log((1 - y) / (1 - mu)), 0)),
        poisson = 2 * w * (ifelse(y > 0, y * log(y / mu), 0) - (y - mu)))
      sign(y - mu) * sqrt(pmax(dev, 0))
    })
  names(r) <- rownames(object$sample_coef)
  stats::naresid(object$na.action, r)
}

# The full log-likelihood, as the Python package's llf: gaussian with the ML variance RSS/n;
# df counts the encoder weights (plus the variance for gaussian), as its aic and bic do; for a
# spline fit by the exact solver it is the total edf (plus the variance), as mgcv's logLik.gam
# at fixed smoothing parameters and Python's df_model.
logLik.ctx_glm <- function(object, ...) {
  y <- object$y
  mu <- fitted_mean(object)
  n <- length(y)
  ll <- family_loglik(object$family, y, mu, object$prior_weights)  # personalized.R
  df <- if (!is.null(object$spline$smoothing)) object$spline$smoothing$edf_total else length(object$encoder_weights)
  structure(ll, df = df + (object$family == "gaussian"), nobs = n,
            class = "logLik")
}

print.ctx_glm <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  cat("Contextualized GLM: ", x$family, " family, ", x$encoder, " encoder, solver ", x$solver, "\n", sep = "")
  cat("Call: ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  cat("Context: ", paste(x$context_names, collapse = ", "), "\n", sep = "")
  cat(sprintf("%d observations; %s after %d iteration%s\n", nobs(x),
              if (x$converged) "converged" else "NOT converged", x$n_iter, if (x$n_iter == 1) "" else "s"))
  cat("\nAverage effects (mean of the sample coefficients):\n")
  print.default(format(coef(x), digits = digits), print.gap = 2L, quote = FALSE)
  invisible(x)
}
