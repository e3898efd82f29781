test_that("the formula is split at | into predictors and context", {
  d <- make_vcm(50)
  des <- ctx_design(y ~ x1 + x2 | c1 + c2, d)
  expect_equal(colnames(des$x), c("x1", "x2"))
  expect_equal(colnames(des$context), c("c1", "c2"))
  expect_true(des$fit_intercept)
  expect_identical(unname(des$y), d$y)
  expect_equal(unname(des$x[, "x2"]), d$x2)
})

test_that("factors and transforms expand as in model.matrix", {
  d <- make_vcm(60)
  d$g <- factor(rep(c("a", "b", "c"), 20))
  d$h <- factor(rep(c("u", "v"), 30))
  des <- ctx_design(y ~ log(abs(x1) + 1) + g + I(x2^2) | c1 + h + poly(c2, 2), d)
  ref_x <- model.matrix(~ log(abs(x1) + 1) + g + I(x2^2), d)[, -1]
  ref_c <- model.matrix(~ c1 + h + poly(c2, 2), d)[, -1]
  expect_equal(c(des$x), c(ref_x))
  expect_equal(colnames(des$x), colnames(ref_x))
  expect_equal(c(des$context), c(ref_c))
  expect_equal(colnames(des$context), colnames(ref_c))
})

test_that("0 + or - 1 removes the sample intercept; the context always gets treatment contrasts", {
  d <- make_vcm(40)
  d$g <- factor(rep(c("a", "b"), 20))
  des <- ctx_design(y ~ 0 + x1 | c1, d)
  expect_false(des$fit_intercept)
  expect_false(ctx_design(y ~ x1 - 1 | c1, d)$fit_intercept)
  # the encoder has its own bias, so `| 0 + g` still drops the first level
  expect_equal(colnames(ctx_design(y ~ x1 | 0 + g, d)$context), "gb")
  fit <- ctx_glm(y ~ 0 + x1 + x2 | c1, d, encoder = "linear")
  expect_equal(colnames(sample_coef(fit)), c("x1", "x2"))
  fit <- ctx_glm(y ~ 1 | c1, d, encoder = "linear")
  expect_equal(colnames(sample_coef(fit)), "Intercept")
})

test_that("malformed formulas give errors that say how to write one", {
  d <- make_vcm(30)
  expect_error(ctx_glm(y ~ x1 + c1, d), "no context part after '\\|'")
  expect_error(ctx_glm(y ~ x1 | c1 | c2, d), "more than one '\\|'")
  expect_error(ctx_glm(~ x1 | c1, d), "no response")
  expect_error(ctx_glm("y ~ x1 | c1", d), "formula must be a formula")
  expect_error(ctx_glm(y ~ x1 | 1, d), "context .* has no columns")
  expect_error(ctx_glm(y ~ 0 | c1, d), "no parameters")
  expect_error(ctx_glm(y ~ x1 | nonexistent, d), "nonexistent")
})

test_that("rows with missing values are dropped together; na.exclude pads the results", {
  d <- make_vcm(80)
  d$x1[3] <- NA
  d$c2[7] <- NA
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear")
  expect_equal(nobs(fit), 78)
  expect_false(any(c("3", "7") %in% rownames(sample_coef(fit))))
  fit_ex <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear", na.action = na.exclude)
  expect_equal(nrow(sample_coef(fit_ex)), 80)
  expect_true(all(is.na(sample_coef(fit_ex)[c(3, 7), ])))
  expect_length(residuals(fit_ex), 80)
  expect_true(is.na(fitted(fit_ex)[7]))
  expect_equal(unname(sample_coef(fit_ex)[-c(3, 7), ]), unname(sample_coef(fit)))
})

test_that("weights and subset are looked up in the data, as in lm()", {
  d <- make_vcm(100)
  d$w <- rep(c(1, 2), 50)
  a <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear", weights = w, subset = c1 > -1)
  ref <- lm(y ~ (x1 + x2) * (c1 + c2), d, weights = w, subset = c1 > -1)
  expect_equal(nobs(a), sum(d$c1 > -1))
  expect_equal(unname(sample_coef(a)), unname(theta_from_interactions(coef(ref), d[d$c1 > -1, ])),
               tolerance = 1e-8)
})

test_that("non-finite values and bad responses are reported by column and row name", {
  d <- make_vcm(30)
  d$x2[5] <- Inf
  expect_error(ctx_glm(y ~ x1 + x2 | c1, d), "x2 contains a non-finite value .* at row 5")
  d <- make_vcm(30)
  expect_error(ctx_glm(y ~ x1 | c1, d, family = "binomial"), "y must lie in \\[0, 1\\] for the binomial family")
  expect_error(ctx_glm(y ~ x1 | c1, d, family = "poisson"), "y must be non-negative for the poisson family")
  d$w <- -1
  expect_error(ctx_glm(y ~ x1 | c1, d, weights = w), "weights must be finite and non-negative")
})

test_that("a two-level factor or logical response is a binomial outcome", {
  d <- make_vcm(200, "binomial")
  d$yf <- factor(ifelse(d$y == 1, "yes", "no"))
  d$yl <- d$y == 1
  a <- ctx_glm(y ~ x1 | c1, d, family = "binomial", encoder = "linear")
  b <- ctx_glm(yf ~ x1 | c1, d, family = "binomial", encoder = "linear")
  l <- ctx_glm(yl ~ x1 | c1, d, family = "binomial", encoder = "linear")
  expect_identical(unname(sample_coef(a)), unname(sample_coef(b)))
  expect_identical(unname(sample_coef(a)), unname(sample_coef(l)))
  expect_error(ctx_glm(yf ~ x1 | c1, d), "only the binomial family takes a two-level factor")
})
