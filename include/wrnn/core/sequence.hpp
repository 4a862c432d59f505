// A batch of sequences x[T][B][d], stored contiguously and time-major.
//
// Step t is a d x B column-major matrix (one column per sample) and the whole batch is one
// d x (T*B) matrix, so the input projection of every step is a single matrix product.
#pragma once

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn {

template <class Scalar>
class Sequence {
 public:
  Sequence() = default;
  Sequence(Index steps, Index batch, Index features) { resize(steps, batch, features); }

  void resize(Index steps, Index batch, Index features) {
    if (steps <= 0 || batch <= 0 || features <= 0)
      throw ValueError(detail::concat("Sequence: expected positive sizes T, B, d, received T=",
                                      steps, ", B=", batch, ", d=", features));
    steps_ = steps;
    batch_ = batch;
    features_ = features;
    data_ = Vector<Scalar>::Zero(steps * batch * features);
  }

  Index steps() const { return steps_; }
  Index batch() const { return batch_; }
  Index features() const { return features_; }

  // x[t][b][e]
  Scalar& operator()(Index t, Index b, Index e) { return data_[(t * batch_ + b) * features_ + e]; }
  Scalar operator()(Index t, Index b, Index e) const {
    return data_[(t * batch_ + b) * features_ + e];
  }

  // Step t as a d x B matrix.
  MatrixMap<Scalar> step(Index t) {
    return {data_.data() + t * batch_ * features_, features_, batch_};
  }
  ConstMatrixMap<Scalar> step(Index t) const {
    return {data_.data() + t * batch_ * features_, features_, batch_};
  }
  // Every step as one d x (T*B) matrix; column t*B + b is sample b at step t.
  MatrixMap<Scalar> all() { return {data_.data(), features_, steps_ * batch_}; }
  ConstMatrixMap<Scalar> all() const { return {data_.data(), features_, steps_ * batch_}; }

  Scalar* data() { return data_.data(); }
  const Scalar* data() const { return data_.data(); }

 private:
  Index steps_ = 0, batch_ = 0, features_ = 0;
  Vector<Scalar> data_;
};

}  // namespace wrnn
