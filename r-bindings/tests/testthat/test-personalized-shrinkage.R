# personalized_regression(): the local GLMs' shrinkage towards the population or the linear
# varying-coefficient GLM, chosen by held-out loss in the core (as in Python).

test_that("a linear context falls back to the linear varying-coefficient fit, and predict keeps its slope", {
  set.seed(7)
  n <- 800
  d <- data.frame(c1 = rnorm(n), c2 = rnorm(n), c3 = rnorm(n), x = rnorm(n))
  d$y <- 1 + d$c1 + (0.5 - 0.5 * d$c1) * d$x + rnorm(n)
  p <- personalized_regression(y ~ x | c1 + c2 + c3, d, rank = 1, seed = 0, threads = 1)
  expect_identical(names(p$shrink_grid), c("target", "strength", "loss"))
  expect_identical(p$shrink_grid$target, c("population", "population", rep("linear", 7)))
  expect_true(is.infinite(p$shrink_grid$strength[2]) && is.infinite(p$shrink_grid$strength[9]))
  chosen <- p$shrink_grid$target == p$shrink_target & p$shrink_grid$strength == p$shrinkage
  expect_identical(sum(chosen), 1L)
  expect_identical(p$held_out_loss, p$shrink_grid$loss[chosen])
  expect_identical(p$shrink_target, "linear")
  expect_identical(dim(p$target_map), c(4L, 4L))  # constant, c1, c2, c3 x (column, code, Intercept, x)
  nd <- data.frame(c1 = c(-2, 2), c2 = 0, c3 = 0, x = 0)
  th <- predict(p, nd, type = "params")
  expect_gt(th[2, 1] - th[1, 1], 2.5)
  expect_match(format(summary(p)), "Shrinkage chosen by held-out deviance", all = FALSE)
})

test_that("latent sample models have no shrinkage", {
  d <- data.frame(c1 = rnorm(120), x = rnorm(120))
  d$y <- d$x + rnorm(120)
  l <- suppressWarnings(personalized_regression(y ~ x | c1, d, rank = 1, seed = 0, sample_models = "latent",
                                                max_iter = 20, warmup = 5))
  expect_identical(l$shrink_target, "")
  expect_identical(l$shrinkage, 0)
  expect_identical(nrow(l$shrink_grid), 0L)
  expect_identical(nrow(l$target_map), 0L)
})
