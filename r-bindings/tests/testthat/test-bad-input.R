# Issue 13, items 7 and 8 in R: integers past C++'s types and sizes past the documented maxima
# are refused by the core's option table before any conversion, with the Python package's
# words (tests/bad_input_cases.py holds the same cases for Python).

test_that("integers past C++'s types name the option, as in Python", {
  d <- make_vcm(n = 60)
  f <- y ~ x1 + x2 | c1 + c2
  expect_error(ctx_glm(f, d, width = 1e10), "width must be at most 4096, not 10000000000", fixed = TRUE)
  expect_error(ctx_glm(f, d, width = 2^31), "width must be at most 4096, not 2147483648", fixed = TRUE)
  expect_error(ctx_glm(f, d, depth = 1e5), "depth must be at most 64, not 100000", fixed = TRUE)
  expect_error(ctx_glm(f, d, encoder = "linear", seed = 2^64), "seed must be a non-negative integer below 2^64",
               fixed = TRUE)
  expect_error(ctx_glm(f, d, encoder = "linear", seed = -1), "seed must be a non-negative integer below 2^64",
               fixed = TRUE)
  expect_error(ctx_glm(f, d, encoder = "linear", max_iter = 1e10), "max_iter must be at most 2147483647",
               fixed = TRUE)
  expect_error(ctx_glm(f, d, encoder = "linear", n_bootstraps = 1), "n_bootstraps=1 gives one replicate",
               fixed = TRUE)
})

test_that("sizes that cannot be fitted are refused with a reason", {
  d <- make_vcm(n = 200)
  f <- y ~ x1 + x2 | c1 + c2
  expect_error(ctx_glm(f, d, encoder = "spline", n_knots = 1001), "n_knots must be at most 1000", fixed = TRUE)
  expect_error(ctx_glm(f, d, encoder = "spline", n_knots = 500),
               "n_knots=500 is more than the 200 distinct values of context column 'c1'", fixed = TRUE)
  expect_error(ctx_glm(f, d, encoder = "spline", interactions = list(c(1, 2)), interaction_knots = 60),
               paste("interaction of context column 'c1' and context column 'c2' 3600 basis functions,",
                     "more than their 200 distinct value pairs"), fixed = TRUE)
  expect_error(personalized_regression(f, d, n_partners = 1e6), "n_partners must be at most 1000", fixed = TRUE)
  expect_error(personalized_regression(f, d, rank = 50), "rank=50 is more than the 3 parameters", fixed = TRUE)
  # threads above the core count are capped, not passed to OpenMP
  fit <- ctx_glm(f, d, encoder = "linear", threads = 1e6)
  expect_true(all(is.finite(sample_coef(fit))))
})

test_that("predict's n_neighbors is checked by the option table", {
  d <- make_vcm(n = 60)
  fit <- short_fit(personalized_regression(y ~ x1 + x2 | c1 + c2, d, max_iter = 5))
  expect_error(predict(fit, d[1:3, ], type = "params", n_neighbors = 2^64), "n_neighbors must be at most",
               fixed = TRUE)
  expect_error(predict(fit, d[1:3, ], type = "params", n_neighbors = 0), "n_neighbors must be at least 1",
               fixed = TRUE)
})
