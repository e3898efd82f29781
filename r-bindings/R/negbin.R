# The negative binomial family (family = "negbin" or "negativebinomial"): NB2 with a log link,
# Var = mu + mu^2 / theta, theta estimated by maximum likelihood with the coefficients, as
# MASS::glm.nb; linear encoder only (the core refuses the others). The core fits it and
# computes its statistics (csrc/glm/negbin.hpp, csrc/inference/negbin.hpp); here they are named
# as glm.nb names them: fit$theta, fit$SE.theta, fit$twologlik, and anova() of nested fits is
# anova.negbin's likelihood-ratio test.

is_negbin <- function(object) identical(object$family, "negativebinomial")

# The family whose link a family shares (prediction intervals): the negative binomial's is the log.
link_family <- function(family) if (identical(family, "negativebinomial")) "poisson" else family

# glm.nb's SE.theta: 1 / sqrt(-d2 loglik / d theta2) at the fitted means (the core's).
theta_se <- function(object) {
  if (!is_negbin(object)) stop("theta belongs to family \"negbin\"", call. = FALSE)
  if (!is.null(object$SE.theta)) return(object$SE.theta)
  linear_covariance(object, "nonrobust")$theta_se
}

# anova.negbin of nested negative binomial fits, smallest first: each fit's theta, residual df
# and 2 x log-likelihood, and the likelihood-ratio statistic 2 (loglik_i - loglik_(i-1)) with
# its chi-square p-value (the thetas differ between the fits, so the deviances do not compare).
anova_negbin <- function(fits) {
  df <- vapply(fits, df.residual, numeric(1))
  ll2 <- vapply(fits, function(f) 2 * as.numeric(logLik(f)), numeric(1))
  theta <- vapply(fits, function(f) f$theta, numeric(1))
  k <- length(fits)
  ddf <- c(NA_real_, -diff(df))
  lr <- c(NA_real_, diff(ll2))
  if (any(ddf[-1] <= 0)) stop("the fits must be ordered from the smallest model (most residual df) to the largest",
                              call. = FALSE)
  p <- stats::pchisq(lr, ddf, lower.tail = FALSE)
  table <- data.frame(theta = theta, "Resid. df" = df, "2 x log-lik." = ll2, df = ddf, "LR stat." = lr,
                      "Pr(Chi)" = p, check.names = FALSE)
  formulas <- vapply(fits, function(f) paste(deparse(f$formula), collapse = " "), character(1))
  heading <- c("Likelihood ratio tests of Negative Binomial Models\n",
               paste0("Model ", format(seq_len(k)), ": ", formulas, collapse = "\n"))
  structure(table, heading = heading, class = c("anova", "data.frame"))
}
