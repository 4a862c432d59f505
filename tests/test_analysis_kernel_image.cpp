// The recurrent-kernel picture (kernel_image.hpp): its panels are the channel pairs' kernels,
// against panels built from what the inits put where and from an independent decoding of the
// flat tensor; bad input refused.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "wrnn/analysis/kernel_image.hpp"
#include "wrnn/cells/loco.hpp"
#include "wrnn/cells/wave.hpp"

namespace test_analysis_kernel_image {  // see "unity groups" in tests/CMakeLists.txt

using wrnn::Index;
using wrnn::Matrix;
namespace analysis = wrnn::analysis;

// The picture render_kernel_image should draw for these panels (output channels down).
analysis::RgbImage expected_image(const std::vector<Matrix<double>>& panels, Index channels,
                                  const std::string& caption) {
  std::vector<std::string> labels;
  double largest = 0.0;
  for (Index o = 0; o < channels; ++o)
    for (Index c = 0; c < channels; ++c) {
      labels.push_back("out " + std::to_string(o) + " <- in " + std::to_string(c));
      largest = std::max(largest,
                         panels[static_cast<std::size_t>(o * channels + c)].cwiseAbs().maxCoeff());
    }
  analysis::PanelLayout layout;
  layout.panels_per_row = channels;
  return analysis::render_panels(
      panels, labels,
      analysis::choose_color_scale(-largest, largest, analysis::ColorMap::diverging), layout,
      caption);
}

TEST_CASE("kernel picture of the loco cell's shift init: one tap right of centre on the diagonal",
          "[analysis][kernel_image]") {
  const Index C = 2, n = 5, k = 3;
  wrnn::LocoCell<double> cell(wrnn::LocoCellOptions{1, C, n, k});  // shift init by default
  wrnn::Rng rng(1);
  cell.init(rng);
  std::vector<Matrix<double>> panels;
  for (Index o = 0; o < C; ++o)
    for (Index c = 0; c < C; ++c) {
      Matrix<double> panel = Matrix<double>::Zero(n, k);
      if (o == c) panel.col(k / 2 + 1).setOnes();  // (u h)[i] = h[i + 1] at every unit
      panels.push_back(panel);
    }
  const analysis::RgbImage image =
      analysis::render_kernel_image(cell.recurrent_weight().value, C, n, k);
  const analysis::RgbImage expected =
      expected_image(panels, C, "taps -1..1 (right) x units 0..4 (down)");
  CHECK(image.width == expected.width);
  CHECK(image.height == expected.height);
  CHECK(image.pixels == expected.pixels);
}

TEST_CASE("kernel picture of a wave cell's random kernel: each pair's k taps in its panel",
          "[analysis][kernel_image]") {
  const Index C = 3, k = 5;
  wrnn::WaveCell<float> cell(
      wrnn::WaveCellOptions{1, C, 8, k, wrnn::Activation::relu, wrnn::RecurrentInit::random});
  wrnn::Rng rng(2);
  cell.init(rng);
  const auto& w = cell.recurrent_weight().value;
  // Decode the flat index e of [C_out][C_in][k] the other way round: tap, then pair.
  std::vector<Matrix<double>> panels(static_cast<std::size_t>(C * C), Matrix<double>(1, k));
  for (Index e = 0; e < w.size(); ++e)
    panels[static_cast<std::size_t>(e / k)](0, e % k) = static_cast<double>(w[e]);
  const analysis::RgbImage image = analysis::render_kernel_image(w, C, 1, k);
  const analysis::RgbImage expected = expected_image(panels, C, "taps -2..2 (right)");
  CHECK(image.pixels == expected.pixels);
  // Another pair's panel in a slot breaks the equality: the layout is really checked.
  std::swap(panels[1], panels[3]);
  CHECK(expected_image(panels, C, "taps -2..2 (right)").pixels != image.pixels);
}

TEST_CASE("kernel picture refuses weights that do not match their sizes",
          "[analysis][kernel_image]") {
  wrnn::Vector<double> w = wrnn::Vector<double>::Zero(2 * 2 * 3);
  CHECK_THROWS_AS(analysis::render_kernel_image(w, 2, 2, 3), wrnn::ShapeError);
  CHECK_THROWS_AS(analysis::render_kernel_image(w, 0, 1, 3), wrnn::ValueError);
  w[4] = std::nan("");
  CHECK_THROWS_WITH(analysis::render_kernel_image(w, 2, 1, 3),
                    Catch::Matchers::Contains("output channel 0, input channel 1, unit 0, tap 1"));
}

}  // namespace test_analysis_kernel_image
