// An animated GIF of a recorded hidden state: one frame per (chosen) time step.
//
// Two layouts:
// * rings: each channel's ring is one horizontal strip, unit 0 at the left; the channels are
//   stacked top to bottom. A wave is a pattern sliding sideways.
// * grid: as in the paper's figures, the n units of a channel are laid out row-major on a
//   ceil(sqrt(n)) x ceil(sqrt(n)) square (unit i at row i / side, column i % side; cells past n are
//   left grey); the channels' squares are tiled left to right.
// Colours come from a 256-entry palette: entries 0..254 sample the colour map evenly, entry 255 is
// the grey of gaps and unused cells. The GIF (giflib, Debian libgif-dev) is GIF89a, loops forever,
// and shows each frame for `delay_centiseconds`.
#pragma once

#include <gif_lib.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wrnn/analysis/panels.hpp"
#include "wrnn/analysis/space_time_image.hpp"
#include "wrnn/analysis/state_recording.hpp"

namespace wrnn::analysis {

enum class AnimationLayout { rings, grid };

struct AnimationOptions {
  AnimationLayout layout = AnimationLayout::rings;
  ColorMap color_map = ColorMap::automatic;  // as for the space-time image
  std::optional<double> value_min;
  std::optional<double> value_max;
  std::vector<Index> channels;  // channels to show, in order; empty shows all
  Index first_step = 0;         // first recorded column shown
  Index frame_step = 1;         // show every frame_step-th column
  Index max_frames = 1000;      // stop after this many frames
  Index delay_centiseconds = 5;
  // rings: strip height per channel; the ring axis is enlarged to >= min_ring_pixels by pixel
  // repetition or block-averaged down to <= max_ring_pixels.
  Index ring_row_pixels = 12;
  Index min_ring_pixels = 256;
  Index max_ring_pixels = 1024;
  // grid: each square is enlarged by repetition to at least this many pixels per side.
  Index min_grid_pixels = 96;
  Index grid_channels_per_row = 8;
  Index gap = 2;  // grey pixels between channels
};

// Palette-indexed frames, what write_state_animation_gif encodes (for tests and other encoders).
struct IndexedAnimation {
  Index width = 0;
  Index height = 0;
  std::array<Rgb, 256> palette{};
  std::vector<std::vector<std::uint8_t>> frames;  // each width * height, row-major from the top
  std::vector<Index> steps;                       // the recorded column shown in each frame
  ColorScale scale;
};

namespace internal {
constexpr std::uint8_t gap_palette_index = 255;
constexpr Rgb gap_color{160, 160, 160};

inline std::uint8_t palette_index(const ColorScale& scale, double value) {
  return static_cast<std::uint8_t>(std::lround(scale.fraction(value) * 254.0));
}
}  // namespace internal

template <class Derived>
IndexedAnimation render_state_animation(const Eigen::MatrixBase<Derived>& states, Index channels,
                                        Index ring_size, const AnimationOptions& options = {}) {
  require_states_shape("render_state_animation", states, channels, ring_size);
  if (options.frame_step < 1 || options.max_frames < 1 || options.first_step < 0 ||
      options.first_step >= states.cols() || options.delay_centiseconds < 0 ||
      options.ring_row_pixels < 1 || options.grid_channels_per_row < 1 || options.gap < 0)
    throw ValueError(detail::concat(
        "render_state_animation: expected frame_step >= 1, max_frames >= 1, first_step in [0, ",
        states.cols(),
        "), delay >= 0, ring_row_pixels >= 1, grid_channels_per_row >= 1, gap >= 0; "
        "received frame_step ",
        options.frame_step, ", max_frames ", options.max_frames, ", first_step ",
        options.first_step));
  const auto drawn =
      internal::selected_channels(options.channels, channels, "render_state_animation");
  const Index n_drawn = static_cast<Index>(drawn.size());

  IndexedAnimation animation;
  for (Index t = options.first_step;
       t < states.cols() && static_cast<Index>(animation.steps.size()) < options.max_frames;
       t += options.frame_step)
    animation.steps.push_back(t);

  double data_min = std::numeric_limits<double>::infinity(), data_max = -data_min;
  for (Index c : drawn)
    for (Index t : animation.steps) {
      const auto ring = states.block(c * ring_size, t, ring_size, 1).template cast<double>();
      data_min = std::min(data_min, ring.minCoeff());
      data_max = std::max(data_max, ring.maxCoeff());
    }
  animation.scale = choose_color_scale(data_min, data_max, options.color_map, options.value_min,
                                       options.value_max);
  for (int k = 0; k < 255; ++k)
    animation.palette[static_cast<std::size_t>(k)] = map_color(animation.scale.map, k / 254.0);
  animation.palette[internal::gap_palette_index] = internal::gap_color;

  // Geometry: where each unit of each drawn channel goes, as a list of (unit block, pixel rect).
  const bool grid = options.layout == AnimationLayout::grid;
  const Index side = static_cast<Index>(std::ceil(std::sqrt(static_cast<double>(ring_size))));
  AxisScaling ring_scaling;  // rings layout: along the ring
  Index cell = 1;            // grid layout: pixels per unit
  Index tile_w = 0, tile_h = 0, tiles_per_row = 1;
  if (grid) {
    cell = std::max<Index>(1, (options.min_grid_pixels + side - 1) / side);
    tile_w = tile_h = side * cell;
    tiles_per_row = std::min(options.grid_channels_per_row, n_drawn);
  } else {
    ring_scaling = choose_axis_scaling(ring_size, options.min_ring_pixels, options.max_ring_pixels);
    tile_w = ring_scaling.pixels(ring_size);
    tile_h = options.ring_row_pixels;
  }
  const Index tile_rows = (n_drawn + tiles_per_row - 1) / tiles_per_row;
  animation.width = tiles_per_row * tile_w + (tiles_per_row - 1) * options.gap;
  animation.height = tile_rows * tile_h + (tile_rows - 1) * options.gap;

  const auto pixel_count = static_cast<std::size_t>(animation.width * animation.height);
  Vector<double> ring(ring_size);
  for (Index t : animation.steps) {
    std::vector<std::uint8_t> frame(pixel_count, internal::gap_palette_index);
    auto fill = [&](Index x, Index y, Index w, Index h, std::uint8_t value) {
      for (Index row = y; row < y + h; ++row)
        std::fill_n(frame.begin() + static_cast<std::ptrdiff_t>(row * animation.width + x), w,
                    value);
    };
    for (Index k = 0; k < n_drawn; ++k) {
      const Index c = drawn[static_cast<std::size_t>(k)];
      ring = states.block(c * ring_size, t, ring_size, 1).template cast<double>();
      const Index x0 = (k % tiles_per_row) * (tile_w + options.gap);
      const Index y0 = (k / tiles_per_row) * (tile_h + options.gap);
      if (grid) {
        for (Index i = 0; i < ring_size; ++i)
          fill(x0 + (i % side) * cell, y0 + (i / side) * cell, cell, cell,
               internal::palette_index(animation.scale, ring(i)));
      } else {
        const Index values = ring_scaling.values(ring_size);
        for (Index v = 0; v < values; ++v) {
          const Index first = v * ring_scaling.block;
          const Index count = std::min(ring_scaling.block, ring_size - first);
          fill(x0 + v * ring_scaling.repeat, y0, ring_scaling.repeat, tile_h,
               internal::palette_index(animation.scale, ring.segment(first, count).mean()));
        }
      }
    }
    animation.frames.push_back(std::move(frame));
  }
  return animation;
}

// The bytes of a looping GIF89a file showing `animation` (giflib's encoder, writing to memory);
// throws FormatError with giflib's message on failure.
inline std::vector<std::uint8_t> encode_gif(const IndexedAnimation& animation,
                                            Index delay_centiseconds = 5) {
  auto fail = [](const char* step, int code) {
    const char* message = GifErrorString(code);
    throw FormatError(detail::concat("encode_gif: ", step,
                                     " failed: ", message ? message : "unknown giflib error"));
  };
  if (animation.frames.empty() || animation.width < 1 || animation.height < 1 ||
      animation.width > 65535 || animation.height > 65535)
    throw ValueError(detail::concat(
        "encode_gif: expected at least one frame of 1..65535 pixels a "
        "side, received ",
        animation.frames.size(), " frames of ", animation.width, " x ", animation.height));
  if (delay_centiseconds < 0 || delay_centiseconds > 65535)
    throw ValueError(detail::concat(
        "encode_gif: expected a delay in 0..65535 centiseconds, received ", delay_centiseconds));
  std::vector<std::uint8_t> bytes;
  // giflib hands every encoded chunk to this function; UserData points at `bytes`.
  auto append = [](GifFileType* file, const GifByteType* data, int length) -> int {
    auto* out = static_cast<std::vector<std::uint8_t>*>(file->UserData);
    out->insert(out->end(), data, data + length);
    return length;
  };
  int error = 0;
  GifFileType* gif = EGifOpen(&bytes, append, &error);
  if (!gif) fail("EGifOpen", error);
  // Closes the encoder on every path out of here; EGifCloseFile frees `gif` even when it fails.
  struct Closer {
    GifFileType* gif;
    bool closed = false;
    ~Closer() {
      int ignored = 0;
      if (!closed) EGifCloseFile(gif, &ignored);
    }
  } closer{gif};
  std::array<GifColorType, 256> colors{};
  for (std::size_t k = 0; k < 256; ++k)
    colors[k] = GifColorType{animation.palette[k].red, animation.palette[k].green,
                             animation.palette[k].blue};
  std::unique_ptr<ColorMapObject, void (*)(ColorMapObject*)> color_map(
      GifMakeMapObject(256, colors.data()), GifFreeMapObject);
  if (!color_map) throw FormatError("encode_gif: giflib could not allocate the colour map");

  EGifSetGifVersion(gif, true);  // GIF89a: needed for the delay and loop extensions
  const int width = static_cast<int>(animation.width), height = static_cast<int>(animation.height);
  if (EGifPutScreenDesc(gif, width, height, 8, internal::gap_palette_index, color_map.get()) ==
      GIF_ERROR)
    fail("EGifPutScreenDesc", gif->Error);
  // The NETSCAPE2.0 application extension: loop count 0 = forever.
  const unsigned char netscape[] = "NETSCAPE2.0";
  const unsigned char loop_forever[] = {1, 0, 0};
  if (EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
      EGifPutExtensionBlock(gif, 11, netscape) == GIF_ERROR ||
      EGifPutExtensionBlock(gif, 3, loop_forever) == GIF_ERROR ||
      EGifPutExtensionTrailer(gif) == GIF_ERROR)
    fail("writing the loop extension", gif->Error);

  GraphicsControlBlock control{};
  control.DisposalMode = DISPOSE_DO_NOT;
  control.UserInputFlag = false;
  control.DelayTime = static_cast<int>(delay_centiseconds);
  control.TransparentColor = NO_TRANSPARENT_COLOR;
  GifByteType control_bytes[4];
  const size_t control_length = EGifGCBToExtension(&control, control_bytes);
  std::vector<GifPixelType> line(static_cast<std::size_t>(width));
  for (const auto& frame : animation.frames) {
    if (frame.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height))
      throw ShapeError(detail::concat("encode_gif: expected frames of ", width * height,
                                      " pixels, received ", frame.size()));
    if (EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(control_length),
                         control_bytes) == GIF_ERROR)
      fail("EGifPutExtension (frame delay)", gif->Error);
    if (EGifPutImageDesc(gif, 0, 0, width, height, false, nullptr) == GIF_ERROR)
      fail("EGifPutImageDesc", gif->Error);
    for (int y = 0; y < height; ++y) {
      std::copy_n(frame.begin() + static_cast<std::ptrdiff_t>(y) * width, width, line.begin());
      if (EGifPutLine(gif, line.data(), width) == GIF_ERROR) fail("EGifPutLine", gif->Error);
    }
  }
  closer.closed = true;
  if (EGifCloseFile(gif, &error) == GIF_ERROR) fail("EGifCloseFile", error);
  return bytes;
}

// Writes encode_gif(animation) to `path`; throws FormatError if the file cannot be written.
inline void write_gif(const std::string& path, const IndexedAnimation& animation,
                      Index delay_centiseconds = 5) {
  write_bytes(path, encode_gif(animation, delay_centiseconds));
}

// Renders and writes the animation of `states` (input convention of state_recording.hpp).
template <class Derived>
void write_state_animation_gif(const std::string& path, const Eigen::MatrixBase<Derived>& states,
                               Index channels, Index ring_size,
                               const AnimationOptions& options = {}) {
  write_gif(path, render_state_animation(states, channels, ring_size, options),
            options.delay_centiseconds);
}

}  // namespace wrnn::analysis
