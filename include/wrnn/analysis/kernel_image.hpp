/// \file
/// The picture of a ring cell's recurrent kernels, one panel per channel pair (the authors log the
/// wave cell's cell.Wy.weight this way, a small image per pair).
///
/// The weights are PyTorch's row-major tensor of the cell: the wave cell's Wy.weight [C, C, k]
/// (one kernel shared by every unit: positions = 1) or the locally connected cell's
/// Wy.weight [1, C, C, n, k] (a kernel per unit: positions = n). The panel of output channel o
/// and input channel c is a positions x k block: row i = unit i (the only row for the wave cell),
/// column j = tap j, the weight on unit i + j - k/2 of channel c. Panels are laid out with output
/// channels down and input channels across, coloured with the diverging map symmetric about 0, so
/// that the shift init shows as one bright tap right of centre on the diagonal panels.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "wrnn/analysis/panels.hpp"

namespace wrnn::analysis {

/// How the kernel picture is drawn.
struct KernelImageOptions {
  PanelLayout layout;   ///< panel size; panels_per_row is set to the channels
  bool caption = true;  ///< the axes line under the panels
};

/// One panel per (output, input) channel pair of the `channels` x `channels` x `positions` x
/// `kernel_size` weights (row-major, as PyTorch stores the wave and loco cells' Wy.weight).
/// \throws ValueError when a size is not positive; ShapeError when `weights` does not hold
///         channels^2 * positions * kernel_size values; NumericalError when a weight is not
///         finite.
template <class Derived>
RgbImage render_kernel_image(const Eigen::DenseBase<Derived>& weights, Index channels,
                             Index positions, Index kernel_size,
                             const KernelImageOptions& options = {}) {
  if (channels < 1 || positions < 1 || kernel_size < 1)
    throw ValueError(detail::concat(
        "render_kernel_image: expected channels, positions and kernel size >= 1, received ",
        channels, ", ", positions, " and ", kernel_size));
  const Index expected = channels * channels * positions * kernel_size;
  if (weights.size() != expected)
    throw ShapeError(detail::concat("render_kernel_image: expected ", expected, " weights (",
                                    channels, " x ", channels, " x ", positions, " x ", kernel_size,
                                    "), received ", weights.size()));
  std::vector<Matrix<double>> panels;
  std::vector<std::string> labels;
  double largest = 0.0;
  for (Index o = 0; o < channels; ++o)
    for (Index c = 0; c < channels; ++c) {
      Matrix<double> panel(positions, kernel_size);
      for (Index i = 0; i < positions; ++i)
        for (Index j = 0; j < kernel_size; ++j) {
          const double w =
              static_cast<double>(weights(((o * channels + c) * positions + i) * kernel_size + j));
          if (!std::isfinite(w))
            throw NumericalError(detail::concat(
                "render_kernel_image: expected finite weights, "
                "received ",
                w, " at output channel ", o, ", input channel ", c, ", unit ", i, ", tap ", j));
          panel(i, j) = w;
          largest = std::max(largest, std::abs(w));
        }
      panels.push_back(std::move(panel));
      labels.push_back(detail::concat("out ", o, " <- in ", c));
    }
  const ColorScale scale = choose_color_scale(-largest, largest, ColorMap::diverging);
  PanelLayout layout = options.layout;
  layout.panels_per_row = channels;
  const Index r = kernel_size / 2;
  const std::string caption =
      !options.caption ? std::string()
      : positions == 1
          ? detail::concat("taps ", -r, "..", r, " (right)")
          : detail::concat("taps ", -r, "..", r, " (right) x units 0..", positions - 1, " (down)");
  return render_panels(panels, labels, scale, layout, caption);
}

/// Writes the kernel picture as a PNG file.
/// \throws FormatError when the file cannot be written; else as render_kernel_image().
template <class Derived>
void write_kernel_png(const std::string& path, const Eigen::DenseBase<Derived>& weights,
                      Index channels, Index positions, Index kernel_size,
                      const KernelImageOptions& options = {}) {
  write_png(path, render_kernel_image(weights, channels, positions, kernel_size, options));
}

}  // namespace wrnn::analysis
