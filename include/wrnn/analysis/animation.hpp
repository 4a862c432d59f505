/// \file
/// An animated GIF of a recorded hidden state: one frame per (chosen) time step.
///
/// Two layouts (AnimationLayout): rings and grid. Colours come from a 256-entry palette: entries
/// 0..254 sample the colour map evenly, entry 255 is the grey of gaps and unused cells. The GIF
/// (giflib, Debian libgif-dev) is GIF89a, loops forever, and shows each frame for
/// `delay_centiseconds`.
#pragma once

#include <gif_lib.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "wrnn/analysis/panels.hpp"
#include "wrnn/analysis/space_time_image.hpp"
#include "wrnn/analysis/state_recording.hpp"

namespace wrnn::analysis {

/// How an animation lays out one frame.
enum class AnimationLayout {
  /// Each channel's ring is one horizontal strip, unit 0 at the left; the channels are stacked
  /// top to bottom. A wave is a pattern sliding sideways.
  rings,
  /// As in the paper's figures: the n units of a channel are laid out row-major on a
  /// ceil(sqrt(n)) x ceil(sqrt(n)) square (unit i at row i / side, column i % side; cells past n
  /// are left grey); the channels' squares are tiled left to right.
  grid
};

/// How an animation is drawn.
struct AnimationOptions {
  AnimationLayout layout = AnimationLayout::rings;  ///< rings or grid
  ColorMap color_map = ColorMap::automatic;         ///< as for the space-time image
  /// @{
  /// Fix the colour range; by default the data range of the shown channels and steps.
  std::optional<double> value_min;
  std::optional<double> value_max;
  /// @}
  std::vector<Index> channels;   ///< channels to show, in order; empty shows all
  Index first_step = 0;          ///< first recorded column shown
  Index frame_step = 1;          ///< show every frame_step-th column
  Index max_frames = 1000;       ///< stop after this many frames
  Index delay_centiseconds = 5;  ///< how long each frame shows
  /// rings: strip height per channel; the ring axis is enlarged to >= min_ring_pixels by pixel
  /// repetition or block-averaged down to <= max_ring_pixels.
  Index ring_row_pixels = 12;
  Index min_ring_pixels = 256;   ///< rings: the ring axis's least length in pixels
  Index max_ring_pixels = 1024;  ///< rings: the ring axis's greatest length in pixels
  /// grid: each square is enlarged by repetition to at least this many pixels per side.
  Index min_grid_pixels = 96;
  Index grid_channels_per_row = 8;  ///< grid: squares per row of the frame
  Index gap = 2;                    ///< grey pixels between channels
};

/// Palette-indexed frames (render_state_animation), for tests and other encoders.
/// write_state_animation_gif does not build this: it streams frame by frame into the file, so a
/// long recording never sits in memory as pixels.
struct IndexedAnimation {
  Index width = 0;                                ///< Frame width in pixels.
  Index height = 0;                               ///< Frame height in pixels.
  std::array<Rgb, 256> palette{};                 ///< 0..254 the colour map, 255 the grey of gaps
  std::vector<std::vector<std::uint8_t>> frames;  ///< each width * height, row-major from the top
  std::vector<Index> steps;                       ///< the recorded column shown in each frame
  ColorScale scale;                               ///< the values the palette stands for
};

namespace internal {
constexpr std::uint8_t gap_palette_index = 255;
constexpr Rgb gap_color{160, 160, 160};

inline std::uint8_t palette_index(const ColorScale& scale, double value) {
  return static_cast<std::uint8_t>(std::lround(scale.fraction(value) * 254.0));
}

// Everything about an animation that does not change from frame to frame: the steps shown, the
// colour scale, the palette and where each channel's units go.
struct AnimationPlan {
  std::vector<Index> drawn;  // channels, in drawing order
  std::vector<Index> steps;  // recorded columns shown
  ColorScale scale;
  std::array<Rgb, 256> palette{};
  Index ring_size = 0;
  bool grid = false;
  Index side = 1;            // grid: squares are side x side units
  Index cell = 1;            // grid: pixels per unit
  AxisScaling ring_scaling;  // rings: along the ring
  Index tile_w = 0, tile_h = 0, tiles_per_row = 1, gap = 0;
  Index width = 0, height = 0;
};

template <class Derived>
AnimationPlan plan_animation(const Eigen::MatrixBase<Derived>& states, Index channels,
                             Index ring_size, const AnimationOptions& options, const char* what) {
  require_states_shape(what, states, channels, ring_size);
  require_finite_states(what, states, ring_size);
  if (options.frame_step < 1 || options.max_frames < 1 || options.first_step < 0 ||
      options.first_step >= states.cols() || options.delay_centiseconds < 0 ||
      options.delay_centiseconds > 65535 || options.ring_row_pixels < 1 ||
      options.grid_channels_per_row < 1 || options.gap < 0)
    throw ValueError(detail::concat(
        what, ": expected frame_step >= 1, max_frames >= 1, first_step in [0, ", states.cols(),
        "), delay in 0..65535, ring_row_pixels >= 1, grid_channels_per_row >= 1, gap >= 0; "
        "received frame_step ",
        options.frame_step, ", max_frames ", options.max_frames, ", first_step ",
        options.first_step, ", delay ", options.delay_centiseconds, ", ring_row_pixels ",
        options.ring_row_pixels, ", grid_channels_per_row ", options.grid_channels_per_row,
        ", gap ", options.gap));
  AnimationPlan plan;
  plan.drawn = selected_channels(options.channels, channels, what);
  for (Index t = options.first_step;
       t < states.cols() && static_cast<Index>(plan.steps.size()) < options.max_frames;
       t += options.frame_step)
    plan.steps.push_back(t);

  double data_min = std::numeric_limits<double>::infinity(), data_max = -data_min;
  for (Index c : plan.drawn)
    for (Index t : plan.steps) {
      const auto ring = states.block(c * ring_size, t, ring_size, 1).template cast<double>();
      data_min = std::min(data_min, ring.minCoeff());
      data_max = std::max(data_max, ring.maxCoeff());
    }
  plan.scale = choose_color_scale(data_min, data_max, options.color_map, options.value_min,
                                  options.value_max);
  for (int k = 0; k < 255; ++k)
    plan.palette[static_cast<std::size_t>(k)] = map_color(plan.scale.map, k / 254.0);
  plan.palette[gap_palette_index] = gap_color;

  const Index n_drawn = static_cast<Index>(plan.drawn.size());
  plan.ring_size = ring_size;
  plan.grid = options.layout == AnimationLayout::grid;
  plan.gap = options.gap;
  if (plan.grid) {
    plan.side = static_cast<Index>(std::ceil(std::sqrt(static_cast<double>(ring_size))));
    plan.cell = std::max<Index>(1, (options.min_grid_pixels + plan.side - 1) / plan.side);
    plan.tile_w = plan.tile_h = plan.side * plan.cell;
    plan.tiles_per_row = std::min(options.grid_channels_per_row, n_drawn);
  } else {
    plan.ring_scaling =
        choose_axis_scaling(ring_size, options.min_ring_pixels, options.max_ring_pixels);
    plan.tile_w = plan.ring_scaling.pixels(ring_size);
    plan.tile_h = options.ring_row_pixels;
  }
  const Index tile_rows = (n_drawn + plan.tiles_per_row - 1) / plan.tiles_per_row;
  plan.width = plan.tiles_per_row * plan.tile_w + (plan.tiles_per_row - 1) * plan.gap;
  plan.height = tile_rows * plan.tile_h + (tile_rows - 1) * plan.gap;
  if (plan.width > 65535 || plan.height > 65535)
    throw ValueError(detail::concat(what, ": the frame would be ", plan.width, " x ", plan.height,
                                    " pixels; GIF allows at most 65535 a side"));
  return plan;
}

// Draws recorded column t into `frame` (width * height palette indices). `ring` is scratch space of
// ring_size values, so that drawing allocates nothing.
template <class Derived>
void render_frame(const Eigen::MatrixBase<Derived>& states, const AnimationPlan& plan, Index t,
                  Vector<double>& ring, std::vector<std::uint8_t>& frame) {
  frame.assign(static_cast<std::size_t>(plan.width * plan.height), gap_palette_index);
  auto fill = [&](Index x, Index y, Index w, Index h, std::uint8_t value) {
    for (Index row = y; row < y + h; ++row)
      std::fill_n(frame.begin() + static_cast<std::ptrdiff_t>(row * plan.width + x), w, value);
  };
  const Index n = plan.ring_size;
  for (std::size_t k = 0; k < plan.drawn.size(); ++k) {
    ring = states.block(plan.drawn[k] * n, t, n, 1).template cast<double>();
    const Index tile = static_cast<Index>(k);
    const Index x0 = (tile % plan.tiles_per_row) * (plan.tile_w + plan.gap);
    const Index y0 = (tile / plan.tiles_per_row) * (plan.tile_h + plan.gap);
    if (plan.grid) {
      for (Index i = 0; i < n; ++i)
        fill(x0 + (i % plan.side) * plan.cell, y0 + (i / plan.side) * plan.cell, plan.cell,
             plan.cell, palette_index(plan.scale, ring(i)));
    } else {
      const AxisScaling& scaling = plan.ring_scaling;
      for (Index v = 0; v < scaling.values(n); ++v) {
        const Index first = v * scaling.block;
        const Index count = std::min(scaling.block, n - first);
        fill(x0 + v * scaling.repeat, y0, scaling.repeat, plan.tile_h,
             palette_index(plan.scale, ring.segment(first, count).mean()));
      }
    }
  }
}

}  // namespace internal

/// Writes a looping GIF89a frame by frame to a std::ostream (giflib's encoder with an output
/// function). Construct, add_frame() for every frame, then finish(); errors throw FormatError with
/// giflib's message.
class GifStreamWriter {
 public:
  /// Starts a GIF of width x height frames with `palette` on `out`, each frame shown for
  /// `delay_centiseconds`.
  /// \throws ValueError when a side is not in 1..65535 or the delay not in 0..65535.
  /// \throws FormatError with giflib's message when the encoder cannot start.
  GifStreamWriter(std::ostream& out, Index width, Index height, const std::array<Rgb, 256>& palette,
                  Index delay_centiseconds)
      : out_(&out), width_(width), height_(height), line_(static_cast<std::size_t>(width)) {
    if (width < 1 || height < 1 || width > 65535 || height > 65535)
      throw ValueError(detail::concat("GifStreamWriter: expected 1..65535 pixels a side, received ",
                                      width, " x ", height));
    if (delay_centiseconds < 0 || delay_centiseconds > 65535)
      throw ValueError(
          detail::concat("GifStreamWriter: expected a delay in 0..65535 centiseconds, received ",
                         delay_centiseconds));
    int error = 0;
    gif_.reset(EGifOpen(out_, &GifStreamWriter::write_chunk, &error));
    if (!gif_) fail("EGifOpen", error);
    std::array<GifColorType, 256> colors{};
    for (std::size_t k = 0; k < 256; ++k)
      colors[k] = GifColorType{palette[k].red, palette[k].green, palette[k].blue};
    std::unique_ptr<ColorMapObject, void (*)(ColorMapObject*)> color_map(
        GifMakeMapObject(256, colors.data()), GifFreeMapObject);
    if (!color_map) throw FormatError("GifStreamWriter: giflib could not allocate the colour map");
    EGifSetGifVersion(gif_.get(), true);  // GIF89a: needed for the delay and loop extensions
    if (EGifPutScreenDesc(gif_.get(), static_cast<int>(width), static_cast<int>(height), 8,
                          internal::gap_palette_index, color_map.get()) == GIF_ERROR)
      fail("EGifPutScreenDesc", gif_->Error);
    // The NETSCAPE2.0 application extension: loop count 0 = forever.
    const unsigned char netscape[] = "NETSCAPE2.0";
    const unsigned char loop_forever[] = {1, 0, 0};
    if (EGifPutExtensionLeader(gif_.get(), APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
        EGifPutExtensionBlock(gif_.get(), 11, netscape) == GIF_ERROR ||
        EGifPutExtensionBlock(gif_.get(), 3, loop_forever) == GIF_ERROR ||
        EGifPutExtensionTrailer(gif_.get()) == GIF_ERROR)
      fail("writing the loop extension", gif_->Error);
    GraphicsControlBlock control{};
    control.DisposalMode = DISPOSE_DO_NOT;
    control.UserInputFlag = false;
    control.DelayTime = static_cast<int>(delay_centiseconds);
    control.TransparentColor = NO_TRANSPARENT_COLOR;
    control_length_ = static_cast<int>(EGifGCBToExtension(&control, control_bytes_));
  }
  GifStreamWriter(const GifStreamWriter&) = delete;             ///< Not copyable.
  GifStreamWriter& operator=(const GifStreamWriter&) = delete;  ///< Not copyable.

  /// One frame of width * height palette indices, row-major from the top.
  /// \throws ShapeError when it has another size. \throws ValueError after finish().
  /// \throws FormatError with giflib's message when encoding fails.
  void add_frame(const std::vector<std::uint8_t>& frame) {
    if (!gif_) throw ValueError("GifStreamWriter::add_frame: the GIF is already finished");
    if (frame.size() != static_cast<std::size_t>(width_ * height_))
      throw ShapeError(detail::concat("GifStreamWriter::add_frame: expected ", width_ * height_,
                                      " pixels, received ", frame.size()));
    if (EGifPutExtension(gif_.get(), GRAPHICS_EXT_FUNC_CODE, control_length_, control_bytes_) ==
        GIF_ERROR)
      fail("EGifPutExtension (frame delay)", gif_->Error);
    const int width = static_cast<int>(width_);
    if (EGifPutImageDesc(gif_.get(), 0, 0, width, static_cast<int>(height_), false, nullptr) ==
        GIF_ERROR)
      fail("EGifPutImageDesc", gif_->Error);
    for (Index y = 0; y < height_; ++y) {
      std::copy_n(frame.begin() + static_cast<std::ptrdiff_t>(y * width_), width_, line_.begin());
      if (EGifPutLine(gif_.get(), line_.data(), width) == GIF_ERROR)
        fail("EGifPutLine", gif_->Error);
    }
    ++frames_;
  }

  /// Writes the trailer; the stream then holds a complete GIF.
  /// \throws ValueError when no frame was added. \throws FormatError when writing fails.
  void finish() {
    if (!gif_) return;
    if (frames_ == 0) throw ValueError("GifStreamWriter::finish: a GIF needs at least one frame");
    int error = 0;
    // EGifCloseFile frees the encoder whatever it returns.
    if (EGifCloseFile(gif_.release(), &error) == GIF_ERROR) fail("EGifCloseFile", error);
    if (!*out_) throw FormatError("GifStreamWriter: the output stream failed");
  }

 private:
  static int write_chunk(GifFileType* file, const GifByteType* data, int length) {
    auto* out = static_cast<std::ostream*>(file->UserData);
    out->write(reinterpret_cast<const char*>(data), length);
    return *out ? length : 0;  // a short count makes giflib report a write error
  }
  [[noreturn]] static void fail(const char* step, int code) {
    const char* message = GifErrorString(code);
    throw FormatError(detail::concat("GIF encoding: ", step,
                                     " failed: ", message ? message : "unknown giflib error"));
  }

  /// An encoder abandoned before finish() (an exception) is closed and freed, errors ignored.
  struct Close {
    void operator()(GifFileType* gif) const {
      int ignored = 0;
      EGifCloseFile(gif, &ignored);
    }
  };

  std::ostream* out_;
  std::unique_ptr<GifFileType, Close> gif_;
  Index width_, height_;
  std::vector<GifPixelType> line_;
  GifByteType control_bytes_[4] = {};
  int control_length_ = 0;
  Index frames_ = 0;
};

/// All frames as palette indices (memory: frames x width x height bytes).
/// \throws ShapeError, ValueError when states does not match (channels, ring_size) or an option
///         is out of range. \throws NumericalError when a state is not finite.
template <class Derived>
IndexedAnimation render_state_animation(const Eigen::MatrixBase<Derived>& states, Index channels,
                                        Index ring_size, const AnimationOptions& options = {}) {
  const internal::AnimationPlan plan =
      internal::plan_animation(states, channels, ring_size, options, "render_state_animation");
  IndexedAnimation animation;
  animation.width = plan.width;
  animation.height = plan.height;
  animation.palette = plan.palette;
  animation.steps = plan.steps;
  animation.scale = plan.scale;
  Vector<double> ring(ring_size);
  for (Index t : plan.steps) {
    animation.frames.emplace_back();
    internal::render_frame(states, plan, t, ring, animation.frames.back());
  }
  return animation;
}

/// The bytes of a looping GIF89a showing `animation`.
inline std::vector<std::uint8_t> encode_gif(const IndexedAnimation& animation,
                                            Index delay_centiseconds = 5) {
  std::ostringstream out(std::ios::binary);
  GifStreamWriter writer(out, animation.width, animation.height, animation.palette,
                         delay_centiseconds);
  for (const auto& frame : animation.frames) writer.add_frame(frame);
  writer.finish();
  const std::string bytes = out.str();
  return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
}

namespace internal {
inline std::ofstream open_for_writing(const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw FormatError(detail::concat("cannot open '", path, "' for writing"));
  return out;
}
}  // namespace internal

/// Writes encode_gif(animation) to `path`. \throws FormatError when the file cannot be written.
inline void write_gif(const std::string& path, const IndexedAnimation& animation,
                      Index delay_centiseconds = 5) {
  std::ofstream out = internal::open_for_writing(path);
  GifStreamWriter writer(out, animation.width, animation.height, animation.palette,
                         delay_centiseconds);
  for (const auto& frame : animation.frames) writer.add_frame(frame);
  writer.finish();
}

/// Renders the animation of `states` (input convention of state_recording.hpp) and streams it
/// into a GIF file one frame at a time (memory: one frame).
/// \throws FormatError when the file cannot be written; else as render_state_animation().
template <class Derived>
void write_state_animation_gif(const std::string& path, const Eigen::MatrixBase<Derived>& states,
                               Index channels, Index ring_size,
                               const AnimationOptions& options = {}) {
  const internal::AnimationPlan plan =
      internal::plan_animation(states, channels, ring_size, options, "write_state_animation_gif");
  std::ofstream out = internal::open_for_writing(path);
  GifStreamWriter writer(out, plan.width, plan.height, plan.palette, options.delay_centiseconds);
  Vector<double> ring(ring_size);
  std::vector<std::uint8_t> frame;
  for (Index t : plan.steps) {
    internal::render_frame(states, plan, t, ring, frame);
    writer.add_frame(frame);
  }
  writer.finish();
}

}  // namespace wrnn::analysis
