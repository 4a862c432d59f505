// The animated GIF of a hidden state, read back with giflib's own decoder (DGifSlurp).
#include <catch2/catch.hpp>

#include <gif_lib.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "wrnn/analysis/animation.hpp"

namespace test_analysis_animation {  // see "unity groups" in tests/CMakeLists.txt

using namespace wrnn;
using namespace wrnn::analysis;

namespace {

// A bump of height 1 at unit (t + channel) mod n, zero elsewhere.
Matrix<float> moving_bump(Index channels, Index n, Index steps) {
  Matrix<float> states = Matrix<float>::Zero(channels * n, steps);
  for (Index t = 0; t < steps; ++t)
    for (Index c = 0; c < channels; ++c) states(c * n + (t + c) % n, t) = 1.0f;
  return states;
}

struct GifReader {
  GifFileType* gif = nullptr;
  explicit GifReader(const std::string& path) {
    int error = 0;
    gif = DGifOpenFileName(path.c_str(), &error);
    REQUIRE(gif != nullptr);
    REQUIRE(DGifSlurp(gif) == GIF_OK);
  }
  ~GifReader() {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
  Rgb pixel(int frame, int x, int y) const {
    const SavedImage& image = gif->SavedImages[frame];
    const ColorMapObject* map =
        image.ImageDesc.ColorMap ? image.ImageDesc.ColorMap : gif->SColorMap;
    const GifColorType color = map->Colors[image.RasterBits[y * gif->SWidth + x]];
    return Rgb{color.Red, color.Green, color.Blue};
  }
};

}  // namespace

TEST_CASE("rings GIF: frame count, size, and the bump where it should be", "[analysis][gif]") {
  const Index channels = 2, n = 16, steps = 30;
  const Matrix<float> states = moving_bump(channels, n, steps);
  AnimationOptions options;
  options.frame_step = 3;
  options.delay_centiseconds = 7;
  const std::string path = "test_analysis_animation_rings.gif";
  write_state_animation_gif(path, states, channels, n, options);
  {
    GifReader reader(path);
    GifFileType* gif = reader.gif;
    CHECK(gif->ImageCount == 10);  // steps 0, 3, ..., 27
    // 16 units repeated 16 times reach min_ring_pixels = 256; two 12-pixel strips and a 2-pixel
    // gap.
    CHECK(gif->SWidth == 256);
    CHECK(gif->SHeight == 2 * 12 + 2);
    GraphicsControlBlock control;
    REQUIRE(DGifSavedExtensionToGCB(gif, 4, &control) == GIF_OK);
    CHECK(control.DelayTime == 7);
    const Rgb high{253, 231, 37}, low{68, 1, 84}, gap{160, 160, 160};
    for (int frame = 0; frame < gif->ImageCount; ++frame) {
      const Index t = 3 * frame;
      for (Index c = 0; c < channels; ++c) {
        const int y = static_cast<int>(c * (12 + 2) + 5);
        const int bump_x = static_cast<int>(((t + c) % n) * 16 + 8);
        const int other_x = static_cast<int>(((t + c + 5) % n) * 16 + 8);
        CHECK(reader.pixel(frame, bump_x, y) == high);
        CHECK(reader.pixel(frame, other_x, y) == low);
      }
      CHECK(reader.pixel(frame, 100, 12) == gap);
    }
  }
  std::remove(path.c_str());
}

TEST_CASE("grid GIF lays units out row-major on a ceil(sqrt(n)) square", "[analysis][gif]") {
  const Index channels = 3, n = 10, steps = 4;  // side 4: cells 10..15 unused
  Matrix<double> states = Matrix<double>::Zero(channels * n, steps);
  states(2 * n + 9, 1) = -1.0;  // channel 2, unit 9 (row 2, column 1), step 1
  states(0, 0) = 1.0;
  AnimationOptions options;
  options.layout = AnimationLayout::grid;
  const IndexedAnimation animation = render_state_animation(states, channels, n, options);
  // cell = ceil(96 / 4) = 24 pixels; tiles of 96 pixels, 2-pixel gaps.
  CHECK(animation.width == 3 * 96 + 2 * 2);
  CHECK(animation.height == 96);
  REQUIRE(animation.frames.size() == 4);
  CHECK(animation.scale.map == ColorMap::diverging);  // signed data
  auto at = [&](std::size_t frame, Index x, Index y) {
    return animation.frames[frame][static_cast<std::size_t>(y * animation.width + x)];
  };
  const Index x_tile2 = 2 * (96 + 2);
  CHECK(at(1, x_tile2 + 1 * 24 + 12, 2 * 24 + 12) == 0);    // -1: the low end of the palette
  CHECK(at(0, x_tile2 + 1 * 24 + 12, 2 * 24 + 12) == 127);  // 0: the middle
  CHECK(at(0, 12, 12) == 254);                              // +1: the high end
  CHECK(at(0, 3 * 24 + 12, 3 * 24 + 12) == 255);            // unit 15 does not exist: grey
  CHECK(animation.palette[0] == map_color(ColorMap::diverging, 0.0));
  CHECK(animation.palette[254] == map_color(ColorMap::diverging, 1.0));

  const std::vector<std::uint8_t> bytes = encode_gif(animation);
  REQUIRE(bytes.size() > 6);
  CHECK(std::string(bytes.begin(), bytes.begin() + 6) == "GIF89a");
  const std::string path = "test_analysis_animation_grid.gif";
  write_gif(path, animation);
  {
    GifReader reader(path);
    CHECK(reader.gif->ImageCount == 4);
    CHECK(reader.gif->SWidth == animation.width);
    CHECK(reader.gif->SHeight == animation.height);
    CHECK(reader.pixel(1, static_cast<int>(x_tile2 + 36), 60) ==
          map_color(ColorMap::diverging, 0.0));
  }
  std::remove(path.c_str());
}

TEST_CASE("streaming GIF writer gives the same bytes as encoding all rendered frames",
          "[analysis][gif]") {
  const Matrix<float> states = moving_bump(3, 20, 40);
  AnimationOptions options;
  options.layout = AnimationLayout::grid;
  options.frame_step = 2;
  const std::string path = "test_analysis_animation_stream.gif";
  write_state_animation_gif(path, states, 3, 20, options);
  std::ifstream in(path, std::ios::binary);
  const std::vector<std::uint8_t> file_bytes((std::istreambuf_iterator<char>(in)),
                                             std::istreambuf_iterator<char>());
  const std::vector<std::uint8_t> expected =
      encode_gif(render_state_animation(states, 3, 20, options), options.delay_centiseconds);
  CHECK(file_bytes == expected);
  std::remove(path.c_str());

  std::ostringstream out;
  GifStreamWriter writer(out, 4, 2, render_state_animation(states, 3, 20, options).palette, 5);
  CHECK_THROWS_AS(writer.add_frame(std::vector<std::uint8_t>(7)), ShapeError);
  CHECK_THROWS_AS(writer.finish(), ValueError);  // no frame yet
}

TEST_CASE("animation options are validated", "[analysis][gif]") {
  const Matrix<float> states = moving_bump(1, 8, 5);
  AnimationOptions options;
  options.frame_step = 0;
  CHECK_THROWS_AS(render_state_animation(states, 1, 8, options), ValueError);
  options = {};
  options.first_step = 5;
  CHECK_THROWS_AS(render_state_animation(states, 1, 8, options), ValueError);
  options = {};
  options.max_frames = 2;
  CHECK(render_state_animation(states, 1, 8, options).frames.size() == 2);
  CHECK_THROWS_AS(write_state_animation_gif("/nonexistent-dir/a.gif", states, 1, 8), FormatError);
}

}  // namespace test_analysis_animation
