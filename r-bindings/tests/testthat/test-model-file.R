# ctx_save() / ctx_load(): the core's model file, shared with the Python package.

model_file_data <- function(n = 200) {
  set.seed(11)
  d <- data.frame(x1 = rnorm(n), x2 = rnorm(n), c1 = rnorm(n), g = factor(sample(c("a", "b", "c"), n, TRUE)))
  d$y <- d$x1 * (1 + d$c1) + 0.5 * (d$g == "b") * d$x2 + rnorm(n)
  d
}

test_that("every encoder round-trips and predicts bitwise identically", {
  d <- model_file_data()
  for (enc in c("linear", "spline", "ngam", "mlp")) {
    extra <- if (enc %in% c("ngam", "mlp")) list(width = 4, max_iter = 20) else list()
    fit <- suppressWarnings(do.call(ctx_glm, c(list(y ~ x1 + x2 | c1 + g, data = d, encoder = enc,
                                                    n_bootstraps = 2), extra)))
    path <- tempfile(fileext = ".ctxm")
    expect_identical(ctx_save(fit, path), path)
    back <- ctx_load(path)
    expect_identical(predict(back, d[1:30, ]), predict(fit, d[1:30, ]), info = enc)
    expect_identical(sample_coef(back), sample_coef(fit), info = enc)
    expect_identical(back$bootstrap$weights, fit$bootstrap$weights, info = enc)
    expect_identical(back$xlevels, fit$xlevels, info = enc)
    expect_identical(coef(back), coef(fit), info = enc)
  }
})

test_that("a fit restored from saveRDS still predicts through its core model", {
  d <- model_file_data()
  fit <- ctx_glm(y ~ x1 | c1, data = d, encoder = "linear")
  p1 <- predict(fit, d[1:5, ])  # makes the external pointer
  rds <- tempfile(fileext = ".rds")
  saveRDS(fit, rds)
  again <- readRDS(rds)  # the pointer now points nowhere: the raw bytes are read again
  expect_identical(predict(again, d[1:5, ]), p1)
  path <- tempfile()
  ctx_save(again, path)
  expect_identical(predict(ctx_load(path), d[1:5, ]), p1)
})

test_that("damaged and foreign files are refused with an error, never a crash", {
  d <- model_file_data(100)
  fit <- ctx_glm(y ~ x1 | c1, data = d, encoder = "linear")
  path <- tempfile()
  ctx_save(fit, path)
  raw <- readBin(path, "raw", file.size(path))
  bad <- tempfile()
  writeBin(raw[-length(raw)], bad)
  expect_error(ctx_load(bad), "ctxstats model file|checksum|truncated")
  raw[120] <- as.raw(bitwXor(as.integer(raw[120]), 1L))
  writeBin(raw, bad)
  expect_error(ctx_load(bad), "checksum")
  writeLines("hello", bad)
  expect_error(ctx_load(bad), "ctxstats model file")
  expect_error(ctx_load(tempfile()), "no such file")
  expect_error(ctx_save(list(), path), "ctx_glm")
})
