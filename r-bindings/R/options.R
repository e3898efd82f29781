# Argument checks with messages that name the argument, worded as in the Python package
# (ctxstats/_validation.py), for the arguments that are not fit options (levels, n_neighbors
# of predict, ...); and the fit options, read through the C++ core's option table.

# Every option of every model -- its default, bounds or choices, what it applies to and its
# doc -- is in the C++ core's option table (csrc/options/schema.cpp), read by the Python
# package too. R keeps no default or bound of its own: a NULL argument means "the table's
# default", and the core checks every option (types, ranges, whether it applies to the chosen
# encoder, solver and family) with the Python package's messages.

# The option table of the C++ core: one list per option (name, type, group, default,
# default_for, low, high, low_open, high_open, choices, aliases, models, encoders, solvers,
# families, internal, doc), the same rows as the Python package's ctxstats.option_schema().
ctx_option_schema <- function() .Call(ctxstats_option_schema_R)

# The options of `model` ("glm" or "personalized") checked by the core and completed with the
# table's defaults: every option that applies to the model as configured.
resolve_options <- function(model, given, solver_known = TRUE) {
  core_call(ctxstats_resolve_options_R, model, drop_null(given), solver_known)
}

drop_null <- function(x) x[!vapply(x, is.null, logical(1))]

# The choices of a choice option, from the table.
option_choices <- function(name) ctx_option_schema()[[name]]$choices

quoted <- function(x) paste0("'", x, "'", collapse = ", ")

type_name <- function(x) if (is.null(x)) "NULL" else class(x)[1L]

check_choice <- function(value, allowed, name) {
  if (!is.character(value) || length(value) != 1L || is.na(value)) {
    stop(sprintf("%s must be a string, one of %s; got %s", name, quoted(allowed), type_name(value)),
         call. = FALSE)
  }
  if (!value %in% allowed) {
    stop(sprintf("%s must be one of %s, not '%s'", name, quoted(allowed), value), call. = FALSE)
  }
  value
}

# A whole number given as integer or double (R users write 32, not 32L).
check_int <- function(value, name, minimum = 0) {
  if (!is.numeric(value) || length(value) != 1L || is.na(value) || !is.finite(value) ||
      value != round(value)) {
    shown <- if (is.numeric(value) && length(value) == 1L) format(value) else type_name(value)
    stop(sprintf("%s must be an integer, not %s", name, shown), call. = FALSE)
  }
  if (value < minimum) {
    stop(sprintf("%s must be at least %s, not %s", name, format(minimum), format(value)), call. = FALSE)
  }
  as.numeric(value)
}

check_float <- function(value, name, low = NULL, high = NULL, low_open = FALSE, high_open = FALSE) {
  if (!is.numeric(value) || length(value) != 1L || is.na(value)) {
    stop(sprintf("%s must be a number, not %s", name, type_name(value)), call. = FALSE)
  }
  if (!is.finite(value)) stop(sprintf("%s must be finite, not %s", name, format(value)), call. = FALSE)
  if (!is.null(low) && (value < low || (low_open && value == low))) {
    stop(sprintf("%s must be %s %s, not %s", name, if (low_open) ">" else ">=", format(low), format(value)),
         call. = FALSE)
  }
  if (!is.null(high) && (value > high || (high_open && value == high))) {
    stop(sprintf("%s must be %s %s, not %s", name, if (high_open) "<" else "<=", format(high), format(value)),
         call. = FALSE)
  }
  as.numeric(value)
}

# The options of a ctx_glm() fit as the core reads them (the same keys as the Python package's
# `results.options`): ctx_glm()'s arguments and its `...`, the spline options that name the
# data turned into what the core reads, checked and completed by the core's option table.
core_options <- function(given, dots, context = NULL, q = NULL) {
  if (length(dots) && (is.null(names(dots)) || any(names(dots) == ""))) {
    stop("the options in ... must be named (e.g. width = 16, alpha = 0.1)", call. = FALSE)
  }
  if ("fit_intercept" %in% names(dots)) {
    stop("fit_intercept is set by the formula: remove the intercept with '- 1' or '0 +'", call. = FALSE)
  }
  given <- c(drop_null(given), drop_null(dots))
  encoder <- resolve_options("glm", given[intersect(names(given), "encoder")], solver_known = FALSE)$encoder
  if (identical(encoder, "spline") && !is.null(context)) given <- spline_options(given, context, q)
  opts <- resolve_options("glm", given)
  if (encoder == "spline" && opts$solver %in% c("lbfgs", "adam")) {
    warning(sprintf(paste0("solver = \"%s\" fits the spline encoder without its smoothing penalties ",
                           "(only alpha and weight_decay apply); the exact solver (the default) applies them"),
                    opts$solver), call. = FALSE)
  }
  opts
}

# The encoder = "spline" options that name the data, as the Python package's
# check_spline_options: interactions given by context column names or 1-based positions
# become 0-based pairs, smoothing (one number, or one value per (coefficient, penalty) pair,
# coefficient major: a q x penalties matrix) a vector. The core checks the values afterwards;
# a malformed value is passed on unchanged for it to report.
spline_options <- function(sp, context, q) {
  out <- sp
  cn <- colnames(context)
  for (j in seq_len(ncol(context))) {
    if (max(context[, j]) == min(context[, j])) {
      stop(sprintf("context column '%s' is constant; a spline in it needs at least two distinct values", cn[j]),
           call. = FALSE)
    }
  }
  pairs <- list()
  inter <- sp$interactions
  if (is.atomic(inter) && length(inter) == 2L) inter <- list(inter)
  well_formed <- is.list(inter) && all(vapply(inter, function(p) is.atomic(p) && length(p) == 2L, logical(1)))
  if (well_formed) {
    for (pair in inter) {
      idx <- vapply(seq_len(2L), function(i) {
        col <- pair[[i]]
        if (is.character(col)) {
          if (!col %in% cn) {
            stop(sprintf("interactions names '%s', which is not a context column (%s)", col, quoted(cn)),
                 call. = FALSE)
          }
          return(match(col, cn) - 1L)
        }
        if (is.numeric(col) && col == round(col) && col >= 1 && col <= length(cn)) return(as.integer(col) - 1L)
        stop(sprintf("interactions entries must be context column names or positions (1 to %d), not %s",
                     length(cn), format(col)), call. = FALSE)
      }, integer(1))
      if (idx[1] == idx[2]) stop(sprintf("an interaction needs two different context columns, not %s",
                                         paste(pair, collapse = ", ")), call. = FALSE)
      if (any(vapply(pairs, function(p) setequal(p, idx), logical(1)))) {
        stop(sprintf("interactions lists the pair %s twice", paste(pair, collapse = ", ")), call. = FALSE)
      }
      pairs[[length(pairs) + 1L]] <- idx
    }
    out$interactions <- pairs
  }
  s <- sp$smoothing
  if (is.numeric(s)) {
    n_pen <- ncol(context) + 2L * length(pairs)
    if (length(s) == 1L) {
      s <- rep(as.numeric(s), q * n_pen)
    } else if (is.matrix(s) && all(dim(s) == c(q, n_pen))) {
      s <- as.vector(t(s))
    } else if (!is.matrix(s) && length(s) == q * n_pen) {
      s <- as.numeric(s)
    } else {
      stop(sprintf(paste0("smoothing must be a number or have one value per (coefficient, penalty) pair: ",
                          "a %d x %d matrix or a vector of length %d"), q, n_pen, q * n_pen), call. = FALSE)
    }
    out$smoothing <- s
  }
  out
}

# Calls the core; its errors (C++ exceptions turned into R conditions by the glue) are
# re-raised with the core's message alone, without the internal .Call in the report.
core_call <- function(fun, ...) {
  tryCatch(.Call(fun, ...), error = function(e) stop(conditionMessage(e), call. = FALSE))
}

# The Eigen version and OpenMP level the package was compiled with.
build_info <- function() .Call(ctxstats_build_info_R)
