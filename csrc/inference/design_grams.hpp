// Gram matrices of the standardised designs behind the identifiability checks, in one pass
// over the data and without forming any design: [1, X] (the predictors), [1, C] (the
// context) and, optionally, the linear encoder's interaction design [1, x] (x) [1, c].
//
// Columns are standardised as the core fits them (Scaling); a column that is constant (its
// minimum equals its maximum) is taken as identically zero when it is centred, so that its
// rows and columns of the Gram matrices are exactly zero. The checks themselves (rank,
// condition number, aliasing) are read off these small matrices by the caller.
#pragma once
#include <vector>

#include "common/data.hpp"

namespace ctxstats {

struct DesignGrams {
  int q = 0;                      // columns of [1, X] (of X without an intercept)
  int m1 = 0;                     // columns of [1, C]
  std::vector<double> gx;         // q x q, row-major
  std::vector<double> gc;         // m1 x m1
  std::vector<double> gz;         // (q m1) x (q m1) when interaction, else empty; column (j, k) is j * m1 + k
  std::vector<double> x_min, x_max, c_min, c_max;  // per raw column
};

// Deterministic for any thread count (fixed blocks, groups summed in order).
DesignGrams design_grams(const DataView& data, const Scaling& scaling, bool interaction, int threads);

}  // namespace ctxstats
