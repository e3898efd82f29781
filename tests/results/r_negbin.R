# Reference numbers of R's MASS::glm.nb (negative binomial NB2, log link, theta estimated) on
# real data, frozen for tests/test_negbin.py (which compares ctxstats' family =
# "negativebinomial" fits with them, and re-runs this script where R is available).
#
#   Rscript tests/results/r_negbin.R [folder]     # writes the data and the results
#
# AER's NMES1988 (physician office visits of 4,406 people over 66): visits on chronic
# conditions, hospital stays and years of schooling, each varying linearly with age and family
# income: the ctxstats model visits ~ chronic + hospital + school | age + income with the
# linear encoder is the glm.nb of visits ~ (chronic + hospital + school) * (age + income).
# Fits: "full"; "restricted" (without school, for the likelihood-ratio test of anova.negbin);
# "weighted" (the full model with prior weights 1 + row %% 3); "poisson" (the full model's
# poisson glm, for the README's comparison).
#
# glm.nb stops when the log-likelihood and theta settle to about 1e-8 and theta.ml stops at a
# Newton step below eps^(1/4); the fits are then polished (theta.ml to full precision and the
# glm at that theta from its own estimates, alternated until theta stops moving) so that the
# frozen numbers are the maximum-likelihood ones to ~1e-12 rather than ~1e-8. glm.nb's own
# numbers are written too (glmnb_*), to show how close its defaults come.
suppressMessages({
  library(AER)
  library(MASS)
})
args <- commandArgs(trailingOnly = TRUE)
here <- if (length(args)) args[1] else {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}

data("NMES1988", package = "AER")
nmes <- data.frame(visits = NMES1988$visits, chronic = NMES1988$chronic, hospital = NMES1988$hospital,
                   school = NMES1988$school, age = NMES1988$age, income = NMES1988$income)
nmes$w <- 1 + (seq_len(nrow(nmes)) - 1) %% 3
write.csv(nmes, file.path(here, "r_negbin_nmes_data.csv"), row.names = FALSE)

ctl <- glm.control(epsilon = 1e-14, maxit = 100)
polish <- function(formula, data, weights = NULL) {
  data$.w <- if (is.null(weights)) rep(1, nrow(data)) else weights
  nb <- glm.nb(formula, data = data, weights = .w, control = ctl)
  th <- nb$theta
  m <- nb
  for (k in 1:50) {
    m <- glm(formula, family = negative.binomial(th), data = data, weights = .w, start = coef(m), control = ctl)
    th_new <- theta.ml(m$y, fitted(m), sum(data$.w), data$.w, limit = 100, eps = 1e-15)
    done <- abs(th_new - th) <= 1e-13 * th
    th <- as.numeric(th_new)
    if (done) break
  }
  m <- glm(formula, family = negative.binomial(th), data = data, weights = .w, start = coef(m), control = ctl)
  mu <- fitted(m)
  y <- m$y
  w <- data$.w
  ll <- sum(w * (lgamma(th + y) - lgamma(th) - lgamma(y + 1) + th * log(th) + y * log(mu) - (th + y) * log(th + mu)))
  info <- sum(w * (-trigamma(th + y) + trigamma(th) - 1 / th + 2 / (mu + th) - (y + th) / (mu + th)^2))
  list(nb = nb, m = m, theta = th, se_theta = 1 / sqrt(info), loglik = ll,
       aic = -2 * ll + 2 * (m$rank + 1), bic = -2 * ll + log(sum(w > 0)) * (m$rank + 1))
}

f_full <- visits ~ (chronic + hospital + school) * (age + income)
f_restricted <- visits ~ (chronic + hospital) * (age + income)
fits <- list(full = polish(f_full, nmes), restricted = polish(f_restricted, nmes),
             weighted = polish(f_full, nmes, nmes$w))
rows <- list()
summ <- list()
for (name in names(fits)) {
  p <- fits[[name]]
  co <- summary(p$m, dispersion = 1)$coefficients
  nbco <- summary(p$nb)$coefficients
  rows[[length(rows) + 1]] <- data.frame(fit = name, term = rownames(co), estimate = co[, 1], se = co[, 2],
                                         z = co[, 3], p = co[, 4], glmnb_estimate = nbco[, 1], glmnb_se = nbco[, 2])
  summ[[length(summ) + 1]] <- data.frame(
    fit = name, theta = p$theta, se_theta = p$se_theta, loglik = p$loglik, twologlik = 2 * p$loglik,
    aic = p$aic, bic = p$bic, deviance = deviance(p$m), null_deviance = p$m$null.deviance,
    df_resid = df.residual(p$m), pearson_chi2 = sum(residuals(p$m, type = "pearson")^2),
    glmnb_theta = p$nb$theta, glmnb_se_theta = p$nb$SE.theta, glmnb_twologlik = p$nb$twologlik,
    glmnb_aic = AIC(p$nb))
}
write.csv(do.call(rbind, rows), file.path(here, "r_negbin_coefficients.csv"), row.names = FALSE)
write.csv(do.call(rbind, summ), file.path(here, "r_negbin_summary.csv"), row.names = FALSE)

# anova.negbin of the glm.nb fits: the likelihood-ratio statistic 2 (loglik_full - loglik_restricted).
a <- anova(fits$restricted$nb, fits$full$nb)
lr <- 2 * (fits$full$loglik - fits$restricted$loglik)
df <- fits$restricted$m$df.residual - fits$full$m$df.residual
write.csv(data.frame(lr = lr, df = df, p = pchisq(lr, df, lower.tail = FALSE),
                     anova_lr = a[["LR stat."]][2], anova_df = a[["   df"]][2], anova_p = a[["Pr(Chi)"]][2]),
          file.path(here, "r_negbin_anova.csv"), row.names = FALSE)

# The poisson glm of the full model, for the README's comparison (its log-likelihood and AIC).
pois <- glm(f_full, family = poisson, data = nmes, control = ctl)
write.csv(data.frame(loglik = as.numeric(logLik(pois)), aic = AIC(pois), deviance = deviance(pois),
                     df_resid = df.residual(pois)),
          file.path(here, "r_negbin_poisson.csv"), row.names = FALSE)
