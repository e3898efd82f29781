# The model-checking toolkit: calibration_test (grf's test_calibration on cross-fitted
# parameters) against lm() and HC3 by hand on the same regressors, and ctx_choose_encoder
# against ctx_cv of each candidate. The Python package's numbers are compared over rpy2 in
# tests/test_calibration.py and tests/test_cross_validation.py.

test_that("calibration_test is lm of the partial residual on the mean and differential terms (the predictor residualised on the context), with HC3", {
  d <- make_vcm(300, seed = 4)
  d$w <- rep(c(1, 2, 0.5), 100)
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, encoder = "linear", weights = w)
  ct <- calibration_test(fit, folds = 4, seed = 2)
  expect_s3_class(ct, "ctx_calibration")
  held <- ct$held_out_coef
  X1 <- cbind(1, d$x1, d$x2)
  eta <- rowSums(X1 * held)
  for (k in 1:3) {
    bar <- weighted.mean(held[, k], d$w)
    xt <- if (k == 1) X1[, k] else residuals(lm(X1[, k] ~ c1 + c2, data = d, weights = w))
    m <- xt * bar
    dd <- xt * (held[, k] - bar)
    r <- d$y - (eta - xt * held[, k])
    ref <- lm(r ~ 0 + m + dd, weights = d$w)
    rows <- paste0(colnames(held)[k], c(":mean", ":differential"))
    expect_equal(ct$table[rows, "Estimate"], unname(coef(ref)), tolerance = 1e-10)
    Z <- cbind(m, dd)
    bread <- solve(crossprod(Z * sqrt(d$w)))
    h <- hatvalues(ref)
    meat <- crossprod(Z * (d$w * residuals(ref) / (1 - h)))
    V <- bread %*% meat %*% bread
    expect_equal(ct$table[rows, "Std. Error"], unname(sqrt(diag(V))), tolerance = 1e-9)
    expect_equal(ct$table[rows, "Pr(>t)"], pt(ct$table[rows, "t value"], 298, lower.tail = FALSE),
                 tolerance = 1e-12)
  }
  expect_equal(ct$fold, ctx_cv(fit, folds = 4, seed = 2)$fold)
  expect_output(print(ct), "Calibration test")
})

test_that("calibration_test finds real heterogeneity and refuses what it cannot do", {
  d <- make_vcm(1500, seed = 7)
  ct <- calibration_test(ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, encoder = "linear"))
  expect_lt(abs(ct$table["x1:differential", "Estimate"] - 1), 0.15)
  expect_lt(ct$table["x1:differential", "Pr(>t)"], 1e-6)
  fit <- ctx_glm(y ~ x1 | c1, data = d[1:100, ], encoder = "linear")
  expect_error(calibration_test(fit, folds = 1), "folds")
  expect_error(calibration_test(fit, cov_type = "cluster"), "cov_type")
  expect_error(calibration_test(lm(y ~ x1, d)), "ctx_glm")
})

test_that("ctx_choose_encoder scores each candidate as ctx_cv does, best first", {
  d <- make_vcm(240, seed = 3)
  d$y <- d$y + sin(2 * d$c1) * d$x1
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, encoder = "linear")
  ce <- ctx_choose_encoder(fit, candidates = list(lin = "linear", sp = list(encoder = "spline", n_knots = 6)),
                           folds = 4, seed = 1)
  expect_equal(rownames(ce), c("sp", "lin"))
  sp <- ctx_cv(ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, encoder = "spline", n_knots = 6), folds = 4, seed = 1)
  expect_identical(ce["sp", "deviance"], sp$deviance)
  expect_identical(ce["lin", "deviance"], ctx_cv(fit, folds = 4, seed = 1)$deviance)
  expect_equal(ce["sp", "diff"], 0)
  expect_gt(ce["lin", "diff"], 2 * ce["lin", "diff_se"])
  expect_error(ctx_choose_encoder(fit, candidates = list(a = list(n_knots = 4))), "candidate")
  expect_error(ctx_choose_encoder(fit, candidates = 3), "candidates")
})
