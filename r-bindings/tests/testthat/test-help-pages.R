# The help pages as R CMD check would judge them, on the installed package: every exported
# function documented, every usage section matching the code, every argument described, and
# every example (\donttest included) running without an error. R CMD check itself is not run
# by `make test`; these are the checks of its that concern the pages.

installed_rd <- function() {
  skip_if(system.file(package = "ctxstats") == "", "ctxstats is not installed")
  tools::Rd_db("ctxstats")
}

test_that("every export has a help page and every usage matches the code", {
  installed_rd()
  undocumented <- tools::undoc(package = "ctxstats")
  expect_length(unlist(undocumented), 0)
  mismatches <- tools::codoc(package = "ctxstats")
  expect_length(mismatches, 0)
  missing_args <- tools::checkDocFiles(package = "ctxstats")
  expect_length(unlist(missing_args), 0)
})

test_that("every help page's examples run", {
  db <- installed_rd()
  with_examples <- 0L
  grDevices::pdf(NULL)
  on.exit(grDevices::graphics.off(), add = TRUE)
  for (page in names(db)) {
    script <- tempfile(fileext = ".R")
    tools::Rd2ex(db[[page]], script, commentDontrun = TRUE, commentDonttest = FALSE)
    if (!file.exists(script)) next
    with_examples <- with_examples + 1L
    failure <- tryCatch({
      suppressWarnings(utils::capture.output(source(script, local = new.env(parent = globalenv()))))
      NULL
    }, error = function(e) conditionMessage(e))
    expect(is.null(failure), sprintf("the examples of %s fail: %s", page, failure))
  }
  expect_gt(with_examples, 20L)
})
