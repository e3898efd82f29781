// The model file container (csrc/model/model_file.*): a round trip keeps every bit, and a
// seeded mutation loop over a real file -- byte flips, truncations, insertions, hostile
// lengths -- only ever ends in a correct load or an InvalidArgument (never a crash, a hang
// or an allocation beyond the file's size).
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "common/error.hpp"
#include "harness.hpp"
#include "model/model_file.hpp"
#include "common/rng.hpp"

using ctxstats::InvalidArgument;
using ctxstats::ModelFile;
using ctxstats_test::check;
using ctxstats_test::with_checksum;
using ctxstats_test::mutated;

namespace {

ModelFile sample_file() {
  ModelFile f;
  f.add_string("ctxstats/model", "glm");
  f.add_doubles("weights", {1.5, -0.0, std::numeric_limits<double>::denorm_min(), 1e308, -3.25, 7.0}, {2, 3});
  f.add_double("scaling/y_mean", 0.1);
  f.add_ints("option/interactions", {0, 2, 1, 2}, {2, 2});
  f.add_int("option/seed", -5);
  f.add_strings("meta/param_names", {"Intercept", "x1", "\xc3\xa9tat"});
  f.add_strings("meta/empty", {});
  return f;
}

bool same(const ModelFile& a, const ModelFile& b) {
  return a.serialize() == b.serialize();
}

}  // namespace

int main() {
  const ModelFile f = sample_file();
  const std::string bytes = f.serialize();
  const ModelFile back = ModelFile::parse(bytes);
  check(same(f, back), "round trip is byte-identical");
  check(back.matrix("weights", 2, 3)[2] == std::numeric_limits<double>::denorm_min(), "a denormal survives");
  check(std::signbit(back.matrix("weights", 2, 3)[1]), "-0.0 keeps its sign");
  check(back.integer("option/seed") == -5 && back.scalar("scaling/y_mean") == 0.1, "scalars survive");
  check(back.strings("meta/param_names")[2] == "\xc3\xa9tat" && back.strings("meta/empty").empty(), "strings survive");
  check(back.string("ctxstats/model") == "glm", "a single string");

  auto throws = [](auto fn) {
    try {
      fn();
    } catch (const InvalidArgument&) {
      return true;
    }
    return false;
  };
  check(throws([&] { back.doubles("weights"); }), "a matrix is not a vector");
  check(throws([&] { back.matrix("weights", 3, 2); }), "wrong shape is refused");
  check(throws([&] { back.string("weights"); }), "wrong type is refused");
  check(throws([&] { back.scalar("missing"); }), "a missing record is named");
  check(throws([&] { ModelFile g; g.add_double("bad name!", 1.0); }), "names are checked");
  check(throws([&] { ModelFile g; g.add_string("s", "\xff"); }), "strings must be UTF-8");
  check(throws([&] { ModelFile g; g.add_double("a", 1.0); g.add_double("a", 2.0); }), "duplicate names");
  check(throws([&] { ModelFile::parse(""); }), "an empty file");
  check(throws([&] { ModelFile::parse(bytes.substr(0, bytes.size() - 1)); }), "a truncated file");
  check(throws([&] { ModelFile::parse(bytes + "x"); }), "trailing bytes");

  // Hostile lengths with a valid checksum: the reader must refuse before allocating.
  {
    ModelFile g;
    g.add_doubles("v", {1.0, 2.0}, {2});
    std::string b = g.serialize();
    const std::size_t dim_at = 8 + 4 + 4 + 4 + 1 + 1 + 1;  // magic, version, count, name_len, name, type, ndim
    for (int k = 0; k < 8; ++k) b[dim_at + k] = static_cast<char>(0xFF);
    b = with_checksum(b);
    check(throws([&] { ModelFile::parse(b); }), "a 2^64-element record with a valid checksum is refused");
  }

  // Seeded mutation loops: every outcome is a correct load (the same file) or InvalidArgument.
  // Damaged files (the checksum left as it was) and crafted ones (the checksum recomputed, so
  // that the structural checks are what stands between the bytes and the reader).
  for (int crafted = 0; crafted < 2; ++crafted) {
    int loads = 0, changed = 0, refused = 0, other = 0;
    const int trials = ctxstats_test::fuzz_trials(5000);
    for (int t = 0; t < trials; ++t) {
      std::string m = bytes;
      const std::uint64_t r = ctxstats::mix64(12345ULL * 1000003ULL + static_cast<std::uint64_t>(t) +
                                              (crafted ? 0x9e37ULL << 32 : 0));
      m = mutated(m, r);
      if (crafted) m = with_checksum(m);
      try {
        const ModelFile g = ModelFile::parse(m);
        // A well-formed file with other contents (a flipped value bit): the model reader's
        // typed, shape-checked getters judge it.
        if (same(g, f)) ++loads; else ++changed;
      } catch (const InvalidArgument&) {
        ++refused;
      } catch (...) {
        ++other;
      }
    }
    std::printf("%s files: %d mutations, %d refused, %d loaded unchanged, %d well-formed with other contents, "
                "%d other outcomes\n", crafted ? "crafted" : "damaged", trials, refused, loads, changed, other);
    check(other == 0, "every mutated file is refused with InvalidArgument or loads");
  }
  return ctxstats_test::report();
}
