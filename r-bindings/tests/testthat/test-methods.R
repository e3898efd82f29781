fit_linear <- function(n = 200) {
  d <- make_vcm(n)
  list(d = d, fit = ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear"))
}

test_that("sample_coef is n x (1 + p) with Intercept first; coef averages it", {
  s <- fit_linear()
  th <- sample_coef(s$fit)
  expect_equal(dim(th), c(200L, 3L))
  expect_equal(colnames(th), c("Intercept", "x1", "x2"))
  expect_equal(rownames(th), rownames(s$d))
  expect_equal(coef(s$fit), colMeans(th))
  expect_equal(nobs(s$fit), 200L)
})

test_that("predict gives parameters, linear predictor and mean for new data", {
  s <- fit_linear()
  new <- s$d[1:5, ]
  expect_equal(predict(s$fit, new, type = "params"), sample_coef(s$fit)[1:5, ])
  expect_equal(predict(s$fit, new), fitted(s$fit)[1:5])
  th <- predict(s$fit, new, type = "params")
  expect_equal(unname(predict(s$fit, new, type = "link")),
               unname(th[, 1] + new$x1 * th[, 2] + new$x2 * th[, 3]))
  new$c1[2] <- NA
  p <- predict(s$fit, new)
  expect_true(is.na(p[2]))
  expect_false(anyNA(p[-2]))
  expect_error(predict(s$fit, new[, c("x1", "x2", "c1")]), "c2")
})

test_that("predict keeps the fitted factor levels and contrasts", {
  d <- make_vcm(120)
  d$g <- factor(rep(c("a", "b", "c"), 40))
  fit <- ctx_glm(y ~ x1 | c1 + g, d, encoder = "linear")
  new <- d[c(2, 3), ]
  new$g <- factor(as.character(new$g))  # only levels b and c present
  expect_equal(predict(fit, new, type = "params"), sample_coef(fit)[c(2, 3), ])
})

test_that("summary prints the header and the spread table of the Python package", {
  s <- fit_linear()
  out <- format(summary(s$fit))
  expect_equal(out[2], strrep("=", 78))
  expect_match(out[1], "Contextualized GLM Results \\(ctx_glm\\)")
  expect_match(out[3], "^Dep. Variable: +y  Converged: +True$")
  expect_true("Sample parameters: spread over samples" %in% out)
  i <- which(out == "Sample parameters: spread over samples")
  expect_match(out[i + 1], "^ +mean +std +min +25% +50% +75% +max$")
  th <- sample_coef(s$fit)
  row <- strsplit(trimws(out[i + 4]), " +")[[1]]
  expect_equal(row[1], "x1")
  expect_equal(as.numeric(row[2:8]),
               unname(signif(c(mean(th[, 2]), sqrt(mean((th[, 2] - mean(th[, 2]))^2)), min(th[, 2]),
                               quantile(th[, 2], c(.25, .5, .75)), max(th[, 2])), 4)), tolerance = 1e-3)
  expect_output(print(summary(s$fit)), "Log-Likelihood")
  expect_output(print(s$fit), "Average effects")
})

test_that("summary notes a fit that did not converge", {
  d <- make_vcm(100)
  expect_warning(fit <- ctx_glm(y ~ x1 | c1, d, width = 4, max_iter = 2), "L-BFGS reached max_iter=2 ")
  expect_false(fit$converged)
  expect_match(format(summary(fit)), "The solver did not converge", all = FALSE)
})

test_that("a fit whose scaling was tampered with is refused by the core, not read past", {
  s <- fit_linear()
  bad <- s$fit
  bad$model <- bad$model[-length(bad$model)]  # the core model's bytes, damaged
  expect_error(predict(bad, s$d[1:3, ], type = "params"), "ctxstats model file")
  # A fit without its core model predicts from its scaling list, which the core checks.
  bad <- s$fit
  bad$model <- NULL
  bad$scaling$c_scale <- numeric(0)
  expect_error(predict(bad, s$d[1:3, ], type = "params"), "c_mean and c_scale")
  bad <- s$fit
  bad$model <- NULL
  bad$scaling$x_scale <- c(1, 0)
  expect_error(predict(bad, s$d[1:3, ], type = "params"), "scale is not positive")
})
