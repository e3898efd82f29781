test_that("the linear encoder equals lm() on the interaction design", {
  d <- make_vcm(300)
  d$c2 <- d$c2 * 1000  # scales far apart: the core's internal standardisation must not show
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear")
  ref <- lm(y ~ (x1 + x2) * (c1 + c2), d)
  expect_identical(fit$solver, "exact")
  expect_true(fit$converged)
  expect_equal(unname(sample_coef(fit)), unname(theta_from_interactions(coef(ref), d)), tolerance = 1e-8)
  expect_equal(unname(fitted(fit)), unname(fitted(ref)), tolerance = 1e-8)
  expect_equal(unname(residuals(fit)), unname(residuals(ref)), tolerance = 1e-8)
  # the same log-likelihood, and the same parameter count: q (m + 1) weights + the variance
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(ref)), tolerance = 1e-10)
  expect_equal(attr(logLik(fit), "df"), attr(logLik(ref), "df"))
  expect_equal(AIC(fit), AIC(ref), tolerance = 1e-10)
  expect_equal(BIC(fit), BIC(ref), tolerance = 1e-10)
})

test_that("the linear encoder equals glm() for the binomial and poisson families", {
  for (family in c("binomial", "poisson")) {
    d <- make_vcm(500, family, seed = 2)
    fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, family = family, encoder = "linear")
    ref <- glm(y ~ (x1 + x2) * (c1 + c2), family = get(family)(), data = d,
               control = glm.control(epsilon = 1e-14, maxit = 100))
    expect_equal(unname(sample_coef(fit)), unname(theta_from_interactions(coef(ref), d)), tolerance = 1e-8)
    expect_equal(unname(fitted(fit)), unname(fitted(ref)), tolerance = 1e-8)
    expect_equal(unname(predict(fit, type = "link")), unname(predict(ref, type = "link")), tolerance = 1e-8)
    expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(ref)), tolerance = 1e-10)
    expect_equal(AIC(fit), AIC(ref), tolerance = 1e-10)
    expect_equal(unname(residuals(fit, "deviance")), unname(residuals(ref, "deviance")), tolerance = 1e-7)
    expect_equal(unname(residuals(fit, "pearson")), unname(residuals(ref, "pearson")), tolerance = 1e-7)
  }
})

test_that("a fit is determined by its seed and does not depend on the thread count", {
  d <- make_vcm(300)
  a <- short_fit(ctx_glm(y ~ x1 + x2 | c1 + c2, d, seed = 3, threads = 1, width = 8, max_iter = 50))
  b <- short_fit(ctx_glm(y ~ x1 + x2 | c1 + c2, d, seed = 3, threads = 2, width = 8, max_iter = 50))
  c <- short_fit(ctx_glm(y ~ x1 + x2 | c1 + c2, d, seed = 4, threads = 2, width = 8, max_iter = 50))
  expect_identical(sample_coef(a), sample_coef(b))
  expect_identical(a$encoder_weights, b$encoder_weights)
  expect_false(isTRUE(all.equal(sample_coef(a), sample_coef(c))))
})

test_that("every encoder and solver runs and recovers a smooth truth", {
  d <- make_vcm(600)
  truth <- cbind(0.3 * d$c1 - 0.2, 0.5 + 0.4 * d$c1 - 0.2 * d$c2, -0.3 + 0.3 * d$c2)
  for (enc in c("mlp", "ngam")) {
    fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = enc, width = 8, seed = 1, weight_decay = 1e-2,
                   max_iter = 300)
    # about 0.05 for both; a wrong gradient or a broken encoder gives several times that
    expect_lt(sqrt(mean((sample_coef(fit) - truth)^2)), 0.1)
  }
  fit <- short_fit(ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "mlp", solver = "adam", width = 8, max_iter = 20,
                           learning_rate = 1e-2))
  expect_identical(fit$solver, "adam")
  expect_length(fit$val_history, fit$n_iter)
  fit <- short_fit(ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "mlp", archetypes = 3, width = 8, max_iter = 30))
  expect_equal(dim(sample_coef(fit)), c(600L, 3L))
})

test_that("start_params warm-starts from a previous fit's encoder weights", {
  d <- make_vcm(200)
  a <- short_fit(ctx_glm(y ~ x1 + x2 | c1 + c2, d, width = 8, max_iter = 20))
  b <- short_fit(ctx_glm(y ~ x1 + x2 | c1 + c2, d, width = 8, max_iter = 20, start_params = a$encoder_weights))
  expect_lte(b$objective, a$objective)
  expect_error(ctx_glm(y ~ x1 + x2 | c1 + c2, d, width = 8, start_params = c(1, 2)),
               "the initial weights have the wrong length")
})

test_that("the objective entry point reproduces the solver's final objective and its gradient", {
  d <- make_vcm(120)
  fit <- short_fit(ctx_glm(y ~ x1 + x2 | c1 + c2, d, width = 4, depth = 1, max_iter = 40, alpha = 0.01))
  obj <- function(w) ctxstats:::core_call(ctxstats:::ctxstats_objective_R, fit$context, fit$x, fit$y, NULL,
                                          fit$options, w)
  at <- obj(fit$encoder_weights)
  expect_equal(at$value, fit$objective, tolerance = 1e-12)
  w <- fit$encoder_weights
  h <- 1e-6
  fd <- vapply(seq_along(w)[1:10], function(k) {
    e <- replace(numeric(length(w)), k, h)
    (obj(w + e)$value - obj(w - e)$value) / (2 * h)
  }, numeric(1))
  expect_equal(at$gradient[1:10], fd, tolerance = 1e-6)
})

test_that("options are checked with the Python package's names and messages", {
  d <- make_vcm(40)
  f <- y ~ x1 | c1
  expect_error(ctx_glm(f, d, family = "gamma"), "family must be one of 'gaussian', 'binomial', 'poisson', 'negativebinomial', not 'gamma'")
  expect_error(ctx_glm(f, d, encoder = "tree"), "encoder must be one of 'linear', 'mlp', 'ngam', 'spline', not 'tree'")
  expect_error(ctx_glm(f, d, solver = "newton"), "solver must be one of 'auto', 'exact', 'lbfgs', 'varpro', 'adam', not 'newton'")
  expect_error(ctx_glm(f, d, solver = "exact"), "solver 'exact' needs encoder 'linear'")
  expect_error(ctx_glm(f, d, width = 0), "width must be at least 1, not 0")
  expect_error(ctx_glm(f, d, width = 2.5), "width must be an integer")
  expect_error(ctx_glm(f, d, archetypes = 1), "archetypes=1 gives every sample the same model")
  expect_error(ctx_glm(f, d, l1_ratio = 2), "l1_ratio must be <= 1, not 2")
  expect_error(ctx_glm(f, d, solver = "adam", val_split = 1), "val_split must be < 1, not 1", fixed = TRUE)
  expect_error(ctx_glm(f, d, seed = -1), "seed must be a non-negative integer below 2^64, not -1", fixed = TRUE)
  expect_error(ctx_glm(f, d, width = 1e10), "width must be at most 4096, not 10000000000", fixed = TRUE)
  expect_error(ctx_glm(f, d, max_iter = 1e10), "max_iter must be at most 2147483647, not 10000000000", fixed = TRUE)
  expect_error(ctx_glm(f, d, encoder = "linear", width = 5),
               "width does not apply to encoder 'linear'; it applies to encoder 'mlp', 'ngam'", fixed = TRUE)
  expect_error(ctx_glm(f, d, batch_size = 64), "batch_size does not apply to solver 'lbfgs'", fixed = TRUE)
  expect_error(ctx_glm(f, d, widht = 3), "unknown option\\(s\\): widht")
})

test_that("C++ errors become R errors carrying the core's message", {
  d <- make_vcm(40)
  fit <- ctx_glm(y ~ x1 | c1 + c2, d, encoder = "linear")
  bad <- fit$options
  bad$solver <- "newton"
  # the core's own message, word for word as the Python package's ValueError
  expect_error(ctxstats:::core_call(ctxstats:::ctxstats_fit_R, fit$context, fit$x, fit$y, NULL, bad, NULL),
               "solver must be one of 'auto', 'exact', 'lbfgs', 'varpro', 'adam', not 'newton'", fixed = TRUE)
  bad <- fit$options
  bad$family <- "gamma"
  expect_error(ctxstats:::core_call(ctxstats:::ctxstats_fit_R, fit$context, fit$x, fit$y, NULL, bad, NULL),
               "gamma")
  expect_error(ctxstats:::core_call(ctxstats:::ctxstats_predict_theta_R, fit$options, fit$scaling,
                                    fit$encoder_weights, fit$context[, 1, drop = FALSE]),
               "context has 1 columns; the model was fitted with 2", fixed = TRUE)
  y <- fit$y
  y[4] <- NaN
  expect_error(ctxstats:::core_call(ctxstats:::ctxstats_fit_R, fit$context, fit$x, y, NULL, fit$options, NULL),
               "endog")
  # the session survives many errors (no leaked or half-destroyed C++ state)
  for (i in 1:200) try(ctxstats:::core_call(ctxstats:::ctxstats_fit_R, fit$context, fit$x, y, NULL,
                                            fit$options, NULL), silent = TRUE)
  expect_equal(sample_coef(ctx_glm(y ~ x1 | c1 + c2, d, encoder = "linear")), sample_coef(fit))
})

test_that("deviance, df.residual, residuals of every type and logLik equal glm's (computed by the core)", {
  for (family in c("gaussian", "binomial", "poisson")) {
    d <- make_vcm(400, family, seed = 4)
    w <- stats::runif(400, 0.3, 2.5)
    fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, family = family, encoder = "linear", weights = w)
    ref <- suppressWarnings(glm(y ~ (x1 + x2) * (c1 + c2), family = get(family)(), data = d, weights = w,
                                control = glm.control(epsilon = 1e-14, maxit = 100)))
    expect_equal(deviance(fit), deviance(ref), tolerance = 1e-8)
    expect_equal(df.residual(fit), df.residual(ref))
    for (type in c("response", "pearson", "deviance", "working"))
      expect_equal(unname(residuals(fit, type)), unname(residuals(ref, type)), tolerance = 1e-7, info = type)
    # (glm's binomial logLik reads non-integer prior weights as rounded trial counts: not compared)
    if (family == "poisson") expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(ref)), tolerance = 1e-9)
  }
  expect_error(residuals(fit, "studentized"), "should be one of")
})

test_that("anova of nested fits equals anova of the lm/glm interaction fits", {
  for (family in c("gaussian", "binomial", "poisson")) {
    d <- make_vcm(400, family, seed = 6)
    small <- ctx_glm(y ~ x1 | c1, d, family = family, encoder = "linear")
    full <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, family = family, encoder = "linear")
    if (family == "gaussian") {
      ref <- anova(lm(y ~ x1 * c1, d), lm(y ~ (x1 + x2) * (c1 + c2), d))
      cols <- c("Res.Df", "RSS", "Df", "Sum of Sq", "F", "Pr(>F)")
    } else {
      ctl <- glm.control(epsilon = 1e-14, maxit = 100)
      ref <- anova(glm(y ~ x1 * c1, get(family)(), d, control = ctl),
                   glm(y ~ (x1 + x2) * (c1 + c2), get(family)(), d, control = ctl), test = "Chisq")
      cols <- c("Resid. Df", "Resid. Dev", "Df", "Deviance", "Pr(>Chi)")
    }
    tab <- anova(small, full)
    expect_s3_class(tab, "anova")
    expect_equal(unname(as.matrix(tab[, cols])), unname(as.matrix(ref[, cols])), tolerance = 1e-7, info = family)
  }
  expect_error(anova(full, small), "restricted")
})

test_that("predict with se.fit and intervals equals predict.lm on the interaction model", {
  d <- make_vcm(150)
  nd <- make_vcm(7, seed = 9)
  nd$c1[2] <- NA
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear")
  ref <- lm(y ~ (x1 + x2) * (c1 + c2), d)
  got <- predict(fit, nd, se.fit = TRUE)
  want <- predict(ref, nd, se.fit = TRUE)
  expect_equal(unname(got$fit), unname(want$fit), tolerance = 1e-9)
  expect_equal(unname(got$se.fit), unname(want$se.fit), tolerance = 1e-9)
  expect_equal(got$df, want$df)
  expect_equal(got$residual.scale, want$residual.scale, tolerance = 1e-10)
  for (iv in c("confidence", "prediction")) {
    g <- predict(fit, nd, interval = iv, level = 0.9)
    w <- predict(ref, nd, interval = iv, level = 0.9)
    expect_equal(colnames(g), c("fit", "lwr", "upr"))
    expect_equal(unname(g), unname(w), tolerance = 1e-9, info = iv)
  }
  expect_true(all(is.na(got$se.fit[2])))
  # the fitted rows, with na.exclude padding as predict.lm
  d$x1[5] <- NA
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear", na.action = na.exclude)
  ref <- lm(y ~ (x1 + x2) * (c1 + c2), d, na.action = na.exclude)
  expect_equal(unname(predict(fit, se.fit = TRUE)$se.fit), unname(predict(ref, se.fit = TRUE)$se.fit),
               tolerance = 1e-9)
  # a robust covariance changes the standard errors as sandwich-based intervals should
  hc <- predict(fit, se.fit = TRUE, cov_type = "HC0")$se.fit
  expect_false(isTRUE(all.equal(hc, predict(fit, se.fit = TRUE)$se.fit)))
})

test_that("predict with se.fit equals predict.glm for binomial and poisson fits", {
  for (family in c("binomial", "poisson")) {
    d <- make_vcm(400, family, seed = 2)
    fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, family = family, encoder = "linear")
    ref <- glm(y ~ (x1 + x2) * (c1 + c2), family = get(family)(), data = d,
               control = glm.control(epsilon = 1e-14, maxit = 100))
    nd <- make_vcm(6, family, seed = 5)
    for (type in c("link", "response")) {
      got <- predict(fit, nd, type = type, se.fit = TRUE)
      want <- predict(ref, nd, type = type, se.fit = TRUE)
      expect_equal(unname(got$fit), unname(want$fit), tolerance = 1e-7, info = paste(family, type))
      expect_equal(unname(got$se.fit), unname(want$se.fit), tolerance = 1e-6, info = paste(family, type))
    }
    # the response interval is the link interval mapped through the inverse link
    lk <- predict(fit, nd, type = "link", interval = "confidence")
    rs <- predict(fit, nd, type = "response", interval = "confidence")
    expect_equal(unname(rs), unname(family(ref)$linkinv(lk)), tolerance = 1e-12)
    expect_error(predict(fit, nd, interval = "prediction"), "gaussian fits only")
  }
})

test_that("bootstrap fits predict with percentile intervals; other fits refuse clearly", {
  d <- make_vcm(120)
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear", n_bootstraps = 30, seed = 1)
  p <- predict(fit, d[1:5, ], se.fit = TRUE, interval = "confidence", cov_type = "bootstrap")
  expect_equal(dim(p$fit), c(5L, 3L))
  expect_true(all(p$fit[, "lwr"] < p$fit[, "upr"]) && all(p$se.fit > 0))
  expect_error(predict(fit, d, interval = "prediction", cov_type = "bootstrap"), "analytic gaussian")
  nn <- suppressWarnings(ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "mlp", width = 4, max_iter = 5))
  expect_error(predict(nn, d, se.fit = TRUE), "standard errors of predictions need")
  sp <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "spline")  # Vp standard errors
  expect_true(all(predict(sp, d, se.fit = TRUE)$se.fit > 0))
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear")
  expect_error(predict(fit, d, type = "params", se.fit = TRUE), "sample_confint")
  expect_error(predict(fit, d, se.fit = NA), "se.fit must be TRUE or FALSE")
  expect_error(predict(fit, d, dispersion = 2), "does not support .*dispersion")
  expect_error(predict(fit, d, tpye = "link"), "unknown argument")
  expect_length(predict(fit, d), 120)
})

test_that("update, formula, model.frame, model.matrix and summary()$coefficients behave as lm's", {
  d <- make_vcm(200)
  d$w <- runif(200, 0.5, 2)
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "linear", weights = w)
  expect_identical(formula(fit), y ~ x1 + x2 | c1 + c2)
  small <- update(fit, . ~ . - x2)
  expect_identical(deparse(formula(small)), "y ~ x1 | c1 + c2")
  ref <- lm(y ~ x1 * (c1 + c2), d, weights = w)
  expect_equal(unname(fitted(small)), unname(fitted(ref)), tolerance = 1e-8)
  both <- update(fit, . ~ . | . - c2)
  expect_identical(deparse(formula(both)), "y ~ x1 + x2 | c1")
  expect_identical(deparse(formula(update(fit, ~ . + I(x1^2) | c1))), "y ~ x1 + x2 + I(x1^2) | c1")
  expect_identical(update(fit, encoder = "spline", evaluate = FALSE)$encoder, "spline")
  # the same rows and variables as lm's model frame (a subset and weights included)
  sub <- update(fit, subset = c1 > 0)
  mf <- model.frame(sub)
  ref_mf <- model.frame(lm(y ~ x1 + x2 + c1 + c2, d, weights = w, subset = c1 > 0))
  expect_identical(rownames(mf), rownames(ref_mf))
  expect_equal(mf[["(weights)"]], ref_mf[["(weights)"]])
  expect_equal(nrow(mf), nobs(sub))
  X <- model.matrix(fit)
  expect_identical(colnames(X), c("(Intercept)", "x1", "x2"))
  expect_identical(colnames(model.matrix(fit, "context")), c("c1", "c2"))
  # summary()$coefficients: the average effects' table as summary.lm names it
  cf <- summary(fit)$coefficients
  expect_identical(colnames(cf), c("Estimate", "Std. Error", "t value", "Pr(>|t|)"))
  expect_equal(cf[, "Estimate"], coef(fit))
  expect_equal(cf[, "Std. Error"], sqrt(diag(vcov(fit))))
  sp <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "spline")
  expect_identical(colnames(summary(sp)$coefficients), c("Estimate", "Std. Error", "t value", "Pr(>|t|)"))
  nosd <- suppressWarnings(ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "mlp", width = 4, max_iter = 5))
  expect_identical(colnames(suppressWarnings(summary(nosd))$coefficients), "Estimate")
  expect_error(update(fit, "y ~ x1"), "formula. must be a formula")
})

test_that("plot draws each coefficient against each context feature, as Python's plot_coefficients", {
  set.seed(4)
  n <- 300
  d <- data.frame(age = runif(n, 20, 60), female = as.numeric(runif(n) < 0.9), x = rnorm(n))
  d$y <- d$x * (0.05 * d$age + 2 * d$female) + rnorm(n, sd = 0.3)
  fit <- ctx_glm(y ~ x | age + female, d, encoder = "linear")
  pdf(NULL)
  on.exit(dev.off())
  panels <- plot(fit, pages = 1, n_grid = 5)
  expect_length(panels, 4L)                       # 2 coefficients x 2 context features
  p <- panels[[2]]                                # x against age, female held at its common level 1
  expect_identical(c(p$param, p$context), c("x", "age"))
  grid <- data.frame(age = p$x, female = 1)
  expect_equal(unname(p$fit), unname(predict(fit, grid, type = "params")[, "x"]), tolerance = 1e-12)
  lim <- sample_confint(fit, newdata = grid)
  expect_equal(unname(p$lower), unname(lim$lower[, "x"]), tolerance = 1e-12)
  expect_equal(unname(p$x), unname(quantile(d$age, c(0.01, 0.99))[1] +
                                      (0:4) / 4 * diff(quantile(d$age, c(0.01, 0.99)))), tolerance = 1e-12)
  q <- panels[[4]]                                # x against the indicator: its two values
  expect_true(q$indicator)
  expect_equal(q$x, c(0, 1))
  expect_length(plot(fit, context = "age", select = "x", show_samples = FALSE), 1L)
  expect_error(plot(fit, context = "bmi"), "context must name")
  sp <- ctx_glm(y ~ x | age, d, encoder = "spline")
  expect_false(is.null(plot(sp, pages = 1)[[1]]$lower))   # Vp bands
})

test_that("ctx_cv's held-out deviance equals fits on the folds by hand, and prefers the right encoder", {
  d <- make_vcm(200, "poisson", seed = 3)
  fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, family = "poisson", encoder = "linear")
  cv <- ctx_cv(fit, folds = 4, seed = 2)
  expect_equal(sort(as.vector(table(cv$fold))), c(50, 50, 50, 50))
  total <- 0
  for (k in 1:4) {
    train <- d[cv$fold != k, ]
    test <- d[cv$fold == k, ]
    mu <- predict(ctx_glm(y ~ x1 + x2 | c1 + c2, train, family = "poisson", encoder = "linear"), test)
    expect_equal(unname(cv$predicted_mean[cv$fold == k]), unname(mu), tolerance = 1e-10)
    dev <- sum(poisson()$dev.resids(test$y, mu, rep(1, nrow(test))))
    expect_equal(cv$folds$deviance[k], dev, tolerance = 1e-10)
    total <- total + dev
  }
  expect_equal(cv$deviance, total, tolerance = 1e-12)
  set.seed(5)
  g <- data.frame(x = rnorm(400), c = runif(400))
  g$y <- g$x * sin(6 * g$c) + rnorm(400, sd = 0.3)
  lin <- ctx_cv(ctx_glm(y ~ x | c, g, encoder = "linear"))
  spl <- ctx_cv(ctx_glm(y ~ x | c, g, encoder = "spline"))
  expect_lt(spl$mean_deviance, lin$mean_deviance)
  expect_output(print(spl), "5-fold cross-validation")
  expect_error(ctx_cv(fit, folds = 1), "folds must be")
  expect_error(ctx_cv(fit, folds = 1000), "cannot exceed")
})
