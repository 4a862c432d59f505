/// \file
/// The picture of a copy-task model's outputs against its targets, as the authors log it during
/// training (their copy task's plot_output: the input, the softmax of the outputs and the target,
/// one row per class and one column per step).
///
/// For each sequence shown, three panels side by side, each one row per class (0 blank, 1..8 the
/// digits, 9 the delimiter; class 0 at the top) and one column per step, coloured with viridis on
/// the fixed range [0, 1]:
///   - input:  the one-hot inputs over the sequence's first steps (where the digits are given);
///   - output: the softmax of the model's outputs over its last steps (where they are recalled):
///             the brightest cell of a column is the predicted class (argmax);
///   - target: the one-hot targets over the same last steps.
/// A sequence longer than max_steps shows its first (input) and last (output, target) max_steps
/// steps, as the authors' 50.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "wrnn/analysis/panels.hpp"
#include "wrnn/core/sequence.hpp"

namespace wrnn::analysis {

/// How the copy-outputs picture is drawn.
struct CopyOutputsImageOptions {
  Index sequences = 4;   ///< the batch's first samples shown (all of a smaller batch)
  Index max_steps = 50;  ///< steps per panel (the authors' 50)
  PanelLayout layout;    ///< panel size; panels_per_row is set to 3
};

/// The picture of a batch x[L][B][classes] (one-hot), the model's every-step outputs
/// (classes x L*B, column t*B + b is step t of sample b, as SequenceModel::forward returns them)
/// and the target classes (L*B, laid out like the outputs).
/// \throws ValueError when sequences or max_steps is below 1; ShapeError when the outputs do not
///         have a row per input feature and a column per step and sample, or the targets are not
///         one per column; ValueError when a target is not a class; NumericalError when an output
///         is not finite.
template <class Scalar>
RgbImage render_copy_outputs(const Sequence<Scalar>& inputs, const Matrix<Scalar>& outputs,
                             const std::vector<int>& targets,
                             const CopyOutputsImageOptions& options = {}) {
  if (options.sequences < 1 || options.max_steps < 1)
    throw ValueError(
        detail::concat("render_copy_outputs: expected sequences and max_steps >= 1, received ",
                       options.sequences, " and ", options.max_steps));
  const Index L = inputs.steps(), B = inputs.batch(), classes = inputs.features();
  if (outputs.rows() != classes || outputs.cols() != L * B)
    throw ShapeError(detail::concat("render_copy_outputs: expected outputs of ", classes, " x ",
                                    L * B, " (classes x steps * batch), received ", outputs.rows(),
                                    " x ", outputs.cols()));
  if (static_cast<Index>(targets.size()) != L * B)
    throw ShapeError(detail::concat("render_copy_outputs: expected ", L * B,
                                    " targets (steps * batch), received ", targets.size()));
  for (std::size_t m = 0; m < targets.size(); ++m)
    if (targets[m] < 0 || targets[m] >= classes)
      throw ValueError(detail::concat("render_copy_outputs: expected target classes in [0, ",
                                      classes, "), received ", targets[m], " at column ", m));
  const Index shown = std::min(options.sequences, B), S = std::min(options.max_steps, L);
  std::vector<Matrix<double>> panels;
  std::vector<std::string> labels;
  for (Index b = 0; b < shown; ++b) {
    Matrix<double> input(classes, S), output(classes, S), target = Matrix<double>::Zero(classes, S);
    for (Index s = 0; s < S; ++s) {
      for (Index k = 0; k < classes; ++k) input(k, s) = static_cast<double>(inputs(s, b, k));
      const Index column = (L - S + s) * B + b;  // the last S steps
      const double largest = static_cast<double>(outputs.col(column).maxCoeff());
      double sum = 0.0;
      for (Index k = 0; k < classes; ++k) {
        const double value = static_cast<double>(outputs(k, column));
        if (!std::isfinite(value))
          throw NumericalError(
              detail::concat("render_copy_outputs: expected finite outputs, "
                             "received ",
                             value, " for class ", k, " at step ", L - S + s, " of sample ", b));
        output(k, s) = std::exp(value - largest);  // softmax, shifted so no exp overflows
        sum += output(k, s);
      }
      output.col(s) /= sum;
      target(targets[static_cast<std::size_t>(column)], s) = 1.0;
    }
    panels.insert(panels.end(), {input, output, target});
    labels.push_back(detail::concat("sample ", b, " input, steps 1..", S));
    labels.push_back(detail::concat("output softmax, steps ", L - S + 1, "..", L));
    labels.push_back(detail::concat("target, steps ", L - S + 1, "..", L));
  }
  PanelLayout layout = options.layout;
  layout.panels_per_row = 3;
  const ColorScale scale = choose_color_scale(0.0, 1.0, ColorMap::viridis);
  return render_panels(panels, labels, scale, layout,
                       detail::concat("rows: class 0 (top) .. ", classes - 1, "; columns: steps"));
}

/// Writes the copy-outputs picture as a PNG file.
/// \throws as render_copy_outputs(); FormatError when the file cannot be written.
template <class Scalar>
void write_copy_outputs_png(const std::string& path, const Sequence<Scalar>& inputs,
                            const Matrix<Scalar>& outputs, const std::vector<int>& targets,
                            const CopyOutputsImageOptions& options = {}) {
  write_png(path, render_copy_outputs(inputs, outputs, targets, options));
}

}  // namespace wrnn::analysis
