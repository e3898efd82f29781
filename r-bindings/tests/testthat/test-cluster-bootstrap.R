# The cluster bootstrap: cov_type = "cluster" on encoders without an analytic covariance (or
# "bootstrap" with groups) resamples whole clusters, as the Python package's fit.

clustered_data <- function(n = 600, G = 30, seed = 4) {
  d <- make_vcm(n, "gaussian", seed = seed)
  set.seed(seed + 1)
  g <- sample.int(G, n, replace = TRUE)
  a <- rnorm(G)
  b <- rnorm(G)
  d$y <- d$y + a[g] + b[g] * d$x1
  d$site <- sprintf("site%02d", g)
  d
}

test_that("the cluster bootstrap resamples whole clusters and tracks the cluster sandwich", {
  d <- clustered_data(n = 1200, G = 40, seed = 8)
  sandwich <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear", cov_type = "cluster", groups = site)
  boot <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear", n_bootstraps = 300, seed = 1,
                  cov_type = "bootstrap", groups = site)
  rows <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear", n_bootstraps = 300, seed = 1,
                  cov_type = "bootstrap")
  expect_equal(boot$bootstrap$clusters, 40)
  expect_equal(rows$bootstrap$clusters, 0)
  ratio <- sqrt(diag(vcov(boot))) / sqrt(diag(vcov(sandwich)))
  expect_true(all(ratio > 0.75 & ratio < 1.3))
  row_ratio <- sqrt(diag(vcov(rows))) / sqrt(diag(vcov(sandwich)))
  expect_true(all(row_ratio[1:2] < 0.6))  # the intercept and x1, which the shocks move
})

test_that("cov_type = 'cluster' on a neural encoder is the cluster bootstrap, with clear errors", {
  d <- clustered_data(n = 300, G = 15)
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "ngam", width = 4, n_bootstraps = 4, seed = 2,
                 cov_type = "cluster", groups = site)
  expect_identical(fit$cov_type, "bootstrap")
  expect_equal(fit$bootstrap$clusters, 15)
  expect_true(any(grepl("resampling 15 clusters", capture.output(print(summary(fit))))))
  expect_error(ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "ngam", cov_type = "cluster", groups = site),
               "cluster bootstrap")
  expect_error(ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "ngam", groups = site), "groups are used by")
})
