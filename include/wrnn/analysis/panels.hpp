/// \file
/// Lays out several equally sized data blocks ("panels", one per channel) as one picture: a grid
/// of coloured panels separated by gaps, each with a small label above it, and a colour scale bar
/// with its value labels on the right. Used by the space-time image and the spectrum image.
///
/// \verbatim
///   +------------------------------------------+
///   | label 0            label 1               |  . high
///   | [panel 0 ........] [panel 1 ........]    |  #
///   | label 2                                  |  #  colour bar
///   | [panel 2 ........]                       |  #
///   | caption                                  |  . low
///   +------------------------------------------+
/// \endverbatim
///
/// Each panel's row r / column c is drawn top-to-bottom / left-to-right. Large panels are reduced
/// by block averaging, small ones enlarged by integer pixel repetition (AxisScaling), so the
/// picture stays readable from a 16-unit ring to a 4096-unit one and from 10 to 1000 steps.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "wrnn/analysis/colormap.hpp"
#include "wrnn/analysis/image.hpp"

namespace wrnn::analysis {

/// The sizes and parts of a panel picture.
struct PanelLayout {
  Index min_panel_pixels = 200;       ///< enlarge each axis by repetition up to at least this
  Index max_panel_row_pixels = 512;   ///< panel height limit (rows are block-averaged above it)
  Index max_panel_col_pixels = 1000;  ///< panel width limit
  Index panels_per_row = 0;           ///< grid columns; 0: ceil(sqrt(panels)), a squarish grid
  Index gap = 6;                      ///< pixels between panels
  Index margin = 8;                   ///< pixels around everything
  Index text_scale = 1;               ///< 1: ~5x7-pixel glyphs; 2 doubles them
  bool labels = true;                 ///< panel labels, colour-bar values, caption
  bool color_bar = true;              ///< the colour scale bar on the right
  Index color_bar_width = 14;         ///< its width in pixels
};

/// Picks the colour scale for data spanning [data_min, data_max]: `automatic` becomes viridis when
/// data_min >= 0 and the diverging map otherwise; the diverging range is made symmetric about 0.
/// `fixed_low` / `fixed_high` override the data range.
/// \throws NumericalError when the data range is not finite. \throws ValueError when the range
///         comes out with low > high.
inline ColorScale choose_color_scale(double data_min, double data_max, ColorMap requested,
                                     std::optional<double> fixed_low = std::nullopt,
                                     std::optional<double> fixed_high = std::nullopt) {
  if (!std::isfinite(data_min) || !std::isfinite(data_max))
    throw NumericalError(
        detail::concat("choose_color_scale: expected finite data, received range [", data_min, ", ",
                       data_max, "]"));
  ColorScale scale;
  scale.map = requested;
  if (requested == ColorMap::automatic)
    scale.map = data_min >= 0.0 ? ColorMap::viridis : ColorMap::diverging;
  if (scale.map == ColorMap::diverging) {
    const double extent = std::max(std::abs(data_min), std::abs(data_max));
    scale.low = -extent;
    scale.high = extent;
  } else {
    scale.low = data_min;
    scale.high = data_max;
  }
  if (fixed_low) scale.low = *fixed_low;
  if (fixed_high) scale.high = *fixed_high;
  if (scale.high < scale.low)
    throw ValueError(detail::concat("choose_color_scale: expected low <= high, received [",
                                    scale.low, ", ", scale.high, "]"));
  return scale;
}

/// Draws `panels` (all the same size) with `scale`. `panel_labels` may be empty or one per panel.
/// \throws ValueError when there is no panel or the layout is out of range. \throws ShapeError
///         when the labels or the panels' sizes do not match.
inline RgbImage render_panels(const std::vector<Matrix<double>>& panels,
                              const std::vector<std::string>& panel_labels, const ColorScale& scale,
                              const PanelLayout& layout, const std::string& caption = {}) {
  if (panels.empty()) throw ValueError("render_panels: expected at least one panel, received none");
  if (!panel_labels.empty() && panel_labels.size() != panels.size())
    throw ShapeError(detail::concat("render_panels: expected ", panels.size(),
                                    " panel labels, received ", panel_labels.size()));
  if (layout.panels_per_row < 0 || layout.text_scale < 1 || layout.gap < 0 || layout.margin < 0)
    throw ValueError(
        "render_panels: expected panels_per_row >= 0, text_scale >= 1, gap >= 0 and "
        "margin >= 0");
  const Index rows = panels.front().rows(), cols = panels.front().cols();
  for (const auto& panel : panels)
    if (panel.rows() != rows || panel.cols() != cols)
      throw ShapeError(detail::concat("render_panels: expected every panel to be ", rows, " x ",
                                      cols, ", received ", panel.rows(), " x ", panel.cols()));

  const AxisScaling row_scaling =
      choose_axis_scaling(rows, layout.min_panel_pixels, layout.max_panel_row_pixels);
  const AxisScaling col_scaling =
      choose_axis_scaling(cols, layout.min_panel_pixels, layout.max_panel_col_pixels);
  const Index panel_h = row_scaling.pixels(rows), panel_w = col_scaling.pixels(cols);

  const Index n_panels = static_cast<Index>(panels.size());
  const Index per_row =
      layout.panels_per_row > 0
          ? layout.panels_per_row
          : static_cast<Index>(std::ceil(std::sqrt(static_cast<double>(n_panels))));
  const Index grid_cols = std::min(per_row, n_panels);
  const Index grid_rows = (n_panels + grid_cols - 1) / grid_cols;
  const Index glyph_h = glyph_height(layout.text_scale);
  const Index label_h = layout.labels && !panel_labels.empty() ? glyph_h + 3 : 0;
  const Index cell_h = label_h + panel_h;
  const Index grid_w = grid_cols * panel_w + (grid_cols - 1) * layout.gap;
  const Index grid_h = grid_rows * cell_h + (grid_rows - 1) * layout.gap;

  // Colour bar at the right, as tall as the grid, values written beside it.
  const std::string high_text = format_number(scale.high), low_text = format_number(scale.low);
  const bool diverging = scale.map == ColorMap::diverging;
  const std::string middle_text = format_number(0.5 * (scale.low + scale.high));
  Index bar_block_w = 0;
  if (layout.color_bar) {
    bar_block_w = 3 * layout.gap + layout.color_bar_width;
    if (layout.labels)
      bar_block_w += 4 + std::max({text_width(high_text, layout.text_scale),
                                   text_width(low_text, layout.text_scale),
                                   text_width(middle_text, layout.text_scale)});
  }
  const Index caption_h = layout.labels && !caption.empty() ? glyph_h + layout.gap : 0;
  const Index caption_w = layout.labels ? text_width(caption, layout.text_scale) : 0;
  const Index width = 2 * layout.margin + std::max(grid_w + bar_block_w, caption_w);
  const Index height = 2 * layout.margin + grid_h + caption_h;
  RgbImage image(width, height);
  const Rgb text_color{0, 0, 0};

  for (Index p = 0; p < n_panels; ++p) {
    const Index x0 = layout.margin + (p % grid_cols) * (panel_w + layout.gap);
    const Index y0 = layout.margin + (p / grid_cols) * (cell_h + layout.gap);
    if (label_h > 0)
      draw_text(image, x0, y0, panel_labels[static_cast<std::size_t>(p)], text_color,
                layout.text_scale);
    const Matrix<double> shown = (row_scaling.block > 1 || col_scaling.block > 1)
                                     ? block_average(panels[static_cast<std::size_t>(p)],
                                                     row_scaling.block, col_scaling.block)
                                     : panels[static_cast<std::size_t>(p)];
    for (Index r = 0; r < shown.rows(); ++r)
      for (Index c = 0; c < shown.cols(); ++c)
        image.fill_rect(x0 + c * col_scaling.repeat, y0 + label_h + r * row_scaling.repeat,
                        col_scaling.repeat, row_scaling.repeat, scale.color(shown(r, c)));
  }

  if (layout.color_bar) {
    const Index bar_x = layout.margin + grid_w + 2 * layout.gap;
    const Index bar_y = layout.margin + label_h;
    const Index bar_h = std::max<Index>(grid_h - label_h, 16);
    for (Index y = 0; y < bar_h; ++y) {
      // Top row is the high end of the scale.
      const double fraction =
          bar_h > 1 ? 1.0 - static_cast<double>(y) / static_cast<double>(bar_h - 1) : 0.5;
      image.fill_rect(bar_x, bar_y + y, layout.color_bar_width, 1, map_color(scale.map, fraction));
    }
    if (layout.labels) {
      const Index text_x = bar_x + layout.color_bar_width + 4;
      draw_text(image, text_x, bar_y, high_text, text_color, layout.text_scale);
      draw_text(image, text_x, bar_y + bar_h - glyph_h, low_text, text_color, layout.text_scale);
      if (diverging || bar_h > 6 * glyph_h)
        draw_text(image, text_x, bar_y + bar_h / 2 - glyph_h / 2, middle_text, text_color,
                  layout.text_scale);
    }
  }
  if (caption_h > 0)
    draw_text(image, layout.margin, layout.margin + grid_h + layout.gap, caption, text_color,
              layout.text_scale);
  return image;
}

}  // namespace wrnn::analysis
