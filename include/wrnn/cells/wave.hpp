/// \file
/// The wave cell (wRNN): a ring-structured RNN whose recurrence is a circular convolution
/// (WaveCell).
#pragma once

#include <vector>

#include "wrnn/cells/cell_parameters.hpp"
#include "wrnn/cells/initialization.hpp"
#include "wrnn/core/activation.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/core/state_layout.hpp"
#include "wrnn/kernels/circular_conv.hpp"
#include "wrnn/kernels/circular_conv_lanes.hpp"

namespace wrnn {

/// The sizes and initialisation of a WaveCell.
struct WaveCellOptions {
  Index input_size = 1;                                 ///< d, the features of one input.
  Index channels = 1;                                   ///< C, the rings.
  Index ring_size = 100;                                ///< n, the units of each ring.
  Index kernel_size = 3;                                ///< k, odd: the convolution's taps.
  Activation activation = Activation::relu;             ///< act of h_t = act(z_t).
  RecurrentInit recurrent_init = RecurrentInit::shift;  ///< u's start; shift makes the waves.
  InputInit input_init = InputInit::solo;               ///< V's start.
};

/// The wave cell (wRNN): a ring-structured RNN whose recurrence is a circular convolution.
///
/// State: C channels, each a ring of n units; one sample's state is C*n values, channel-major.
///
/// Forward, one step (docs/model.md, "The wave cell"):
///
///     p_t     = V x_t + b_V                    (the input projection, done by SequenceModel)
///     z_t     = u (*) h_{t-1} + b_u + p_t      (u (*) h: circular Conv1d over the ring)
///     h_t     = act(z_t)
///
/// Backward, one step (dL/dh_t arrives from the readout and from step t+1):
///
///     dz_t    = dL/dh_t * act'(z_t)            (act' from h_t, see activation.hpp)
///     dL/dp_t = dz_t                           (V, b_V gradients: by the model)
///     dL/du  += correlation of dz_t with h_{t-1},  dL/db_u += sum over units of dz_t
///     dL/dh_{t-1} = u^T (*) dz_t               (the transposed convolution)
///
/// Parameters (the authors' names, PyTorch layouts): Wx.weight [C*n, d], Wx.bias [C*n],
/// Wy.weight [C, C, k], Wy.bias [C]. A model of the cell concept (cell_concept.hpp).
template <class Scalar_>
class WaveCell : public CellParameters<Scalar_> {
  using Parameters = CellParameters<Scalar_>;
  using Parameters::input_weight_, Parameters::input_bias_, Parameters::recurrent_weight_,
      Parameters::recurrent_bias_;
  using Parameters::kRecurrentWeight, Parameters::kRecurrentBias;

 public:
  using Scalar = Scalar_;           ///< float for speed, double for gradient checks.
  using Options = WaveCellOptions;  ///< The cell's options.
  /// A batch's states are rows of samples: the convolution runs SIMD lanes over them, each tap a
  /// whole row (circular_conv_lanes.hpp, state_layout.hpp). step() has one sample, either way.
  static constexpr StateLayout state_layout = StateLayout::sample_lanes;

  /// A cell of the given shape, its parameters zero until init().
  /// \throws ValueError when d, C or n is not positive, k is not a positive odd number, or k/2
  ///         exceeds n.
  explicit WaveCell(const WaveCellOptions& options)
      : Parameters(named_parameters(validated(options))),
        options_(options),
        shape_{options.channels, options.ring_size, options.kernel_size},
        stream_scratch_(Vector<Scalar>::Zero(shape_.state_size())),
        stream_kernel_scratch_(circular_conv_scratch_size<Scalar>(shape_)) {}

  const WaveCellOptions& options() const { return options_; }    ///< The options it was built with.
  const ConvShape& conv_shape() const { return shape_; }         ///< C, n and k.
  Index input_size() const { return options_.input_size; }       ///< d.
  Index state_size() const { return shape_.state_size(); }       ///< C*n values per sample.
  Index output_size() const { return shape_.state_size(); }      ///< C*n: the readout sees all.
  Index projection_size() const { return shape_.state_size(); }  ///< C*n rows of p_t.
  Index tape_size() const { return 0; }  ///< 0: backward needs only h_{t-1} and h_t.

  /// Draws the parameters: u and b_u as PyTorch's Conv1d default; then, unless the recurrent init
  /// is random, u becomes a Dirac kernel on the diagonal channel pairs (shift: rolled by one tap,
  /// so that activity travels one unit per step); V, b_V as the input init says.
  void init(Rng& rng) {
    const Index C = options_.channels, k = options_.kernel_size, r = k / 2;
    const Index fan_in = C * k;
    // b_u keeps PyTorch's default init whatever u's init (as in the authors' code).
    fill_pytorch_default(recurrent_weight_, fan_in, rng);
    fill_pytorch_default(recurrent_bias_, fan_in, rng);
    if (options_.recurrent_init != RecurrentInit::random) {
      // Dirac kernel on the diagonal channel pairs; 'shift' rolls it by +1 along the taps so
      // that (u (*) h)[c][i] = h[c][i + 1]: activity travels one unit per step.
      const Index tap = options_.recurrent_init == RecurrentInit::shift ? (r + 1) % k : r;
      recurrent_weight_.value.setZero();
      for (Index c = 0; c < C; ++c) recurrent_weight_.value[(c * C + c) * k + tap] = Scalar(1);
    }
    init_input_projection(input_weight_, input_bias_, options_.input_init, C, options_.ring_size,
                          rng);
  }

  /// One step over a batch: state_next = act(u (*) state_prev + b_u + projected). All matrices
  /// are (rows x B) row-major, samples in lanes; `tape` is unused (tape_size() == 0).
  void forward_step(ConstRowMatrixMap<Scalar> projected, ConstRowMatrixMap<Scalar> state_prev,
                    RowMatrixMap<Scalar> state_next, RowMatrixMap<Scalar> /*tape*/) const {
    if (state_next.data() != projected.data()) state_next = projected;  // may alias, see concept
    lanes::forward_activation(shape_, recurrent_weight_.value.data(), recurrent_bias_.value.data(),
                              state_prev.data(), state_next.data(), state_prev.cols(),
                              options_.activation);
  }

  /// One reverse step. grad_state_next holds dL/dh_t on entry and is used as scratch.
  /// Writes dL/dp_t into grad_projected and dL/dh_{t-1} into grad_state_prev (overwriting both);
  /// adds the recurrent weight and bias gradients into grads[kRecurrentWeight],
  /// grads[kRecurrentBias].
  void backward_step(ConstRowMatrixMap<Scalar> state_prev, ConstRowMatrixMap<Scalar> state_next,
                     ConstRowMatrixMap<Scalar> /*tape*/, RowMatrixMap<Scalar> grad_state_next,
                     RowMatrixMap<Scalar> grad_projected, RowMatrixMap<Scalar> grad_state_prev,
                     Scalar* const* grads) const {
    const Index batch = state_prev.cols();
    activation_gradient(options_.activation, state_next, grad_state_next, grad_projected);
    if (grads[kRecurrentWeight] != nullptr) {
      lanes::backward(shape_, recurrent_weight_.value.data(), state_prev.data(),
                      grad_projected.data(), grads[kRecurrentWeight], grads[kRecurrentBias],
                      grad_state_prev.data(), batch);
      return;
    }
    // The weight frozen (a null gradient, Parameter::frozen): no weight gradient; the bias's, a
    // sum per channel, unless it is frozen too.
    if (Scalar* grad_bias = grads[kRecurrentBias]; grad_bias != nullptr)
      for (Index c = 0; c < options_.channels; ++c)
        grad_bias[c] += grad_projected.middleRows(c * options_.ring_size, options_.ring_size).sum();
    grad_state_prev.setZero();
    lanes::backward_state(shape_, recurrent_weight_.value.data(), grad_projected.data(),
                          grad_state_prev.data(), batch);
  }

  /// Streaming: advances one sample's state (C*n values) by one input x (d values), in place.
  /// Never allocates: the cell owns its scratch, sized for its shape at construction. For a
  /// latency-bound loop with fixed weights, StreamingWaveCell (streaming_wave_cell.hpp) is faster
  /// still.
  void step(const Scalar* x, Scalar* state) {
    const Index N = state_size();
    VectorMap<Scalar> pre(stream_scratch_.data(), N);
    // p = b_V + sum of x_j times column j of the row-major Wx, columns of zero inputs skipped
    // (column_projection.hpp says why). Strided columns beat Eigen's row-major product, C*n dot
    // products of length d: at n = 100, C = 6, d = 10 with dense inputs the projection alone
    // takes 1.3 us this way and 2.5 us as Eigen's product (a timing loop over step(); the whole
    // step: bench_training BM_StreamingWaveStepDenseInput).
    pre = input_bias_.value;
    const auto weight = input_weight_.matrix();
    for (Index j = 0; j < options_.input_size; ++j)
      if (x[j] != Scalar(0)) pre.noalias() += x[j] * weight.col(j);
    circular_conv_forward_activation(shape_, recurrent_weight_.value.data(),
                                     recurrent_bias_.value.data(), state, pre.data(), Index{1},
                                     options_.activation, stream_kernel_scratch_);
    VectorMap<Scalar>(state, N) = pre;
  }

 private:
  // The four tensors, named and shaped, for options already validated.
  static Parameters named_parameters(const WaveCellOptions& options) {
    return Parameters(
        Parameter<Scalar>("Wx.weight", {options.channels * options.ring_size, options.input_size},
                          false),
        Parameter<Scalar>("Wx.bias", {options.channels * options.ring_size}, true),
        Parameter<Scalar>("Wy.weight", {options.channels, options.channels, options.kernel_size},
                          false),
        Parameter<Scalar>("Wy.bias", {options.channels}, true));
  }

  static const WaveCellOptions& validated(const WaveCellOptions& options) {
    require_positive("wave cell input size d", options.input_size);
    ConvShape{options.channels, options.ring_size, options.kernel_size}.validate();
    return options;
  }

  WaveCellOptions options_;
  ConvShape shape_;
  Vector<Scalar> stream_scratch_;
  ScratchBuffer<Scalar> stream_kernel_scratch_;
};

}  // namespace wrnn
