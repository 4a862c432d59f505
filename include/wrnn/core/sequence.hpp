/// \file
/// A batch of sequences x[T][B][d], stored contiguously and time-major.
#pragma once

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn {

/// A batch of sequences x[T][B][d], stored contiguously and time-major.
///
/// Step t is a d x B column-major matrix (one column per sample) and the whole batch is one
/// d x (T*B) matrix, so the input projection of every step is a single matrix product.
template <class Scalar>
class Sequence {
 public:
  /// An empty sequence (no steps); resize() gives it a shape.
  Sequence() = default;
  /// T = `steps`, B = `batch`, d = `features`, all zero. \throws ValueError unless all are > 0.
  Sequence(Index steps, Index batch, Index features) { resize(steps, batch, features); }

  /// Reshapes to T x B x d, all zero. \throws ValueError unless all sizes are > 0.
  void resize(Index steps, Index batch, Index features) {
    if (steps <= 0 || batch <= 0 || features <= 0)
      throw ValueError(detail::concat("Sequence: expected positive sizes T, B, d, received T=",
                                      steps, ", B=", batch, ", d=", features));
    steps_ = steps;
    batch_ = batch;
    features_ = features;
    data_ = Vector<Scalar>::Zero(steps * batch * features);
  }

  Index steps() const { return steps_; }        ///< T, the number of steps.
  Index batch() const { return batch_; }        ///< B, the number of samples.
  Index features() const { return features_; }  ///< d, the features of one input.

  /// x[t][b][e]: feature e of sample b at step t (unchecked).
  Scalar& operator()(Index t, Index b, Index e) { return data_[(t * batch_ + b) * features_ + e]; }
  /// x[t][b][e], read-only (unchecked).
  Scalar operator()(Index t, Index b, Index e) const {
    return data_[(t * batch_ + b) * features_ + e];
  }

  /// Step t as a d x B matrix.
  MatrixMap<Scalar> step(Index t) {
    return {data_.data() + t * batch_ * features_, features_, batch_};
  }
  /// Step t as a read-only d x B matrix.
  ConstMatrixMap<Scalar> step(Index t) const {
    return {data_.data() + t * batch_ * features_, features_, batch_};
  }
  /// Every step as one d x (T*B) matrix; column t*B + b is sample b at step t.
  MatrixMap<Scalar> all() { return {data_.data(), features_, steps_ * batch_}; }
  /// Every step as one read-only d x (T*B) matrix.
  ConstMatrixMap<Scalar> all() const { return {data_.data(), features_, steps_ * batch_}; }

  /// The T*B*d values, time-major: x[t][b][e] at (t*B + b)*d + e.
  Scalar* data() { return data_.data(); }
  /// The T*B*d values, read-only.
  const Scalar* data() const { return data_.data(); }

 private:
  Index steps_ = 0, batch_ = 0, features_ = 0;
  Vector<Scalar> data_;
};

}  // namespace wrnn
