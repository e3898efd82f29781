// Errors raised at the core's boundary. Bindings map InvalidArgument to ValueError (Python),
// InvalidType to TypeError, and both to an R error; nothing in the core aborts the process.
#pragma once
#include <stdexcept>
#include <string>

namespace ctxstats {

class InvalidArgument : public std::invalid_argument {
 public:
  explicit InvalidArgument(const std::string& what) : std::invalid_argument(what) {}
};

// A value of the wrong kind (a string where a number belongs): TypeError in Python, an R
// error. A subclass of InvalidArgument, so code that catches that catches this too.
class InvalidType : public InvalidArgument {
 public:
  explicit InvalidType(const std::string& what) : InvalidArgument(what) {}
};

// For checks outside loops: the message is built whether or not the check fails. Inside
// loops over data, test and throw directly so the message is built only on failure.
inline void require(bool ok, const std::string& message) {
  if (!ok) throw InvalidArgument(message);
}

}  // namespace ctxstats
