# ctx_save() / ctx_load() of ctx_network fits (the core's network model file, R/network_file.R):
# every network type round-trips with bitwise identical predictions, and a damaged or truncated
# file is refused with an error rather than a crash. The Python side and the cross-language
# files: tests/test_network_file*.py; the core's reader: tests/cpp/test_network_file.cpp.

file_network_data <- function(n = 150, seed = 5) {
  set.seed(seed)
  C <- cbind(c1 = runif(n, -1, 1), c2 = runif(n, -1, 1))
  X <- cbind(a = rnorm(n), b = rnorm(n), d = rnorm(n), e = rnorm(n))
  X[, "b"] <- X[, "b"] + (0.5 + C[, "c1"]) * X[, "a"]
  X[, "d"] <- X[, "d"] + 0.8 * X[, "b"]
  list(C = C, X = X)
}

network_outputs <- function(net, d) {
  bayes <- identical(net$type, "bayesian")
  out <- list(predict(net, individual = TRUE), predict(net, type = "mses"),
              predict(net, d$C, d$X, type = "x", individual = TRUE))
  if (!bayes) out <- c(out, list(predict(net, type = "offsets", individual = TRUE),
                                 predict(net, type = "correlation", individual = TRUE)))
  if (identical(net$type, "markov")) out <- c(out, list(predict(net, type = "precision")))
  if (bayes) out <- c(out, list(predict(net, project_to_dag = FALSE, individual = TRUE)))
  if (bayes && isTRUE(net$model$dag$num_factors >= 2)) out <- c(out, list(predict(net, type = "factors")))
  if (nrow(net$model$replicate_weights) >= 2) out <- c(out, list(network_edges(net)$upper))
  out
}

test_that("every network type saves and loads with bitwise identical predictions", {
  d <- file_network_data()
  nets <- list(
    suppressWarnings(ctx_correlation_network(d$X, d$C, n_bootstraps = 3)),
    suppressWarnings(ctx_markov_network(d$X, d$C, encoder = "mlp", width = 4, depth = 1, max_iter = 20)),
    suppressWarnings(ctx_bayesian_network(d$X, d$C, archetypes = 3, max_iter = 30, n_bootstraps = 2)),
    suppressWarnings(ctx_bayesian_network(d$X, d$C, max_iter = 30,
                                          dag = list(num_factors = 2, dag_schedule = "fixed"))))
  for (net in nets) {
    path <- tempfile(fileext = ".ctxm")
    ctx_save(net, path)
    back <- ctx_load(path)
    expect_s3_class(back, "ctx_network")
    expect_identical(back$type, net$type)
    expect_identical(back$features, net$features)
    expect_identical(back$context, net$context)
    expect_identical(network_outputs(back, d), network_outputs(net, d))
    again <- tempfile(fileext = ".ctxm")  # a loaded network saves again (its call is then ctx_load's)
    ctx_save(back, again)
    expect_identical(network_outputs(ctx_load(again), d), network_outputs(net, d))
  }
})

test_that("a truncated or damaged network file is refused with an error", {
  d <- file_network_data()
  net <- ctx_markov_network(d$X, d$C)
  path <- tempfile(fileext = ".ctxm")
  ctx_save(net, path)
  raw <- readBin(path, "raw", 1e6)
  for (n in c(12L, 40L, length(raw) %/% 2L, length(raw) - 1L)) {
    bad <- tempfile(fileext = ".ctxm")
    writeBin(raw[seq_len(n)], bad)
    expect_error(ctx_load(bad))
  }
  flipped <- raw
  k <- length(raw) %/% 2L
  flipped[k] <- as.raw(bitwXor(as.integer(raw[k]), 85L))
  bad <- tempfile(fileext = ".ctxm")
  writeBin(flipped, bad)
  expect_error(ctx_load(bad), "checksum")
})
