# Subtypes from sample models in R (ctx_subtypes over the core's csrc/inference/subtypes.hpp):
# recovery of latent subgroups, bootstrap stability fields, analytic intervals against
# vcov() over each subtype's rows, personalized regression and networks, and bad input. The
# numbers are held equal to Python's in tests/test_subtypes.py.

subgroup_frame <- function(n = 600, seed = 0) {
  set.seed(seed)
  d <- data.frame(c1 = rnorm(n), c2 = rnorm(n), c3 = rnorm(n), x1 = rnorm(n), x2 = rnorm(n))
  g1 <- d$c1 > 0
  g2 <- d$c2 > 0
  b0 <- 1 - 0.5 * g1 - 2 * g2
  b1 <- 2 - 1 * g1 - 3 * g2
  b2 <- -1 + 3 * g1 + 2 * g2
  d$y <- b0 + b1 * d$x1 + b2 * d$x2 + rnorm(n, sd = 0.3)
  d$truth <- 2 * g1 + g2
  d
}

ari <- function(a, b) {
  tab <- table(a, b)
  comb <- function(x) x * (x - 1) / 2
  index <- sum(comb(tab))
  sa <- sum(comb(rowSums(tab)))
  sb <- sum(comb(colSums(tab)))
  expected <- sa * sb / comb(length(a))
  (index - expected) / ((sa + sb) / 2 - expected)
}

test_that("subtypes of a spline fit recover latent subgroups, with bootstrap stability", {
  d <- subgroup_frame()
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2 + c3, d, encoder = "spline", n_bootstraps = 6, seed = 0)
  s <- ctx_subtypes(fit, k = 4)
  expect_s3_class(s, "ctx_subtypes")
  expect_equal(s$k, 4L)
  expect_equal(length(s$labels), 600L)
  expect_true(all(s$labels %in% 1:4))
  expect_gt(ari(s$labels, d$truth), 0.85)
  expect_length(s$replicate_ari, 6L)
  expect_true(all(s$coassignment >= 0 & s$coassignment <= 1))
  expect_true(all(s$table$lower <= s$table$upper))
  for (j in 1:4) {
    expect_equal(unname(s$means[j, ]), unname(colMeans(sample_coef(fit)[s$labels == j, ])), tolerance = 1e-12)
  }
  expect_output(print(s), "bootstrap stability")
  pdf(NULL)
  on.exit(dev.off())
  expect_invisible(plot(s))
  expect_identical(summary(s), s)
})

test_that("the silhouette picks k and an mlp fit recovers the groups", {
  d <- subgroup_frame(seed = 1)
  fit <- suppressWarnings(ctx_glm(y ~ x1 + x2 | c1 + c2 + c3, d, encoder = "mlp", seed = 0))
  s <- ctx_subtypes(fit)
  expect_equal(names(s$criterion), as.character(2:8))
  expect_equal(s$k, as.integer(names(which.max(s$criterion))))
  expect_gt(ari(s$labels, d$truth), 0.8)
  expect_match(s$intervals, "^none")
})

test_that("without replicates, intervals given the assignment are the fit's average-effect intervals at k = 1", {
  # linear encoder: analytic covariance; spline encoder: Bayesian Vp
  d <- subgroup_frame(n = 300, seed = 2)
  for (case in list(c("linear", "analytic"), c("spline", "Vp"))) {
    fit <- ctx_glm(y ~ x1 + x2 | c1 + c2 + c3, d, encoder = case[1])
    one <- ctx_subtypes(fit, k = 1)
    expect_match(one$intervals, case[2])
    ci <- confint(fit)
    expect_equal(one$table$lower, unname(ci[, 1]), tolerance = 1e-10)
    expect_equal(one$table$upper, unname(ci[, 2]), tolerance = 1e-10)
    sub <- ctx_subtypes(fit, k = 3, params = c("x1", "x2"))
    expect_equal(unique(sub$table$parameter), c("x1", "x2"))
    expect_true(all(sub$table$lower < sub$table$mean))
  }
})

test_that("personalized regression and networks have subtypes", {
  d <- subgroup_frame(n = 300, seed = 3)
  pr <- suppressWarnings(personalized_regression(y ~ x1 + x2 | c1 + c2 + c3, d, seed = 0, n_bootstraps = 3))
  s <- ctx_subtypes(pr, k = 3)
  expect_equal(s$k, 3L)
  expect_length(s$replicate_ari, 3L)
  set.seed(4)
  C <- cbind(c1 = rnorm(300))
  X <- cbind(a = rnorm(300), b = rnorm(300), e = rnorm(300))
  X[, "b"] <- ifelse(C[, 1] > 0, 0.9, -0.9) * X[, "a"] + 0.3 * X[, "b"]
  net <- ctx_markov_network(X, C, n_bootstraps = 3)
  sn <- ctx_subtypes(net, k = 2)
  expect_equal(sn$param_names[1:2], c("a~b", "a~e"))
  expect_length(sn$replicate_ari, 3L)
  expect_gt(ari(sn$labels, C[, 1] > 0), 0.5)
})

test_that("bad arguments are refused with a message naming them", {
  d <- subgroup_frame(n = 100)
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2 + c3, d, encoder = "linear")
  expect_error(ctx_subtypes(fit, k = 0), "k must be at least 1")
  expect_error(ctx_subtypes(fit, k = 2.5), "k must be a whole number")
  expect_error(ctx_subtypes(fit, k = 500), "k must not exceed")
  expect_error(ctx_subtypes(fit, k_max = 1), "k_max")
  expect_error(ctx_subtypes(fit, alpha = 2), "alpha")
  expect_error(ctx_subtypes(fit, params = "nope"), "params must name")
})
