# The negative binomial family (family = "negbin") against MASS::glm.nb on AER's NMES1988: on
# the linear encoder the fit is glm.nb of the interaction design, so coefficients, covariance,
# theta, SE.theta, 2 x log-likelihood, AIC and anova.negbin's likelihood-ratio test agree.

# glm.nb, then polished: theta.ml to full precision alternated with the glm at that theta, so
# that the reference is the maximum-likelihood fit to ~1e-12 (glm.nb stops near 1e-8).
polished_nb <- function(formula, data) {
  ctl <- glm.control(epsilon = 1e-14, maxit = 100)
  m <- MASS::glm.nb(formula, data = data, control = ctl)
  th <- m$theta
  for (k in 1:50) {
    m <- glm(formula, family = MASS::negative.binomial(th), data = data, start = coef(m), control = ctl)
    th_new <- as.numeric(MASS::theta.ml(m$y, fitted(m), nrow(data), limit = 100, eps = 1e-15))
    done <- abs(th_new - th) <= 1e-13 * th
    th <- th_new
    if (done) break
  }
  list(m = glm(formula, family = MASS::negative.binomial(th), data = data, start = coef(m), control = ctl),
       theta = th)
}

nmes_data <- function() {
  skip_if_not_installed("AER")
  skip_if_not_installed("MASS")
  data("NMES1988", package = "AER", envir = environment())
  NMES1988[c("visits", "chronic", "hospital", "school", "age", "income")]
}

test_that("negbin fits equal MASS::glm.nb", {
  nmes <- nmes_data()
  fit <- ctx_glm(visits ~ chronic + hospital + school | age + income, nmes, family = "negbin", encoder = "linear")
  ref <- polished_nb(visits ~ (chronic + hospital + school) * (age + income), nmes)
  order <- c("(Intercept)", "age", "income", "chronic", "chronic:age", "chronic:income", "hospital", "hospital:age",
             "hospital:income", "school", "school:age", "school:income")
  # (glm.nb reports the covariance with dispersion 1, as summary.negbin)
  expect_equal(unname(interaction_vcov(fit)), unname(vcov(ref$m, dispersion = 1)[order, order]), tolerance = 1e-7)
  expect_equal(fit$theta, ref$theta, tolerance = 1e-9)
  mu <- fitted(ref$m)
  y <- nmes$visits
  th <- ref$theta
  info <- sum(-trigamma(th + y) + trigamma(th) - 1 / th + 2 / (mu + th) - (y + th) / (mu + th)^2)
  expect_equal(fit$SE.theta, 1 / sqrt(info), tolerance = 1e-8)
  ll <- sum(dnbinom(y, size = th, mu = mu, log = TRUE))
  expect_equal(as.numeric(logLik(fit)), ll, tolerance = 1e-10)
  expect_equal(fit$twologlik, 2 * ll, tolerance = 1e-10)
  expect_equal(attr(logLik(fit), "df"), 13)
  expect_equal(AIC(fit), -2 * ll + 2 * 13, tolerance = 1e-10)
  expect_equal(deviance(fit), deviance(ref$m), tolerance = 1e-8)
  expect_equal(df.residual(fit), df.residual(ref$m))
  expect_equal(sum(residuals(fit, "pearson")^2), sum(residuals(ref$m, "pearson")^2), tolerance = 1e-8)
  expect_equal(unname(predict(fit, type = "response")), unname(mu), tolerance = 1e-8)
  out <- capture.output(print(fit))
  expect_true(any(grepl("Theta", out)))
  expect_true(any(grepl("Theta", capture.output(print(summary(fit))))))
  # glm.nb's defaults stop close to the maximum.
  nb <- MASS::glm.nb(visits ~ (chronic + hospital + school) * (age + income), data = nmes)
  expect_equal(fit$theta, nb$theta, tolerance = 1e-7)
  expect_equal(fit$twologlik, nb$twologlik, tolerance = 1e-10)
})

test_that("anova of nested negbin fits is anova.negbin's likelihood-ratio test", {
  nmes <- nmes_data()
  full <- ctx_glm(visits ~ chronic + hospital + school | age + income, nmes, family = "negbin", encoder = "linear")
  small <- ctx_glm(visits ~ chronic + hospital | age + income, nmes, family = "negativebinomial", encoder = "linear")
  a <- anova(small, full)
  ref <- anova(MASS::glm.nb(visits ~ (chronic + hospital) * (age + income), data = nmes),
               MASS::glm.nb(visits ~ (chronic + hospital + school) * (age + income), data = nmes))
  expect_equal(a[["LR stat."]][2], ref[["LR stat."]][2], tolerance = 1e-7)
  expect_equal(a[["df"]][2], ref[["   df"]][2])
  expect_equal(a[["Pr(Chi)"]][2], ref[["Pr(Chi)"]][2], tolerance = 1e-6)
})

test_that("negbin refuses what it cannot do, by name", {
  nmes <- nmes_data()[1:300, ]
  expect_error(ctx_glm(visits ~ chronic | age, nmes, family = "negbin", encoder = "spline"), "encoder 'linear' only")
  expect_error(ctx_glm(visits ~ chronic | age, nmes, family = "negbin", encoder = "mlp"), "encoder 'linear' only")
  expect_error(ctx_glm(visits ~ chronic | age, nmes, family = MASS::negative.binomial(2), encoder = "linear"),
               "fixes theta")
  expect_error(ctx_glm(visits ~ chronic | age, nmes, family = "negbin", encoder = "linear", n_bootstraps = 5),
               "n_bootstraps")
  bad <- nmes
  bad$visits[4] <- -1
  expect_error(ctx_glm(visits ~ chronic | age, bad, family = "negbin", encoder = "linear"), "non-negative")
})
