// The ctxstats model file: one binary format, written and read by the core, so that a model
// saved from Python loads in R and the reverse. It holds named, typed records (arrays of
// doubles or integers, strings) and nothing that runs: a reader only copies numbers and text.
//
// Layout, version 1 (all integers little-endian, doubles IEEE 754 little-endian):
//   magic       8 bytes  "CTXSTATS"
//   version     u32      1
//   n_records   u32      at most kMaxRecords
//   records     n_records times:
//     name_len  u32      1 to kMaxNameLength
//     name      bytes    [A-Za-z0-9_./:-]; unique within the file
//     type      u8       1 doubles, 2 integers (int64), 3 strings
//     ndim      u8       0 to 4 (0: a scalar)
//     dims      u64 x ndim
//     payload   doubles / integers: 8 bytes per element, row-major;
//               strings: per element a u64 byte length and that many UTF-8 bytes
//   checksum    u64      FNV-1a of every byte before it
//
// A reader checks every length against the bytes that remain before it allocates anything,
// so memory never exceeds the file's size; it rejects unknown versions and types, duplicate
// or malformed names, trailing bytes and a wrong checksum, always with InvalidArgument (a
// ValueError in Python, an R error) saying what is wrong, never with a crash.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ctxstats {

struct FileRecord {
  enum class Type : std::uint8_t { kDoubles = 1, kInts = 2, kStrings = 3 };
  std::string name;
  Type type = Type::kDoubles;
  std::vector<std::uint64_t> shape;  // empty: a scalar
  std::vector<double> doubles;
  std::vector<std::int64_t> ints;
  std::vector<std::string> strings;
  std::uint64_t size() const;  // number of elements (1 for a scalar)
};

class ModelFile {
 public:
  static constexpr std::uint32_t kVersion = 1;
  static constexpr std::uint32_t kMaxRecords = 100000;
  static constexpr std::uint32_t kMaxNameLength = 1024;

  void add_doubles(const std::string& name, std::vector<double> values, std::vector<std::uint64_t> shape);
  void add_double(const std::string& name, double value) { add_doubles(name, {value}, {}); }
  void add_ints(const std::string& name, std::vector<std::int64_t> values, std::vector<std::uint64_t> shape);
  void add_int(const std::string& name, std::int64_t value) { add_ints(name, {value}, {}); }
  void add_strings(const std::string& name, std::vector<std::string> values);
  void add_string(const std::string& name, std::string value);

  const std::vector<FileRecord>& records() const { return records_; }
  bool has(const std::string& name) const { return find(name) != nullptr; }
  const FileRecord* find(const std::string& name) const;

  // Typed access; a missing record or one of another type or shape is an InvalidArgument
  // naming it. `rows`/`cols` < 0 accept any extent.
  const std::vector<double>& doubles(const std::string& name, long long length = -1) const;
  const std::vector<double>& matrix(const std::string& name, long long rows, long long cols) const;
  double scalar(const std::string& name) const;
  std::int64_t integer(const std::string& name) const;
  const std::vector<std::int64_t>& ints(const std::string& name, long long length = -1) const;
  const std::string& string(const std::string& name) const;
  const std::vector<std::string>& strings(const std::string& name) const;

  std::string serialize() const;
  static ModelFile parse(const std::string& bytes);
  void write(const std::string& path) const;
  static ModelFile read(const std::string& path);

 private:
  std::vector<FileRecord> records_;
  void add(FileRecord r);
  const FileRecord& get(const std::string& name, FileRecord::Type type) const;
};

}  // namespace ctxstats
