# identifiability(): the checks of the Python package's ctxstats.identifiability -- the
# counting heuristic n > d_g d_s, rank and conditioning of [1, X], [1, C] and (linear
# encoder) the interaction design naming aliased columns, constant and duplicated columns,
# archetypes, and with bootstrap replicates the stability of per-sample signs -- with the
# same thresholds and the same sentences, so both languages report the same findings.

CONDITION_LIMIT <- 1e3
ALIAS_TOL <- 1e-9
GRAM_FAST_COND <- 1e4

identifiability <- function(object, ...) UseMethod("identifiability")

# Python's repr() of a string, for the sentences naming columns.
py_repr <- function(s) paste0("'", s, "'")

# Rank, condition number and aliased columns (as a list of name / partners pairs) of a matrix
# given its Gram matrix G (from the core): read off G when it is well conditioned, else from
# an unpivoted QR of the matrix itself, built by make_z() only then.
diagnose_design <- function(G, make_z, names) {
  D <- length(names)
  norms <- sqrt(diag(G))
  if (D && all(norms > 0)) {
    ev <- eigen(G / outer(norms, norms), symmetric = TRUE, only.values = TRUE)$values
    if (min(ev) > 0) {
      cond <- sqrt(max(ev) / min(ev))
      if (cond < GRAM_FAST_COND) return(list(rank = D, cond = cond, details = list()))
    }
  }
  Z <- make_z()
  # tol = 0 turns off the limited column pivoting of R's default QR.
  R <- if (nrow(Z)) qr.R(qr(Z, tol = 0)) else matrix(0, 0, D)
  if (nrow(R) < D) R <- rbind(R, matrix(0, D - nrow(R), D))
  R <- R[seq_len(D), , drop = FALSE]
  nrm <- sqrt(colSums(R^2))
  zero <- nrm <= 1e-300
  Rn <- sweep(R, 2L, ifelse(zero, 1, nrm), "/")
  dg <- abs(diag(Rn))
  aliased <- which(zero | dg < ALIAS_TOL)
  kept <- setdiff(seq_len(D), aliased)
  sv <- if (any(!zero)) svd(Rn[, !zero, drop = FALSE], nu = 0, nv = 0)$d else 0
  cond <- if (sv[length(sv)] > 0) sv[1L] / sv[length(sv)] else Inf
  details <- lapply(aliased, function(j) {
    if (zero[j]) return(list(name = names[j], partners = character(0)))
    prev <- kept[kept < j]
    partners <- character(0)
    if (length(prev)) {
      coef <- qr.solve(Rn[, prev, drop = FALSE], Rn[, j], tol = 1e-12)
      big <- abs(coef) > 1e-6 * max(1, max(abs(coef)))
      partners <- names[prev[big]]
    }
    list(name = names[j], partners = partners)
  })
  list(rank = D - length(aliased), cond = cond, details = details)
}

alias_sentence <- function(what, details) {
  parts <- vapply(details, function(d) {
    if (length(d$partners)) {
      sprintf("%s is a linear combination of %s", py_repr(d$name), paste(py_repr(d$partners), collapse = ", "))
    } else {
      sprintf("%s is identically zero after standardisation (a constant column)", py_repr(d$name))
    }
  }, character(1))
  paste0(what, " is rank deficient: ", paste(parts, collapse = "; "), ".")
}

standardise <- function(A, centre) {
  mean <- if (centre) colMeans(A) else rep(0, ncol(A))
  Ac <- sweep(A, 2L, mean)
  sd <- sqrt(colMeans(Ac^2))
  sd <- ifelse(sd > 1e-12 * (abs(mean) + 1e-300), sd, 1)
  out <- sweep(Ac, 2L, sd, "/")
  if (centre && nrow(A)) out[, apply(A, 2L, function(v) max(v) == min(v))] <- 0
  out
}

# Constant columns (minimum equal to maximum, from the core's pass) and duplicated pairs
# (a later column and the first earlier one equal to it).
constant_and_duplicate <- function(A, names, lo, hi) {
  const <- names[lo == hi]
  dups <- list()
  for (j in seq_len(ncol(A))) {
    for (i in seq_len(j - 1L)) {
      if (lo[i] == lo[j] && hi[i] == hi[j] && identical(A[, i], A[, j])) {
        dups[[length(dups) + 1L]] <- c(names[j], names[i])
        break
      }
    }
  }
  list(const = const, dups = dups)
}

# The interaction design [1, x] (x) [1, c] (n x q(m+1)), b[k (m+1) + l] multiplying x_k c_l:
# formed only by the exact (QR) diagnosis when a Gram matrix shows near-collinearity.
interaction_design <- function(X, C, intercept) {
  Xt <- if (intercept) cbind(1, X) else X
  Ct <- cbind(1, C)
  Z <- matrix(0, nrow(X), ncol(Xt) * ncol(Ct))
  for (k in seq_len(ncol(Xt))) Z[, (k - 1L) * ncol(Ct) + seq_len(ncol(Ct))] <- Xt[, k] * Ct
  Z
}

representation_dim <- function(encoder, options, m) {
  K <- options$archetypes
  if (!is.null(K) && K > 0) return(K)
  if (encoder == "spline") {
    kt <- (if (is.null(options$interaction_knots)) 5 else options$interaction_knots) - 1
    return(1 + m * ((if (is.null(options$n_knots)) 15 else options$n_knots) - 1) +
             length(options$interactions) * kt * kt)
  }
  if (encoder == "linear" || options$depth == 0) return(m + 1)
  if (encoder == "mlp") return(options$width + 1)
  m * options$width + 1
}

# The identifiability report of a fit: a list with `checks` (a data frame: check, value,
# threshold, passed), `notes` (a sentence per failed check) and `identifiable`.
identifiability.ctx_glm <- function(object, ...) {
  if (!is.null(hit <- cache_get(object, "ident"))) return(hit)
  X <- object$x
  C <- object$context
  n <- nrow(X)
  p <- ncol(X)
  m <- ncol(C)
  opts <- object$options
  intercept <- opts$fit_intercept
  q <- p + intercept
  names <- object$param_names
  checks <- list()
  notes <- character(0)
  add <- function(check, value, threshold, passed, note = NULL) {
    checks[[length(checks) + 1L]] <<- data.frame(check = check, value = as.numeric(value),
                                                 threshold = as.numeric(threshold), passed = isTRUE(passed))
    if (!isTRUE(passed) && !is.null(note)) notes <<- c(notes, note)
  }
  dg <- representation_dim(object$encoder, opts, m)
  ds <- q
  add(sprintf("n > d_g*d_s (d_g=%d, d_s=%d)", as.integer(dg), as.integer(ds)), n, dg * ds, n > dg * ds,
      sprintf(paste0("The counting heuristic fails: %d observations for a model that is, given the encoder's ",
                     "%d-dimensional representation of context, a GLM with d_g*d_s = %d coefficients; ",
                     "use a smaller encoder (width, archetypes), fewer predictors, or more data."),
              n, as.integer(dg), as.integer(dg * ds)))
  # One pass in the core: Gram matrices of the standardised [1, X], [1, C] and (linear
  # encoder) interaction design on the fit's standardisation, with column minima and maxima.
  K <- opts$archetypes
  interaction <- object$encoder == "linear" && K == 0
  grams <- core_call(ctxstats_design_grams_R, C, X, object$scaling, interaction, opts$threads)
  cx <- constant_and_duplicate(X, colnames(X), grams$x_min, grams$x_max)
  add("constant exog columns", if (intercept) length(cx$const) else 0, 0, !(intercept && length(cx$const)),
      sprintf("exog column(s) %s are constant and aliased with the intercept.",
              paste(py_repr(cx$const), collapse = ", ")))
  add("duplicated exog columns", length(cx$dups), 0, !length(cx$dups),
      paste0("Duplicated exog column(s): ",
             paste(vapply(cx$dups, function(d) sprintf("%s equals %s", py_repr(d[1]), py_repr(d[2])), ""),
                   collapse = "; "), "."))
  if (q) {
    dx <- diagnose_design(grams$gx, function() {
      Xs <- standardise(X, intercept)
      if (intercept) cbind(1, Xs) else Xs
    }, names)
    what <- if (intercept) "The predictor matrix [1, X]" else "The predictor matrix X"
    add(if (intercept) "rank of [1, X]" else "rank of X", dx$rank, q, dx$rank == q,
        alias_sentence(what, dx$details))
    add("condition number of X (standardised)", dx$cond, CONDITION_LIMIT,
        dx$rank < q || dx$cond <= CONDITION_LIMIT,
        sprintf("The predictors are nearly collinear (condition number %s > %s).", fmt_g(dx$cond, 3L),
                fmt_g(CONDITION_LIMIT, 6L)))
  }
  cnames <- object$context_names
  cc <- constant_and_duplicate(C, cnames, grams$c_min, grams$c_max)
  add("constant context columns", length(cc$const), 0, !length(cc$const),
      sprintf("context column(s) %s are constant: they carry no information and are aliased with the encoder's bias.",
              paste(py_repr(cc$const), collapse = ", ")))
  add("duplicated context columns", length(cc$dups), 0, !length(cc$dups),
      paste0("Duplicated context column(s): ",
             paste(vapply(cc$dups, function(d) sprintf("%s equals %s", py_repr(d[1]), py_repr(d[2])), ""),
                   collapse = "; "), "."))
  dc <- diagnose_design(grams$gc, function() cbind(1, standardise(C, TRUE)), c("1", cnames))
  add("rank of [1, C]", dc$rank, m + 1, dc$rank == m + 1, alias_sentence("The context matrix [1, C]", dc$details))
  add("condition number of C (standardised)", dc$cond, CONDITION_LIMIT, dc$rank < m + 1 || dc$cond <= CONDITION_LIMIT,
      sprintf("The context features are nearly collinear (condition number %s > %s).", fmt_g(dc$cond, 3L),
              fmt_g(CONDITION_LIMIT, 6L)))
  if (interaction) {
    D <- q * (m + 1)
    di <- diagnose_design(grams$gz, function() interaction_design(standardise(X, intercept), standardise(C, TRUE),
                                                                 intercept),
                          interaction_names(names, cnames))
    add("rank of interaction design", di$rank, D, di$rank == D,
        alias_sentence("The interaction design [1, x] (x) [1, c]", di$details))
    add("condition number of interaction design", di$cond, CONDITION_LIMIT, di$rank < D || di$cond <= CONDITION_LIMIT,
        sprintf("The interaction design is nearly collinear (condition number %s > %s).", fmt_g(di$cond, 3L),
                fmt_g(CONDITION_LIMIT, 6L)))
  }
  if (K > 0) {
    add("archetypes K <= d_s + 1", K, ds + 1, K <= ds + 1,
        sprintf(paste0("%d archetypes in a %d-dimensional parameter space cannot be affinely independent ",
                       "(at most %d), so the mixture weights are not unique; use archetypes <= %d."),
                as.integer(K), as.integer(ds), as.integer(ds + 1), as.integer(ds + 1)))
    if (K <= ds + 1) {
      w <- object$encoder_weights
      A <- matrix(w[(length(w) - K * ds + 1):length(w)], K, ds, byrow = TRUE)
      diffs <- sweep(A[-1L, , drop = FALSE], 2L, A[1L, ])
      sv <- svd(diffs, nu = 0, nv = 0)$d
      arank <- sum(sv > 1e-8 * max(c(sv, 0), 1e-300))
      add("rank of fitted archetype differences", arank, K - 1, arank == K - 1,
          sprintf(paste0("The fitted archetypes span only %d affinely independent points of %d: ",
                         "some archetypes are mixtures of others, so their weights are not identified."),
                  as.integer(arank + 1), as.integer(K)))
    }
  }
  if (n_boot(object) > 0) {
    # The check fails only for a coefficient whose average effect is significant (its 95%
    # bootstrap interval excludes zero) while most samples' signs flip (see Python's
    # ctxstats.identifiability); the shares and intervals come from the core.
    flips <- bootstrap_pass(object)$sign_flip_share
    ps <- boot_summary(object, 0.05)
    determined <- ps$lower > 0 | ps$upper < 0
    for (k in seq_along(names)) {
      nm <- names[k]
      add(sprintf("sign flips across replicates: %s", nm), flips[k], SIGN_FLIP_LIMIT,
          !determined[k] || flips[k] <= SIGN_FLIP_LIMIT,
          sprintf(paste0("The average effect of %s is significant (its 95%% bootstrap interval excludes zero), ",
                         "but its per-sample sign is unstable: for %.0f%% of the samples it differs from the fit's ",
                         "in more than %.0f%% of the bootstrap replicates. The data determine the sign of the ",
                         "average effect, not of each sample's coefficient: report the average effect, or use a ",
                         "smaller encoder or more data before reading per-sample signs."),
                  py_repr(nm), 100 * flips[k], 100 * FLIP_RATE))
    }
  }
  tab <- do.call(rbind, checks)
  rownames(tab) <- NULL
  out <- structure(list(checks = tab, notes = notes, identifiable = all(tab$passed)),
                   class = "ctx_identifiability")
  cache_set(object, "ident", out)
}

print.ctx_identifiability <- function(x, ...) {
  cat(if (x$identifiable) "Identifiability: all checks passed" else
    sprintf("Identifiability: %d check(s) failed", sum(!x$checks$passed)), "\n", sep = "")
  frame <- x$checks[, -1L]
  frame$passed <- ifelse(frame$passed, "True", "False")
  rownames(frame) <- x$checks$check
  cat(format_frame(frame), sep = "\n")
  if (length(x$notes)) cat(sprintf("[%d] %s", seq_along(x$notes), x$notes), sep = "\n")
  invisible(x)
}

warn_if_unidentifiable <- function(report) {
  if (!report$identifiable) {
    warning(sprintf("identifiability check(s) failed: %s. %s See identifiability(fit).",
                    paste(report$checks$check[!report$checks$passed], collapse = ", "),
                    paste(report$notes, collapse = " ")), call. = FALSE)
  }
}
