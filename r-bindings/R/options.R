# Argument checks with messages that name the argument, worded as in the Python package
# (ctxstats/_validation.py). Everything here runs before the C++ core is called; the core
# checks again at its boundary and its messages are the Python package's.

FAMILIES <- c("gaussian", "binomial", "poisson")
ENCODERS <- c("linear", "mlp", "ngam")
SOLVERS <- c("exact", "lbfgs", "adam")
ACTIVATIONS <- c("relu", "tanh")

# Encoder options with the Python defaults (ContextualizedGLM(..., width=, depth=, ...)).
ENCODER_DEFAULTS <- list(width = 32, depth = 2, archetypes = 0, activation = "tanh")
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
core_options <- function(family, encoder, fit_intercept, solver, seed, threads, dots) {
  if (length(dots) && (is.null(names(dots)) || any(names(dots) == ""))) {
    stop("the options in ... must be named (e.g. width = 16, alpha = 0.1)", call. = FALSE)
  }
  known <- c(names(ENCODER_DEFAULTS), names(FIT_DEFAULTS))
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
  solver <- if (is.null(solver)) "auto" else check_choice(solver, SOLVERS, "solver")
  if (solver == "exact" && (encoder != "linear" || enc$archetypes > 0)) {
    stop("solver = \"exact\" needs encoder = \"linear\" without archetypes", call. = FALSE)
  }
  c(list(family = family, encoder = encoder, fit_intercept = fit_intercept), enc,
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

# Calls the core; its errors (C++ exceptions turned into R conditions by the glue) are
# re-raised with the core's message alone, without the internal .Call in the report.
core_call <- function(fun, ...) {
  tryCatch(.Call(fun, ...), error = function(e) stop(conditionMessage(e), call. = FALSE))
}

# The Eigen version and OpenMP level the package was compiled with.
build_info <- function() .Call(ctxstats_build_info_R)
