# Reference numbers of R's glm with the quasipoisson and quasibinomial families on real data,
# frozen for tests/test_quasi_families.py (which compares ctxstats' dispersion = "pearson" fits
# with them, and re-runs this script where R is available).
#
#   Rscript tests/results/r_quasi_families.R [folder]     # writes the data and the results
#
# - quasipoisson: AER's NMES1988 (physician office visits of 4,406 people over 66), visits on
#   chronic conditions and hospital stays, both varying linearly with age: the ctxstats model
#   visits ~ chronic + hospital | age with the linear encoder is the glm of
#   visits ~ (chronic + hospital) * age. Visits are overdispersed (dispersion about 7).
# - quasibinomial: base R's esoph (oesophageal cancer case-control, 88 groups), the share of
#   cases with the number of people as prior weights, on the alcohol group's code varying with
#   the age and tobacco groups' codes: ncases / n ~ alc * (age + tob), weights n.
# Each also has a restricted fit (dropping hospital, or tob) for anova(test = "F").
suppressMessages(library(AER))
args <- commandArgs(trailingOnly = TRUE)
here <- if (length(args)) args[1] else {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}

data("NMES1988", package = "AER")
nmes <- data.frame(visits = NMES1988$visits, chronic = NMES1988$chronic, hospital = NMES1988$hospital,
                   age = NMES1988$age)
esoph_d <- data.frame(share = esoph$ncases / (esoph$ncases + esoph$ncontrols),
                      n = esoph$ncases + esoph$ncontrols, alc = as.integer(esoph$alcgp),
                      age = as.integer(esoph$agegp), tob = as.integer(esoph$tobgp))
write.csv(nmes, file.path(here, "r_quasi_nmes_data.csv"), row.names = FALSE)
write.csv(esoph_d, file.path(here, "r_quasi_esoph_data.csv"), row.names = FALSE)

ctl <- glm.control(epsilon = 1e-14, maxit = 100)
fits <- list(
  quasipoisson = glm(visits ~ (chronic + hospital) * age, family = quasipoisson, data = nmes, control = ctl),
  quasipoisson_restricted = glm(visits ~ chronic * age, family = quasipoisson, data = nmes, control = ctl),
  quasibinomial = glm(share ~ alc * (age + tob), family = quasibinomial, weights = n, data = esoph_d,
                      control = ctl),
  quasibinomial_restricted = glm(share ~ alc * age, family = quasibinomial, weights = n, data = esoph_d,
                                 control = ctl))
# Refitted from their own estimates: R's summary uses the IRLS weights of the last iteration,
# which then sit at the converged estimates (to ~1e-14 rather than ~1e-8).
fits <- lapply(fits, function(m) update(m, start = coef(m)))
rows <- list()
for (name in names(fits)) {
  m <- fits[[name]]
  s <- summary(m)
  co <- s$coefficients
  rows[[length(rows) + 1]] <- data.frame(fit = name, term = rownames(co), estimate = co[, 1], se = co[, 2],
                                         t = co[, 3], p = co[, 4], dispersion = s$dispersion,
                                         deviance = deviance(m), df_resid = df.residual(m))
}
write.csv(do.call(rbind, rows), file.path(here, "r_quasi_coefficients.csv"), row.names = FALSE)
tests <- rbind(
  data.frame(family = "quasipoisson",
             as.data.frame(anova(fits$quasipoisson_restricted, fits$quasipoisson, test = "F"))[2, ]),
  data.frame(family = "quasibinomial",
             as.data.frame(anova(fits$quasibinomial_restricted, fits$quasibinomial, test = "F"))[2, ]))
names(tests) <- c("family", "df_resid", "deviance", "df", "dev_diff", "F", "p")
write.csv(tests, file.path(here, "r_quasi_anova.csv"), row.names = FALSE)
