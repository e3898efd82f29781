# personalized_regression() and the spline encoder.

personalized_data <- function(n = 150, seed = 3) {
  d <- make_vcm(n, seed = seed)
  d$g <- sample(c("a", "b", "c"), n, TRUE)
  d$y <- d$y + 0.8 * (d$g == "b")
  d
}

test_that("personalized_regression fits, predicts and is determined by its seed", {
  d <- personalized_data()
  a <- short_fit(personalized_regression(y ~ x1 + x2 | c1 + c2 + g, d, seed = 2, max_iter = 60,
                                             warmup = 20, threads = 1))
  b <- short_fit(personalized_regression(y ~ x1 + x2 | c1 + c2 + g, d, seed = 2, max_iter = 60,
                                             warmup = 20, threads = 2))
  expect_identical(sample_coef(a), sample_coef(b))
  expect_identical(dim(sample_coef(a)), c(150L, 3L))
  expect_identical(colnames(sample_coef(a)), c("Intercept", "x1", "x2"))
  expect_identical(a$categorical, c(FALSE, FALSE, TRUE))
  expect_equal(sum(a$metric_weights), 1, tolerance = 1e-12)
  # latent_coef = theta_bar + latent %*% loadings; sample_coef are the local GLMs (sample_models = "local")
  expect_equal(unname(a$latent_coef),
               unname(matrix(a$theta_bar, 150, 3, byrow = TRUE) + latent(a) %*% a$loadings), tolerance = 1e-10)
  expect_identical(a$local_neighbors, as.integer(names(a$local_grid))[which.min(a$local_grid)])
  l <- short_fit(personalized_regression(y ~ x1 + x2 | c1 + c2 + g, d, seed = 2, max_iter = 60,
                                         warmup = 20, threads = 1, sample_models = "latent", rank = a$rank))
  expect_identical(sample_coef(l), a$latent_coef)
  expect_equal(unname(fitted(a)), unname(d$y - residuals(a)), tolerance = 1e-12)
  # a new sample with a training sample's exact context gets (nearly) that sample's model
  nd <- d[c(5, 9), ]
  expect_equal(unname(predict(a, nd, type = "params")), unname(sample_coef(a)[c(5, 9), ]), tolerance = 1e-6)
  expect_length(predict(a, nd), 2L)
  expect_output(print(a), "Personalized regression")
  expect_match(format(summary(a)), "Context metric weights", all = FALSE)
  expect_error(confint(a), "n_bootstraps > 0")
})

test_that("personalized_regression bootstrap intervals and bad input", {
  d <- personalized_data(100)
  p <- short_fit(personalized_regression(y ~ x1 | c1 + g, d, seed = 1, max_iter = 30, warmup = 10, n_bootstraps = 3))
  ci <- confint(p)
  expect_identical(dim(ci), c(2L, 2L))
  expect_true(all(ci[, 1] <= ci[, 2]))
  expect_identical(dim(sample_confint(p)$lower), c(100L, 2L))
  expect_identical(rownames(metric_weights_confint(p)), c("c1", "g"))
  expect_error(personalized_regression(y ~ x1 | c1, d, rank = -1), "rank must be at least 0")
  expect_error(personalized_regression(y ~ x1 | c1 * c2, d), "no interactions")
  expect_error(personalized_regression(y ~ x1 | c1, d, categorical = "c9"), "categorical names 'c9'")
  expect_error(personalized_regression(y ~ x1 | c1, d, gamma = -1), "gamma must be >= 0")
  expect_error(personalized_regression(y ~ x1 | c1, d, width = 3), "unknown option\\(s\\): width")
  expect_error(personalized_regression(y ~ x1 | c1, d, family = "binomial"), "must lie in \\[0, 1\\]")
})

test_that("the spline encoder is mgcv's P-spline varying-coefficient model", {
  skip_if_not_installed("mgcv")
  set.seed(4)
  n <- 800
  d <- data.frame(c = rnorm(n), x1 = rnorm(n), x2 = rnorm(n))
  d$x1 <- d$x1 - mean(d$x1)
  d$x2 <- d$x2 - mean(d$x2)
  d$y <- 0.5 * sin(2 * d$c) + d$x1 * (1 + 0.5 * d$c) + d$x2 * cos(1.5 * d$c) + 0.5 * rnorm(n)
  fit <- ctx_glm(y ~ x1 + x2 | c, d, encoder = "spline", n_knots = 8)
  expect_identical(fit$solver, "exact")
  kn <- fit$spline$knots * fit$scaling$c_scale + fit$scaling$c_mean
  ref <- mgcv::gam(y ~ s(c, bs = "ps", k = 8) + s(c, by = x1, bs = "ps", k = 8) + s(c, by = x2, bs = "ps", k = 8),
                   data = d, method = "REML", knots = list(c = kn))
  nd0 <- data.frame(c = d$c, x1 = 0, x2 = 0)
  theta_ref <- sapply(0:2, function(k) {
    nd <- nd0
    if (k == 1) nd$x1 <- 1
    if (k == 2) nd$x2 <- 1
    predict(ref, nd) - if (k == 0) 0 else predict(ref, nd0)
  })
  se_ref <- sapply(0:2, function(k) {
    nd <- nd0
    if (k == 1) nd$x1 <- 1
    if (k == 2) nd$x2 <- 1
    X0 <- predict(ref, nd0, type = "lpmatrix")
    Xk <- if (k == 0) X0 else predict(ref, nd, type = "lpmatrix") - X0
    sqrt(rowSums((Xk %*% ref$Vp) * Xk))
  })
  expect_lt(max(abs(unname(sample_coef(fit)) - unname(theta_ref)) / se_ref), 5e-3)
  # the total edf (mgcv's sum(edf): both bases have 24 columns) is logLik's df, as logLik.gam's
  edf <- fit$spline$smoothing$edf_total
  expect_equal(edf, sum(ref$edf), tolerance = 1e-3)
  expect_equal(attr(logLik(fit), "df"), edf + 1)
  expect_equal(AIC(fit), -2 * as.numeric(logLik(fit)) + 2 * (edf + 1))
  # the per-smooth edf sum to the smooth part of the total; the summary prints them with tests
  st <- ctxstats:::smooth_terms(fit)
  expect_equal(nrow(st), 3L)
  expect_equal(sum(st$edf), edf - sum(fit$spline$smoothing$edf[, 1]))
  expect_true(all(st$p_value < 1e-6))
  # heterogeneity_test() of a spline fit is the summary's table: the core's smooth tests
  het <- heterogeneity_test(fit)
  expect_identical(attr(het, "method"), "smooth")
  expect_equal(het$pvalue, ctxstats:::spline_heterogeneity(fit)$p_value)
  expect_error(heterogeneity_test(fit, by = "context"), "not available for method")
  txt <- format(summary(fit))
  expect_true(any(grepl("^Smooth terms: effective degrees of freedom and tests \\(F\\)", txt)))
  expect_true(any(grepl(sprintf("Total edf: +%.2f", edf), txt)))
  # predictions for new contexts use the fitted basis, continuing linearly beyond the data
  nd <- data.frame(c = c(-5, 0, 5), x1 = 0, x2 = 0)
  expect_true(all(is.finite(predict(fit, nd, type = "params"))))
})

test_that("spline options are checked and reach the core", {
  d <- make_vcm(200, seed = 9)
  a <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "spline", n_knots = 6, smoothing = 1)
  expect_identical(a$spline$smoothing$method, "fixed")
  b <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "spline", n_knots = 6, interactions = list(c("c1", "c2")),
               interaction_knots = 4)
  expect_identical(b$spline$terms$kind, c("constant", "smooth", "smooth", "tensor"))
  b1 <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "spline", n_knots = 6, interactions = list(c(1, 2)),
                interaction_knots = 4)
  expect_identical(sample_coef(b1), sample_coef(b))
  expect_error(ctx_glm(y ~ x1 | c1 + c2, d, encoder = "spline", n_knots = 3), "n_knots must be at least 4")
  expect_error(ctx_glm(y ~ x1 | c1 + c2, d, encoder = "spline", knot_spacing = "log"), "knot_spacing must be one of")
  expect_error(ctx_glm(y ~ x1 | c1 + c2, d, encoder = "spline", interactions = list(c("c1", "c1"))),
               "two different context columns")
  expect_error(ctx_glm(y ~ x1 | c1 + c2, d, encoder = "spline", interactions = list(c("c1", "zz"))),
               "interactions names 'zz'")
  expect_error(ctx_glm(y ~ x1 | c1 + c2, d, encoder = "spline", smoothing = -1),
               "every value of smoothing must be > 0, not -1", fixed = TRUE)
  expect_error(ctx_glm(y ~ x1 | c1 + c2, d, encoder = "spline", archetypes = 2), "archetypes are not available")
  expect_error(ctx_glm(y ~ x1 | c1, d, n_knots = 6), "n_knots does not apply to encoder 'mlp'", fixed = TRUE)
  expect_error(ctx_glm(y ~ x1 | c1, d, encoder = "spline", width = 5), "width does not apply to encoder 'spline'",
               fixed = TRUE)
  # the smoothing parameters by GCV, as in the Python package (method = "GCV", or mgcv's "GCV.Cp")
  g <- ctx_glm(y ~ x1 | c1 + c2, d, encoder = "spline", n_knots = 6, method = "GCV.Cp")
  expect_identical(g$options$method, "GCV")
  expect_identical(g$spline$smoothing$method, "GCV")
  d$k <- 1
  expect_error(ctx_glm(y ~ x1 | c1 + k, d, encoder = "spline"), "context column 'k' is constant")
  short_fit(expect_warning(ctx_glm(y ~ x1 | c1, d, encoder = "spline", solver = "lbfgs", max_iter = 5),
                           "without its smoothing penalties"))
})
