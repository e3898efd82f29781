# Quasi-likelihood fits (family = quasipoisson / quasibinomial, or dispersion = "pearson")
# against glm()'s quasi families on real data: AER's NMES1988 (overdispersed counts) and base
# R's esoph (proportions with prior weights). On the linear encoder the fit is the glm of the
# interaction design: coefficients, covariance, dispersion, t tests and anova(test = "F") agree.

# Refitted from its own estimates: summary.glm's weights are those of the last IRLS iteration,
# which then sit at the converged estimates.
converged <- function(m, data) {
  data$prior_w <- m$prior.weights
  glm(formula(m), family = family(m), data = data, weights = prior_w, start = coef(m),
      control = glm.control(epsilon = 1e-14, maxit = 100))
}

quasi_cases <- function() {
  ctl <- glm.control(epsilon = 1e-14, maxit = 100)
  esoph_d <- data.frame(share = esoph$ncases / (esoph$ncases + esoph$ncontrols),
                        n = esoph$ncases + esoph$ncontrols, alc = as.integer(esoph$alcgp),
                        age = as.integer(esoph$agegp), tob = as.integer(esoph$tobgp))
  out <- list(quasibinomial = list(
    fit = ctx_glm(share ~ alc | age + tob, esoph_d, family = quasibinomial(), encoder = "linear", weights = n),
    small = ctx_glm(share ~ alc | age, esoph_d, family = "quasibinomial", encoder = "linear", weights = n),
    ref = converged(glm(share ~ alc * (age + tob), family = quasibinomial, weights = n, data = esoph_d,
                        control = ctl), esoph_d),
    ref_small = glm(share ~ alc * age, family = quasibinomial, weights = n, data = esoph_d, control = ctl),
    order = c("(Intercept)", "age", "tob", "alc", "alc:age", "alc:tob")))
  if (requireNamespace("AER", quietly = TRUE)) {
    data("NMES1988", package = "AER", envir = environment())
    nmes <- NMES1988[c("visits", "chronic", "hospital", "age")]
    out$quasipoisson <- list(
      fit = ctx_glm(visits ~ chronic + hospital | age, nmes, family = quasipoisson, encoder = "linear"),
      small = ctx_glm(visits ~ chronic | age, nmes, family = "poisson", dispersion = "pearson", encoder = "linear"),
      ref = converged(glm(visits ~ (chronic + hospital) * age, family = quasipoisson, data = nmes, control = ctl),
                      nmes),
      ref_small = glm(visits ~ chronic * age, family = quasipoisson, data = nmes, control = ctl),
      order = c("(Intercept)", "age", "chronic", "chronic:age", "hospital", "hospital:age"))
  }
  out
}

test_that("quasi fits equal glm's quasipoisson and quasibinomial", {
  for (case in quasi_cases()) {
    fit <- case$fit
    ref <- case$ref
    V <- vcov(ref)[case$order, case$order]
    expect_equal(unname(interaction_vcov(fit)), unname(V), tolerance = 1e-7)
    expect_equal(dispersion(fit), summary(ref)$dispersion, tolerance = 1e-8)
    expect_equal(deviance(fit), deviance(ref), tolerance = 1e-10)
    expect_equal(df.residual(fit), df.residual(ref))
    expect_true(is.na(logLik(fit)) && is.na(AIC(fit)))
    ce <- context_effects(fit)
    expect_equal(ce[["std err"]], unname(sqrt(diag(V))[grepl(":|^age$|^tob$", case$order)]), tolerance = 1e-7)
    expect_match(paste(capture.output(print(fit)), collapse = "\n"), ref$family$family, fixed = TRUE)
  }
})

test_that("anova of quasi fits is anova.glm(test = \"F\")", {
  for (case in quasi_cases()) {
    a <- anova(case$small, case$fit)
    r <- anova(case$ref_small, case$ref, test = "F")
    expect_equal(a$F[2], r$F[2], tolerance = 1e-7)
    expect_equal(a[["Pr(>F)"]][2], r[["Pr(>F)"]][2], tolerance = 1e-6)
    expect_equal(a$Df[2], r$Df[2])
  }
})

test_that("quasi families give the family's estimates; bad combinations are refused", {
  d <- make_vcm(300, "poisson", seed = 5)
  plain <- ctx_glm(y ~ x1 | c1, d, family = "poisson", encoder = "linear")
  quasi <- ctx_glm(y ~ x1 | c1, d, family = quasipoisson(), encoder = "linear")
  expect_identical(plain$encoder_weights, quasi$encoder_weights)
  expect_equal(unname(interaction_vcov(quasi)), unname(interaction_vcov(plain)) * dispersion(quasi),
               tolerance = 1e-12)
  expect_error(ctx_glm(y ~ x1 | c1, d, family = quasipoisson(), dispersion = "model", encoder = "linear"),
               "contradicts")
  expect_error(ctx_glm(y ~ x1 | c1, d, family = poisson(link = "identity"), encoder = "linear"), "canonical link")
  expect_error(ctx_glm(y ~ x1 | c1, d, family = Gamma(), encoder = "linear"), "not available")
})

test_that("a quasipoisson spline fit is mgcv's bam(family = quasipoisson) on the same P-splines", {
  skip_if_not_installed("mgcv")
  set.seed(7)
  n <- 1000
  d <- data.frame(c = runif(n, -2, 2), x = rnorm(n))
  d$x <- d$x - mean(d$x)
  mu <- exp(0.3 + 0.5 * sin(1.5 * d$c) + d$x * (0.2 + 0.2 * d$c))
  d$y <- rnbinom(n, size = 1.5, mu = mu)
  fit <- ctx_glm(y ~ x | c, d, family = quasipoisson(), encoder = "spline", n_knots = 8)
  kn <- fit$spline$knots * fit$scaling$c_scale + fit$scaling$c_mean
  kn[4] <- min(kn[4], min(d$c))
  kn[length(kn) - 3] <- max(kn[length(kn) - 3], max(d$c))
  ref <- mgcv::bam(y ~ s(c, bs = "ps", k = 8) + s(c, by = x, bs = "ps", k = 8), data = d,
                   family = quasipoisson(), method = "fREML", knots = list(c = kn))
  pr <- predict(ref, se.fit = TRUE)
  eta <- log(fitted(fit))
  expect_lt(max(abs(eta - pr$fit) / pr$se.fit), 1e-3)
  expect_equal(sum(fit$spline$smoothing$edf) , sum(ref$edf), tolerance = 1e-3)
  expect_true(dispersion(fit) > 1.5)
  plain <- ctx_glm(y ~ x | c, d, family = poisson(), encoder = "spline", n_knots = 8)
  expect_gt(sum(plain$spline$smoothing$edf), sum(fit$spline$smoothing$edf))
})
