// Checks on the programs' flags that CLI11's own conversion does not make. CLI11 2.1 turns
// "--seed -1" into 2^64 - 1, saturates "--steps 1e30"-like integers to the type's maximum, reads
// "010" as octal 8, and accepts "nan", "inf" and "1e400" (= inf) for a double. The transforms
// below refuse all of that at parse time (CLI11's validation error, exit status 2), naming the
// flag and the value; the ranges that depend on the program (>= 1, odd, ...) are checked after
// parsing (wrnn::ValueError, exit status 2, program_errors.hpp).
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <string>
#include <thread>
#include <type_traits>

#include "wrnn/core/error.hpp"
#include "wrnn/core/thread_pool.hpp"

namespace wrnn::examples {

// Attach with ->transform(...), not ->check(...): a check's changes to the text are discarded.
//
// A transform for an integer flag of type Integer: a decimal integer (an optional sign, then
// digits; leading zeros are dropped, so "010" is ten) that the type holds. Anything else is
// refused with the range in the message.
template <class Integer>
CLI::Validator decimal_integer() {
  using Limits = std::numeric_limits<Integer>;
  const std::string range =
      "[" + std::to_string(Limits::min()) + ", " + std::to_string(Limits::max()) + "]";
  return CLI::Validator(
      [range](std::string& text) -> std::string {
        const std::string refusal =
            "expected a decimal integer in " + range + ", received '" + text + "'";
        std::size_t start = 0;
        bool negative = false;
        if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
          negative = text[0] == '-';
          start = 1;
        }
        if (start == text.size()) return refusal;
        for (std::size_t i = start; i < text.size(); ++i)
          if (text[i] < '0' || text[i] > '9') return refusal;
        while (start + 1 < text.size() && text[start] == '0') ++start;
        const std::string canonical = (negative ? "-" : "") + text.substr(start);
        Integer value{};
        const auto [end, error] =
            std::from_chars(canonical.data(), canonical.data() + canonical.size(), value);
        if (error != std::errc() || end != canonical.data() + canonical.size()) return refusal;
        text = canonical;  // what CLI11 then converts: no octal, no sign it would wrap
        return {};
      },
      "");
}

// A transform for a floating-point flag: a number that is finite as a double (no nan, no inf,
// nothing that overflows to inf like 1e400).
inline CLI::Validator finite_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const std::string refusal = "expected a finite number, received '" + text + "'";
        if (text.empty()) return refusal;
        char* end = nullptr;
        errno = 0;
        const double value = std::strtod(text.c_str(), &end);
        if (end != text.c_str() + text.size() || !std::isfinite(value)) return refusal;
        return {};
      },
      "");
}

// Throws ValueError("<flag>: expected ..., received ...") unless minimum <= value.
template <class Number>
void require_at_least(const char* flag, Number value, Number minimum) {
  if (!(value >= minimum))
    throw ValueError(detail::concat(flag, ": expected >= ", minimum, ", received ", value));
}

// The most threads a program starts: a batch is cut into chunks of 32 samples that run in
// parallel, and each thread reserves a stack, so far more threads than cores only cost memory.
inline Index max_thread_count() {
  return std::max<Index>(1024, static_cast<Index>(std::thread::hardware_concurrency()));
}

// The thread count of a run: --threads when it was given (1 .. max_thread_count()), otherwise
// WRNN_NUM_THREADS or the number of cores (default_thread_count(), which refuses a bad
// WRNN_NUM_THREADS by name). The variable is read only here, after the flags are parsed, so a
// bad value does not stop --help or a run that gives --threads.
inline Index resolve_thread_count(const CLI::Option& flag, Index given) {
  const bool from_flag = flag.count() > 0;
  const Index threads = from_flag ? given : default_thread_count();
  if (threads < 1 || threads > max_thread_count())
    throw ValueError(detail::concat(from_flag ? "--threads" : "WRNN_NUM_THREADS",
                                    ": expected a thread count in [1, ", max_thread_count(),
                                    "], received ", threads));
  return threads;
}

// Calls parse(text) (parse_activation and the like) and names the flag in its error.
template <class Parse>
auto parse_flag(const char* flag, const std::string& text, Parse parse) {
  try {
    return parse(text);
  } catch (const ValueError& error) {
    const std::string message = error.what();
    throw ValueError(detail::concat(flag, ": ", message.substr(message.find(": ") + 2)));
  }
}

// Refuses flags that were given but do not apply to `what` (for example --act for an LSTM, which
// has its own gates): silently ignoring them would make the run differ from what was asked.
inline void refuse_given_flags(const CLI::App& app, std::initializer_list<const char*> flags,
                               const std::string& what) {
  for (const char* flag : flags)
    if (app.get_option(flag)->count() > 0)
      throw ValueError(detail::concat(flag, ": does not apply to ", what,
                                      "; leave it out (it would be ignored)"));
}

// An integer flag: its default shown in --help, its text checked by decimal_integer<Integer>.
template <class Integer, class Field>
CLI::Option* add_integer_option(CLI::App& app, const std::string& name, Field& field,
                                const std::string& help) {
  static_assert(std::is_same_v<Integer, Field>, "the check's type is the field's type");
  return app.add_option(name, field, help)
      ->capture_default_str()
      ->transform(decimal_integer<Integer>());
}

}  // namespace wrnn::examples
