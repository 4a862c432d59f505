/// \file
/// The adding task, generated as in the authors' code (docs/model.md, "Tasks") (AddingTask).
#pragma once

#include "wrnn/tasks/copy_task.hpp"

namespace wrnn {

/// The adding task, generated as in the authors' code (docs/model.md, "Tasks").
///
/// A sequence has T steps of 2 inputs: a value drawn from U[0, 1) and a marker channel with
/// exactly two 1s, one at a uniform position in [0, T/2) and one in [T/2, T). The target is the
/// sum of the two marked values, read out at the last step with MSE. "Solved" is MSE <= 0.05.
class AddingTask {
 public:
  /// Sequences of T = `length` steps. \throws ValueError when T < 2.
  explicit AddingTask(Index length) : length_(length) {
    if (length < 2)
      throw ValueError(detail::concat("adding task T: expected >= 2, received ", length));
  }

  Index sequence_length() const { return length_; }  ///< T.
  Index input_size() const { return 2; }             ///< d = 2: the value and the marker.
  Index output_size() const { return 1; }            ///< o = 1: the sum.
  LossKind loss() const { return LossKind::mse; }    ///< MSE, at the last step.

  /// A batch of `batch` sequences (T x batch x 2) and their sums (1 x batch), drawn from `rng`.
  template <class Scalar>
  TaskBatch<Scalar> generate(Index batch, Rng& rng) const {
    const Index T = length_, half = T / 2;
    TaskBatch<Scalar> out;
    out.inputs.resize(T, batch, 2);
    out.targets.values.setZero(1, batch);
    for (Index b = 0; b < batch; ++b) {
      for (Index t = 0; t < T; ++t) out.inputs(t, b, 0) = static_cast<Scalar>(rng.uniform());
      const Index first = rng.uniform_int(0, half);
      const Index second = rng.uniform_int(half, T);
      out.inputs(first, b, 1) = Scalar(1);
      out.inputs(second, b, 1) = Scalar(1);
      out.targets.values(0, b) = out.inputs(first, b, 0) + out.inputs(second, b, 0);
    }
    return out;
  }

 private:
  Index length_;
};

}  // namespace wrnn
