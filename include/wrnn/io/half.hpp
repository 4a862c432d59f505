/// \file
/// Exact conversion of the two 16-bit float formats of safetensors files to float.
///
/// IEEE 754 binary16 ("F16", numpy.float16, torch.half): 1 sign bit s, 5 exponent bits e (bias 15),
/// 10 fraction bits m:
///
///     e = 0            value = (-1)^s * m * 2^-24                 (zero and subnormals)
///     0 < e < 31       value = (-1)^s * (1 + m / 2^10) * 2^(e - 15)
///     e = 31           m = 0: infinity, m != 0: NaN
///
/// Every binary16 value is exactly a float (8 exponent bits, 23 fraction bits), so the normal case
/// only moves the fields: rebias the exponent (e - 15 + 127) and shift the fraction left by 13.
/// Subnormal halves become normal floats, so they are computed as m * 2^-24, which is exact.
///
/// bfloat16 ("BF16", torch.bfloat16) is the upper half of a binary32 float: 1 sign bit, 8 exponent
/// bits, 7 fraction bits. Putting the 16 bits back on top of 16 zero bits gives the float exactly,
/// subnormals, infinities and NaNs included.
#pragma once

#include <cstdint>
#include <cstring>

namespace wrnn::io {

/// The float whose binary32 bits are `bits`.
inline float float_from_bits(std::uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

/// The binary16 value of the bits `half`, exactly, as a float (see the file's comment).
inline float half_to_float(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
  const std::uint32_t exponent = (half >> 10) & 0x1Fu;
  const std::uint32_t fraction = half & 0x3FFu;
  if (exponent == 0) {
    // Zero or subnormal: m * 2^-24, exact in float (m < 2^10); the sign is applied by bits so that
    // -0 stays -0.
    const float magnitude = static_cast<float>(fraction) * 0x1.0p-24f;
    std::uint32_t bits;
    std::memcpy(&bits, &magnitude, sizeof bits);
    return float_from_bits(sign | bits);
  }
  if (exponent == 31)  // infinity (fraction 0) or NaN, keeping the NaN's payload bits
    return float_from_bits(sign | 0x7F800000u | (fraction << 13));
  return float_from_bits(sign | ((exponent - 15 + 127) << 23) | (fraction << 13));
}

/// The bfloat16 value of the bits `bfloat16`, exactly, as a float.
inline float bfloat16_to_float(std::uint16_t bfloat16) {
  return float_from_bits(static_cast<std::uint32_t>(bfloat16) << 16);
}

}  // namespace wrnn::io
