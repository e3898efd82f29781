// Errors raised at the core's boundary. Bindings map InvalidArgument to ValueError (Python)
// and to an R error; nothing in the core aborts the process.
#pragma once
#include <stdexcept>
#include <string>

namespace ctxstats {

class InvalidArgument : public std::invalid_argument {
 public:
  explicit InvalidArgument(const std::string& what) : std::invalid_argument(what) {}
};

// For checks outside loops: the message is built whether or not the check fails. Inside
// loops over data, test and throw directly so the message is built only on failure.
inline void require(bool ok, const std::string& message) {
  if (!ok) throw InvalidArgument(message);
}

}  // namespace ctxstats
