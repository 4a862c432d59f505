/// \file
/// An inference-only snapshot of a WaveCell laid out for stepping one sample at a time
/// (StreamingWaveCell).
#pragma once

#include "wrnn/cells/column_projection.hpp"
#include "wrnn/cells/wave.hpp"

namespace wrnn {

/// An inference-only snapshot of a WaveCell laid out for stepping one sample at a time.
///
/// WaveCell::step computes the same thing, but it reads Wx in the layout the cell trains with:
/// row-major [C*n, d], PyTorch's, whose columns are strided. Here Wx is kept column-major, so the
/// projection p = Wx x + b_V is d contiguous columns of C*n values scaled and summed, which
/// vectorises fully, with the columns of zero inputs skipped (column_projection.hpp). Where the
/// Winograd kernels serve the shape (circular_conv_winograd.hpp: AVX-512 builds from C = 6, AVX2
/// + FMA from C = 8), the snapshot also keeps u transformed (U = G u, renewed by load()), so a
/// step does not transform the weights again, and the kernel writes the new state over the old
/// one instead of into a buffer copied back. At n = 100, C = 6, d = 10 with one-hot inputs a step
/// takes 0.46 us, WaveCell::step 0.72-0.78 us (bench_training BM_StreamingWaveCellStep and
/// BM_StreamingStep<wrnn::WaveCell<float>>, AVX-512 build).
///
/// Forward, one step (the same equations as WaveCell, wave.hpp):
///
///     p_t = V x_t + b_V
///     h_t = act(u (*) h_{t-1} + b_u + p_t)
///
/// A snapshot, not a view: it copies the cell's weights when built and when load() is called, and
/// does not see later changes to the cell (training, io::load_model). Call load(cell) after those.
/// step() never allocates; load() does not either when the cell has the snapshot's shape.
template <class Scalar_>
class StreamingWaveCell {
 public:
  using Scalar = Scalar_;  ///< float or double, the cell's.

  /// A snapshot of `cell`'s options and current weights.
  explicit StreamingWaveCell(const WaveCell<Scalar>& cell)
      : options_(cell.options()),
        shape_(cell.conv_shape()),
        projection_(Vector<Scalar>::Zero(shape_.state_size())),
        scratch_(circular_conv_scratch_size<Scalar>(shape_)) {
    if constexpr (winograd_available<Scalar>)
      if (winograd::applies(shape_))
        transformed_weights_.resize(winograd::transformed_weights_size(shape_));
    load(cell);
  }

  /// Copies the cell's current weights (and activation).
  /// \throws ShapeError when the cell's d, C, n or k differ from the snapshot's.
  void load(const WaveCell<Scalar>& cell) {
    const WaveCellOptions& other = cell.options();
    require_size("streaming wave cell: input size d of the cell loaded", options_.input_size,
                 other.input_size);
    require_size("streaming wave cell: channels C of the cell loaded", options_.channels,
                 other.channels);
    require_size("streaming wave cell: ring size n of the cell loaded", options_.ring_size,
                 other.ring_size);
    require_size("streaming wave cell: kernel size k of the cell loaded", options_.kernel_size,
                 other.kernel_size);
    options_.activation = other.activation;
    input_weight_ = cell.input_weight().matrix();  // row-major -> column-major: the point
    input_bias_ = cell.input_bias().value;
    recurrent_weight_ = cell.recurrent_weight().value;
    recurrent_bias_ = cell.recurrent_bias().value;
    if constexpr (winograd_available<Scalar>)
      if (transformed_weights_.size() > 0)
        winograd::transform_forward_weights(shape_, recurrent_weight_.data(),
                                            transformed_weights_.data());
  }

  Index input_size() const { return options_.input_size; }     ///< d.
  Index state_size() const { return shape_.state_size(); }     ///< C*n values per sample.
  const WaveCellOptions& options() const { return options_; }  ///< The cell's options.

  /// Advances one sample's state (C*n values, channel-major) by one input x (d values), in place.
  /// Never allocates.
  void step(const Scalar* x, Scalar* state) {
    project_on_columns(input_weight_, input_bias_, x, projection_);
    if constexpr (winograd_available<Scalar>) {
      if (transformed_weights_.size() > 0) {
        // The new state straight over the old (the kernel transforms the old rings first) from
        // weights transformed at load(): no transform of the weights per step, no copy back.
        winograd::forward_transformed(shape_, transformed_weights_.data(), recurrent_bias_.data(),
                                      state, projection_.data(), state, Index{1},
                                      options_.activation, scratch_);
        return;
      }
    }
    circular_conv_forward_activation(shape_, recurrent_weight_.data(), recurrent_bias_.data(),
                                     state, projection_.data(), Index{1}, options_.activation,
                                     scratch_);
    VectorMap<Scalar>(state, shape_.state_size()) = projection_;
  }

 private:
  WaveCellOptions options_;
  ConvShape shape_;
  Matrix<Scalar> input_weight_;  // [C*n, d], column-major
  Vector<Scalar> input_bias_, recurrent_weight_, recurrent_bias_;
  Vector<Scalar> projection_;
  // Where the Winograd kernels serve the shape: u's transform U = G u (circular_conv_winograd.hpp),
  // kept with the snapshot; empty otherwise.
  Vector<Scalar> transformed_weights_;
  ScratchBuffer<Scalar> scratch_;
};

}  // namespace wrnn
