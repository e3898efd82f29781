# summary(): the same text as the Python package's results.summary() -- a header, then one
# block per table, then numbered notes -- laid out by the same rules (ctxstats/summary.py),
# so the two languages print the same tables for the same fit.
#
# A summary is a list of blocks: `header` (left and right key/value pairs), `tables` (each a
# caption and a data frame) and `notes`. Inference (bootstrap intervals, heterogeneity tests,
# identifiability) adds its tables and notes here as it becomes available in the core.

summary.ctx_glm <- function(object, ...) {
  ll <- logLik(object)
  k <- attr(ll, "df")
  n <- nobs(object)
  ctx <- paste(object$context_names, collapse = ", ")
  if (nchar(ctx) > 18L) ctx <- sprintf("%d columns", length(object$context_names))
  py_bool <- function(b) if (isTRUE(b)) "True" else "False"
  header <- list(
    left = list(c("Dep. Variable", object$response_name), c("Family", object$family),
                c("Encoder", object$encoder), c("Solver", object$solver),
                c("No. Observations", as.character(n)), c("Context", ctx)),
    right = list(c("Converged", py_bool(object$converged)), c("Iterations", as.character(object$n_iter)),
                 c("Log-Likelihood", fmt_g(ll, 6L)), c("AIC", fmt_g(-2 * ll + 2 * k, 6L)),
                 c("BIC", fmt_g(-2 * ll + log(n) * k, 6L)),
                 c("Encoder weights", as.character(length(object$encoder_weights)))))
  theta <- object$sample_coef
  q <- function(p) apply(theta, 2L, stats::quantile, probs = p, type = 7L, names = FALSE)
  spread <- data.frame(
    mean = colMeans(theta),
    std = apply(theta, 2L, function(v) sqrt(sum((v - mean(v))^2) / length(v))),
    min = apply(theta, 2L, min), `25%` = q(0.25), `50%` = apply(theta, 2L, stats::median),
    `75%` = q(0.75), max = apply(theta, 2L, max),
    check.names = FALSE, row.names = colnames(theta))
  notes <- character(0)
  if (!isTRUE(object$converged)) notes <- c(notes, paste0("The solver did not converge: ", object$message))
  if (isTRUE(object$rank_deficient)) {
    notes <- c(notes, "The interaction design is rank deficient; the minimum-norm solution is reported.")
  }
  structure(list(title = "Contextualized GLM Results (ctx_glm)", header = header,
                 tables = list(list(caption = "Sample parameters: spread over samples",
                                    frame = spread)),
                 notes = notes, width = 78L),
            class = "summary.ctx_glm")
}

# C's %.<digits>g, which is what Python's format(x, ".4g") gives for finite numbers.
fmt_g <- function(x, digits) sprintf(paste0("%.", digits, "g"), as.numeric(x))

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
