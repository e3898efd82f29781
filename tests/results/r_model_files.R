# Model files written by the R package, frozen for tests/test_model_file_frozen.py, which
# loads them in Python and compares the parameters Python predicts with the ones R predicted
# here (written with 17 significant digits: exact for doubles). The test runs without R; where
# R is available, tests/test_model_file_cross_language.py does the same live.
#
#   R_LIBS=.venv/R-lib Rscript tests/results/r_model_files.R     # rewrites the files
#
# A format change that old files no longer load under fails the frozen test: bump the file's
# version and keep reading version 1 instead.
suppressMessages(library(ctxstats))
args <- commandArgs(trailingOnly = TRUE)
here <- if (length(args)) args[1] else {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}
set.seed(20261130)
n <- 150
d <- data.frame(x1 = rnorm(n), x2 = rnorm(n), c1 = rnorm(n), g = factor(sample(c("a", "b", "c"), n, TRUE)))
d$y <- d$x1 * (1 + d$c1) + 0.5 * (d$g == "b") * d$x2 + rnorm(n)
d$count <- rpois(n, exp(0.2 + 0.3 * d$x1 * (d$c1 > 0)))
new <- data.frame(c1 = seq(-2, 2, length.out = 7), g = factor(c("a", "b", "c", "a", "b", "c", "a"), levels = c("a", "b", "c")))
cases <- list(
  linear = function() ctx_glm(y ~ x1 + x2 | c1 + g, data = d, encoder = "linear", n_bootstraps = 3, seed = 1),
  spline = function() ctx_glm(y ~ x1 + x2 | c1 + g, data = d, encoder = "spline"),
  ngam = function() suppressWarnings(ctx_glm(count ~ x1 | c1 + g, data = d, family = "poisson", encoder = "ngam",
                                             width = 4, max_iter = 25, seed = 2))
)
for (name in names(cases)) {
  fit <- cases[[name]]()
  ctx_save(fit, file.path(here, sprintf("r_model_%s.ctxm", name)))
  theta <- predict(fit, new, type = "params")
  write.csv(format(as.data.frame(theta), digits = 17), file.path(here, sprintf("r_model_%s_params.csv", name)),
            row.names = FALSE, quote = FALSE)
}
write.csv(format(new, digits = 17), file.path(here, "r_model_new_context.csv"), row.names = FALSE, quote = FALSE)
