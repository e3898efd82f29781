# Reference numbers of R's flexmix for mixtures of two contextualized Poisson regressions, frozen
# for tests/test_mixture_poisson.py. ctxstats' ContextualizedMixture(family="poisson") is
#   y ~ pi_1(c) Poisson(exp(x~ . theta_1(c))) + pi_2(c) Poisson(exp(x~ . theta_2(c))),
#   theta_k(c) = B_k [1, c],   log(pi_2(c) / pi_1(c)) = v . [1, c],
# which flexmix writes as flexmix(y ~ x * c, k = 2, model = FLXMRglm(family = "poisson"),
# concomitant = FLXPmultinom(~ c)). Two cases:
#   - "patent": flexmix's own data (Wang, Cockburn & Puterman 1998: patents of 70 pharmaceutical
#     and health-care companies): Patents ~ lgRD | RDS (R&D spending, log; R&D per sales);
#   - "sim": 800 simulated rows from two regimes whose coefficients and shares depend on c.
# flexmix is run from 20 random starts (stepFlexmix) and the best kept; the components are put in
# ctxstats' canonical order (ascending mean fitted response) and the gating re-referenced to
# the first. flexmix's Poisson M-step is glm's IRLS, so its optimum is the maximum-likelihood one.
#
#   Rscript tests/results/flexmix_poisson_mixture.R [dir]   # writes the data, results and posteriors
suppressMessages(library(flexmix))
args <- commandArgs(trailingOnly = TRUE)
here <- if (length(args)) args[1] else {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}
data("patent", package = "flexmix")
patent <- data.frame(y = patent$Patents, x = patent$lgRD, c = patent$RDS)
set.seed(7)
n <- 800
c <- rnorm(n); x <- rnorm(n)
z <- runif(n) < plogis(0.3 + 1.2 * c)
eta <- ifelse(z, 0.4 + x * (0.8 - 0.3 * c) + 0.2 * c, 2.0 + x * (-0.4 + 0.2 * c) - 0.3 * c)
sim <- data.frame(y = rpois(n, exp(eta)), x = signif(x, 10), c = signif(c, 10), regime = as.integer(z))
cases <- list(patent = patent, sim = sim)
rows <- list()
for (case in names(cases)) {
  d <- cases[[case]]
  write.csv(d, file.path(here, sprintf("flexmix_poisson_%s_data.csv", case)), row.names = FALSE)
  set.seed(1)
  fit <- stepFlexmix(y ~ x * c, data = d, k = 2, nrep = 20, verbose = FALSE,
                     model = FLXMRglm(family = "poisson"), concomitant = FLXPmultinom(~ c),
                     control = list(iter.max = 5000, tolerance = 1e-12, minprior = 0))
  comp <- parameters(fit)
  mean_fitted <- sapply(1:2, function(k) mean(predict(fit)[[k]]))
  ord <- order(mean_fitted)
  coef <- comp[, ord]
  gate <- parameters(fit, which = "concomitant")[, ord]
  gate <- gate - gate[, 1]
  rows[[case]] <- data.frame(case = case,
                             term = c(paste0("comp1:", rownames(comp)), paste0("comp2:", rownames(comp)),
                                      paste0("gate2:", rownames(gate)), "loglik", "df"),
                             estimate = c(coef[, 1], coef[, 2], gate[, 2], as.numeric(logLik(fit)),
                                          attr(logLik(fit), "df")))
  post <- posterior(fit)[, ord]
  write.csv(data.frame(p1 = signif(post[, 1], 15), p2 = signif(post[, 2], 15)),
            file.path(here, sprintf("flexmix_poisson_%s_posterior.csv", case)), row.names = FALSE)
}
out <- do.call(rbind, rows)
out$estimate <- format(out$estimate, digits = 17)
write.csv(out, file.path(here, "flexmix_poisson_results.csv"), row.names = FALSE, quote = FALSE)
