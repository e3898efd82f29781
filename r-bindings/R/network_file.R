# ctx_save() / ctx_load() of a ctx_network fit: the core's network model file
# (csrc/model/network_file.hpp), the format the Python package writes with
# ctxstats.save(net, path) / net.save(path) and reads with ctxstats.load(). The core writes and
# checks it: options, DAG options, scaling, encoder weights, bootstrap replicates and residual
# variances, the solver report, feature and context names, R's training data (context, x) and
# annotations. A network saved in Python holds no training data: predict() it with newcontext.

network_save <- function(fit, path) {
  meta <- c(language = "R", "r/call" = paste(deparse(fit$call, width.cutoff = 500L), collapse = " "))
  names <- list(features = fit$features, context = fit$context_names)
  data <- if (is.null(fit$context) || is.null(fit$x)) NULL else list(context = fit$context, x = fit$x)
  core_call(ctxstats_network_save_R, fit$model, path.expand(path), names, data, meta)
  invisible(path)
}

network_load <- function(path) {
  f <- core_call(ctxstats_network_load_R, path.expand(path))
  model <- f$model
  context <- x <- NULL
  if (!is.null(f$data)) {
    context <- f$data$context
    x <- f$data$x
    colnames(context) <- f$names$context
    colnames(x) <- f$names$features
  }
  structure(list(model = model, type = model$type, features = f$names$features, context_names = f$names$context,
                 context = context, x = x, call = call("ctx_load", path)), class = "ctx_network")
}
