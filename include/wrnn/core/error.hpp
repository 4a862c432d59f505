/// \file
/// The one exception family of wrnn.
///
/// Every failure the library can detect (a wrong shape, a bad option, a corrupt file, a loss that
/// became NaN) is reported by throwing a wrnn::Error whose message names what was expected and
/// what was received. Callers that want to tell kinds apart catch the subclasses.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace wrnn {

/// The base of every exception wrnn throws; what() starts with "wrnn: ".
class Error : public std::runtime_error {
 public:
  /// An error whose what() is "wrnn: " followed by `message`.
  explicit Error(const std::string& message) : std::runtime_error("wrnn: " + message) {}
};

/// A tensor, matrix or sequence does not have the size the operation needs.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// An option or argument is outside what the operation accepts (even kernel size, zero sizes,
/// ...).
class ValueError : public Error {
 public:
  using Error::Error;
};

/// Training produced a non-finite loss or gradient; training stops rather than going on with NaN.
class NumericalError : public Error {
 public:
  using Error::Error;
};

/// A file could not be read or written, or its contents are not what the format requires.
class FormatError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <class... Parts>
std::string concat(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}
}  // namespace detail

/// Throws ShapeError("`what`: expected `expected`, received `received`") when the sizes differ.
template <class A, class B>
void require_size(const char* what, const A& expected, const B& received) {
  if (expected != received)
    throw ShapeError(detail::concat(what, ": expected ", expected, ", received ", received));
}

/// Throws ValueError("`what`: expected > 0, received `value`") unless value > 0.
template <class A>
void require_positive(const char* what, const A& value) {
  if (!(value > 0)) throw ValueError(detail::concat(what, ": expected > 0, received ", value));
}

}  // namespace wrnn
