// F16 and BF16 decoding: every one of the 65536 bit patterns against an arithmetic oracle
// (sign * 2^(e - bias) * (1 + m / 2^bits), computed with std::ldexp in double rather than by
// moving bit fields), plus known values whose bits numpy produced (make_reference.py).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "wrnn/io/half.hpp"

namespace test_safetensors_half {  // see "unity groups" in tests/CMakeLists.txt

namespace {

// Value of a binary float with the given field widths, from its definition.
double decode_by_definition(std::uint32_t bits, int exponent_bits, int fraction_bits) {
  const int bias = (1 << (exponent_bits - 1)) - 1;
  const std::uint32_t max_exponent = (1u << exponent_bits) - 1;
  const bool negative = (bits >> (exponent_bits + fraction_bits)) & 1u;
  const std::uint32_t exponent = (bits >> fraction_bits) & max_exponent;
  const std::uint32_t fraction = bits & ((1u << fraction_bits) - 1);
  double magnitude;
  if (exponent == max_exponent)
    magnitude = fraction == 0 ? std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::quiet_NaN();
  else if (exponent == 0)
    magnitude = std::ldexp(static_cast<double>(fraction), 1 - bias - fraction_bits);
  else
    magnitude = std::ldexp(1.0 + std::ldexp(static_cast<double>(fraction), -fraction_bits),
                           static_cast<int>(exponent) - bias);
  return negative ? -magnitude : magnitude;
}

void check_same(double expected, float decoded) {
  if (std::isnan(expected)) {
    CHECK(std::isnan(decoded));
  } else {
    CHECK(static_cast<double>(decoded) == expected);
    CHECK(std::signbit(decoded) == std::signbit(expected));  // -0 stays -0
  }
}

}  // namespace

TEST_CASE("half_to_float matches the binary16 definition for all 65536 bit patterns") {
  for (std::uint32_t bits = 0; bits < 65536; ++bits) {
    INFO("bits 0x" << std::hex << bits);
    check_same(decode_by_definition(bits, 5, 10),
               wrnn::io::half_to_float(static_cast<std::uint16_t>(bits)));
  }
}

TEST_CASE("bfloat16_to_float matches the bfloat16 definition for all 65536 bit patterns") {
  for (std::uint32_t bits = 0; bits < 65536; ++bits) {
    INFO("bits 0x" << std::hex << bits);
    check_same(decode_by_definition(bits, 8, 7),
               wrnn::io::bfloat16_to_float(static_cast<std::uint16_t>(bits)));
  }
}

TEST_CASE("half_to_float on values numpy encoded") {
  using wrnn::io::half_to_float;
  CHECK(half_to_float(0x3C00) == 1.0f);
  CHECK(half_to_float(0xC000) == -2.0f);
  CHECK(half_to_float(0x7BFF) == 65504.0f);              // largest finite half
  CHECK(half_to_float(0x0400) == 0x1.0p-14f);            // smallest normal
  CHECK(half_to_float(0x0001) == 0x1.0p-24f);            // smallest subnormal
  CHECK(half_to_float(0x03FF) == 1023.0f * 0x1.0p-24f);  // largest subnormal
  CHECK(half_to_float(0x8001) == -0x1.0p-24f);           // negative subnormal
  CHECK(half_to_float(0x2E66) == 0.0999755859375f);      // numpy.float16(0.1)
  CHECK(half_to_float(0x0000) == 0.0f);
  CHECK_FALSE(std::signbit(half_to_float(0x0000)));
  CHECK(std::signbit(half_to_float(0x8000)));
  CHECK(half_to_float(0x7C00) == std::numeric_limits<float>::infinity());
  CHECK(half_to_float(0xFC00) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(half_to_float(0x7E00)));  // numpy's NaN
  CHECK(std::isnan(half_to_float(0x7C01)));  // signalling NaN pattern stays a NaN
  CHECK(std::isnan(half_to_float(0xFE00)));
}

TEST_CASE("bfloat16_to_float is float32 truncated to its upper 16 bits") {
  using wrnn::io::bfloat16_to_float;
  CHECK(bfloat16_to_float(0x3F80) == 1.0f);
  CHECK(bfloat16_to_float(0xC049) == -3.140625f);
  CHECK(bfloat16_to_float(0x0001) == 0x1.0p-133f);  // smallest subnormal
  CHECK(bfloat16_to_float(0x0080) == 0x1.0p-126f);  // smallest normal
  CHECK(bfloat16_to_float(0x7F7F) == 0x1.FEp127f);  // largest finite
  CHECK(bfloat16_to_float(0x7F80) == std::numeric_limits<float>::infinity());
  CHECK(bfloat16_to_float(0xFF80) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(bfloat16_to_float(0x7FC0)));
  CHECK(std::signbit(bfloat16_to_float(0x8000)));
}

}  // namespace test_safetensors_half
