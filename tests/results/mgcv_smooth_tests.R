# Reference p-values of mgcv's summary.gam for varying-coefficient smooths on continuous
# contexts, frozen for tests/test_smooth_tests.py (which compares ctxstats' smooth-term tests
# with them, and re-runs this script through rpy2 where R is available).
#
#   Rscript tests/results/mgcv_smooth_tests.R            # writes the data and the results
#
# Three data sets of n = 1000: y = f0(c) + x1 f1(c) + x2 f2(c) + N(0, 1), every coefficient
# varying with c by a modest amount, so the p-values lie between 1e-7 and 0.05 (mgcv
# 1.8-41 reports 0 for some stronger effects, where its mixture-of-chi-squares p-value
# underflows). Each is
# fitted twice by REML: with P-splines (bs = "ps", k = 10, as ctxstats' basis) and with mgcv's
# default thin-plate basis. The varying coefficients are x * (constant + smooth): the
# constants are parametric terms and the by-smooths carry a point constraint (pc) so that
# each smooth term tests "the coefficient does not vary with c", the hypothesis of
# ctxstats' per-term test.
suppressMessages(library(mgcv))
args <- commandArgs(trailingOnly = TRUE)
here <- if (length(args)) args[1] else {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}

make_data <- function(seed, a, n = 1000) {
  set.seed(seed)
  c <- rnorm(n)
  x1 <- rnorm(n); x1 <- x1 - mean(x1)
  x2 <- rnorm(n); x2 <- x2 - mean(x2)
  y <- a[1] * sin(2 * c) + x1 * (1 + a[2] * sin(1.5 * c)) + x2 * (-0.5 + a[3] * cos(1.5 * c)) + rnorm(n)
  # rounded to the digits the CSV keeps, so that R and Python fit the very same numbers
  data.frame(set = seed, c = signif(c, 10), x1 = signif(x1, 10), x2 = signif(x2, 10), y = signif(y, 10))
}

sets <- list(list(seed = 1, a = c(0.2, 0.25, 0.2)), list(seed = 2, a = c(0.2, 0.15, 0.25)),
             list(seed = 3, a = c(0.25, 0.2, 0.3)))
data <- do.call(rbind, lapply(sets, function(s) make_data(s$seed, s$a)))

fits <- list(
  ps = "y ~ x1 + x2 + s(c, bs = 'ps', k = 10) + s(c, by = x1, bs = 'ps', k = 10, pc = list(c = 0)) + s(c, by = x2, bs = 'ps', k = 10, pc = list(c = 0))",
  tp = "y ~ x1 + x2 + s(c) + s(c, by = x1, pc = list(c = 0)) + s(c, by = x2, pc = list(c = 0))")
rows <- list()
for (s in sets) {
  d <- data[data$set == s$seed, ]
  for (basis in names(fits)) {
    st <- summary(gam(as.formula(fits[[basis]]), data = d, method = "REML"))$s.table
    rows[[length(rows) + 1L]] <- data.frame(set = s$seed, basis = basis, coefficient = c("Intercept", "x1", "x2"),
                                            edf = st[, "edf"], ref_df = st[, "Ref.df"], F = st[, "F"],
                                            p_value = st[, "p-value"])
  }
}
results <- do.call(rbind, rows)
write.csv(data, file.path(here, "mgcv_smooth_tests_data.csv"), row.names = FALSE)
write.csv(format(results, digits = 17), file.path(here, "mgcv_smooth_tests_results.csv"), row.names = FALSE, quote = FALSE)
results
