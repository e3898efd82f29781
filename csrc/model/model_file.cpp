#include "model/model_file.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

#include "common/error.hpp"

namespace ctxstats {

namespace {

constexpr char kMagic[8] = {'C', 'T', 'X', 'S', 'T', 'A', 'T', 'S'};
constexpr int kMaxDims = 4;

std::uint64_t fnv1a(const char* data, std::size_t n) {
  std::uint64_t h = 1469598103934665603ULL;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ULL;
  }
  return h;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > ModelFile::kMaxNameLength) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '/' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<std::size_t>(extra) >= n) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    const std::uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

const char* type_name(FileRecord::Type t) {
  switch (t) {
    case FileRecord::Type::kDoubles: return "doubles";
    case FileRecord::Type::kInts: return "integers";
    default: return "strings";
  }
}

// Little-endian writing, whatever the host.
void put_u64(std::string& out, std::uint64_t v) {
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xFF));
}
void put_u32(std::string& out, std::uint32_t v) {
  for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xFF));
}

class Cursor {
 public:
  Cursor(const std::string& bytes, std::size_t end) : s_(bytes), end_(end) {}
  std::size_t remaining() const { return end_ - pos_; }
  void need(std::uint64_t n, const std::string& what) const {
    if (n > remaining()) damaged("it ends inside " + what);
  }
  std::uint64_t u64(const std::string& what) {
    need(8, what);
    std::uint64_t v = 0;
    for (int b = 0; b < 8; ++b) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s_[pos_ + b])) << (8 * b);
    pos_ += 8;
    return v;
  }
  std::uint32_t u32(const std::string& what) {
    need(4, what);
    std::uint32_t v = 0;
    for (int b = 0; b < 4; ++b) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(s_[pos_ + b])) << (8 * b);
    pos_ += 4;
    return v;
  }
  std::uint8_t u8(const std::string& what) {
    need(1, what);
    return static_cast<std::uint8_t>(s_[pos_++]);
  }
  std::string bytes(std::uint64_t n, const std::string& what) {
    need(n, what);
    std::string out = s_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }
  std::size_t pos() const { return pos_; }
  [[noreturn]] static void damaged(const std::string& why) {
    throw InvalidArgument("not a valid ctxstats model file: " + why);
  }

 private:
  const std::string& s_;
  std::size_t end_;
  std::size_t pos_ = 0;
};

}  // namespace

std::uint64_t FileRecord::size() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

void ModelFile::add(FileRecord r) {
  require(valid_name(r.name), "invalid record name '" + r.name + "' for a model file");
  require(find(r.name) == nullptr, "the model file already has a record '" + r.name + "'");
  require(r.shape.size() <= static_cast<std::size_t>(kMaxDims), "record '" + r.name + "' has too many dimensions");
  require(records_.size() < kMaxRecords, "too many records for a model file");
  records_.push_back(std::move(r));
}

void ModelFile::add_doubles(const std::string& name, std::vector<double> values, std::vector<std::uint64_t> shape) {
  FileRecord r;
  r.name = name;
  r.type = FileRecord::Type::kDoubles;
  r.shape = std::move(shape);
  require(r.size() == values.size(), "record '" + name + "': shape and number of values differ");
  r.doubles = std::move(values);
  add(std::move(r));
}

void ModelFile::add_ints(const std::string& name, std::vector<std::int64_t> values, std::vector<std::uint64_t> shape) {
  FileRecord r;
  r.name = name;
  r.type = FileRecord::Type::kInts;
  r.shape = std::move(shape);
  require(r.size() == values.size(), "record '" + name + "': shape and number of values differ");
  r.ints = std::move(values);
  add(std::move(r));
}

void ModelFile::add_strings(const std::string& name, std::vector<std::string> values) {
  FileRecord r;
  r.name = name;
  r.type = FileRecord::Type::kStrings;
  r.shape = {static_cast<std::uint64_t>(values.size())};
  for (const auto& v : values) require(valid_utf8(v), "record '" + name + "': a string is not valid UTF-8");
  r.strings = std::move(values);
  add(std::move(r));
}

void ModelFile::add_string(const std::string& name, std::string value) {
  FileRecord r;
  r.name = name;
  r.type = FileRecord::Type::kStrings;
  require(valid_utf8(value), "record '" + name + "': the string is not valid UTF-8");
  r.strings = {std::move(value)};
  add(std::move(r));
}

const FileRecord* ModelFile::find(const std::string& name) const {
  for (const auto& r : records_)
    if (r.name == name) return &r;
  return nullptr;
}

const FileRecord& ModelFile::get(const std::string& name, FileRecord::Type type) const {
  const FileRecord* r = find(name);
  if (r == nullptr) throw InvalidArgument("the model file has no record '" + name + "'");
  if (r->type != type)
    throw InvalidArgument("the model file's record '" + name + "' holds " + type_name(r->type) + ", not " +
                          type_name(type));
  return *r;
}

const std::vector<double>& ModelFile::doubles(const std::string& name, long long length) const {
  const FileRecord& r = get(name, FileRecord::Type::kDoubles);
  require(r.shape.size() == 1 && (length < 0 || r.shape[0] == static_cast<std::uint64_t>(length)),
          "the model file's record '" + name + "' is not a vector" +
              (length < 0 ? std::string() : " of length " + std::to_string(length)));
  return r.doubles;
}

const std::vector<double>& ModelFile::matrix(const std::string& name, long long rows, long long cols) const {
  const FileRecord& r = get(name, FileRecord::Type::kDoubles);
  const bool ok = r.shape.size() == 2 && (rows < 0 || r.shape[0] == static_cast<std::uint64_t>(rows)) &&
                  (cols < 0 || r.shape[1] == static_cast<std::uint64_t>(cols));
  require(ok, "the model file's record '" + name + "' is not a matrix of the expected shape");
  return r.doubles;
}

double ModelFile::scalar(const std::string& name) const {
  const FileRecord& r = get(name, FileRecord::Type::kDoubles);
  require(r.shape.empty(), "the model file's record '" + name + "' is not a scalar");
  return r.doubles[0];
}

std::int64_t ModelFile::integer(const std::string& name) const {
  const FileRecord& r = get(name, FileRecord::Type::kInts);
  require(r.shape.empty(), "the model file's record '" + name + "' is not a scalar");
  return r.ints[0];
}

const std::vector<std::int64_t>& ModelFile::ints(const std::string& name, long long length) const {
  const FileRecord& r = get(name, FileRecord::Type::kInts);
  require(r.shape.size() == 1 && (length < 0 || r.shape[0] == static_cast<std::uint64_t>(length)),
          "the model file's record '" + name + "' is not an integer vector" +
              (length < 0 ? std::string() : " of length " + std::to_string(length)));
  return r.ints;
}

const std::string& ModelFile::string(const std::string& name) const {
  const FileRecord& r = get(name, FileRecord::Type::kStrings);
  require(r.shape.empty(), "the model file's record '" + name + "' is not a single string");
  return r.strings[0];
}

const std::vector<std::string>& ModelFile::strings(const std::string& name) const {
  const FileRecord& r = get(name, FileRecord::Type::kStrings);
  require(r.shape.size() == 1, "the model file's record '" + name + "' is not a list of strings");
  return r.strings;
}

std::string ModelFile::serialize() const {
  std::string out(kMagic, sizeof kMagic);
  put_u32(out, kVersion);
  put_u32(out, static_cast<std::uint32_t>(records_.size()));
  for (const auto& r : records_) {
    put_u32(out, static_cast<std::uint32_t>(r.name.size()));
    out += r.name;
    out.push_back(static_cast<char>(r.type));
    out.push_back(static_cast<char>(r.shape.size()));
    for (auto d : r.shape) put_u64(out, d);
    switch (r.type) {
      case FileRecord::Type::kDoubles:
        for (double v : r.doubles) {
          std::uint64_t bits;
          std::memcpy(&bits, &v, sizeof bits);
          put_u64(out, bits);
        }
        break;
      case FileRecord::Type::kInts:
        for (std::int64_t v : r.ints) put_u64(out, static_cast<std::uint64_t>(v));
        break;
      case FileRecord::Type::kStrings:
        for (const auto& s : r.strings) {
          put_u64(out, s.size());
          out += s;
        }
        break;
    }
  }
  put_u64(out, fnv1a(out.data(), out.size()));
  return out;
}

ModelFile ModelFile::parse(const std::string& bytes) {
  if (bytes.size() < sizeof kMagic + 16 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    Cursor::damaged("it does not start with the ctxstats signature (is it a ctxstats model file?)");
  const std::size_t body = bytes.size() - 8;
  std::uint64_t stored = 0;
  for (int b = 0; b < 8; ++b) stored |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[body + b])) << (8 * b);
  if (stored != fnv1a(bytes.data(), body)) Cursor::damaged("its checksum does not match (the file is damaged or truncated)");
  Cursor in(bytes, body);
  in.bytes(sizeof kMagic, "the signature");
  const std::uint32_t version = in.u32("the version");
  if (version != kVersion)
    Cursor::damaged("format version " + std::to_string(version) + "; this ctxstats reads version " +
                    std::to_string(kVersion));
  const std::uint32_t n = in.u32("the record count");
  if (n > kMaxRecords) Cursor::damaged("it claims " + std::to_string(n) + " records");
  ModelFile file;
  for (std::uint32_t k = 0; k < n; ++k) {
    const std::string where = "record " + std::to_string(k);
    const std::uint32_t len = in.u32(where);
    if (len == 0 || len > kMaxNameLength) Cursor::damaged(where + " has a name of length " + std::to_string(len));
    FileRecord r;
    r.name = in.bytes(len, where);
    if (!valid_name(r.name)) Cursor::damaged(where + " has an invalid name");
    if (file.find(r.name) != nullptr) Cursor::damaged("record '" + r.name + "' appears twice");
    const std::uint8_t type = in.u8(where);
    if (type < 1 || type > 3) Cursor::damaged("record '" + r.name + "' has unknown type " + std::to_string(type));
    r.type = static_cast<FileRecord::Type>(type);
    const std::uint8_t ndim = in.u8(where);
    if (ndim > kMaxDims || (r.type == FileRecord::Type::kStrings && ndim > 1))
      Cursor::damaged("record '" + r.name + "' has " + std::to_string(ndim) + " dimensions");
    std::uint64_t count = 1;
    for (std::uint8_t d = 0; d < ndim; ++d) {
      const std::uint64_t dim = in.u64(where);
      // Every element takes at least 8 bytes: a count beyond what remains cannot be real.
      if (dim != 0 && count > in.remaining() / 8 / dim) Cursor::damaged("record '" + r.name + "' claims more data than the file holds");
      count *= dim;
      r.shape.push_back(dim);
    }
    if (count > in.remaining() / 8) Cursor::damaged("record '" + r.name + "' claims more data than the file holds");
    const auto cnt = static_cast<std::size_t>(count);
    if (r.type == FileRecord::Type::kDoubles) {
      r.doubles.resize(cnt);
      for (std::size_t i = 0; i < cnt; ++i) {
        const std::uint64_t bits = in.u64(r.name);
        std::memcpy(&r.doubles[i], &bits, sizeof bits);
      }
    } else if (r.type == FileRecord::Type::kInts) {
      r.ints.resize(cnt);
      for (std::size_t i = 0; i < cnt; ++i) r.ints[i] = static_cast<std::int64_t>(in.u64(r.name));
    } else {
      r.strings.reserve(cnt);
      for (std::size_t i = 0; i < cnt; ++i) {
        const std::uint64_t slen = in.u64(r.name);
        r.strings.push_back(in.bytes(slen, "record '" + r.name + "'"));
        if (!valid_utf8(r.strings.back())) Cursor::damaged("record '" + r.name + "' holds text that is not UTF-8");
      }
    }
    file.records_.push_back(std::move(r));
  }
  if (in.remaining() != 0) Cursor::damaged("it has " + std::to_string(in.remaining()) + " bytes after its records");
  return file;
}

void ModelFile::write(const std::string& path) const {
  const std::string bytes = serialize();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw InvalidArgument("cannot open '" + path + "' for writing");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw InvalidArgument("could not write '" + path + "'");
}

ModelFile ModelFile::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InvalidArgument("cannot open '" + path + "' for reading");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InvalidArgument("could not read '" + path + "'");
  return parse(bytes);
}

}  // namespace ctxstats
