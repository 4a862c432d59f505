/// \file
/// A small RGB raster, text labels, display resampling, and PNG output.
///
/// PNG encoding is stb_image_write (Debian libstb-dev) and text is stb_easy_font; both are
/// single-file C libraries whose implementation is compiled where it is included. Because wrnn is
/// header-only and this header may be included by many translation units of one program, stb's
/// implementation is compiled with STB_IMAGE_WRITE_STATIC: every function gets internal linkage,
/// so each translation unit has its own private copy and the linker never sees two definitions
/// (the price is a few kilobytes per translation unit that writes PNGs). stb_easy_font's
/// functions are `static` by design. Consequence for users: do not include
/// `<stb/stb_image_write.h>` with STB_IMAGE_WRITE_IMPLEMENTATION yourself in a translation unit
/// that also includes this header (the include guard would hand you our static copy); including
/// it without the implementation, or in another translation unit, is fine.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "wrnn/analysis/colormap.hpp"
#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wconversion"
#endif
#ifndef STB_IMAGE_WRITE_IMPLEMENTATION
#define WRNN_DEFINED_STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#endif
#ifndef STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_STATIC
#endif
#include <stb/stb_image_write.h>
#ifdef WRNN_DEFINED_STB_IMAGE_WRITE_IMPLEMENTATION
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#undef WRNN_DEFINED_STB_IMAGE_WRITE_IMPLEMENTATION
#endif
#include <stb/stb_easy_font.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace wrnn::analysis {

/// 8-bit RGB pixels, row-major from the top-left corner: pixel (x, y) starts at
/// 3 * (y * width + x).
struct RgbImage {
  Index width = 0;                   ///< Pixels a row.
  Index height = 0;                  ///< Rows.
  std::vector<std::uint8_t> pixels;  ///< 3 * width * height bytes: red, green, blue.

  RgbImage() = default;  ///< An empty image.
  /// A width_ x height_ image filled with `background`.
  /// \throws ValueError unless both sides are positive.
  RgbImage(Index width_, Index height_, Rgb background = {255, 255, 255})
      : width(width_), height(height_), pixels(static_cast<std::size_t>(3 * width_ * height_)) {
    if (width_ < 1 || height_ < 1)
      throw ValueError(
          detail::concat("RgbImage: expected a positive size, received ", width_, " x ", height_));
    fill_rect(0, 0, width, height, background);
  }

  /// The pixel at (x, y), unchecked.
  Rgb at(Index x, Index y) const {
    const std::size_t offset = static_cast<std::size_t>(3 * (y * width + x));
    return Rgb{pixels[offset], pixels[offset + 1], pixels[offset + 2]};
  }
  /// Sets the pixel at (x, y); a point outside the image is ignored (drawing clips).
  void set(Index x, Index y, Rgb color) {
    if (x < 0 || y < 0 || x >= width || y >= height) return;  // clip silently: drawing helper
    const std::size_t offset = static_cast<std::size_t>(3 * (y * width + x));
    pixels[offset] = color.red;
    pixels[offset + 1] = color.green;
    pixels[offset + 2] = color.blue;
  }
  /// Fills [x, x + w) x [y, y + h), clipped to the image.
  void fill_rect(Index x, Index y, Index w, Index h, Rgb color) {
    const Index x0 = std::max<Index>(x, 0), x1 = std::min<Index>(x + w, width);
    const Index y0 = std::max<Index>(y, 0), y1 = std::min<Index>(y + h, height);
    for (Index row = y0; row < y1; ++row)
      for (Index col = x0; col < x1; ++col) set(col, row, color);
  }
};

// ---- text (stb_easy_font: a tiny vector font made of axis-aligned quads) ----

/// Width in pixels of `text` drawn at integer `scale` (1 = about 5 x 7 pixel glyphs).
inline Index text_width(const std::string& text, Index scale = 1) {
  std::string copy = text;  // stb_easy_font takes char*
  return scale * static_cast<Index>(stb_easy_font_width(copy.data()));
}
/// Height in pixels of one line of capitals and digits at `scale` (stb_easy_font's glyphs occupy 7
/// rows; its line advance of 12 includes the space between lines).
inline Index glyph_height(Index scale = 1) {
  return 7 * scale;
}

/// Draws `text` with its top-left corner at (x, y), each font unit enlarged to scale x scale
/// pixels.
inline void draw_text(RgbImage& image, Index x, Index y, const std::string& text, Rgb color,
                      Index scale = 1) {
  if (text.empty()) return;
  std::string copy = text;
  // ~270 bytes per character is stb_easy_font's documented average; give it generous room.
  std::vector<char> vertices(static_cast<std::size_t>(600 * (copy.size() + 1)));
  const int quads = stb_easy_font_print(0.0f, 0.0f, copy.data(), nullptr, vertices.data(),
                                        static_cast<int>(vertices.size()));
  constexpr std::size_t vertex_bytes = 16;  // x, y, z as float, then 4 colour bytes
  for (int quad = 0; quad < quads; ++quad) {
    float min_x = 1e9f, min_y = 1e9f, max_x = -1e9f, max_y = -1e9f;
    for (int corner = 0; corner < 4; ++corner) {
      const char* vertex =
          vertices.data() + static_cast<std::size_t>(4 * quad + corner) * vertex_bytes;
      float px, py;  // memcpy: the buffer is bytes, not an array of floats
      std::memcpy(&px, vertex, sizeof(float));
      std::memcpy(&py, vertex + sizeof(float), sizeof(float));
      min_x = std::min(min_x, px), max_x = std::max(max_x, px);
      min_y = std::min(min_y, py), max_y = std::max(max_y, py);
    }
    const auto x0 = static_cast<Index>(std::lround(min_x)),
               x1 = static_cast<Index>(std::lround(max_x));
    const auto y0 = static_cast<Index>(std::lround(min_y)),
               y1 = static_cast<Index>(std::lround(max_y));
    image.fill_rect(x + scale * x0, y + scale * y0, scale * (x1 - x0), scale * (y1 - y0), color);
  }
}

/// Short text for a number on a colour-scale label: 3 significant digits.
inline std::string format_number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", value);
  return buffer;
}

// ---- PNG ----

/// The PNG file bytes of `image` (stb_image_write's encoder, in memory).
inline std::vector<std::uint8_t> encode_png(const RgbImage& image) {
  if (image.width < 1 || image.height < 1 ||
      image.pixels.size() != static_cast<std::size_t>(3 * image.width * image.height))
    throw ValueError(
        detail::concat("encode_png: expected a non-empty image with 3 * width * height "
                       "bytes, received ",
                       image.width, " x ", image.height, " with ", image.pixels.size(), " bytes"));
  std::vector<std::uint8_t> bytes;
  auto append = [](void* context, void* data, int size) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(context);
    const auto* begin = static_cast<const std::uint8_t*>(data);
    out->insert(out->end(), begin, begin + size);
  };
  const int ok = stbi_write_png_to_func(append, &bytes, static_cast<int>(image.width),
                                        static_cast<int>(image.height), 3, image.pixels.data(),
                                        static_cast<int>(3 * image.width));
  if (!ok) throw FormatError("encode_png: stb_image_write failed to encode the image");
  return bytes;
}

/// Writes `bytes` to the file `path`, replacing it.
/// \throws FormatError when the file cannot be opened or written.
inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw FormatError(detail::concat("cannot open '", path, "' for writing"));
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out)
    throw FormatError(detail::concat("failed writing ", bytes.size(), " bytes to '", path, "'"));
}

/// Writes `image` as a PNG file. \throws FormatError when it cannot be encoded or written.
inline void write_png(const std::string& path, const RgbImage& image) {
  write_bytes(path, encode_png(image));
}

// ---- display resampling ----

/// How one axis of a data block becomes pixels: `block` consecutive samples are averaged into one
/// value (when the axis is longer than the maximum), then each value is repeated `repeat` times
/// (when the axis is short, so that a 100-unit ring is not 100 pixels tall).
struct AxisScaling {
  Index block = 1;   ///< samples averaged into one value
  Index repeat = 1;  ///< pixels each value is repeated over
  /// Values an axis of `length` samples becomes: ceil(length / block).
  Index values(Index length) const { return (length + block - 1) / block; }
  /// Pixels an axis of `length` samples becomes.
  Index pixels(Index length) const { return values(length) * repeat; }
};

/// block = ceil(length / max_pixels); repeat = largest integer with length * repeat <= max_pixels
/// that brings the axis to at least min_pixels (1 when it is already long enough).
inline AxisScaling choose_axis_scaling(Index length, Index min_pixels, Index max_pixels) {
  if (length < 1 || max_pixels < 1)
    throw ValueError(
        detail::concat("choose_axis_scaling: expected length >= 1 and max_pixels >= 1, "
                       "received ",
                       length, " and ", max_pixels));
  AxisScaling scaling;
  if (length > max_pixels) {
    scaling.block = (length + max_pixels - 1) / max_pixels;
    return scaling;
  }
  if (length < min_pixels) {
    const Index wanted = (min_pixels + length - 1) / length;
    scaling.repeat = std::max<Index>(1, std::min<Index>(wanted, max_pixels / length));
  }
  return scaling;
}

/// Block-averages `data` (rows x cols) into ceil(rows/row_block) x ceil(cols/col_block) values; a
/// partial last block averages the samples it has.
inline Matrix<double> block_average(const Matrix<double>& data, Index row_block, Index col_block) {
  const Index rows = (data.rows() + row_block - 1) / row_block;
  const Index cols = (data.cols() + col_block - 1) / col_block;
  Matrix<double> out(rows, cols);
  for (Index c = 0; c < cols; ++c)
    for (Index r = 0; r < rows; ++r) {
      const Index r0 = r * row_block, c0 = c * col_block;
      const Index nr = std::min(row_block, data.rows() - r0);
      const Index nc = std::min(col_block, data.cols() - c0);
      out(r, c) = data.block(r0, c0, nr, nc).mean();
    }
  return out;
}

}  // namespace wrnn::analysis
