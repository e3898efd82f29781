# Pointwise Bayesian intervals of spline fits: sample_se, sample_confint and
# coefficient_functions from the Bayesian covariance Vp.

spline_data <- function(n = 800, seed = 4) {
  set.seed(seed)
  d <- data.frame(c = rnorm(n), x1 = rnorm(n), x2 = rnorm(n))
  d$x1 <- d$x1 - mean(d$x1)
  d$x2 <- d$x2 - mean(d$x2)
  d$y <- 0.5 * sin(2 * d$c) + d$x1 * (1 + 0.5 * d$c) + d$x2 * cos(1.5 * d$c) + 0.5 * rnorm(n)
  d
}

test_that("sample_se is mgcv's pointwise standard error from Vp", {
  skip_if_not_installed("mgcv")
  d <- spline_data()
  fit <- ctx_glm(y ~ x1 + x2 | c, d, encoder = "spline", n_knots = 8)
  kn <- fit$spline$knots * fit$scaling$c_scale + fit$scaling$c_mean
  ref <- mgcv::gam(y ~ s(c, bs = "ps", k = 8) + s(c, by = x1, bs = "ps", k = 8) + s(c, by = x2, bs = "ps", k = 8),
                   data = d, method = "REML", knots = list(c = kn))
  nd0 <- data.frame(c = d$c, x1 = 0, x2 = 0)
  X0 <- predict(ref, nd0, type = "lpmatrix")
  se_ref <- sapply(0:2, function(k) {
    nd <- nd0
    if (k == 1) nd$x1 <- 1
    if (k == 2) nd$x2 <- 1
    Xk <- if (k == 0) X0 else predict(ref, nd, type = "lpmatrix") - X0
    sqrt(rowSums((Xk %*% ref$Vp) * Xk))
  })
  se <- sample_se(fit)
  expect_identical(dimnames(se), dimnames(sample_coef(fit)))
  # the same model and REML estimate (to the optimisers' tolerance): the se agree to ~1.5e-4
  expect_lt(max(abs(unname(se) / se_ref - 1)), 1e-3)

  # sample_confint without replicates: theta +- z se, for the fitted rows and for newdata
  ci <- sample_confint(fit, level = 0.9)
  z <- qnorm(0.95)
  expect_equal(ci$lower, sample_coef(fit) - z * se, tolerance = 1e-14)
  expect_equal(ci$upper, sample_coef(fit) + z * se, tolerance = 1e-14)
  nd <- data.frame(c = c(-1, 0, 1.5, NA), x1 = 0, x2 = 0)
  se_new <- sample_se(fit, nd)
  expect_identical(dim(se_new), c(4L, 3L))
  expect_true(all(is.na(se_new[4, ])) && all(is.finite(se_new[1:3, ])))
  ci_new <- sample_confint(fit, newdata = nd)
  theta_new <- predict(fit, nd, type = "params")
  expect_equal(ci_new$upper - theta_new, theta_new - ci_new$lower, tolerance = 1e-12)
  expect_equal((ci_new$upper - theta_new)[1:3, ], qnorm(0.975) * se_new[1:3, ], tolerance = 1e-12)
  expect_identical(sample_confint(fit, cov_type = "Vp"), sample_confint(fit))

  # predict(se.fit = TRUE): mgcv's predict.gam standard errors from Vp, at new rows
  nd <- data.frame(c = seq(-1.5, 1.5, length.out = 25), x1 = rnorm(25), x2 = rnorm(25))
  pr <- predict(fit, nd, se.fit = TRUE)
  pr_ref <- predict(ref, nd, se.fit = TRUE)
  expect_lt(max(abs(unname(pr$se.fit) / pr_ref$se.fit - 1)), 1e-3)
  expect_lt(max(abs(unname(pr$fit) - pr_ref$fit) / pr_ref$se.fit), 5e-3)
  ci <- predict(fit, nd, interval = "confidence", level = 0.9)
  expect_equal(unname(ci[, "upr"] - ci[, "fit"]), unname(qt(0.95, pr$df) * pr$se.fit), tolerance = 1e-12)
  expect_true(all(predict(fit, nd, interval = "prediction")[, "upr"] > ci[, "upr"]))
})

test_that("coefficient_functions are the centred smooths with Vp bands", {
  d <- spline_data(n = 400, seed = 6)
  fit <- ctx_glm(y ~ x1 + x2 | c, d, encoder = "spline", n_knots = 8)
  cf <- coefficient_functions(fit, n_points = 25, level = 0.8)
  expect_identical(names(cf), c("coefficient", "context", "value", "estimate", "se", "lower", "upper"))
  expect_identical(nrow(cf), 3L * 25L)
  expect_identical(unique(cf$coefficient), c("Intercept", "x1", "x2"))
  expect_identical(unique(cf$context), "c")
  expect_equal(cf$upper - cf$estimate, qnorm(0.9) * cf$se, tolerance = 1e-12)
  # with one context feature, theta_k(c) = constant + f_k(c): the curve differs from the
  # coefficient by a constant along the grid
  grid <- data.frame(c = cf$value[cf$coefficient == "x1"], x1 = 0, x2 = 0)
  theta <- predict(fit, grid, type = "params")
  for (k in c("Intercept", "x1", "x2")) {
    diff <- theta[, k] - cf$estimate[cf$coefficient == k]
    expect_lt(diff(range(diff)), 1e-10 * max(1, abs(theta[, k])))
  }
  expect_equal(range(grid$c), range(d$c))
  expect_error(coefficient_functions(fit, n_points = 1), "n_points must be at least 2")
  expect_error(coefficient_functions(fit, level = 1.5), "level must be a number in \\(0, 1\\)")
})

test_that("Vp intervals need a spline fit by the exact solver", {
  d <- spline_data(n = 200, seed = 7)
  lin <- suppressWarnings(ctx_glm(y ~ x1 | c, d, encoder = "linear", alpha = 0.1))
  expect_error(sample_se(lin), "sample_se needs a fit with encoder = \"spline\"")
  expect_error(coefficient_functions(lin), "not from a model with encoder = \"spline\"")
  expect_error(sample_confint(lin), "this fit has no standard errors")
  expect_error(sample_confint(lin, cov_type = "Vp"), "cov_type = \"Vp\" needs a fit with encoder = \"spline\"")
})

test_that("k_check computes mgcv's k-index and warns about a basis that is too small", {
  set.seed(1)
  d <- data.frame(c = runif(1200, -3, 3), x = rnorm(1200))
  d$y <- sin(4 * d$c) + d$x * cos(3 * d$c) + rnorm(1200, sd = 0.3)
  small <- ctx_glm(y ~ x | c, d, encoder = "spline", n_knots = 6)
  expect_warning(kc <- k_check(small), "larger n_knots")
  expect_identical(names(kc), c("coefficient", "context", "k'", "edf", "k-index", "p-value"))
  expect_true(all(kc$`k-index` < 0.8))
  big <- ctx_glm(y ~ x | c, d, encoder = "spline", n_knots = 30)
  kc <- expect_silent(k_check(big))
  r <- residuals(big, type = "deviance")[order(d$c)]
  expect_equal(kc$`k-index`[1], mean(diff(r)^2) / 2 / mean(r^2), tolerance = 1e-12)
  expect_true(all(kc$`p-value` > 0.05))
  expect_error(k_check(ctx_glm(y ~ x | c, d, encoder = "linear")), "encoder = \"spline\"")
})

test_that("best_linear_projection is the least-squares projection, with the Python package's numbers", {
  d <- spline_data()
  lin <- ctx_glm(y ~ x1 + x2 | c, d, encoder = "linear")
  blp <- best_linear_projection(lin)
  expect_equal(blp$coef, unname(interaction_vector(lin)), tolerance = 1e-12)
  expect_equal(blp[["std err"]], unname(sqrt(diag(interaction_vcov(lin)))), tolerance = 1e-12)
  fit <- ctx_glm(y ~ x1 + x2 | c, d, encoder = "spline", n_knots = 8)
  sp <- best_linear_projection(fit, level = 0.9)
  ls <- t(coef(lm(sample_coef(fit) ~ d$c)))
  expect_equal(sp$coef, as.vector(t(ls)), tolerance = 1e-8, ignore_attr = TRUE)
  expect_identical(rownames(sp), c("Intercept", "c", "x1", "x1:c", "x2", "x2:c"))
  expect_true(all(sp[["std err"]] > 0) && all(sp[["[0.05"]] < sp[["0.95]"]]))
})
