# From a formula `y ~ x1 + x2 | c1 + c2` and a data frame to the response, the predictor
# matrix X and the context matrix C. The formula is split at `|` as an R language object
# (no parsing of text), and both parts are expanded by model.frame()/model.matrix(), so
# factors, interactions and transforms behave as they do in lm() and glm().

# The three formulas a `y ~ x | c` formula stands for: the predictors' `y ~ x`, the context's
# `~ c`, and `y ~ (x) + (c)`, which names every variable for a single model frame (so both
# parts drop the same incomplete rows).
split_formula <- function(formula) {
  usage <- "write the formula as response ~ predictors | context, e.g. y ~ x1 + x2 | c1 + c2"
  if (!inherits(formula, "formula")) {
    stop(sprintf("formula must be a formula, not %s; %s", type_name(formula), usage), call. = FALSE)
  }
  if (length(formula) != 3L) stop(sprintf("formula has no response; %s", usage), call. = FALSE)
  rhs <- formula[[3L]]
  is_bar <- function(e) is.call(e) && identical(e[[1L]], as.name("|"))
  if (!is_bar(rhs)) {
    stop(sprintf("formula has no context part after '|'; %s", usage), call. = FALSE)
  }
  if (is_bar(rhs[[2L]]) || is_bar(rhs[[3L]])) {
    stop(sprintf("formula has more than one '|'; %s", usage), call. = FALSE)
  }
  env <- environment(formula)
  exog <- formula
  exog[[3L]] <- rhs[[2L]]
  context <- stats::as.formula(call("~", rhs[[3L]]), env = env)
  frame <- formula
  frame[[3L]] <- call("+", call("(", rhs[[2L]]), call("(", rhs[[3L]]))
  list(exog = exog, context = context, frame = frame)
}

# model.matrix() of one part without its intercept column. The context part always gets
# treatment contrasts as if it had an intercept, since the encoder has its own bias term.
part_matrix <- function(tt, mf, contrasts = NULL) {
  M <- model.matrix(tt, mf, contrasts.arg = contrasts)
  keep <- attr(M, "assign") != 0L
  out <- M[, keep, drop = FALSE]
  attr(out, "assign") <- attr(M, "assign")[keep]
  attr(out, "contrasts") <- attr(M, "contrasts")
  storage.mode(out) <- "double"
  out
}

check_finite_columns <- function(M, rows) {
  bad <- !is.finite(M)
  if (any(bad)) {
    j <- which(colSums(bad) > 0)[1L]
    i <- which(bad[, j])[1L]
    stop(sprintf("%s contains a non-finite value (NaN or inf) at row %s", colnames(M)[j], rows[i]),
         call. = FALSE)
  }
  # The core refuses values beyond 1e150 (csrc/common/data.cpp); checking here names the column.
  huge <- abs(M) > 1e150
  if (any(huge)) {
    j <- which(colSums(huge) > 0)[1L]
    stop(sprintf("%s has values too large in magnitude to fit (above 1e150, where squares overflow); rescale it",
                 colnames(M)[j]), call. = FALSE)
  }
}

# The response as a numeric vector: a two-level factor counts the second level as success
# (as glm() does) and a logical counts TRUE.
response_vector <- function(y, name, family, rows) {
  if (is.null(y)) stop("formula has no response", call. = FALSE)
  if (is.matrix(y)) {
    stop(sprintf("the response %s has %d columns; give one column (for binomial data, proportions with weights)",
                 name, ncol(y)), call. = FALSE)
  }
  if (is.factor(y)) {
    if (family != "binomial" || nlevels(y) != 2L) {
      stop(sprintf("the response %s is a factor; only the binomial family takes a two-level factor", name),
           call. = FALSE)
    }
    y <- as.numeric(y != levels(y)[1L])
  } else if (is.logical(y)) {
    y <- as.numeric(y)
  } else if (!is.numeric(y)) {
    stop(sprintf("the response %s is not numeric (%s)", name, type_name(y)), call. = FALSE)
  }
  y <- as.double(y)
  bad <- !is.finite(y)
  if (any(bad)) stop(sprintf("%s contains a non-finite value (NaN or inf) at row %s", name, rows[which(bad)[1L]]),
                     call. = FALSE)
  if (family == "binomial" && any(y < 0 | y > 1)) {
    i <- which(y < 0 | y > 1)[1L]
    stop(sprintf("%s must lie in [0, 1] for the binomial family; row %s is %s", name, rows[i], format(y[i])),
         call. = FALSE)
  }
  if (family %in% c("poisson", "negativebinomial") && any(y < 0)) {
    i <- which(y < 0)[1L]
    stop(sprintf("%s must be non-negative for the %s family; row %s is %s", name, family, rows[i], format(y[i])),
         call. = FALSE)
  }
  y
}

# Evaluates model.frame() as lm() does: `data`, `subset`, `weights` and `na.action` are taken
# from the user's call `cl` and evaluated in `env`, so `weights = w` can name a column.
model_frame_from_call <- function(cl, frame_formula, env) {
  mf <- cl[c(1L, match(c("data", "subset", "weights", "na.action", "groups"), names(cl), 0L))]
  mf[[1L]] <- quote(stats::model.frame)
  mf$formula <- frame_formula
  mf$drop.unused.levels <- TRUE
  eval(mf, env)
}

design_from_frame <- function(parts, mf, family) {
  rows <- rownames(mf)
  tx <- terms(parts$exog)
  tc <- terms(parts$context)
  if (!is.null(attr(tx, "offset")) || !is.null(attr(tc, "offset"))) {
    stop("offset() terms are not supported", call. = FALSE)
  }
  attr(tc, "intercept") <- 1L
  fit_intercept <- attr(tx, "intercept") == 1L
  X <- part_matrix(tx, mf)
  C <- part_matrix(tc, mf)
  if (ncol(C) == 0L) {
    stop("the context (the part of the formula after '|') has no columns", call. = FALSE)
  }
  if (!fit_intercept && ncol(X) == 0L) {
    stop("the model has no parameters: there are no predictors and no intercept", call. = FALSE)
  }
  check_finite_columns(X, rows)
  check_finite_columns(C, rows)
  response_name <- deparse1(parts$exog[[2L]])
  y <- response_vector(model.response(mf), response_name, family, rows)
  w <- model.weights(mf)
  if (!is.null(w)) {
    if (!is.numeric(w)) stop("weights must be numeric", call. = FALSE)
    w <- as.double(w)
    if (any(!is.finite(w) | w < 0)) {
      stop(sprintf("weights must be finite and non-negative; row %s is not", rows[which(!is.finite(w) | w < 0)[1L]]),
           call. = FALSE)
    }
    if (!(sum(w) > 0)) stop("weights sum to zero", call. = FALSE)
  }
  g <- mf[["(groups)"]]
  if (!is.null(g)) {
    if (length(g) != length(rows)) stop("groups must hold one label per row", call. = FALSE)
    g <- match(g, unique(g))            # integer codes in order of first appearance
  }
  list(y = y, x = X, context = C, weights = w, groups = g, fit_intercept = fit_intercept,
       response_name = response_name, row_names = rows,
       terms = list(exog = tx, context = tc),
       xlevels = list(exog = .getXlevels(tx, mf), context = .getXlevels(tc, mf)),
       contrasts = list(exog = attr(X, "contrasts"), context = attr(C, "contrasts")),
       na.action = attr(mf, "na.action"))
}

# The response, predictor matrix and context matrix of a ctx_glm() formula, exported for the
# Python package (ctxstats.r fits from an R data frame with R's own model.matrix expansion).
ctx_design <- function(formula, data, family = NULL, weights = NULL, subset, na.action) {
  cl <- match.call()
  family <- resolve_options("glm", list(family = family_option(family)$family), solver_known = FALSE)$family
  parts <- split_formula(formula)
  mf <- model_frame_from_call(cl, parts$frame, parent.frame())
  design_from_frame(parts, mf, family)
}

# New data through the fitted terms, levels and contrasts of one part ("exog" or "context").
new_part_matrix <- function(object, part, newdata) {
  tt <- delete.response(object$terms[[part]])
  mf <- model.frame(tt, newdata, xlev = object$xlevels[[part]], na.action = na.pass)
  M <- part_matrix(tt, mf, object$contrasts[[part]])
  fitted_names <- colnames(if (part == "exog") object$x else object$context)
  if (!identical(colnames(M), fitted_names)) {
    stop(sprintf("newdata gives the %s columns %s; the model was fitted with %s",
                 if (part == "exog") "predictor" else "context",
                 paste(colnames(M), collapse = ", "), paste(fitted_names, collapse = ", ")), call. = FALSE)
  }
  M
}
