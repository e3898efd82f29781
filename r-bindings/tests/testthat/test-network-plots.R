# plot.ctx_network: the plotted data (not pixels) -- the heat map's values are the sample's
# network as predict() gives it, the edge curve is the core's grid and edges with the bootstrap
# band of network_edges() -- and bad arguments stop with a message naming them. Also Bayesian
# networks with factor graphs (dag = list(num_factors = k)).

plot_data <- function(n = 300, seed = 4) {
  set.seed(seed)
  C <- cbind(c1 = runif(n, -1, 1), c2 = rbinom(n, 1, 0.3))
  X <- cbind(a = rnorm(n), b = rnorm(n), d = rnorm(n))
  X[, "b"] <- X[, "b"] + (0.5 + C[, "c1"]) * X[, "a"]
  list(C = C, X = X)
}

with_null_device <- function(expr) {
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expr
}

test_that("the edge curve is the core's edges on the documented grid, with the bootstrap band", {
  d <- plot_data()
  net <- ctx_markov_network(d$X, d$C, n_bootstraps = 4)
  cur <- with_null_device(plot(net, type = "edge", edge = c("b", "a"), context = "c1", n_grid = 20))
  q <- unname(quantile(d$C[, "c1"], c(0.01, 0.99)))
  expect_equal(cur$x, seq(q[1], q[2], length.out = 20), tolerance = 1e-14)
  expect_equal(cur$held, c(mean(d$C[, "c1"]), 0), tolerance = 1e-14)
  G <- cbind(c1 = cur$x, c2 = cur$held[2])
  e <- network_edges(net, newcontext = G, alpha = 0.05)
  expect_identical(cur$estimate, unname(e$estimate[, "b", "a"]))
  expect_identical(cur$lower, unname(e$lower[, "b", "a"]))
  expect_identical(cur$upper, unname(e$upper[, "b", "a"]))
  expect_gt(cur$estimate[20] - cur$estimate[1], 1)
  ind <- with_null_device(plot(net, type = "edge", edge = c(2, 1), context = 2))
  expect_true(ind$indicator)
  expect_identical(ind$x, c(0, 1))
})

test_that("the heat map holds the sample's network", {
  d <- plot_data(seed = 5)
  net <- ctx_correlation_network(d$X, d$C)
  out <- with_null_device(plot(net, sample = 3))
  expect_identical(unname(out$values), unname(predict(net, newcontext = d$C[3, , drop = FALSE], type = "correlation")[1, , ]))
  bn <- ctx_bayesian_network(d$X, d$C, trained = FALSE)
  b <- with_null_device(plot(bn, sample = 1))
  expect_identical(unname(b$values), unname(predict(bn, newcontext = d$C[1, , drop = FALSE])[1, , ]))
})

test_that("bad plot arguments are refused naming the argument", {
  d <- plot_data()
  net <- ctx_markov_network(d$X, d$C)
  with_null_device({
    expect_error(plot(net, type = "edge", edge = c(1, 9)), "edge")
    expect_error(plot(net, type = "edge", edge = c(2, 2)), "edge")
    expect_error(plot(net, type = "edge", edge = c(1, 2), context = "age"), "context")
    expect_error(plot(net, type = "edge", edge = c(1, 2), alpha = 2), "alpha")
    expect_error(plot(net, type = "edge", edge = c(1, 2), n_grid = 1), "n_grid")
    expect_error(plot(net, sample = 0), "sample")
    expect_error(plot(net, what = "dag"), "what")
    expect_error(plot(net, show_samples = "yes"), "show_samples")
  })
})

test_that("Bayesian networks with factor graphs: shapes, factor graphs and errors", {
  set.seed(6)
  n <- 600
  C <- cbind(c1 = runif(n, -1, 1))
  A <- matrix(rnorm(3 * n), n)
  X <- cbind(A, (1 + C[, 1]) * rowMeans(A) + 0.5 * matrix(rnorm(3 * n), n))
  net <- ctx_bayesian_network(X, C, dag = list(num_factors = 2))
  W <- predict(net, project_to_dag = FALSE)
  expect_identical(dim(W), c(600L, 6L, 6L))
  expect_lt(max(abs(W[, 1:3, 4:6] - (1 + C[, 1]) / 3)), 0.15)
  expect_identical(dim(predict(net, type = "factors")), c(600L, 2L, 2L))
  expect_error(predict(ctx_bayesian_network(X, C, trained = FALSE), type = "factors"), "num_factors")
  expect_error(ctx_bayesian_network(X, C, dag = list(num_factors = 6)), "num_factors")
  expect_error(ctx_bayesian_network(X, C, dag = list(num_factors = 1)), "num_factors")
})
