// The Poisson bootstrap (Hanley & MacGibbon 2006; the resampling of data too large for one
// machine): every row's count in replicate r is an independent Poisson(1) draw, a function of
// (seed, r, the row's index in the whole data) alone. A partition of the rows draws its own
// counts without seeing the others, and any split into partitions gives the same counts --
// what a bootstrap of data held as dask collections needs (ctxstats.dask). The total count is
// random (mean n) rather than n, a difference of order 1/n in the estimators' variances.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ctxstats {

// The counts of rows first_row .. first_row + rows - 1 (indices in the whole data) in
// replicate `replicate`, written to counts (length rows).
void poisson_counts(std::uint64_t seed, std::uint64_t replicate, std::uint64_t first_row, std::size_t rows,
                    double* counts);

}  // namespace ctxstats
