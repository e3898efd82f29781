# scale = "context" (heteroskedastic fits; R/location_scale.R over csrc/glm/location_scale.hpp):
# against mgcv's gaulss with parametric terms, the tests of a varying sigma, prediction
# intervals with sigma(c), bad input named by the core, and the model file.

hetero_data <- function(n = 600, seed = 18) {
  set.seed(seed)
  c1 <- rnorm(n); c2 <- runif(n, -1, 1); x <- rnorm(n)
  y <- 1 + 0.5 * c1 + x * (0.8 - 0.6 * c2) + exp(-0.3 + 0.5 * c1 - 0.4 * c2) * rnorm(n)
  data.frame(c1 = c1, c2 = c2, x = x, y = y)
}

test_that("the linear encoder's fit is mgcv's gaulss with the same parametric terms", {
  d <- hetero_data()
  fit <- ctx_glm(y ~ x | c1 + c2, data = d, encoder = "linear", scale = "context")
  g <- mgcv::gam(list(y ~ (c1 + c2) * x, ~ c1 + c2), family = mgcv::gaulss(b = 0), data = d, method = "REML")
  co <- coef(g)
  # the log SD's coefficients, read back from the per-sample SDs (exactly linear in c)
  scale_coef <- coef(lm(log(sample_scale(fit)) ~ c1 + c2, data = d))
  expect_equal(unname(scale_coef), unname(co[c("(Intercept).1", "c1.1", "c2.1")]), tolerance = 1e-5)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(g)), tolerance = 1e-8)
  cbar <- c(1, mean(d$c1), mean(d$c2))
  V <- vcov(g)
  avg <- c(sum(cbar * co[c("(Intercept)", "c1", "c2")]), sum(cbar * co[c("x", "c1:x", "c2:x")]))
  se <- c(sqrt(drop(t(cbar) %*% V[c("(Intercept)", "c1", "c2"), c("(Intercept)", "c1", "c2")] %*% cbar)),
          sqrt(drop(t(cbar) %*% V[c("x", "c1:x", "c2:x"), c("x", "c1:x", "c2:x")] %*% cbar)))
  expect_equal(unname(coef(fit)), avg, tolerance = 1e-6)
  expect_equal(unname(sqrt(diag(vcov(fit)))), se, tolerance = 1e-4)
  expect_equal(attr(logLik(fit), "df"), 9)
})

test_that("scale_test finds a varying sigma and the LR statistic is against lm's fit", {
  d <- hetero_data(800, 2)
  fit <- ctx_glm(y ~ x | c1 + c2, data = d, encoder = "linear", scale = "context")
  t <- scale_test(fit)
  ols <- lm(y ~ (c1 + c2) * x, data = d)
  expect_equal(t["likelihood ratio", "statistic"], 2 * (as.numeric(logLik(fit)) - as.numeric(logLik(ols))),
               tolerance = 1e-8)
  expect_equal(t["likelihood ratio", "df"], 2)
  expect_lt(t["likelihood ratio", "pvalue"], 1e-10)
  s <- format(summary(fit))
  expect_true(any(grepl("sigma does not vary with context", s)))
})

test_that("prediction intervals use each row's sigma(c)", {
  d <- hetero_data(3000, 4)
  new <- hetero_data(3000, 5)
  fit <- ctx_glm(y ~ x | c1 + c2, data = d, encoder = "linear", scale = "context")
  p <- predict(fit, newdata = new, interval = "prediction", se.fit = TRUE)
  cover <- mean(new$y >= p$fit[, "lwr"] & new$y <= p$fit[, "upr"])
  expect_gt(cover, 0.93)
  expect_lt(cover, 0.97)
  sig <- sample_scale(fit, newdata = new)
  expect_equal(unname(p$fit[, "upr"] - p$fit[, "fit"]), unname(qnorm(0.975) * sqrt(p$se.fit^2 + sig^2)),
               tolerance = 1e-10)
})

test_that("bad input names the argument", {
  d <- hetero_data(100, 7)
  expect_error(ctx_glm(y ~ x | c1 + c2, data = transform(d, y = as.numeric(y > 1)), family = "binomial",
                       encoder = "linear", scale = "context"), "scale")
  expect_error(ctx_glm(y ~ x | c1 + c2, data = d, encoder = "mlp", scale = "context"), "encoder")
  expect_error(ctx_glm(y ~ x | c1 + c2, data = d, encoder = "linear", scale = "context", n_bootstraps = 5),
               "n_bootstraps")
  expect_error(ctx_glm(y ~ x | c1 + c2, data = d, encoder = "linear", scale = "context", cov_type = "HC1"),
               "cov_type")
  expect_error(sample_scale(ctx_glm(y ~ x | c1 + c2, data = d, encoder = "linear")), "constant scale")
  f <- ctx_glm(y ~ x | c1 + c2, data = d, encoder = "linear", scale = "context")
  for (g in list(heterogeneity_test, context_effects, sample_confint, best_linear_projection))
    expect_error(g(f), "not available for a scale = \"context\" fit yet")
})

test_that("a heteroskedastic fit survives the model file", {
  d <- hetero_data(300, 8)
  for (enc in c("linear", "spline")) {
    fit <- ctx_glm(y ~ x | c1 + c2, data = d, encoder = enc, scale = "context")
    path <- tempfile(fileext = ".ctxm")
    ctx_save(fit, path)
    back <- ctx_load(path)
    expect_identical(unname(sample_scale(back)), unname(sample_scale(fit)))
    expect_identical(vcov(back), vcov(fit))
    expect_identical(scale_test(back), scale_test(fit))
  }
})
