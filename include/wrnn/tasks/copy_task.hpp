/// \file
/// The copy task, generated as in the authors' code (docs/model.md, "Tasks") (CopyTask, CopyLoss),
/// and the batch a task generates (TaskBatch).
#pragma once

#include <algorithm>
#include <vector>

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

/// Which steps of a copy sequence the loss scores.
enum class CopyLoss {
  every_step,  ///< all T + m steps (the authors' default)
  recall_only  ///< the last m steps, where the digits are recalled (the authors' --only_last)
};

/// The copy task, generated as the authors' get_batch does (docs/model.md, "Tasks").
///
/// With gap T and memory length m (the authors' --T and --mem_len), a sequence has T + m steps.
/// Steps 0..m-1 hold random digits in {1..8}, every later step holds 0, and then the delimiter 9
/// is written at step T - 1 (the (m+1)-th from the end). For T <= m that step is one of the
/// digits', which the delimiter replaces, as in the authors' code. Inputs are one-hot over 10
/// classes (d = 10). The target is class 0 at every step except the last m, which must reproduce
/// the first m inputs (the delimiter included, where it replaced a digit). Readout at every
/// step; cross-entropy over every step, or over the last m only (CopyLoss::recall_only).
class CopyTask {
 public:
  static constexpr Index kDigits = 10;   ///< the default memory length m (the authors' default)
  static constexpr Index kClasses = 10;  ///< 0 blank, 1..8 digits, 9 delimiter
  static constexpr int kDelimiter = 9;   ///< the class that says "now repeat"

  /// Sequences whose `memory_length` digits are to be recalled `gap` (T) steps later, the loss
  /// over the steps `scored` names.
  /// \throws ValueError when T < 1 (the authors' code has no step T - 1 for the delimiter) or
  ///         memory_length < 1 (it fails to build the targets).
  explicit CopyTask(Index gap, Index memory_length = kDigits,
                    CopyLoss scored = CopyLoss::every_step)
      : gap_(gap), memory_length_(memory_length), scored_(scored) {
    if (gap < 1)
      throw ValueError(detail::concat(
          "copy task T: expected >= 1 (the delimiter is written at step T - 1), received ", gap));
    if (memory_length < 1)
      throw ValueError(
          detail::concat("copy task memory length: expected >= 1, received ", memory_length));
  }

  Index gap() const { return gap_; }                               ///< T.
  Index memory_length() const { return memory_length_; }           ///< m, the digits to recall.
  CopyLoss scored_steps() const { return scored_; }                ///< The steps the loss scores.
  Index sequence_length() const { return gap_ + memory_length_; }  ///< T + m steps.
  Index input_size() const { return kClasses; }                    ///< d = 10, one-hot.
  Index output_size() const { return kClasses; }                   ///< o = 10 classes.
  LossKind loss() const { return LossKind::cross_entropy; }        ///< Cross-entropy.

  /// A batch of `batch` sequences ((T + m) x batch x 10, one-hot) and their (T + m) * batch
  /// class targets (column t*B + b; with CopyLoss::recall_only, first_scored_column = T * B),
  /// drawn from `rng`.
  template <class Scalar>
  TaskBatch<Scalar> generate(Index batch, Rng& rng) const {
    const Index L = sequence_length(), m = memory_length_;
    TaskBatch<Scalar> out;
    out.inputs.resize(L, batch, kClasses);
    out.targets.classes.assign(static_cast<std::size_t>(L * batch), 0);
    out.targets.first_scored_column = scored_ == CopyLoss::recall_only ? (L - m) * batch : 0;
    std::vector<int> symbols(static_cast<std::size_t>(L));
    for (Index b = 0; b < batch; ++b) {
      std::fill(symbols.begin(), symbols.end(), 0);
      for (Index t = 0; t < m; ++t)
        symbols[static_cast<std::size_t>(t)] = static_cast<int>(rng.uniform_int(1, 9));
      // Written after the digits, as the authors' code does: for T <= m it replaces digit T - 1.
      symbols[static_cast<std::size_t>(L - m - 1)] = kDelimiter;
      for (Index t = 0; t < L; ++t) {
        out.inputs(t, b, symbols[static_cast<std::size_t>(t)]) = Scalar(1);
        if (t >= L - m)
          out.targets.classes[static_cast<std::size_t>(t * batch + b)] =
              symbols[static_cast<std::size_t>(t - (L - m))];
      }
    }
    return out;
  }

 private:
  Index gap_;
  Index memory_length_;
  CopyLoss scored_;
};

}  // namespace wrnn
