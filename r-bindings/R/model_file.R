# ctx_save() / ctx_load(): a fitted ctx_glm in the core's model file, the format the Python
# package writes with ctxstats.save() and reads with ctxstats.load(). The file is written and
# read by the C++ core (csrc/model/): typed records of numbers and text with a checksum,
# nothing that runs; the reader checks every array against the model's dimensions. It holds
# the options, scaling, weights, solver and smoothing reports, bootstrap replicates, names,
# the training data (standard errors and tests are recomputed after loading) and annotations:
# the formula (both languages), cov_type, and R's factor levels and contrasts.

# The fit's core model as an external pointer (freed by R's garbage collector), made once
# per session from the raw bytes the fit keeps.
core_model <- function(object) {
  ptr <- object$cache$core_model
  if (is.null(ptr)) {
    ptr <- core_call(ctxstats_model_pointer_R, object$model)
    assign("core_model", ptr, envir = object$cache)
  }
  ptr
}

# Factor levels and contrasts of a formula fit, one line per variable: part, variable and
# values separated by tabs, with "%", tab and newline escaped.
escape_field <- function(x) gsub("\n", "%0A", gsub("\t", "%09", gsub("%", "%25", x, fixed = TRUE), fixed = TRUE),
                                 fixed = TRUE)
unescape_field <- function(x) gsub("%25", "%", gsub("%09", "\t", gsub("%0A", "\n", x, fixed = TRUE), fixed = TRUE),
                                   fixed = TRUE)

encode_levels <- function(by_part) {
  lines <- character()
  for (part in names(by_part)) {
    for (v in names(by_part[[part]])) {
      value <- by_part[[part]][[v]]
      if (!is.character(value)) {
        stop(sprintf("cannot save the %s variable '%s': its contrasts are a matrix; only named contrasts ",
                     part, v), "(such as \"contr.treatment\") can be saved", call. = FALSE)
      }
      lines <- c(lines, paste(escape_field(c(part, v, value)), collapse = "\t"))
    }
  }
  paste(lines, collapse = "\n")
}

decode_levels <- function(text) {
  if (!nzchar(text)) return(list(exog = NULL, context = NULL))
  out <- list(exog = list(), context = list())
  for (line in strsplit(text, "\n", fixed = TRUE)[[1L]]) {
    f <- unescape_field(strsplit(line, "\t", fixed = TRUE)[[1L]])
    if (length(f) < 2L || !f[1L] %in% names(out)) stop("the model file's R factor levels are unreadable", call. = FALSE)
    out[[f[1L]]][[f[2L]]] <- f[-(1:2)]
  }
  lapply(out, function(x) if (length(x)) x else NULL)
}

# A formula from the file's text: parsed, and accepted only if it is a two-sided formula
# (the `~` is the only call evaluated, and it evaluates nothing).
formula_from_text <- function(text) {
  expr <- tryCatch(str2lang(text), error = function(e) NULL)
  if (!is.call(expr) || !identical(expr[[1L]], as.name("~")) || length(expr) != 3L) {
    stop("the model file's formula is not a formula: ", text, call. = FALSE)
  }
  f <- eval(expr, baseenv())
  environment(f) <- globalenv()
  f
}

# y ~ x1 + x2 | c1 + c2 from the names of a fit made without an R formula (in Python).
formula_from_names <- function(response, exog, context, intercept) {
  q <- function(x) paste0("`", gsub("`", "\\\\`", x), "`")
  rhs <- c(if (!intercept) "0", if (length(exog)) q(exog))
  if (!length(rhs)) rhs <- "1"
  formula_from_text(sprintf("%s ~ %s | %s", q(response), paste(rhs, collapse = " + "),
                            paste(q(context), collapse = " + ")))
}

ctx_save <- function(fit, path) {
  if (!inherits(fit, c("ctx_glm", "ctx_network"))) stop("fit must be a ctx_glm or ctx_network fit", call. = FALSE)
  if (!is.character(path) || length(path) != 1L || is.na(path)) stop("path must be one file name", call. = FALSE)
  if (inherits(fit, "ctx_network")) return(network_save(fit, path))  # network_file.R
  if (is.null(fit$model)) stop("this fit holds no core model; refit it with this version of ctxstats", call. = FALSE)
  meta <- c(language = "R", formula = paste(deparse(fit$formula, width.cutoff = 500L), collapse = " "))
  if (!is.null(fit$cov_type)) meta["cov_type"] <- fit$cov_type
  if (identical(fit$cov_type, "cluster")) meta["cluster_groups"] <- sprintf("[%s]", paste(fit$groups - 1L, collapse = ","))
  meta["r/xlevels"] <- encode_levels(fit$xlevels)
  meta["r/contrasts"] <- encode_levels(fit$contrasts)
  names <- list(params = fit$param_names, context = fit$context_names, response = fit$response_name)
  data <- list(C = fit$context, X = fit$x, y = fit$y, weights = fit$prior_weights)
  core_call(ctxstats_model_save_R, fit$model, path.expand(path), names, data, meta)  # replicates: in fit$model
  invisible(path)
}

ctx_load <- function(path) {
  if (!is.character(path) || length(path) != 1L || is.na(path)) stop("path must be one file name", call. = FALSE)
  if (!file.exists(path)) stop(sprintf("no such file: '%s'", path), call. = FALSE)
  if (identical(core_call(ctxstats_model_kind_R, path.expand(path)), "network")) return(network_load(path))
  f <- core_call(ctxstats_model_load_R, path.expand(path))
  if (is.null(f$data)) stop("the model file holds no training data, which a ctx_glm fit needs", call. = FALSE)
  meta <- f$meta
  opts <- f$options
  out <- f$report
  param_names <- f$names$params
  intercept <- isTRUE(opts$fit_intercept)
  exog_names <- if (intercept) param_names[-1L] else param_names
  x <- f$data$X
  context <- f$data$C
  colnames(x) <- exog_names
  colnames(context) <- f$names$context
  rows <- as.character(seq_len(nrow(x)))
  rownames(x) <- rownames(context) <- rows
  from_r <- identical(unname(meta["language"]), "R") && !is.na(meta["formula"])
  formula <- if (from_r) formula_from_text(meta[["formula"]]) else
    formula_from_names(f$names$response, exog_names, f$names$context, intercept)
  parts <- split_formula(formula)
  levels <- if (from_r && !is.na(meta["r/xlevels"])) decode_levels(meta[["r/xlevels"]]) else list()
  contrasts <- if (from_r && !is.na(meta["r/contrasts"])) decode_levels(meta[["r/contrasts"]]) else list()
  # The core checks the stored cov_type against what the fit allows (as for a new fit).
  cov_type <- if (!is.null(out$location_scale)) NULL else  # scale = "context": location_scale.R
    resolve_cov_type(if (is.na(meta["cov_type"])) NULL else meta[["cov_type"]], opts,
                     if (is.null(f$bootstrap)) 0L else nrow(f$bootstrap$weights))
  groups <- NULL
  if (identical(cov_type, "cluster")) groups <- decode_groups(meta["cluster_groups"], length(f$data$y))
  fit <- structure(
    list(call = call("ctx_load", path), formula = formula, family = opts$family, encoder = opts$encoder,
         options = opts, sample_coef = NULL, param_names = param_names, context_names = f$names$context,
         response_name = f$names$response,
         encoder_weights = out$weights, scaling = out$scaling, solver = out$solver,
         n_iter = out$n_iter, converged = out$converged, objective = out$objective,
         history = out$history, val_history = out$val_history, message = out$message,
         rank_deficient = out$rank_deficient, spline = out$spline, early_stopping = out$early_stopping,
         bootstrap = f$bootstrap, cov_type = cov_type, cache = new.env(parent = emptyenv()),
         y = f$data$y, x = x, context = context, prior_weights = f$data$weights, groups = groups,
         terms = list(exog = terms(parts$exog), context = terms(parts$context)),
         xlevels = lapply(list(exog = levels$exog, context = levels$context),  # as .getXlevels: a named list
                          function(x) if (is.null(x)) stats::setNames(list(), character()) else x),
         contrasts = list(exog = contrasts$exog, context = contrasts$context), na.action = NULL,
         model = out$model, location_scale = out$location_scale),
    class = "ctx_glm")
  fit$sample_coef <- theta_for(fit, context)
  fit
}

# The model file's cluster codes, "[0,3,1,...]" (as the Python package writes them), as
# integer codes in order of first appearance; an error for anything else.
decode_groups <- function(text, n) {
  bad <- function() stop("the model file's cluster groups are missing or unreadable", call. = FALSE)
  if (is.na(text) || !grepl("^\\[[0-9, -]*\\]$", text)) bad()
  body <- gsub("^\\[|\\]$", "", text)
  codes <- suppressWarnings(as.numeric(strsplit(body, ",", fixed = TRUE)[[1L]]))
  if (length(codes) != n || anyNA(codes) || any(codes != round(codes))) bad()
  match(codes, unique(codes))
}
