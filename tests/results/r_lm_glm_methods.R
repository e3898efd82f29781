# Reference numbers of R's lm and glm methods -- predict(se.fit = TRUE, interval = ...), anova of
# nested fits, residuals of each type, deviance, df.residual, logLik, AIC and BIC -- frozen for
# tests/test_r_methods_frozen.py, which compares ctxstats' linear-encoder fits (the lm/glm of the
# interaction design) with them, and re-runs this script where R is available.
#
#   Rscript tests/results/r_lm_glm_methods.R [folder]
#
# - gaussian: base R's airquality (complete rows), log(Ozone) on Wind and Solar.R varying with
#   Temp and Month (small: with Temp only): lm(log(Ozone) ~ (Wind + Solar.R) * (Temp + Month)).
# - poisson: AER's NMES1988 (r_quasi_nmes_data.csv, written by r_quasi_families.R), visits on
#   chronic and hospital varying with age (small: chronic only):
#   glm(visits ~ (chronic + hospital) * age, family = poisson).
args <- commandArgs(trailingOnly = TRUE)
script_dir <- {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}
here <- if (length(args)) args[1] else script_dir

aq <- na.omit(airquality)[c("Ozone", "Wind", "Solar.R", "Temp", "Month")]
write.csv(aq, file.path(here, "r_methods_airquality_data.csv"), row.names = FALSE)
nmes <- read.csv(file.path(script_dir, "r_quasi_nmes_data.csv"))

fits <- list(
  gaussian = list(big = lm(log(Ozone) ~ (Wind + Solar.R) * (Temp + Month), data = aq),
                  small = lm(log(Ozone) ~ (Wind + Solar.R) * Temp, data = aq),
                  new = data.frame(Wind = c(5, 10, 15), Solar.R = c(100, 200, 300), Temp = c(65, 80, 95),
                                   Month = c(5, 7, 9))),
  poisson = list(big = glm(visits ~ (chronic + hospital) * age, family = poisson, data = nmes,
                           control = glm.control(epsilon = 1e-14, maxit = 100)),
                 small = glm(visits ~ chronic * age, family = poisson, data = nmes,
                             control = glm.control(epsilon = 1e-14, maxit = 100)),
                 new = data.frame(chronic = c(0, 2, 5), hospital = c(0, 1, 3), age = c(6.6, 7.5, 9))))

scalars <- list()
predictions <- list()
residual_rows <- list()
for (family in names(fits)) {
  f <- fits[[family]]
  big <- f$big
  a <- if (family == "gaussian") anova(f$small, big) else anova(f$small, big, test = "Chisq")
  scalars[[family]] <- data.frame(
    family = family, deviance = deviance(big), null_deviance = if (family == "poisson") big$null.deviance else NA,
    df_residual = df.residual(big), loglik = as.numeric(logLik(big)), aic = AIC(big), bic = BIC(big),
    anova_df = a[2, "Df"], anova_change = if (family == "gaussian") a[2, "Sum of Sq"] else a[2, "Deviance"],
    anova_statistic = if (family == "gaussian") a[2, "F"] else a[2, "Deviance"],
    anova_pvalue = if (family == "gaussian") a[2, "Pr(>F)"] else a[2, "Pr(>Chi)"])
  if (family == "gaussian") {
    conf <- predict(big, f$new, se.fit = TRUE, interval = "confidence", level = 0.9)
    pred <- predict(big, f$new, interval = "prediction", level = 0.9)
    predictions[[family]] <- data.frame(family = family, row = seq_len(nrow(f$new)), fit = conf$fit[, "fit"],
                                        se_fit = conf$se.fit, lower = conf$fit[, "lwr"], upper = conf$fit[, "upr"],
                                        obs_lower = pred[, "lwr"], obs_upper = pred[, "upr"])
  } else {
    link <- predict(big, f$new, se.fit = TRUE, type = "link")
    resp <- predict(big, f$new, se.fit = TRUE, type = "response")
    predictions[[family]] <- data.frame(family = family, row = seq_len(nrow(f$new)), fit = resp$fit,
                                        se_fit = resp$se.fit, lower = exp(link$fit - qnorm(0.95) * link$se.fit),
                                        upper = exp(link$fit + qnorm(0.95) * link$se.fit),
                                        obs_lower = NA, obs_upper = NA)
  }
  residual_rows[[family]] <- data.frame(family = family, row = seq_len(nobs(big)),
                                        response = residuals(big, type = "response"),
                                        pearson = residuals(big, type = "pearson"),
                                        deviance = residuals(big, type = "deviance"),
                                        working = residuals(big, type = "working"))
}
write.csv(do.call(rbind, scalars), file.path(here, "r_methods_scalars.csv"), row.names = FALSE)
write.csv(do.call(rbind, predictions), file.path(here, "r_methods_predictions.csv"), row.names = FALSE)
write.csv(do.call(rbind, residual_rows), file.path(here, "r_methods_residuals.csv"), row.names = FALSE)
