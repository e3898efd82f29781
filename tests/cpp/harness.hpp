// The shared harness of the core's C++ tests: a pass/fail counter, the test data's owner and
// its DataView, and the summary line. Each test program prints "N passed, M failed" and exits
// non-zero on any failure.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/data.hpp"
#include "common/error.hpp"
#include "model/model_file.hpp"
#include "options/schema.hpp"

namespace ctxstats_test {

inline int passed = 0, failed = 0;

// True when f() throws the core's InvalidArgument (bad input refused at the boundary).
template <typename F>
bool throws_invalid(F f) {
  try {
    f();
  } catch (const ctxstats::InvalidArgument&) {
    return true;
  }
  return false;
}
// ... and its message contains `fragment` (names what was wrong).
template <typename F>
bool throws_invalid(F f, const std::string& fragment) {
  try {
    f();
  } catch (const ctxstats::InvalidArgument& e) {
    return std::string(e.what()).find(fragment) != std::string::npos;
  }
  return false;
}

// Gaussian options of a network fit: the encoder with `archetypes`, `threads` and (when > 0)
// `max_iter`; a neural encoder has one hidden layer of `width` units.
inline ctxstats::FitOptions network_options(const std::string& encoder, int archetypes, int threads, int max_iter,
                                            int width) {
  using ctxstats::OptionValue;
  ctxstats::OptionMap o = {{"family", OptionValue::string("gaussian")}, {"encoder", OptionValue::string(encoder)},
                           {"threads", OptionValue::integer(threads)},
                           {"archetypes", OptionValue::integer(archetypes)}};
  if (encoder != "linear") {
    o.emplace_back("width", OptionValue::integer(width));
    o.emplace_back("depth", OptionValue::integer(1));
  }
  if (max_iter > 0) o.emplace_back("max_iter", OptionValue::integer(max_iter));
  return ctxstats::fit_options_from(o);
}

inline void check(bool ok, const std::string& what) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    std::printf("FAIL: %s\n", what.c_str());
  }
}

// Row-major C (n x m), X (n x p), y and weights w, owned here; view() borrows them.
struct Data {
  std::size_t n;
  int p, m;
  std::vector<double> C, X, y, w;
  ctxstats::DataView view(bool weighted = true) const {
    ctxstats::DataView d;
    d.n = n;
    d.p = p;
    d.m = m;
    d.C = C.data();
    d.X = X.data();
    d.y = y.data();
    d.weights = weighted ? w.data() : nullptr;
    return d;
  }
};

// Appends a copy of record r to a model file, by its type's own add_* (crafting files in tests).
inline void add_record(ctxstats::ModelFile& g, const ctxstats::FileRecord& r) {
  switch (r.type) {
    case ctxstats::FileRecord::Type::kDoubles: g.add_doubles(r.name, r.doubles, r.shape); break;
    case ctxstats::FileRecord::Type::kInts: g.add_ints(r.name, r.ints, r.shape); break;
    case ctxstats::FileRecord::Type::kStrings:
      if (r.shape.empty()) g.add_string(r.name, r.strings.at(0));
      else g.add_strings(r.name, r.strings);
      break;
  }
}

// A model file's bytes with the checksum (model/model_file.hpp: FNV-1a of every byte before
// its last eight) recomputed for their (mutated) body: a crafted file rather than a damaged one.
inline std::string with_checksum(std::string b) {
  b.resize(b.size() >= 8 ? b.size() - 8 : 0);
  unsigned long long h = 1469598103934665603ULL;
  for (unsigned char c : b) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  for (int k = 0; k < 8; ++k) b.push_back(static_cast<char>((h >> (8 * k)) & 0xFF));
  return b;
}

// One seeded mutation of a model file's bytes, chosen by the random word r: a flipped byte,
// a truncation, an inserted byte or up to 16 erased bytes, somewhere before the checksum.
inline std::string mutated(std::string m, unsigned long long r) {
  const std::size_t at = static_cast<std::size_t>(r % (m.size() - 8));
  switch ((r >> 32) % 4) {
    case 0: m[at] = static_cast<char>(m[at] ^ static_cast<char>(1 + (r >> 40) % 255)); break;
    case 1: m.resize(at + 8); break;
    case 2: m.insert(at, 1, static_cast<char>((r >> 40) & 0xFF)); break;
    default: m.erase(at, 1 + (r >> 40) % 16); break;
  }
  return m;
}

// How many seeded mutations a fuzz loop of `full` trials runs: all of them, or the share
// CTXSTATS_FUZZ_SCALE (a number in (0, 1]) asks for -- `make sanitize-cpp-quick` runs the
// loops at 0.1 under the sanitizers, where every trial costs ten times as much.
inline int fuzz_trials(int full) {
  const char* text = std::getenv("CTXSTATS_FUZZ_SCALE");
  if (!text || !*text) return full;
  char* end = nullptr;
  const double scale = std::strtod(text, &end);
  if (*end != '\0' || !(scale > 0.0 && scale <= 1.0)) {
    std::fprintf(stderr, "CTXSTATS_FUZZ_SCALE must be a number in (0, 1], not '%s'\n", text);
    std::exit(2);
  }
  const int n = static_cast<int>(full * scale + 0.5);
  return n < 1 ? 1 : n;
}

// Prints the summary line; the program's exit code.
inline int report() {
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace ctxstats_test
