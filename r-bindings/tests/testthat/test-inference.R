# Inference: analytic covariances against lm()/glm() on the interaction design, Wald
# heterogeneity tests against anova(), bootstrap intervals, identifiability, bad input.

# The interaction coefficients of lm()/glm() in ctxstats' order (Intercept, c1, c2, x1,
# x1:c1, ...), and the matrix mapping them to the average effects.
interaction_order <- function(xs = c("x1", "x2"), cs = c("c1", "c2")) {
  c("(Intercept)", cs, unlist(lapply(xs, function(x) c(x, paste0(x, ":", cs)))))
}

test_that("analytic covariances equal lm() and glm() on the interaction design", {
  for (family in c("gaussian", "binomial", "poisson")) {
    d <- make_vcm(400, family, seed = 3)
    fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, family = family, encoder = "linear")
    ref <- if (family == "gaussian") lm(y ~ (x1 + x2) * (c1 + c2), d) else
      glm(y ~ (x1 + x2) * (c1 + c2), family = get(family)(), data = d,
          control = glm.control(epsilon = 1e-14, maxit = 100))
    o <- interaction_order()
    V <- vcov(ref)[o, o]
    expect_equal(unname(interaction_vcov(fit)), unname(V), tolerance = 1e-8)
    L <- kronecker(diag(3), matrix(c(1, colMeans(d[c("c1", "c2")])), 1))
    expect_equal(unname(vcov(fit)), unname(L %*% V %*% t(L)), tolerance = 1e-8)
    ce <- context_effects(fit)
    expect_equal(ce[["std err"]], unname(sqrt(diag(V))[-c(1, 4, 7)]), tolerance = 1e-8)
    crit <- if (family == "gaussian") qt(0.975, df.residual(ref)) else qnorm(0.975)
    se <- sqrt(diag(vcov(fit)))
    expect_equal(unname(confint(fit)), unname(cbind(coef(fit) - crit * se, coef(fit) + crit * se)),
                 tolerance = 1e-12)
    expect_identical(colnames(confint(fit)), c("2.5 %", "97.5 %"))
  }
})

test_that("HC covariances are sandwiches with the small-sample corrections", {
  d <- make_vcm(300, seed = 4)
  ref <- lm(y ~ (x1 + x2) * (c1 + c2), d)
  Z <- model.matrix(ref)[, interaction_order()]
  e <- residuals(ref)
  h <- hatvalues(ref)
  bread <- solve(crossprod(Z))
  sandwich <- function(u) bread %*% crossprod(Z * u) %*% bread
  n <- nrow(Z)
  expected <- list(HC0 = sandwich(e), HC1 = sandwich(e) * n / (n - ncol(Z)), HC2 = sandwich(e / sqrt(1 - h)),
                   HC3 = sandwich(e / (1 - h)))
  for (type in names(expected)) {
    fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear", cov_type = type)
    expect_equal(unname(interaction_vcov(fit)), unname(expected[[type]]), tolerance = 1e-8)
    # the same from a nonrobust fit, asked for the type
    fit0 <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear")
    expect_equal(vcov(fit0, cov_type = type), vcov(fit), tolerance = 1e-14)
  }
})

test_that("the Wald heterogeneity test equals anova() of nested lm() fits", {
  d <- make_vcm(300, seed = 5)
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear")
  full <- lm(y ~ (x1 + x2) * (c1 + c2), d)
  het <- heterogeneity_test(fit)
  expect_identical(rownames(het), c("Intercept", "x1", "x2"))
  expect_identical(attr(het, "distribution"), "F")
  reduced <- list(Intercept = y ~ (x1 + x2) * (c1 + c2) - c1 - c2 + x1:c1 + x1:c2 + x2:c1 + x2:c2,
                  x1 = y ~ (x1 + x2) * (c1 + c2) - x1:c1 - x1:c2,
                  x2 = y ~ (x1 + x2) * (c1 + c2) - x2:c1 - x2:c2)
  for (k in names(reduced)) {
    a <- anova(lm(reduced[[k]], d), full)
    expect_equal(het[k, "statistic"], a$F[2], tolerance = 1e-8)
    expect_equal(het[k, "pvalue"], a$`Pr(>F)`[2], tolerance = 1e-8)
    expect_equal(het[k, "df"], 2)
  }
  byc <- heterogeneity_test(fit, by = "context")
  a <- anova(lm(y ~ (x1 + x2) * c2, d), full)  # c1 modifies neither the intercept nor a slope
  expect_equal(byc["c1", "statistic"], a$F[2], tolerance = 1e-8)
  expect_error(heterogeneity_test(fit, by = "feature"), "by must be one of")
  expect_error(heterogeneity_test(fit, method = "bootstrap"), "needs bootstrap replicates")
})

test_that("bootstrap replicates give percentile intervals, deterministic for a seed and any thread count", {
  d <- make_vcm(200, seed = 6)
  a <- short_fit(ctx_glm(y ~ x1 + x2 | c1 + c2, d, width = 8, max_iter = 40, n_bootstraps = 8, seed = 2, threads = 1))
  b <- short_fit(ctx_glm(y ~ x1 + x2 | c1 + c2, d, width = 8, max_iter = 40, n_bootstraps = 8, seed = 2, threads = 2))
  expect_identical(a$bootstrap$weights, b$bootstrap$weights)
  expect_identical(dim(a$bootstrap$weights), c(8L, length(a$encoder_weights)))
  expect_identical(a$cov_type, "bootstrap")
  reps <- bootstrap_coef(a)
  ci <- confint(a, level = 0.9)
  expect_equal(unname(ci[, 1]), unname(apply(reps, 2, quantile, 0.05)), tolerance = 1e-14)
  expect_equal(unname(ci[, 2]), unname(apply(reps, 2, quantile, 0.95)), tolerance = 1e-14)
  expect_equal(unname(sqrt(diag(vcov(a)))), unname(apply(reps, 2, sd)), tolerance = 1e-12)
  sc <- sample_confint(a)
  expect_identical(dim(sc$lower), dim(sample_coef(a)))
  expect_true(all(sc$lower <= sc$upper))
  expect_identical(rownames(heterogeneity_test(a)), c("Intercept", "x1", "x2"))
  expect_true(all(heterogeneity_test(a)$pvalue >= 1 / 9))
  expect_match(format(summary(a)), "Average effects \\(bootstrap, B=8", all = FALSE)
  # no z next to a percentile p-value: the table shows the statistics that belong to it
  expect_identical(names(coef_table(a)), c("coef", "std err", "P>|b|", "[0.025", "0.975]"))
  expect_true(all(coef_table(a)[["P>|b|"]] >= 2 / 9))
  expect_match(paste(format(summary(a)), collapse = " "), "P>\\|b\\|\\s+is\\s+the\\s+percentile\\s+p-value")
  expect_identical(names(sign_flip_share(a)), c("Intercept", "x1", "x2"))
  expect_error(sample_confint(a, level = 2), "level must be a number in \\(0, 1\\)")
  expect_error(confint(a, level = "0.9"), "level must be")
})

test_that("inference errors name what is missing", {
  d <- make_vcm(100, seed = 7)
  f <- short_fit(ctx_glm(y ~ x1 | c1, d, width = 4, max_iter = 5))
  expect_null(f$cov_type)
  expect_error(confint(f), "no standard errors.*n_bootstraps")
  expect_error(vcov(f), "no standard errors")
  expect_error(heterogeneity_test(f), "needs bootstrap replicates")
  expect_error(context_effects(f), "only for the linear encoder")
  expect_error(ctx_glm(y ~ x1 | c1, d, cov_type = "HC9", encoder = "linear"), "cov_type must be one of")
  expect_error(ctx_glm(y ~ x1 | c1, d, cov_type = "HC0"), "needs the unpenalised linear encoder")
  expect_error(ctx_glm(y ~ x1 | c1, d, cov_type = "bootstrap", encoder = "linear"), "needs replicates")
  expect_error(ctx_glm(y ~ x1 | c1, d, n_bootstraps = -1), "n_bootstraps must be at least 0")
  expect_error(ctx_glm(y ~ x1 | c1, d, n_bootstraps = 1.5), "n_bootstraps must be an integer")
})

test_that("identifiability names aliased terms and warns", {
  d <- make_vcm(150, seed = 8)
  d$c3 <- 2 * d$c1 - d$c2
  expect_warning(f <- ctx_glm(y ~ x1 + x2 | c1 + c2 + c3, d, encoder = "linear"),
                 "identifiability check\\(s\\) failed: rank of \\[1, C\\]")
  r <- identifiability(f)
  expect_false(r$identifiable)
  expect_match(r$notes, "'c3' is a linear combination of 'c1', 'c2'", all = FALSE)
  expect_output(print(r), "check\\(s\\) failed")
  # the same finding as a table: c3 aliased in [1, C] with c1 and c2
  a <- r$findings[r$findings$design == "[1, C]", ]
  expect_equal(a$column, "c3")
  expect_equal(a$kind, "aliased")
  expect_equal(a$with[[1]], c("c1", "c2"))
  ok <- identifiability(ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear"))
  expect_true(ok$identifiable)
  expect_equal(nrow(ok$findings), 0L)
})

test_that("cov_type = 'cluster' equals the cluster sandwich of lm and glm (statsmodels' factor)", {
  cluster_reference <- function(Z, score, bread, g) {
    n <- nrow(Z)
    k <- ncol(Z)
    G <- length(unique(g))
    S <- rowsum(score, g)                     # each group's score sum
    bread %*% crossprod(S) %*% bread * G / (G - 1) * (n - 1) / (n - k)
  }
  for (family in c("gaussian", "binomial", "poisson")) {
    d <- make_vcm(300, family, seed = 7)
    set.seed(7)
    d$firm <- sample(sprintf("f%02d", 1:20), 300, replace = TRUE)
    fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, family = family, encoder = "linear", cov_type = "cluster", groups = firm)
    Xt <- cbind(1, d$x1, d$x2)
    Ct <- cbind(1, d$c1, d$c2)
    Z <- do.call(cbind, lapply(1:3, function(k) Xt[, k] * Ct))
    ref <- glm(d$y ~ Z - 1, family = get(family)(), control = glm.control(epsilon = 1e-14, maxit = 100))
    mu <- fitted(ref)
    bread <- solve(crossprod(Z * sqrt(ref$weights)))
    want <- cluster_reference(Z, Z * (d$y - mu), bread, d$firm)
    expect_equal(unname(interaction_vcov(fit)), unname(want), tolerance = 1e-7, info = family)
    if (requireNamespace("sandwich", quietly = TRUE) && family == "gaussian") {
      lmref <- lm(d$y ~ Z - 1)
      expect_equal(unname(interaction_vcov(fit)), unname(sandwich::vcovCL(lmref, cluster = d$firm, type = "HC1")),
                   tolerance = 1e-8)
    }
    het <- heterogeneity_test(fit)
    if (family == "gaussian") expect_true(all(het$df_denom == 19))
    expect_identical(fit$cov_type, "cluster")
  }
  # a saved cluster fit keeps its groups and standard errors
  path <- tempfile(fileext = ".ctxm")
  ctx_save(fit, path)
  back <- ctx_load(path)
  expect_equal(sqrt(diag(vcov(back))), sqrt(diag(vcov(fit))))
  expect_error(ctx_glm(y ~ x1 + x2 | c1 + c2, d, family = "poisson", encoder = "linear", cov_type = "cluster"),
               "needs groups")
  expect_error(ctx_glm(y ~ x1 + x2 | c1 + c2, d, family = "poisson", encoder = "linear", groups = firm),
               "groups are used by cov_type = \"cluster\"")
})
