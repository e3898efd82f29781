# Reference numbers of mgcv's performance iteration (bam, method = "fREML") with the quasipoisson
# and quasibinomial families and a P-spline basis on given knots, frozen for
# tests/test_quasi_spline.py: ctxstats' spline encoder with dispersion = "pearson" is the same
# model (each PQL working model's smoothing chosen by REML with the scale unknown), on the knots
# ctxstats places (mgcv_quasi_spline_knots.csv, written by the test from ctxstats' fit).
#
#   Rscript tests/results/mgcv_quasi_spline.R [folder]     # writes the data and the results
#
# - quasipoisson: AER's NMES1988 (r_quasi_nmes_data.csv, written by r_quasi_families.R):
#   visits on chronic conditions and hospital stays (centred), whose effects and the level vary
#   smoothly with age.
# - quasibinomial: overdispersed proportions (beta-binomial, 20 trials each, so every row has the
#   prior weight 20), simulated here: share ~ x | c.
suppressMessages(library(mgcv))
args <- commandArgs(trailingOnly = TRUE)
here <- if (length(args)) args[1] else {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}
frozen <- {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}

set.seed(20261130)
n <- 600
c <- runif(n, -2, 2)
x <- rnorm(n)
p <- plogis(-0.5 + sin(1.5 * c) + x * (0.8 + 0.4 * c))
share <- rbinom(n, 20, rbeta(n, 3 * p / (1 - p) + 0.01, 3)) / 20
beta_d <- data.frame(share = share, x = x - mean(x), c = c, m = 20)
write.csv(beta_d, file.path(here, "mgcv_quasi_binomial_data.csv"), row.names = FALSE)

nmes <- read.csv(file.path(frozen, "r_quasi_nmes_data.csv"))
nmes$chronic <- nmes$chronic - mean(nmes$chronic)
nmes$hospital <- nmes$hospital - mean(nmes$hospital)
knots_file <- file.path(frozen, "mgcv_quasi_spline_knots.csv")
if (!file.exists(knots_file)) quit(save = "no")  # first run: the data only, for ctxstats to place its knots
knots <- read.csv(knots_file)

fits <- list(
  quasipoisson = list(data = nmes, family = quasipoisson(), weights = NULL, context = "age",
                      formula = visits ~ s(age, bs = "ps", k = 10) + s(age, by = chronic, bs = "ps", k = 10) +
                        s(age, by = hospital, bs = "ps", k = 10)),
  quasibinomial = list(data = beta_d, family = quasibinomial(), weights = beta_d$m, context = "c",
                       formula = share ~ s(c, bs = "ps", k = 8) + s(c, by = x, bs = "ps", k = 8)))
rows <- list()
for (case in names(fits)) {
  f <- fits[[case]]
  kn <- knots[[case]][!is.na(knots[[case]])]
  cx <- f$data[[f$context]]
  # ctxstats' inner knots span the data; undo the rounding of the change of units so that
  # mgcv accepts every data point
  kn[4] <- min(kn[4], min(cx))
  kn[length(kn) - 3] <- max(kn[length(kn) - 3], max(cx))
  kn <- setNames(list(kn), f$context)
  g <- bam(f$formula, data = f$data, family = f$family, method = "fREML", knots = kn, weights = f$weights)
  pr <- predict(g, se.fit = TRUE)
  rows[[case]] <- data.frame(case = case, row = seq_len(nrow(f$data)), eta = pr$fit, se = pr$se.fit,
                             sig2 = g$sig2, edf_total = sum(g$edf))
}
write.csv(do.call(rbind, rows), file.path(here, "mgcv_quasi_spline.csv"), row.names = FALSE)
