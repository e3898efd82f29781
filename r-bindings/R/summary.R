# summary(): the same text as the Python package's results.summary() -- a header, then one
# block per table, then numbered notes -- laid out by the same rules (ctxstats/summary.py),
# so the two languages print the same tables for the same fit.
#
# A summary is a list of blocks: `header` (left and right key/value pairs), `tables` (each a
# caption and a data frame) and `notes`: the average effects with standard errors and
# intervals, the spread of the sample parameters, heterogeneity tests, context effects
# (linear encoder), and notes from the identifiability checks, as in Python.

summary.ctx_glm <- function(object, level = 0.95, ...) {
  alpha <- level_alpha(level)
  ll <- logLik(object)
  k <- attr(ll, "df")
  n <- nobs(object)
  ctx <- paste(object$context_names, collapse = ", ")
  if (nchar(ctx) > 18L) ctx <- sprintf("%d columns", length(object$context_names))
  py_bool <- function(b) if (isTRUE(b)) "True" else "False"
  K <- object$options$archetypes
  B <- n_boot(object)
  cov_type <- object$cov_type
  spline <- !is.null(object$spline$smoothing)
  header <- list(
    left = list(c("Dep. Variable", object$response_name), c("Model", "GLM"), c("Family", family_label(object)),
                c("Encoder", paste0(object$encoder, if (K > 0) sprintf(" + %d archetypes", as.integer(K)) else "",
                                    if (isTRUE(object$options$linear_skip)) " + linear skip" else "")),
                c("Solver", object$solver),
                c("No. Observations", as.character(n)), c("Context", ctx)),
    right = Filter(Negate(is.null), list(
      c("Converged", py_bool(object$converged)), c("Iterations", as.character(object$n_iter)),
      c("Log-Likelihood", fmt_g(ll, 6L)), c("AIC", fmt_g(-2 * ll + 2 * k, 6L)),
      c("BIC", fmt_g(-2 * ll + log(n) * k, 6L)),
      c("Encoder weights", as.character(length(object$encoder_weights))),
      if (spline) c("Total edf", sprintf("%.2f", object$spline$smoothing$edf_total)),
      if (spline) c("Dev. explained", sprintf("%.1f%%", 100 * fit_statistics(object)$deviance_explained)),
      c("Covariance", if (has_location_scale(object)) "nonrobust" else if (is.null(cov_type)) "none" else cov_type),
      if (is_negbin(object)) c("Theta", sprintf("%s (SE %s)", fmt_g(object$theta, 6L), fmt_g(theta_se(object), 3L))))))
  tables <- list()
  add_table <- function(caption, frame) tables[[length(tables) + 1L]] <<- list(caption = caption, frame = frame)
  if (!is.null(cov_type)) {
    caption <- if (cov_type == "bootstrap") {
      G <- if (is.null(object$bootstrap$clusters)) 0 else object$bootstrap$clusters
      sprintf("bootstrap, B=%d%s, percentile intervals and p-values, p >= %s", B,
              if (G > 0) sprintf(", resampling %d clusters", as.integer(G)) else "", fmt_g(2 / (B + 1), 3L))
    } else {
      lc <- linear_covariance(object, cov_type)
      sprintf("analytic, cov_type=%s, %s", cov_type, if (lc$use_t) "t" else "normal")
    }
    add_table(sprintf("Average effects (%s)", caption), coef_table(object, 1 - alpha))
  } else if (spline) {
    caption <- sprintf("Bayesian covariance Vp (mgcv), %s",
                       if (isTRUE(spline_tests(object)$estimated_scale)) "t" else "normal")
    add_table(sprintf("Average effects (%s)", caption), coef_table(object, 1 - alpha))
  }
  if (has_location_scale(object)) {
    add_table("Average effects (inverse observed information (scale='context'), normal)",
              coef_table(object, 1 - alpha))
  }
  add_table("Sample parameters: spread over samples", column_spread(object$sample_coef))
  if (has_location_scale(object)) add_table("Scale: H0 sigma does not vary with context (chi2)", scale_test(object))
  if (!is.null(cov_type)) {
    het <- heterogeneity_test(object)
    dist <- attr(het, "distribution")
    keep <- vapply(het, function(col) !all(is.nan(col)), logical(1))
    add_table(sprintf("Heterogeneity: H0 the coefficient does not vary with context (%s, %s)",
                      attr(het, "method"), if (dist != "bootstrap") dist else sprintf("B=%d", B)),
              het[, keep, drop = FALSE])
    linear <- object$encoder == "linear" && K == 0
    if (analytic_available(object$options) || (cov_type == "bootstrap" && linear)) {
      add_table("Context effects: change in each coefficient per unit of each context feature",
                context_effects(object, 1 - alpha))
    }
  }
  notes <- character(0)
  if (spline) {  # smooth terms with their edf; Vp-based tests unless bootstrap ones are shown
    parts <- spline_summary_parts(object)
    shown <- if (is.null(cov_type)) parts$tables else parts$tables[1L]
    shown[[1L]]$caption <- sprintf("%s [smoothing: %s]", shown[[1L]]$caption, parts$method)
    for (tab in shown) add_table(tab$caption, tab$frame)
    if (length(parts$notes)) notes <- c(notes, paste0("Spline: ", parts$notes))
  }
  report <- identifiability(object)
  if (length(report$notes)) notes <- c(notes, paste0("Identifiability: ", report$notes))
  if (report$identifiable) {
    notes <- c(notes, sprintf("Identifiability: all %d checks passed (see identifiability(fit)).", nrow(report$checks)))
  }
  if (is.null(cov_type) && spline) {
    notes <- c(notes, paste0("Spline intervals and tests use the Bayesian covariance Vp (mgcv's): see ",
                             "sample_confint(fit) and coefficient_functions(fit); AIC and BIC count the total edf."))
  } else if (has_location_scale(object)) {
    notes <- c(notes, location_scale_note(object))
  } else if (is.null(cov_type)) {
    notes <- c(notes, paste0("No standard errors: analytic ones exist for the unpenalised linear encoder only; ",
                             "refit with n_bootstraps = B for bootstrap intervals, p-values and heterogeneity tests."))
  }
  if (!isTRUE(object$converged)) notes <- c(notes, paste0("The solver did not converge: ", object$message))
  if (isTRUE(object$rank_deficient)) {
    notes <- c(notes, "The interaction design is rank deficient; the minimum-norm solution is reported.")
  }
  if (B > 0) notes <- c(notes, bootstrap_share_note(object$bootstrap$converged))
  if (B > 0) {
    rule <- if (is.null(object$bootstrap$rule)) "" else object$bootstrap$rule
    start <- core_call(ctxstats_bootstrap_rule_note_R, rule)
    if (!nzchar(start)) start <- "by a replicate rule this saved fit did not record"
    notes <- c(notes, sprintf(paste0("Bootstrap: %d refits on multinomial resamples of the rows, %s. ",
                                     "P>|b| is the percentile p-value, ",
                                     "2 (1 + replicates on the far side of zero) / (B + 1): it inverts the percentile ",
                                     "interval, so no z statistic goes with it, and it cannot fall below 2/(B+1) = %s ",
                                     "(heterogeneity tests: 1/(B+1) = %s)."),
                              B, start, fmt_g(2 / (B + 1), 3L), fmt_g(1 / (B + 1), 3L)))
  }
  structure(list(title = "Contextualized GLM Results (ctx_glm)", header = header, tables = tables,
                 notes = notes, width = 78L, coefficients = coefficient_matrix(object, level)),
            class = "summary.ctx_glm")
}

# summary(fit)$coefficients as summary.lm / summary.glm name it: Estimate, Std. Error, the
# statistic and its p-value (analytic inference); Estimate, Std. Error, Pr(>|b|) (bootstrap);
# the estimates alone when the fit has no standard errors.
coefficient_matrix <- function(object, level) {
  if (is.null(object$cov_type) && !has_spline_vp(object)) {
    return(matrix(coef(object), ncol = 1L, dimnames = list(object$param_names, "Estimate")))
  }
  tab <- coef_table(object, level)
  if (identical(object$cov_type, "bootstrap")) {
    out <- as.matrix(tab[, 1:3])
    colnames(out) <- c("Estimate", "Std. Error", "Pr(>|b|)")
  } else {
    out <- as.matrix(tab[, 1:4])
    stat <- colnames(tab)[3L]
    colnames(out) <- c("Estimate", "Std. Error", sprintf("%s value", stat), sprintf("Pr(>|%s|)", stat))
  }
  out
}

# C's %.<digits>g, which is what Python's format(x, ".4g") gives for finite numbers.
# Non-finite values print as Python prints them (nan, inf, -inf).
fmt_g <- function(x, digits) {
  x <- as.numeric(x)
  out <- sprintf(paste0("%.", digits, "g"), x)
  out[is.nan(x)] <- "nan"
  out[!is.nan(x) & is.na(x)] <- "nan"
  out[x == Inf & !is.na(x)] <- "inf"
  out[x == -Inf & !is.na(x)] <- "-inf"
  out
}

pad_right <- function(s, width) paste0(s, strrep(" ", pmax(0L, width - nchar(s))))
pad_left <- function(s, width) paste0(strrep(" ", pmax(0L, width - nchar(s))), s)

# Python's str.center (CPython puts the odd space on the left when width is odd).
center <- function(s, width) {
  marg <- width - nchar(s)
  if (marg <= 0L) return(s)
  left <- marg %/% 2L + bitwAnd(bitwAnd(marg, width), 1L)
  paste0(strrep(" ", left), s, strrep(" ", marg - left))
}

format_header <- function(left, right, width) {
  half <- width %/% 2L
  rows <- character(0)
  for (i in seq_len(max(length(left), length(right)))) {
    l <- if (i <= length(left)) left[[i]] else c("", "")
    r <- if (i <= length(right)) right[[i]] else c("", "")
    key <- function(k) if (nzchar(k)) paste0(k, ":") else ""
    rows <- c(rows, paste0(pad_right(key(l[1]), 20L), pad_left(l[2], half - 22L), "  ",
                           pad_right(key(r[1]), 20L), pad_left(r[2], width - half - 20L)))
  }
  rows
}

format_frame <- function(frame) {
  body <- matrix(unlist(lapply(frame, function(col) {
    if (is.double(col)) fmt_g(col, 4L) else as.character(col)
  })), nrow = nrow(frame))
  cells <- rbind(c("", colnames(frame)), cbind(rownames(frame), body))
  widths <- apply(cells, 2L, function(col) max(nchar(col)))
  lines <- character(0)
  for (k in seq_len(nrow(cells))) {
    r <- cells[k, ]
    line <- paste0(pad_right(r[1], widths[1]), "  ",
                   paste(pad_left(r[-1], widths[-1]), collapse = "  "))
    lines <- c(lines, line)
    if (k == 1L) lines <- c(lines, strrep("-", nchar(line)))
  }
  lines
}

format.summary.ctx_glm <- function(x, ...) {
  rule <- strrep("=", x$width)
  out <- c(center(x$title, x$width), rule, format_header(x$header$left, x$header$right, x$width), rule)
  for (tab in x$tables) out <- c(out, tab$caption, format_frame(tab$frame), rule)
  if (length(x$notes)) out <- c(out, "Notes:", sprintf("[%d] %s", seq_along(x$notes), x$notes))
  out
}

print.summary.ctx_glm <- function(x, ...) {
  cat(format(x), sep = "\n")
  invisible(x)
}
