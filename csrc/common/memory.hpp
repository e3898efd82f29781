// Refusing work whose buffers cannot fit in memory, with a reason, before allocating them:
// a size a user typed (width=30000, n_knots on a large n, n_partners=10**6) must give an
// error that names it, never std::bad_alloc or a machine that swaps for minutes.
#pragma once
#include <cmath>
#include <cstdio>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#include "common/error.hpp"

namespace ctxstats {

// The machine's physical memory in bytes (0 when unknown).
inline double physical_memory_bytes() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) return static_cast<double>(pages) * static_cast<double>(page);
#endif
  return 0.0;
}

inline std::string format_bytes(double bytes) {
  char buf[64];
  if (bytes >= 1e9) std::snprintf(buf, sizeof buf, "%.3g GB", bytes / 1e9);
  else std::snprintf(buf, sizeof buf, "%.3g MB", bytes / 1e6);
  return buf;
}

// Throws InvalidArgument when `bytes` (an estimate of what `what` needs) exceeds the physical
// memory; `remedy` says which options make it smaller. Where the memory is unknown, 2^46 bytes
// (64 TiB) is the bound, still far below what an overflowing size would ask for.
inline void require_memory(double bytes, const std::string& what, const std::string& remedy) {
  double limit = physical_memory_bytes();
  if (limit <= 0.0) limit = 70368744177664.0;
  if (!(bytes <= limit))
    throw InvalidArgument(what + " would need about " + format_bytes(bytes) + " of memory, more than this machine's " +
                          format_bytes(limit) + "; " + remedy);
}

}  // namespace ctxstats
