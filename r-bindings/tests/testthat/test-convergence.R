# Fits that stop without meeting their stopping criterion warn with the core's message (the
# same text as the Python package's ConvergenceWarning); converged fits do not.

test_that("an unconverged ctx_glm fit warns with the cap and what to change", {
  d <- make_vcm(300)
  expect_warning(fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, encoder = "mlp", width = 4, max_iter = 5,
                                early_stopping = FALSE),
                 "L-BFGS reached max_iter=5 before the largest gradient component fell below tol=1e-08")
  expect_false(fit$converged)
  expect_match(fit$message, "raise max_iter, loosen tol", fixed = TRUE)
  expect_match(fit$message, 'encoder="spline"', fixed = TRUE)
  # With early stopping (the default) the cap stops the held-out run while its loss still falls.
  expect_warning(fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, encoder = "mlp", width = 4, max_iter = 5),
                 "L-BFGS reached max_iter=5 on the training rows while the held-out loss was still falling",
                 fixed = TRUE)
  expect_false(fit$converged)
})

test_that("an IRLS fit at its cap warns", {
  d <- make_vcm(300, family = "binomial")
  expect_warning(fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, family = "binomial", encoder = "linear",
                                 max_iter = 1),
                 "IRLS reached max_iter=1 before the Newton decrement", fixed = TRUE)
  expect_false(fit$converged)
})

test_that("a converged fit does not warn", {
  d <- make_vcm(300)
  expect_no_warning(fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, encoder = "linear"))
  expect_true(fit$converged)
  expect_no_warning(fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, encoder = "linear", solver = "lbfgs"))
  expect_true(fit$converged)
})

test_that("unconverged bootstrap replicates give one summarising warning and a summary line", {
  d <- make_vcm(200)
  msgs <- character(0)
  fit <- withCallingHandlers(
    ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, encoder = "mlp", width = 4, max_iter = 4, n_bootstraps = 3,
            threads = 1),
    warning = function(w) {
      msgs <<- c(msgs, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  expect_length(grep("bootstrap replicates did not converge", msgs), 1L)
  expect_match(msgs, "^3 of 3 bootstrap replicates did not converge; .*The first: L-BFGS reached max_iter=4",
               all = FALSE)
  expect_match(format(summary(fit)), "Bootstrap convergence: 0 of 3 replicate fits converged", all = FALSE)
})

test_that("a converged bootstrap does not warn and summary gives the share", {
  d <- make_vcm(200)
  expect_no_warning(fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, encoder = "linear", solver = "lbfgs",
                                   n_bootstraps = 4, threads = 1))
  expect_match(format(summary(fit)), "Bootstrap convergence: 4 of 4 replicate fits converged", all = FALSE)
})

test_that("personalized regression at its cap warns", {
  d <- make_vcm(120)
  expect_warning(fit <- personalized_regression(y ~ x1 + x2 | c1 + c2, data = d, max_iter = 5, warmup = 0,
                                                patience = 50),
                 "personalized regression's Adam reached max_iter=5 epochs", fixed = TRUE)
  expect_false(fit$converged)
})
