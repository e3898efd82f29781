# Mixtures of contextualized regressions in R (ctx_mixture over the core's csrc/glm/mixture.hpp):
# the log-likelihood against R's own dnorm evaluation, flexmix's frozen optimum on the same data
# (tests/results/flexmix_mixture.R), BIC's choice of k, predictions, warnings and bad input.
# The numbers are held equal to Python's in tests/test_r_mixture.py.

mixture_frame <- function(n = 500, seed = 1, k = 2) {
  set.seed(seed)
  d <- data.frame(c1 = rnorm(n), c2 = rnorm(n), x1 = rnorm(n), x2 = rnorm(n))
  z <- if (k == 2) runif(n) < plogis(1.5 * d$c1 - 0.5 * d$c2) else rep(FALSE, n)
  d$y <- ifelse(z, -1 + d$x1 * (-1 + 0.6 * d$c1) + d$x2 * (0.5 + 0.5 * d$c2),
                1 + d$x1 * (1 + 0.8 * d$c2) - 0.5 * d$x2) + 0.4 * rnorm(n)
  d
}

test_that("the reported log-likelihood is the mixture's, and AIC/BIC follow from logLik", {
  d <- mixture_frame()
  f <- ctx_mixture(y ~ x1 + x2 | c1 + c2, d, k = 2, seed = 0)
  expect_true(f$converged)
  B <- cbind(1, d$c1, d$c2)
  X <- cbind(1, d$x1, d$x2)
  eta <- B %*% f$gate
  logpi <- eta - log(rowSums(exp(eta)))
  dens <- sapply(1:2, function(k) {
    theta <- B %*% t(matrix(coef(f)[, k], 3, 3, byrow = TRUE))
    dnorm(d$y, rowSums(X * theta), f$sigma[k], log = TRUE)
  })
  expect_equal(as.numeric(logLik(f)), sum(log(rowSums(exp(logpi + dens)))), tolerance = 1e-10)
  expect_equal(attr(logLik(f), "df"), 23)
  expect_equal(BIC(f), -2 * f$loglik + 23 * log(500), tolerance = 1e-12)
  expect_equal(AIC(f), f$aic, tolerance = 1e-12)
  expect_equal(unname(rowSums(f$posterior)), rep(1, 500), tolerance = 1e-12)
  expect_equal(predict(f, type = "posterior"), f$posterior, tolerance = 1e-8, ignore_attr = TRUE)
  expect_equal(predict(f, type = "prior"), f$prior, tolerance = 1e-12, ignore_attr = TRUE)
  comp <- predict(f, newdata = d[1:5, ], type = "components")
  expect_equal(unname(comp[, 1]), unname(rowSums(cbind(1, d$x1, d$x2)[1:5, ] * sample_coef(f)[[1]][1:5, ])),
               tolerance = 1e-10)
  expect_output(summary(f), "Mixing weights")
})

test_that("a poisson mixture is the poisson mixture likelihood and reaches flexmix's optimum", {
  path <- file.path("..", "..", "..", "tests", "results")
  skip_if_not(file.exists(file.path(path, "flexmix_poisson_patent_data.csv")), "needs the repository's tests/results")
  d <- read.csv(file.path(path, "flexmix_poisson_patent_data.csv"))
  ref <- read.csv(file.path(path, "flexmix_poisson_results.csv"), strip.white = TRUE)
  ref <- ref[ref$case == "patent", ]
  f <- ctx_mixture(y ~ x | c, d, k = 2, family = poisson(), seed = 0, n_starts = 20)
  expect_null(f$sigma)
  B <- cbind(1, d$c)
  X <- cbind(1, d$x)
  eta <- B %*% f$gate
  logpi <- eta - log(rowSums(exp(eta)))
  dens <- sapply(1:2, function(k) {
    theta <- B %*% t(matrix(coef(f)[, k], 2, 2, byrow = TRUE))
    dpois(d$y, exp(rowSums(X * theta)), log = TRUE)
  })
  expect_equal(as.numeric(logLik(f)), sum(log(rowSums(exp(logpi + dens)))), tolerance = 1e-10)
  expect_equal(attr(logLik(f), "df"), 10)
  expect_equal(f$loglik, ref$estimate[ref$term == "loglik"], tolerance = 1e-8)
  flex <- ref$estimate[match(paste0("comp2:coef.", c("(Intercept)", "c", "x", "x:c")), ref$term)]
  expect_equal(unname(coef(f)[, 2]), flex, tolerance = 1e-4)
  expect_equal(unname(predict(f)), unname(rowSums(f$prior * exp(sapply(1:2, function(k) rowSums(X * sample_coef(f)[[k]]))))),
               tolerance = 1e-10)
  expect_output(print(f), "poisson, linear encoder")
  expect_error(ctx_mixture(y ~ x | c, d, family = binomial()), "not identifiable")
  expect_error(ctx_mixture(y ~ x | c, d, family = poisson(link = "identity")), "canonical link")
})

test_that("the fit reaches flexmix's optimum on the frozen data", {
  path <- file.path("..", "..", "..", "tests", "results")
  skip_if_not(file.exists(file.path(path, "flexmix_mixture_data.csv")), "needs the repository's tests/results")
  d <- read.csv(file.path(path, "flexmix_mixture_data.csv"))
  ref <- read.csv(file.path(path, "flexmix_mixture_results.csv"), strip.white = TRUE)
  ll <- ref$estimate[ref$term == "loglik"]
  f <- ctx_mixture(y ~ x1 + x2 | c1 + c2, d, k = 2, seed = 0)
  expect_true(f$loglik - ll >= 0 && f$loglik - ll < 0.1)
  flex <- ref$estimate[match(paste0("comp1:coef.", rownames(coef(f))), ref$term)]
  expect_equal(unname(coef(f)[, 1]), flex, tolerance = 2e-3)
})

test_that("k = \"bic\" chooses the number of components", {
  f2 <- ctx_mixture(y ~ x1 + x2 | c1 + c2, mixture_frame(600, 4), k = "bic", n_starts = 4, k_range = c(1, 3))
  f1 <- ctx_mixture(y ~ x1 + x2 | c1 + c2, mixture_frame(600, 4, k = 1), k = "bic", n_starts = 4,
                    k_range = c(1, 3))
  expect_equal(f2$k, 2L)
  expect_equal(f1$k, 1L)
  expect_equal(f2$bic, min(f2$bic_table$BIC))
})

test_that("the iteration cap warns and bad input is refused by name", {
  d <- mixture_frame(200, 5)
  expect_warning(ctx_mixture(y ~ x1 + x2 | c1 + c2, d, max_iter = 2, n_starts = 2), "max_iter=2")
  expect_error(ctx_mixture(y ~ x1 + x2 | c1 + c2, d, family = "binomial"), "family = \"binomial\"")
  expect_error(ctx_mixture(y ~ x1 + x2 | c1 + c2, d, encoder = "mlp"), "encoder = \"mlp\"")
  expect_error(ctx_mixture(y ~ x1 + x2 | c1 + c2, d, k = 0), "k must be at least 1")
  expect_error(ctx_mixture(y ~ x1 + x2 | c1 + c2, d, tol = -1), "tol")
  expect_error(ctx_mixture(y ~ x1 + x2 - 1 | c1 + c2, d), "intercept")
  expect_error(ctx_mixture(y ~ x1 + x2 | c1 + c2, d, k = 15), "parameters")
})

test_that("the bootstrap matches labels to the fit and gives intervals around it", {
  d <- mixture_frame()
  f <- ctx_mixture(y ~ x1 + x2 | c1 + c2, d, k = 2, seed = 0, n_bootstraps = 40)
  expect_equal(dim(f$se), dim(coef(f)))
  expect_true(all(f$se > 0))
  expect_equal(f$bootstrap$failed, 0)
  ci <- confint(f)
  expect_equal(nrow(ci), length(coef(f)))
  est <- as.vector(coef(f))
  expect_true(all(ci[, 1] < est & est < ci[, 2]))
  # replicate means near the fit: no replicate kept the other component's labels
  expect_lt(max(abs(colMeans(f$bootstrap$coef) - est) / f$bootstrap$coef_summary$se), 1)
  expect_output(summary(f), "Bootstrap standard errors")
  expect_error(ctx_mixture(y ~ x1 + x2 | c1 + c2, d, k = 2, n_bootstraps = 1), "at least 2")
})
