library(testthat)
library(ctxstats)

test_check("ctxstats")
