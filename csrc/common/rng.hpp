// Counter-based random numbers: every draw is a pure function of (key, counter), so the
// stream a computation sees does not depend on thread scheduling. Keys are derived from the
// user's seed and named streams (initialisation, shuffles, validation split, bootstrap
// replicate, epoch), never from thread-local state.
#pragma once
#include <cmath>
#include <cstdint>

namespace ctxstats {

inline std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Streams: distinct constants so that, for the same seed, different uses never share draws.
enum class Stream : std::uint64_t {
  kInit = 1,
  kShuffle = 2,
  kValidation = 3,
  kBootstrap = 4,
  kPairs = 5,
  kCrossValidation = 6,
  kBasisCheck = 7,
  kSubtypes = 8,
  kMixture = 9,
  kPoissonBootstrap = 10,
};

class CounterRng {
 public:
  CounterRng(std::uint64_t seed, Stream stream, std::uint64_t sub1 = 0, std::uint64_t sub2 = 0)
      : key_(mix64(mix64(mix64(seed) ^ static_cast<std::uint64_t>(stream)) ^ mix64(sub1 + 0x51ULL)) ^
             mix64(sub2 + 0xa3ULL)),
        counter_(0) {}

  std::uint64_t next() { return mix64(key_ ^ mix64(counter_++)); }

  // Uniform on [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform integer on [0, bound) by rejection (no modulo bias).
  std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    std::uint64_t r;
    do { r = next(); } while (r >= limit);
    return r % bound;
  }

  // Standard normal by Box-Muller; consumes two draws per call (no cached state).
  double normal() {
    double u1 = uniform();
    const double u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::uint64_t key_;
  std::uint64_t counter_;
};

}  // namespace ctxstats
