# Early stopping on a held-out split, the networks' default regularisation (issue 12): chosen in
# the core, so R reports the same choice as Python and keeps it in the model file.

test_that("networks stop early by default and report the held-out choice", {
  d <- make_vcm(600)
  # Without the gaussian ngam's default linear skip: these data are linear in the context, so the
  # skip's start (the exact linear fit) is already the held-out optimum (best_iter 0), tested below.
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "ngam", width = 6, seed = 2, threads = 1, linear_skip = FALSE)
  es <- fit$early_stopping
  expect_true(fit$converged)
  expect_true(es$best_iter >= 1)
  expect_equal(es$val_loss[es$best_iter + 1], min(es$val_loss))
  expect_true(fit$n_iter <= round(es$best_iter * 1.25) + 1)
  again <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "ngam", width = 6, seed = 2, threads = 2, linear_skip = FALSE)
  expect_identical(fit$encoder_weights, again$encoder_weights)
  skip <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "ngam", width = 6, seed = 2, threads = 1)
  expect_true(skip$options$linear_skip)
  expect_true(skip$converged)
  expect_identical(skip$early_stopping$best_iter, 0L)  # the linear start is not improved on held out
  off <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "ngam", width = 6, seed = 2, early_stopping = FALSE,
                 linear_skip = FALSE)
  expect_null(off$early_stopping)
  expect_false(identical(off$encoder_weights, fit$encoder_weights))
  path <- tempfile(fileext = ".ctx")
  ctx_save(fit, path)
  expect_identical(ctx_load(path)$early_stopping$best_iter, es$best_iter)
  expect_error(ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "mlp", solver = "adam", early_stopping = TRUE),
               "early_stopping does not apply to solver 'adam'")
})

# The gaussian networks' least-squares output start (option output_start, off by default), decided
# in the core: the same fit for any thread count, refused where it does not apply.
test_that("gaussian networks can start at the least-squares output layer", {
  d <- make_vcm(600)
  f <- y ~ x1 + x2 | c1 + c2
  fit <- ctx_glm(f, d, encoder = "ngam", width = 6, seed = 2, threads = 1, output_start = TRUE)
  expect_true(fit$converged)
  again <- ctx_glm(f, d, encoder = "ngam", width = 6, seed = 2, threads = 2, output_start = TRUE)
  expect_identical(fit$encoder_weights, again$encoder_weights)
  plain <- ctx_glm(f, d, encoder = "ngam", width = 6, seed = 2, threads = 1)
  expect_false(identical(plain$encoder_weights, fit$encoder_weights))
  expect_error(ctx_glm(f, make_vcm(600, family = "binomial"), family = "binomial", encoder = "ngam",
                       output_start = TRUE),
               "output_start does not apply to family 'binomial'")
})
