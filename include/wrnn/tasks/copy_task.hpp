/// \file
/// The copy task, generated as in the authors' code (docs/model.md, "Tasks") (CopyTask), and the
/// batch a task generates (TaskBatch).
#pragma once

#include "wrnn/core/error.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/core/sequence.hpp"
#include "wrnn/train/loss.hpp"

namespace wrnn {

/// A batch a task generates: the inputs and what the model should output for them.
template <class Scalar>
struct TaskBatch {
  Sequence<Scalar> inputs;  ///< x[T][B][d]
  Targets<Scalar> targets;  ///< laid out like the model's outputs
};

/// The copy task, generated as in the authors' code (docs/model.md, "Tasks").
///
/// A sequence has T + 10 steps. Steps 0..9 hold random digits in {1..8}; step (T + 10) - 11
/// holds the delimiter 9; every other step holds 0. Inputs are one-hot over 10 classes (d = 10).
/// The target is class 0 at every step except the last 10, which must reproduce the 10 digits.
/// Readout at every step, cross-entropy over all steps.
class CopyTask {
 public:
  static constexpr Index kDigits = 10;   ///< digits to remember
  static constexpr Index kClasses = 10;  ///< 0 blank, 1..8 digits, 9 delimiter
  static constexpr int kDelimiter = 9;   ///< the class that says "now repeat"

  /// Sequences whose 10 digits are to be recalled `gap` (T) steps later.
  /// \throws ValueError when T < 1.
  explicit CopyTask(Index gap) : gap_(gap) {
    if (gap < 1) throw ValueError(detail::concat("copy task T: expected >= 1, received ", gap));
  }

  Index gap() const { return gap_; }                         ///< T.
  Index sequence_length() const { return gap_ + kDigits; }   ///< T + 10 steps.
  Index input_size() const { return kClasses; }              ///< d = 10, one-hot.
  Index output_size() const { return kClasses; }             ///< o = 10 classes.
  LossKind loss() const { return LossKind::cross_entropy; }  ///< Cross-entropy, every step.

  /// A batch of `batch` sequences ((T + 10) x batch x 10, one-hot) and their (T + 10) * batch
  /// class targets (column t*B + b), drawn from `rng`.
  template <class Scalar>
  TaskBatch<Scalar> generate(Index batch, Rng& rng) const {
    const Index L = sequence_length();
    TaskBatch<Scalar> out;
    out.inputs.resize(L, batch, kClasses);
    out.targets.classes.assign(static_cast<std::size_t>(L * batch), 0);
    for (Index b = 0; b < batch; ++b) {
      for (Index t = 0; t < kDigits; ++t) {
        const int digit = static_cast<int>(rng.uniform_int(1, 9));
        out.inputs(t, b, digit) = Scalar(1);
        out.targets.classes[static_cast<std::size_t>((L - kDigits + t) * batch + b)] = digit;
      }
      for (Index t = kDigits; t < L; ++t)
        out.inputs(t, b, t == L - 11 ? kDelimiter : 0) = Scalar(1);
    }
    return out;
  }

 private:
  Index gap_;
};

}  // namespace wrnn
