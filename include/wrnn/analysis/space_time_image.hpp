/// \file
/// The space-time picture of a recorded hidden state: one panel per channel, ring units on the
/// vertical axis (unit 0 at the top, unit n-1 at the bottom) and time on the horizontal axis (the
/// first recorded column at the left). A wave travelling toward higher unit indices is a band
/// that descends to the right; one travelling toward lower indices rises to the right; a static
/// state is horizontal stripes.
///
/// Input convention (see state_recording.hpp): `states` is (channels * ring_size) x T,
/// channel-major rows, column t = state after step t; any Eigen dense expression of float or
/// double.
#pragma once

#include <string>
#include <vector>

#include "wrnn/analysis/panels.hpp"
#include "wrnn/analysis/state_recording.hpp"

namespace wrnn::analysis {

/// How a space-time picture is drawn.
struct SpaceTimeOptions {
  /// automatic: viridis for non-negative states (ReLU), the diverging map centred on 0 otherwise.
  ColorMap color_map = ColorMap::automatic;
  /// @{
  /// Fix the colour range (for comparable pictures across models); by default the data range of
  /// the drawn channels.
  std::optional<double> value_min;
  std::optional<double> value_max;
  /// @}
  /// Channels to draw, in this order; empty draws all.
  std::vector<Index> channels;
  PanelLayout layout;   ///< Panel size and arrangement.
  bool caption = true;  ///< "units (down) x time (right)" line under the panels
};

/// The picture as an RGB buffer (what write_space_time_png encodes), for tests and for
/// embedding.
/// \throws ShapeError, ValueError when states does not match (channels, ring_size) or a channel
///         index is out of range. \throws NumericalError when a state is not finite.
template <class Derived>
RgbImage render_space_time_image(const Eigen::MatrixBase<Derived>& states, Index channels,
                                 Index ring_size, const SpaceTimeOptions& options = {}) {
  require_states_shape("render_space_time_image", states, channels, ring_size);
  require_finite_states("render_space_time_image", states, ring_size);
  const auto drawn =
      internal::selected_channels(options.channels, channels, "render_space_time_image");
  std::vector<Matrix<double>> panels;
  std::vector<std::string> labels;
  double data_min = std::numeric_limits<double>::infinity();
  double data_max = -data_min;
  for (Index c : drawn) {
    panels.push_back(
        states.block(c * ring_size, 0, ring_size, states.cols()).template cast<double>());
    labels.push_back(detail::concat("channel ", c));
    data_min = std::min(data_min, panels.back().minCoeff());
    data_max = std::max(data_max, panels.back().maxCoeff());
  }
  const ColorScale scale = choose_color_scale(data_min, data_max, options.color_map,
                                              options.value_min, options.value_max);
  const std::string caption =
      options.caption ? detail::concat("units 0..", ring_size - 1, " (down) x steps 0..",
                                       states.cols() - 1, " (right)")
                      : std::string();
  return render_panels(panels, labels, scale, options.layout, caption);
}

/// Writes the space-time picture as a PNG file.
/// \throws FormatError when the file cannot be written; else as render_space_time_image().
template <class Derived>
void write_space_time_png(const std::string& path, const Eigen::MatrixBase<Derived>& states,
                          Index channels, Index ring_size, const SpaceTimeOptions& options = {}) {
  write_png(path, render_space_time_image(states, channels, ring_size, options));
}

}  // namespace wrnn::analysis
