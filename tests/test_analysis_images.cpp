// Colour maps, the panel renderer and the space-time PNG.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "wrnn/analysis/copy_outputs_image.hpp"
#include "wrnn/analysis/space_time_image.hpp"

// The PNG decoder is only for checking the file we wrote (an independent reader of the format).
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include <stb/stb_image.h>

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace test_analysis_images {  // see "unity groups" in tests/CMakeLists.txt

using namespace wrnn;
using namespace wrnn::analysis;

TEST_CASE("viridis ends and middle are the published colours", "[analysis][colormap]") {
  // The published table's first, middle (index 128) and last entries, times 255, rounded.
  CHECK(map_color(ColorMap::viridis, 0.0) == Rgb{68, 1, 84});
  CHECK(map_color(ColorMap::viridis, 128.0 / 255.0) == Rgb{33, 145, 140});
  CHECK(map_color(ColorMap::viridis, 1.0) == Rgb{253, 231, 37});
  CHECK(map_color(ColorMap::viridis, -3.0) == Rgb{68, 1, 84});  // clamped
  CHECK(map_color(ColorMap::viridis, 7.0) == Rgb{253, 231, 37});
}

TEST_CASE("diverging map is blue - white - red", "[analysis][colormap]") {
  CHECK(map_color(ColorMap::diverging, 0.0) == Rgb{0x05, 0x30, 0x61});
  CHECK(map_color(ColorMap::diverging, 0.5) == Rgb{0xf7, 0xf7, 0xf7});
  CHECK(map_color(ColorMap::diverging, 1.0) == Rgb{0x67, 0x00, 0x1f});
  // Halfway between the 6th and 7th published colours.
  const Rgb between = map_color(ColorMap::diverging, 0.55);
  CHECK(between == Rgb{0xfa, 0xe9, 0xdf});
}

TEST_CASE("colour scale choice", "[analysis][colormap]") {
  const ColorScale positive = choose_color_scale(0.0, 2.0, ColorMap::automatic);
  CHECK(positive.map == ColorMap::viridis);
  CHECK(positive.low == 0.0);
  CHECK(positive.high == 2.0);
  const ColorScale signed_scale = choose_color_scale(-0.5, 2.0, ColorMap::automatic);
  CHECK(signed_scale.map == ColorMap::diverging);
  CHECK(signed_scale.low == -2.0);
  CHECK(signed_scale.high == 2.0);
  CHECK(signed_scale.color(0.0) == Rgb{0xf7, 0xf7, 0xf7});
  CHECK_THROWS_AS(choose_color_scale(0.0, 1.0, ColorMap::viridis, 2.0, 1.0), ValueError);
}

TEST_CASE("axis scaling enlarges short axes and block-averages long ones", "[analysis][image]") {
  CHECK(choose_axis_scaling(100, 200, 512).repeat == 2);
  CHECK(choose_axis_scaling(100, 200, 512).block == 1);
  CHECK(choose_axis_scaling(64, 200, 512).repeat == 4);   // ceil(200/64) = 4, 256 <= 512
  CHECK(choose_axis_scaling(300, 200, 512).repeat == 1);  // long enough
  CHECK(choose_axis_scaling(4096, 200, 512).block == 8);  // 4096 / 8 = 512
  CHECK(choose_axis_scaling(1000, 200, 512).block == 2);
  CHECK(choose_axis_scaling(1000, 200, 512).pixels(1000) == 500);
  CHECK(choose_axis_scaling(1001, 200, 512).pixels(1001) == 501);  // partial last block kept

  Matrix<double> data(4, 5);
  for (Index r = 0; r < 4; ++r)
    for (Index c = 0; c < 5; ++c) data(r, c) = 10.0 * r + c;
  const Matrix<double> averaged = block_average(data, 2, 2);
  REQUIRE(averaged.rows() == 2);
  REQUIRE(averaged.cols() == 3);
  CHECK(averaged(0, 0) == Approx((0 + 1 + 10 + 11) / 4.0));
  CHECK(averaged(1, 2) == Approx((24 + 34) / 2.0));  // partial block: one column
}

namespace {
SpaceTimeOptions bare_options() {
  SpaceTimeOptions options;
  options.layout.labels = false;
  options.layout.color_bar = false;
  options.layout.panels_per_row = 1;  // stacked
  options.caption = false;
  options.value_min = 0.0;
  options.value_max = 1.0;
  return options;
}
}  // namespace

TEST_CASE("space-time image: size, orientation and the colour of a known value",
          "[analysis][image]") {
  const Index channels = 2, n = 100, steps = 100;
  Matrix<float> states = Matrix<float>::Zero(channels * n, steps);
  states(1 * n + 37, 20) = 1.0f;  // channel 1, unit 37, step 20
  const SpaceTimeOptions options = bare_options();
  const RgbImage image = render_space_time_image(states, channels, n, options);
  // Each 100-long axis is repeated twice to reach min_panel_pixels = 200; panels stacked.
  const Index margin = options.layout.margin, gap = options.layout.gap;
  CHECK(image.width == 2 * margin + 200);
  CHECK(image.height == 2 * margin + 2 * 200 + gap);
  const Index x = margin + 20 * 2, y = margin + 200 + gap + 37 * 2;
  for (Index dy = 0; dy < 2; ++dy)
    for (Index dx = 0; dx < 2; ++dx) CHECK(image.at(x + dx, y + dy) == Rgb{253, 231, 37});
  CHECK(image.at(x + 2, y) == Rgb{68, 1, 84});            // the next step is 0
  CHECK(image.at(x, y - 1) == Rgb{68, 1, 84});            // the unit above is 0
  CHECK(image.at(x, margin + 37 * 2) == Rgb{68, 1, 84});  // channel 0 is all zero
  CHECK(image.at(0, 0) == Rgb{255, 255, 255});            // margin is white
}

TEST_CASE("space-time image stays bounded for n = 4096 and T = 1000", "[analysis][image]") {
  const Index n = 4096, steps = 1000;
  Matrix<float> states(n, steps);
  for (Index t = 0; t < steps; ++t)
    for (Index i = 0; i < n; ++i) states(i, t) = static_cast<float>(i % 16 < 8 ? 1 : 0);
  SpaceTimeOptions options = bare_options();
  const RgbImage image = render_space_time_image(states, 1, n, options);
  CHECK(image.height == 2 * options.layout.margin + 512);  // 8 units averaged per row
  CHECK(image.width == 2 * options.layout.margin + 1000);
  // Rows 0 (units 0..7, all 1) and 1 (units 8..15, all 0).
  CHECK(image.at(options.layout.margin, options.layout.margin) == Rgb{253, 231, 37});
  CHECK(image.at(options.layout.margin, options.layout.margin + 1) == Rgb{68, 1, 84});
}

TEST_CASE("space-time PNG decodes to the rendered buffer, with labels and colour bar",
          "[analysis][image]") {
  const Index channels = 3, n = 32, steps = 50;
  Matrix<double> states(channels * n, steps);
  for (Index c = 0; c < channels; ++c)
    for (Index t = 0; t < steps; ++t)
      for (Index i = 0; i < n; ++i) states(c * n + i, t) = std::sin(0.3 * (i - t) + c);
  SpaceTimeOptions options;
  options.layout.panels_per_row = 2;
  const RgbImage image = render_space_time_image(states, channels, n, options);
  const std::string path = "test_analysis_images_space_time.png";
  write_space_time_png(path, states, channels, n, options);
  int width = 0, height = 0, components = 0;
  unsigned char* decoded = stbi_load(path.c_str(), &width, &height, &components, 3);
  REQUIRE(decoded != nullptr);
  CHECK(width == image.width);
  CHECK(height == image.height);
  CHECK(std::equal(image.pixels.begin(), image.pixels.end(), decoded));
  stbi_image_free(decoded);
  std::remove(path.c_str());
  // Signed data chose the diverging map: some panel pixel is near-white and some dark red / blue.
  bool has_red = false, has_blue = false;
  for (Index y = 0; y < image.height; ++y)
    for (Index x = 0; x < image.width; ++x) {
      const Rgb p = image.at(x, y);
      has_red |= p == Rgb{0x67, 0x00, 0x1f};
      has_blue |= p == Rgb{0x05, 0x30, 0x61};
    }
  CHECK(has_red);  // the top of the colour bar at least
  CHECK(has_blue);
}

TEST_CASE("space-time image rejects inconsistent shapes", "[analysis][image]") {
  Matrix<float> states = Matrix<float>::Zero(10, 5);
  CHECK_THROWS_AS(render_space_time_image(states, 3, 4), ShapeError);
  CHECK_THROWS_AS(render_space_time_image(states, 0, 10), ValueError);
  SpaceTimeOptions options;
  options.channels = {2};
  CHECK_THROWS_AS(render_space_time_image(states, 2, 5, options), ValueError);
  CHECK_THROWS_AS(write_space_time_png("/nonexistent-dir/x.png", states, 2, 5), FormatError);
  // A diverged model: the message names where the first NaN is.
  states(1 * 5 + 2, 3) = std::nanf("");
  try {
    render_space_time_image(states, 2, 5);
    FAIL("no exception");
  } catch (const NumericalError& error) {
    CHECK(std::string(error.what()).find("channel 1, unit 2, step 3") != std::string::npos);
  }
}

TEST_CASE("copy outputs image: input, output softmax and target per sample, at known pixels",
          "[analysis][image]") {
  const Index L = 12, B = 3, classes = 10;
  // Sample b's input at step t is class (t + b) % 10; its target class (2t + b) % 10; its
  // output a logit of 30 on class (3t + b) % 10, 0 elsewhere (softmax ~1 there, ~1e-13 elsewhere).
  Sequence<float> inputs(L, B, classes);
  Matrix<float> outputs = Matrix<float>::Zero(classes, L * B);
  std::vector<int> targets(static_cast<std::size_t>(L * B));
  for (Index t = 0; t < L; ++t)
    for (Index b = 0; b < B; ++b) {
      inputs(t, b, (t + b) % classes) = 1.0f;
      targets[static_cast<std::size_t>(t * B + b)] = static_cast<int>((2 * t + b) % classes);
      outputs((3 * t + b) % classes, t * B + b) = 30.0f;
    }
  CopyOutputsImageOptions options;
  options.sequences = 2;
  options.max_steps = 5;  // the input's first 5 steps, the output's and target's last 5
  options.layout.labels = false;
  options.layout.color_bar = false;
  const RgbImage image = render_copy_outputs(inputs, outputs, targets, options);
  const Index margin = options.layout.margin, gap = options.layout.gap;
  const AxisScaling rows = choose_axis_scaling(classes, 200, 512),
                    cols = choose_axis_scaling(5, 200, 1000);
  const Index panel_w = cols.pixels(5), panel_h = rows.pixels(classes);
  CHECK(image.width == 2 * margin + 3 * panel_w + 2 * gap);
  CHECK(image.height == 2 * margin + 2 * panel_h + gap);
  const Rgb high{253, 231, 37}, low{68, 1, 84};
  // The colour of panel `panel` (0 input, 1 output, 2 target) of sample b at class k, column s.
  const auto at = [&](Index b, Index panel, Index k, Index s) {
    return image.at(margin + panel * (panel_w + gap) + s * cols.repeat + cols.repeat / 2,
                    margin + b * (panel_h + gap) + k * rows.repeat + rows.repeat / 2);
  };
  for (Index b = 0; b < 2; ++b)
    for (Index s = 0; s < 5; ++s) {
      const Index t = L - 5 + s;  // the step the output and target columns show
      INFO("sample " << b << ", column " << s);
      CHECK(at(b, 0, (s + b) % classes, s) == high);
      CHECK(at(b, 0, (s + b + 1) % classes, s) == low);
      CHECK(at(b, 1, (3 * t + b) % classes, s) == high);
      CHECK(at(b, 1, (3 * t + b + 1) % classes, s) == low);
      CHECK(at(b, 2, (2 * t + b) % classes, s) == high);
      CHECK(at(b, 2, (2 * t + b + 1) % classes, s) == low);
    }
  // Sample 2 is not shown; a prediction of sample 0 in the shown steps is.
  Matrix<float> changed = outputs;
  changed.col((L - 1) * B + 2).setConstant(5.0f);
  CHECK(render_copy_outputs(inputs, changed, targets, options).pixels == image.pixels);
  changed.col((L - 1) * B + 0).setConstant(5.0f);
  CHECK(render_copy_outputs(inputs, changed, targets, options).pixels != image.pixels);

  CHECK_THROWS_AS(render_copy_outputs(inputs, Matrix<float>(classes, L), targets), ShapeError);
  std::vector<int> bad = targets;
  bad[4] = 10;
  CHECK_THROWS_WITH(render_copy_outputs(inputs, outputs, bad), Catch::Contains("received 10"));
  changed(3, 0) = std::nanf("");
  CHECK_THROWS_AS(render_copy_outputs(inputs, changed, targets), NumericalError);
}

}  // namespace test_analysis_images
