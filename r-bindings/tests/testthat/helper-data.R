# A varying-coefficient data set with known per-sample parameters (as tests/conftest.py's
# make_vcm in the Python package): beta_j(c) linear in the context, a sample intercept.
make_vcm <- function(n = 400, family = "gaussian", seed = 1) {
  set.seed(seed)
  d <- data.frame(x1 = rnorm(n), x2 = rnorm(n), c1 = rnorm(n), c2 = rnorm(n))
  b1 <- 0.5 + 0.4 * d$c1 - 0.2 * d$c2
  b2 <- -0.3 + 0.3 * d$c2
  mu <- 0.3 * d$c1 - 0.2
  eta <- mu + d$x1 * b1 + d$x2 * b2
  d$y <- switch(family,
    gaussian = eta + 0.3 * rnorm(n),
    binomial = as.numeric(runif(n) < plogis(eta)),
    poisson = rpois(n, exp(0.5 * eta)))
  d
}

# Per-sample parameters implied by lm()/glm() coefficients of y ~ (x1 + x2) * (c1 + c2).
theta_from_interactions <- function(b, d, xs = c("x1", "x2"), cs = c("c1", "c2")) {
  coef_of <- function(x) {
    lead <- if (is.null(x)) "(Intercept)" else x
    v <- rep(b[[lead]], nrow(d))
    for (c in cs) v <- v + b[[if (is.null(x)) c else paste0(x, ":", c)]] * d[[c]]
    v
  }
  out <- cbind(coef_of(NULL), sapply(xs, coef_of))
  colnames(out) <- c("Intercept", xs)
  out
}

# Runs expr, muffling only the warnings of fits that stop at their iteration cap (and the
# bootstrap's summary of such replicates): for tests that run few iterations on purpose
# (determinism, parity, shapes). Every other warning still reaches the test.
short_fit <- function(expr) {
  withCallingHandlers(expr, warning = function(w) {
    if (grepl("reached max_iter=|bootstrap replicates did not converge", conditionMessage(w))) {
      invokeRestart("muffleWarning")
    }
  })
}
