# Reference numbers of mgcv's location-scale family gaulss with parametric terms only, frozen
# for tests/test_location_scale.py: ctxstats' scale='context' fit with the linear encoder is
# the same model,
#   y ~ N(mu, sigma^2),  mu = (a0 + a1 c1 + a2 c2) + x (b0 + b1 c1 + b2 c2),
#   log sigma = g0 + g1 c1 + g2 c2,
# which gaulss writes as gam(list(y ~ (c1 + c2) * x, ~ c1 + c2), family = gaulss()). gaulss's
# scale link is "logb", log(sigma - b), with b = 0.01 by default: gaulss(b = 0) makes the
# second linear predictor log(sigma) itself (checked: its logLik is
# sum(dnorm(y, eta1, exp(eta2), log = TRUE))), so its scale coefficients are g. The test tests/test_location_scale.py re-runs this script
# through rpy2 where R is available (marked against_r).
#
#   Rscript tests/results/mgcv_gaulss_linear.R    # writes the data and the results
suppressMessages(library(mgcv))
args <- commandArgs(trailingOnly = TRUE)
here <- if (length(args)) args[1] else {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}
set.seed(18)
n <- 600
c1 <- rnorm(n); c2 <- runif(n, -1, 1); x <- rnorm(n)
y <- 1 + 0.5 * c1 + x * (0.8 - 0.6 * c2) + exp(-0.3 + 0.5 * c1 - 0.4 * c2) * rnorm(n)
# rounded to the digits the CSV keeps, so that R and Python fit the very same numbers
data <- data.frame(c1 = signif(c1, 10), c2 = signif(c2, 10), x = signif(x, 10), y = signif(y, 10))
write.csv(data, file.path(here, "mgcv_gaulss_linear_data.csv"), row.names = FALSE)
fit <- gam(list(y ~ (c1 + c2) * x, ~ c1 + c2), family = gaulss(b = 0), data = data, method = "REML")
co <- coef(fit)
se <- sqrt(diag(vcov(fit)))
# mean coefficients in ctxstats' order: Intercept:(1, c1, c2), x:(1, c1, c2); then log sigma's (1, c1, c2)
mean_names <- c("(Intercept)", "c1", "c2", "x", "c1:x", "c2:x")
scale_names <- c("(Intercept).1", "c1.1", "c2.1")
out <- data.frame(
  term = c("mu:1", "mu:c1", "mu:c2", "x:1", "x:c1", "x:c2", "logsigma:1", "logsigma:c1", "logsigma:c2"),
  estimate = c(co[mean_names], co[scale_names]),
  std_error = c(se[mean_names], se[scale_names]))
# the average effects (each sample's intercept and coefficient of x averaged over the samples)
# with their standard errors from vcov: ctxstats' params and bse
V <- vcov(fit)
cbar <- c(1, mean(data$c1), mean(data$c2))
for (blk in list(list("avg:Intercept", c("(Intercept)", "c1", "c2")), list("avg:x", c("x", "c1:x", "c2:x")))) {
  est <- sum(cbar * co[blk[[2]]])
  se_avg <- sqrt(drop(t(cbar) %*% V[blk[[2]], blk[[2]]] %*% cbar))
  out <- rbind(out, data.frame(term = blk[[1]], estimate = est, std_error = se_avg))
}
out <- rbind(out, data.frame(term = "loglik", estimate = as.numeric(logLik(fit)), std_error = NA))
write.csv(format(out, digits = 17), file.path(here, "mgcv_gaulss_linear_results.csv"), row.names = FALSE, quote = FALSE)
