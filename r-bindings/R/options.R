# Argument checks with messages that name the argument, worded as in the Python package
# (ctxstats/_validation.py). Everything here runs before the C++ core is called; the core
# checks again at its boundary and its messages are the Python package's.

FAMILIES <- c("gaussian", "binomial", "poisson")
ENCODERS <- c("linear", "mlp", "ngam", "spline")
KNOT_SPACINGS <- c("even", "quantile")
SOLVERS <- c("exact", "lbfgs", "adam")
ACTIVATIONS <- c("relu", "tanh")

# Encoder options with the Python defaults (ContextualizedGLM(..., width=, depth=, ...)).
ENCODER_DEFAULTS <- list(width = 32, depth = 2, archetypes = 0, activation = "tanh")
# encoder = "spline": cubic P-splines per context feature, smoothing by REML (see
# ctxstats.spline in the Python package); NULL interactions / smoothing: none / REML.
SPLINE_DEFAULTS <- list(n_knots = 15, knot_spacing = "even", interactions = NULL, interaction_knots = 5,
                        smoothing = NULL)
# Per-encoder overrides, as in Python: ngam's per-feature networks are small.
ENCODER_SPECIFIC_DEFAULTS <- list(ngam = list(width = 16, depth = 1))

# Fit options with the Python defaults (ContextualizedGLM.fit(...)); NULL means "the
# solver's default", as None does in Python.
FIT_DEFAULTS <- list(max_iter = NULL, tol = NULL, alpha = 0, l1_ratio = 0, mu_ratio = 0.5,
                     weight_decay = 0, batch_size = 256, learning_rate = 1e-3, val_split = 0.2,
                     patience = 10, start_params = NULL)

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

# The options list the core reads (the same keys as the Python package's `results.options`),
# from ctx_glm()'s arguments and its `...`.
core_options <- function(family, encoder, fit_intercept, solver, seed, threads, dots, context = NULL, q = NULL) {
  if (length(dots) && (is.null(names(dots)) || any(names(dots) == ""))) {
    stop("the options in ... must be named (e.g. width = 16, alpha = 0.1)", call. = FALSE)
  }
  known <- c(names(ENCODER_DEFAULTS), names(SPLINE_DEFAULTS), names(FIT_DEFAULTS))
  unknown <- setdiff(names(dots), known)
  if (length(unknown)) {
    stop(sprintf("unknown option(s): %s; the options are %s", paste(sort(unknown), collapse = ", "),
                 paste(known, collapse = ", ")), call. = FALSE)
  }
  enc <- ENCODER_DEFAULTS
  specific <- ENCODER_SPECIFIC_DEFAULTS[[encoder]]
  for (k in names(specific)) enc[k] <- list(specific[[k]])
  for (k in intersect(names(dots), names(ENCODER_DEFAULTS))) enc[k] <- list(dots[[k]])
  fo <- FIT_DEFAULTS
  for (k in intersect(names(dots), names(FIT_DEFAULTS))) fo[k] <- list(dots[[k]])
  enc$width <- check_int(enc$width, "width", 1)
  enc$depth <- check_int(enc$depth, "depth", 0)
  enc$archetypes <- check_int(enc$archetypes, "archetypes", 0)
  if (enc$archetypes == 1) {
    stop("archetypes=1 gives every sample the same model; use 0 (none) or K >= 2", call. = FALSE)
  }
  enc$activation <- check_choice(enc$activation, ACTIVATIONS, "activation")
  spline <- list()
  given_spline <- intersect(names(dots), names(SPLINE_DEFAULTS))
  if (encoder == "spline") {
    sp <- SPLINE_DEFAULTS
    for (k in given_spline) sp[k] <- list(dots[[k]])
    if (enc$archetypes > 0) stop("archetypes are not available with encoder = \"spline\"", call. = FALSE)
    spline <- spline_options(sp, context, q)
  } else if (length(given_spline)) {
    stop(sprintf("the option(s) %s apply only to encoder = \"spline\"", paste(given_spline, collapse = ", ")),
         call. = FALSE)
  }
  solver <- if (is.null(solver)) "auto" else check_choice(solver, SOLVERS, "solver")
  if (solver == "exact" && !((encoder == "linear" && enc$archetypes == 0) || encoder == "spline")) {
    stop("solver = \"exact\" needs encoder = \"linear\" without archetypes, or encoder = \"spline\"", call. = FALSE)
  }
  if (encoder == "spline" && solver %in% c("lbfgs", "adam")) {
    warning(sprintf(paste0("solver = \"%s\" fits the spline encoder without its smoothing penalties ",
                           "(only alpha and weight_decay apply); the exact solver (the default) applies them"),
                    solver), call. = FALSE)
  }
  c(list(family = family, encoder = encoder, fit_intercept = fit_intercept), enc, spline,
    list(solver = solver,
         seed = check_int(seed, "seed", 0),
         threads = if (is.null(threads)) 0 else check_int(threads, "threads", 1),
         max_iter = if (is.null(fo$max_iter)) 0 else check_int(fo$max_iter, "max_iter", 1),
         tol = if (is.null(fo$tol)) 0 else check_float(fo$tol, "tol", 0, low_open = TRUE),
         alpha = check_float(fo$alpha, "alpha", 0),
         l1_ratio = check_float(fo$l1_ratio, "l1_ratio", 0, 1),
         mu_ratio = check_float(fo$mu_ratio, "mu_ratio", 0, 1),
         weight_decay = check_float(fo$weight_decay, "weight_decay", 0),
         batch_size = check_int(fo$batch_size, "batch_size", 1),
         learning_rate = check_float(fo$learning_rate, "learning_rate", 0, low_open = TRUE),
         val_split = check_float(fo$val_split, "val_split", 0, 1, high_open = TRUE),
         patience = check_int(fo$patience, "patience", 1)),
    list(start_params = fo$start_params))
}

# The spline encoder's options checked as the Python package's check_spline_options:
# interactions become 0-based pairs of context columns (given as names or 1-based
# positions), smoothing a vector with one value per (coefficient, penalty) pair, coefficient
# major (a q x penalties matrix or one number for all).
spline_options <- function(sp, context, q) {
  out <- list(n_knots = check_int(sp$n_knots, "n_knots", 4),
              knot_spacing = check_choice(sp$knot_spacing, KNOT_SPACINGS, "knot_spacing"),
              interaction_knots = check_int(sp$interaction_knots, "interaction_knots", 4))
  cn <- colnames(context)
  for (j in seq_len(ncol(context))) {
    if (max(context[, j]) == min(context[, j])) {
      stop(sprintf("context column '%s' is constant; a spline in it needs at least two distinct values", cn[j]),
           call. = FALSE)
    }
  }
  pairs <- list()
  inter <- sp$interactions
  if (!is.null(inter)) {
    if (is.atomic(inter) && length(inter) == 2L) inter <- list(inter)
    if (!is.list(inter)) {
      stop("interactions must be a list of pairs of context columns, e.g. list(c(\"c1\", \"c3\"))", call. = FALSE)
    }
    for (pair in inter) {
      if (!is.atomic(pair) || length(pair) != 2L) {
        stop(sprintf("interactions must be a list of pairs of context columns, e.g. list(c(\"c1\", \"c3\")); got %s",
                     paste(deparse(pair), collapse = "")), call. = FALSE)
      }
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
  }
  out$interactions <- if (length(pairs)) pairs else NULL
  if (!is.null(sp$smoothing)) {
    n_pen <- ncol(context) + 2L * length(pairs)
    s <- sp$smoothing
    if (!is.numeric(s)) stop("smoothing must be numeric", call. = FALSE)
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
    if (!all(is.finite(s) & s > 0)) stop("smoothing parameters must be positive and finite", call. = FALSE)
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
