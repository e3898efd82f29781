# Reference numbers of R's flexmix for a mixture of two contextualized regressions, frozen for
# tests/test_mixture.py. ctxstats' ContextualizedMixture with the linear encoder is the model
#   y ~ pi_1(c) N(theta_1(c) . [1, x1, x2], sigma_1^2) + pi_2(c) N(theta_2(c) . [1, x1, x2], sigma_2^2),
#   theta_k(c) = B_k [1, c1, c2],   log(pi_2(c) / pi_1(c)) = v . [1, c1, c2],
# which flexmix writes as flexmix(y ~ (x1 + x2) * (c1 + c2), k = 2, concomitant = FLXPmultinom(~ c1 + c2)).
# flexmix is run from 10 random starts (stepFlexmix, nrep = 10) and the best kept; its components
# are then put in ctxstats' canonical order (ascending mean fitted response). Note: flexmix's
# gaussian M-step sets sigma_k^2 = sum w r^2 / mean(w) / (n - rank), not the maximum-likelihood
# sum w r^2 / sum w, so its optimum is a slightly different point and its log-likelihood slightly
# lower than the maximum. tests/test_mixture.py re-runs this script through rpy2 where R and
# flexmix are available (marked against_r).
#
#   Rscript tests/results/flexmix_mixture.R    # writes the data, the results and the posterior
suppressMessages(library(flexmix))
args <- commandArgs(trailingOnly = TRUE)
here <- if (length(args)) args[1] else {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}
set.seed(182)
n <- 500
c1 <- rnorm(n); c2 <- rnorm(n); x1 <- rnorm(n); x2 <- rnorm(n)
z <- runif(n) < plogis(1.5 * c1 - 0.5 * c2)
y <- ifelse(z, -1 + x1 * (-1 + 0.6 * c1) + x2 * (0.5 + 0.5 * c2), 1 + x1 * (1 + 0.8 * c2) - 0.5 * x2) +
  0.4 * rnorm(n)
# rounded to the digits the CSV keeps, so that R and Python fit the very same numbers
data <- data.frame(y = signif(y, 10), x1 = signif(x1, 10), x2 = signif(x2, 10), c1 = signif(c1, 10),
                   c2 = signif(c2, 10), regime = as.integer(z))
write.csv(data, file.path(here, "flexmix_mixture_data.csv"), row.names = FALSE)
set.seed(1)
fits <- stepFlexmix(y ~ (x1 + x2) * (c1 + c2), data = data, k = 2, nrep = 10, verbose = FALSE,
                    concomitant = FLXPmultinom(~ c1 + c2), control = list(iter.max = 5000, tolerance = 1e-10))
fit <- fits
comp <- parameters(fit)                                # rows: coefficients then sigma; columns: components
fitted_means <- sapply(seq_len(2), function(k) mean(predict(fit)[[k]]))
ord <- order(fitted_means)
coef <- comp[, ord]
gate <- parameters(fit, which = "concomitant")[, ord]
gate <- gate - gate[, 1]                               # the first (canonical) component as reference
out <- data.frame(term = c(paste0("comp1:", rownames(comp)), paste0("comp2:", rownames(comp)),
                           paste0("gate2:", rownames(gate)), "loglik", "df"),
                  estimate = c(coef[, 1], coef[, 2], gate[, 2], as.numeric(logLik(fit)), attr(logLik(fit), "df")))
write.csv(format(out, digits = 17), file.path(here, "flexmix_mixture_results.csv"), row.names = FALSE, quote = FALSE)
post <- posterior(fit)[, ord]
write.csv(data.frame(p1 = signif(post[, 1], 15), p2 = signif(post[, 2], 15)),
          file.path(here, "flexmix_mixture_posterior.csv"), row.names = FALSE)
# Wald standard errors of the components' coefficients from flexmix's refit() (the observed
# information at the optimum), the reference for the mixture bootstrap's standard errors.
invisible(utils::capture.output(wald <- summary(refit(fit))@components[[1]]))
terms <- sub("^coef\\.", "", rownames(comp)[rownames(comp) != "sigma"])
se <- sapply(ord, function(k) wald[[k]][terms, "Std. Error"])
write.csv(data.frame(term = c(paste0("comp1:", terms), paste0("comp2:", terms)), se = signif(c(se[, 1], se[, 2]), 8)),
          file.path(here, "flexmix_mixture_se.csv"), row.names = FALSE)
