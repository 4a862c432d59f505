/// \file
/// A seeded random number generator whose streams are the same on every platform and compiler.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>

#include "wrnn/core/error.hpp"

namespace wrnn {

/// A seeded random number generator whose streams are the same on every platform and compiler.
///
/// std::uniform_real_distribution and std::normal_distribution are implementation-defined, so
/// wrnn draws from std::mt19937_64 (fully specified by the standard) and converts the bits itself.
class Rng {
 public:
  /// A generator seeded with `seed`: the same seed gives the same stream everywhere.
  explicit Rng(std::uint64_t seed = 0) : engine_(seed) {}

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  /// Uniform in [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform(); }

  /// Uniform integer in [low, high), without modulo bias (rejection sampling).
  /// \throws ValueError unless low < high.
  std::int64_t uniform_int(std::int64_t low, std::int64_t high) {
    if (high <= low)
      throw ValueError(
          detail::concat("uniform_int: expected low < high, received [", low, ", ", high, ")"));
    // Unsigned arithmetic: high - low can exceed INT64_MAX.
    const std::uint64_t range = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    std::uint64_t draw;
    do draw = engine_();
    while (draw >= limit);
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + draw % range);
  }

  /// Normal with the given mean and standard deviation, by the Box-Muller transform (one draw per
  /// call, the pair's twin discarded so the stream position depends only on the number of calls).
  double normal(double mean = 0.0, double stddev = 1.0) {
    const double u1 = 1.0 - uniform();  // in (0, 1], keeps log finite
    const double u2 = uniform();
    const double two_pi = 6.283185307179586476925286766559;
    return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2);
  }

  /// The full engine state as text, to save in checkpoints (set_state() restores it).
  std::string state() const {
    std::ostringstream out;
    out << engine_;
    return out.str();
  }
  /// Restores a state written by state().
  /// \throws FormatError when `text` is not an mt19937_64 state.
  void set_state(const std::string& text) {
    std::istringstream in(text);
    in >> engine_;
    if (in.fail()) throw FormatError("Rng::set_state: the text is not an mt19937_64 state");
  }

  /// The underlying std::mt19937_64, for code that needs a standard engine.
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace wrnn
