# Contextualized networks in R: the core's regressions against lm() on the interaction design,
# the constant-context identities, shapes, and errors.

network_data <- function(n = 300, seed = 2) {
  set.seed(seed)
  C <- cbind(c1 = rnorm(n), c2 = rnorm(n))
  X <- cbind(a = rnorm(n), b = rnorm(n), d = rnorm(n))
  X[, "b"] <- X[, "b"] + (0.5 + C[, "c1"]) * X[, "a"]
  X[, "d"] <- 2 * X[, "d"] - X[, "b"] + 1
  list(C = C, X = X)
}

test_that("a correlation network's pair regressions are lm() on the interaction design", {
  d <- network_data()
  net <- ctx_correlation_network(d$X, d$C)
  betas <- predict(net, type = "networks")
  mus <- predict(net, type = "offsets")
  expect_equal(dim(betas), c(300L, 3L, 3L))
  df <- data.frame(y = d$X[, "b"], x = d$X[, "a"], d$C)
  b <- coef(lm(y ~ (1 + x) * (c1 + c2), data = df))
  beta_lm <- b[["x"]] + b[["x:c1"]] * df$c1 + b[["x:c2"]] * df$c2
  mu_lm <- b[["(Intercept)"]] + b[["c1"]] * df$c1 + b[["c2"]] * df$c2
  expect_equal(unname(betas[, "b", "a"]), unname(beta_lm), tolerance = 1e-8)
  expect_equal(unname(mus[, "b", "a"]), unname(mu_lm), tolerance = 1e-8)
  expect_true(all(betas[, "a", "a"] == 1))
})

test_that("with a constant context, correlations are cor() and the markov precision is the inverse covariance", {
  d <- network_data(n = 400, seed = 3)
  C <- matrix(1, nrow(d$X), 1)
  net <- suppressWarnings(ctx_correlation_network(d$X, C))
  rho <- predict(net, type = "correlation")
  expect_equal(unname(rho[5, , ]), unname(cor(d$X)), tolerance = 1e-8)
  mk <- suppressWarnings(ctx_markov_network(d$X, C))
  S <- cov(d$X) * (nrow(d$X) - 1) / nrow(d$X)
  expect_equal(unname(predict(mk, type = "precision")[7, , ]), unname(solve(S)), tolerance = 1e-8)
})

test_that("bootstrap replicates, untrained models and mses have the peer's shapes", {
  d <- network_data(n = 200)
  net <- ctx_markov_network(d$X, d$C, n_bootstraps = 4, seed = 5)
  expect_equal(dim(predict(net, type = "networks", individual = TRUE)), c(4L, 200L, 3L, 3L))
  expect_equal(dim(predict(net, type = "offsets")), c(200L, 3L))
  expect_length(predict(net, type = "mses"), 200L)
  expect_equal(dim(predict(net, type = "mses", individual = TRUE)), c(4L, 200L))
  untrained <- ctx_markov_network(d$X, d$C, trained = FALSE)
  expect_true(all(predict(untrained, type = "networks") == 0))
  expect_gt(mean(predict(untrained, type = "mses")), mean(predict(net, type = "mses")))
  expect_output(print(net), "markov network over 3 features")
})

test_that("bad inputs give the core's errors", {
  d <- network_data(n = 50)
  expect_error(ctx_markov_network(d$X[, 1, drop = FALSE], d$C), "at least 2 columns")
  expect_error(ctx_markov_network(d$X, d$C[1:10, ]), "rows but C has")
  expect_error(ctx_markov_network(d$X, d$C, encoder = "spline"), "not available for networks")
  expect_error(ctx_markov_network(d$X, d$C, n_bootstraps = 1), "n_bootstraps")
  net <- ctx_correlation_network(d$X, d$C)
  expect_error(predict(net, type = "precision"), "markov networks")
})

test_that("a Bayesian network recovers a chain whose first edge varies with context, as DAGs", {
  set.seed(4)
  n <- 1500
  C <- cbind(c1 = runif(n, -1, 1))
  X <- matrix(0, n, 3, dimnames = list(NULL, c("a", "b", "d")))
  X[, "a"] <- rnorm(n)
  X[, "b"] <- 1.5 * C[, "c1"] * X[, "a"] + rnorm(n)
  X[, "d"] <- 0.8 * X[, "b"] + rnorm(n)
  bn <- ctx_bayesian_network(X, C)
  W <- predict(bn)
  expect_equal(dim(W), c(n, 3L, 3L))
  expect_equal(dimnames(W)[[3]], c("a", "b", "d"))
  expect_lt(max(abs(W[, "a", "b"] - 1.5 * C[, "c1"])), 0.2)
  expect_lt(max(abs(W[, "b", "d"] - 0.8)), 0.15)
  # Every projected graph is a DAG: no edge in both directions, and no 3-cycle.
  nz <- W != 0
  expect_false(any(nz[, "a", "b"] & nz[, "b", "a"]))
  expect_false(any(nz[, "a", "b"] & nz[, "b", "d"] & nz[, "d", "a"]))
  expect_length(predict(bn, type = "mses"), n)
  expect_equal(dim(predict(bn, type = "x")), c(n, 3L))
  expect_error(predict(bn, type = "precision"), "not available for Bayesian networks")
  expect_error(ctx_bayesian_network(X, C, dag = list(archetype_alpha = -1)), "archetype_alpha")
  expect_error(ctx_markov_network(X, C, dag = list()), "bayesian")
})

test_that("network_edges gives every edge's interval and the heterogeneity test", {
  d <- network_data(n = 400)
  net <- ctx_markov_network(d$X, d$C, n_bootstraps = 20, seed = 2)
  e <- network_edges(net, alpha = 0.1)
  each <- predict(net, type = "networks", individual = TRUE)
  expect_equal(unname(e$lower), unname(apply(each, c(2, 3, 4), quantile, probs = 0.05)), tolerance = 1e-12)
  expect_equal(dim(e$het_pvalue), c(3L, 3L))
  expect_lt(e$het_pvalue["b", "a"], 0.05)   # the edge a - b varies with c1
  expect_error(network_edges(ctx_markov_network(d$X, d$C)), "n_bootstraps")
})
