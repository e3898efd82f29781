#include "glm/poisson_bootstrap.hpp"

#include "common/rng.hpp"

namespace ctxstats {

void poisson_counts(std::uint64_t seed, std::uint64_t replicate, std::uint64_t first_row, std::size_t rows,
                    double* counts) {
  constexpr double kEmOne = 0.36787944117144233;  // exp(-1) = P(count = 0)
  for (std::size_t i = 0; i < rows; ++i) {
    CounterRng rng(seed, Stream::kPoissonBootstrap, replicate, first_row + i);
    const double u = rng.uniform();
    // Inversion: the least k with P(count <= k) > u (k <= 18 for any double u < 1).
    double p = kEmOne, cdf = kEmOne;
    int k = 0;
    while (u >= cdf && k < 40) {
      ++k;
      p /= k;
      cdf += p;
    }
    counts[i] = k;
  }
}

}  // namespace ctxstats
