/// \file
/// The locally connected cell: the wave cell's ring recurrence with an untied kernel, one C x C x k
/// kernel and one bias per ring position (LocoCell), as in the authors' sMNIST ablation.
#pragma once

#include <cmath>
#include <vector>

#include "wrnn/cells/cell_parameters.hpp"
#include "wrnn/cells/initialization.hpp"
#include "wrnn/core/activation.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/core/state_layout.hpp"
#include "wrnn/kernels/conv_shape.hpp"

namespace wrnn {

/// The sizes and initialisation of a LocoCell (the same fields as WaveCellOptions).
struct LocoCellOptions {
  Index input_size = 1;                                 ///< d, the features of one input.
  Index channels = 1;                                   ///< C, the rings.
  Index ring_size = 100;                                ///< n, the units of each ring.
  Index kernel_size = 3;                                ///< k, odd: the taps of each position.
  Activation activation = Activation::relu;             ///< act of h_t = act(z_t).
  RecurrentInit recurrent_init = RecurrentInit::shift;  ///< u's start; random is Xavier-uniform.
  InputInit input_init = InputInit::solo;               ///< V's start.
};

// clang-format off
/// The locally connected cell: a ring RNN whose recurrence is a circular, untied convolution.
///
/// The wave cell applies one kernel u [C, C, k] at every position of the ring; here each position
/// i has its own kernel u[:, :, i, :] and bias b[:, i] (the authors' LocallyConnected1d with
/// circular padding k/2), so the cell has n times the recurrent weights and no built-in
/// translation symmetry: the ablation that asks whether waves need weight sharing.
///
/// State: C channels, each a ring of n units; one sample's state is C*n values, channel-major;
/// r = k/2, and ring indices are taken mod n.
///
/// \verbatim
/// Forward, one step:
///   p_t[o][i] = (V x_t + b_V)[o n + i]                          (the model's input projection)
///   z_t[o][i] = sum_{c<C} sum_{j<k} u[o][c][i][j] h_{t-1}[c][i + j - r] + b[o][i] + p_t[o][i]
///   h_t       = act(z_t)
///
/// Backward, one step (dL/dh_t arrives from the readout and from step t+1):
///   dz_t[o][i]            = dL/dh_t[o][i] * act'(z_t[o][i])      (act' from h_t)
///   dL/dp_t               = dz_t
///   dL/du[o][c][i][j]    += sum_samples dz_t[o][i] h_{t-1}[c][i + j - r]
///   dL/db[o][i]          += sum_samples dz_t[o][i]
///   dL/dh_{t-1}[c][m]     = sum_{o, j} u[o][c][m - j + r][j] dz_t[o][m - j + r]
/// \endverbatim
///
/// Parameters (the authors' names and shapes): Wx.weight [C*n, d], Wx.bias [C*n],
/// Wy.weight [1, C, C, n, k] (out channel, in channel, position, tap), Wy.bias [1, C, n].
/// A model of the cell concept (cell_concept.hpp).
///
/// Plain Eigen, no SIMD kernel of its own: a batch's states are rows of samples
/// (StateLayout::sample_lanes), so every term of the sums above is one multiply-add over a whole
/// contiguous row of samples, which Eigen vectorises. The wave cell's lane kernels gain from
/// reusing one kernel at every position, which an untied kernel cannot.
// clang-format on
template <class Scalar_>
class LocoCell : public CellParameters<Scalar_> {
  using Parameters = CellParameters<Scalar_>;
  using Parameters::input_weight_, Parameters::input_bias_, Parameters::recurrent_weight_,
      Parameters::recurrent_bias_;
  using Parameters::kRecurrentWeight, Parameters::kRecurrentBias;

 public:
  using Scalar = Scalar_;           ///< float for speed, double for gradient checks.
  using Options = LocoCellOptions;  ///< The cell's options.
  /// A batch's states are rows of samples: each term of the recurrence is a row operation.
  static constexpr StateLayout state_layout = StateLayout::sample_lanes;

  /// A cell of the given shape, its parameters zero until init().
  /// \throws ValueError when d, C or n is not positive, k is not a positive odd number, or k/2
  ///         exceeds n.
  explicit LocoCell(const LocoCellOptions& options)
      : Parameters(named_parameters(validated(options))),
        options_(options),
        stream_scratch_(Vector<Scalar>::Zero(options.channels * options.ring_size)) {}

  const LocoCellOptions& options() const { return options_; }  ///< The options it was built with.
  Index input_size() const { return options_.input_size; }     ///< d.
  Index state_size() const { return options_.channels * options_.ring_size; }  ///< C*n.
  Index output_size() const { return state_size(); }      ///< C*n: the readout sees all.
  Index projection_size() const { return state_size(); }  ///< C*n rows of p_t.
  Index tape_size() const { return 0; }  ///< 0: backward needs only h_{t-1} and h_t.

  /// Draws the parameters as the authors do: u Xavier-uniform, b = 0; then, unless the recurrent
  /// init is random, u becomes a Dirac kernel on the diagonal channel pairs at every position
  /// (shift: rolled by one tap, so that activity travels one unit per step); V, b_V as the input
  /// init says.
  void init(Rng& rng) {
    const Index C = options_.channels, n = options_.ring_size, k = options_.kernel_size;
    const Index r = k / 2;
    // torch.nn.init.xavier_uniform_ on the [1, C, C, n, k] tensor: PyTorch takes fan_out from
    // dim 0 and fan_in from dim 1, each times the product of the remaining dims (C*n*k), so
    // bound = sqrt(6 / (C*C*n*k + 1*C*n*k)).
    const double receptive = static_cast<double>(C * n * k);
    const double bound = std::sqrt(6.0 / (static_cast<double>(C) * receptive + receptive));
    for (Index e = 0; e < recurrent_weight_.size(); ++e)
      recurrent_weight_.value[e] = static_cast<Scalar>(rng.uniform(-bound, bound));
    recurrent_bias_.value.setZero();
    if (options_.recurrent_init != RecurrentInit::random) {
      // As WaveCell::init, repeated at every position: (u h)[c][i] = h[c][i + 1] for shift.
      const Index tap = options_.recurrent_init == RecurrentInit::shift ? (r + 1) % k : r;
      recurrent_weight_.value.setZero();
      for (Index c = 0; c < C; ++c)
        for (Index i = 0; i < n; ++i) recurrent_weight_.value[weight_index(c, c, i, tap)] = 1;
    }
    init_input_projection(input_weight_, input_bias_, options_.input_init, C, n, rng);
  }

  /// One step over a batch: state_next = act(u (*) state_prev + b + projected). All matrices are
  /// (C*n x B) row-major, samples in lanes; `projected` may alias `state_next` (cell_concept.hpp).
  void forward_step(ConstRowMatrixMap<Scalar> projected, ConstRowMatrixMap<Scalar> state_prev,
                    RowMatrixMap<Scalar> state_next, RowMatrixMap<Scalar> /*tape*/) const {
    if (state_next.data() != projected.data()) state_next = projected;  // may alias, see concept
    const Index C = options_.channels, n = options_.ring_size, k = options_.kernel_size;
    const Index r = k / 2;
    const Scalar* u = recurrent_weight_.value.data();
    for (Index o = 0; o < C; ++o)
      for (Index i = 0; i < n; ++i) {
        auto z = state_next.row(o * n + i);
        z.array() += recurrent_bias_.value[o * n + i];
        for (Index c = 0; c < C; ++c)
          for (Index j = 0; j < k; ++j)
            z += u[weight_index(o, c, i, j)] * state_prev.row(c * n + wrap_index(i + j - r, n));
      }
    apply_activation(options_.activation, state_next);
  }

  /// One reverse step, the same contract as WaveCell::backward_step: grad_state_next holds
  /// dL/dh_t on entry; writes dL/dp_t into grad_projected and dL/dh_{t-1} into grad_state_prev;
  /// adds dL/du and dL/db into grads[kRecurrentWeight], grads[kRecurrentBias].
  void backward_step(ConstRowMatrixMap<Scalar> state_prev, ConstRowMatrixMap<Scalar> state_next,
                     ConstRowMatrixMap<Scalar> /*tape*/, RowMatrixMap<Scalar> grad_state_next,
                     RowMatrixMap<Scalar> grad_projected, RowMatrixMap<Scalar> grad_state_prev,
                     Scalar* const* grads) const {
    const Index C = options_.channels, n = options_.ring_size, k = options_.kernel_size;
    const Index r = k / 2;
    activation_gradient(options_.activation, state_next, grad_state_next, grad_projected);
    const Scalar* u = recurrent_weight_.value.data();
    Scalar* grad_u = grads[kRecurrentWeight];
    Scalar* grad_b = grads[kRecurrentBias];
    grad_state_prev.setZero();
    for (Index o = 0; o < C; ++o)
      for (Index i = 0; i < n; ++i) {
        const auto dz = grad_projected.row(o * n + i);
        if (grad_b != nullptr) grad_b[o * n + i] += dz.sum();  // null: frozen
        for (Index c = 0; c < C; ++c)
          for (Index j = 0; j < k; ++j) {
            const Index source = c * n + wrap_index(i + j - r, n);
            const Index w = weight_index(o, c, i, j);
            if (grad_u != nullptr) grad_u[w] += dz.dot(state_prev.row(source));
            grad_state_prev.row(source) += u[w] * dz;
          }
      }
  }

  /// Streaming: advances one sample's state (C*n values) by one input x (d values), in place.
  /// Never allocates: the cell owns its scratch, sized at construction.
  void step(const Scalar* x, Scalar* state) {
    const Index C = options_.channels, n = options_.ring_size, k = options_.kernel_size;
    const Index r = k / 2;
    VectorMap<Scalar> z(stream_scratch_.data(), state_size());
    z.noalias() = input_weight_.matrix() * ConstVectorMap<Scalar>(x, options_.input_size);
    z += input_bias_.value + recurrent_bias_.value;
    const Scalar* u = recurrent_weight_.value.data();
    for (Index o = 0; o < C; ++o)
      for (Index i = 0; i < n; ++i) {
        Scalar sum = 0;
        for (Index c = 0; c < C; ++c)
          for (Index j = 0; j < k; ++j)
            sum += u[weight_index(o, c, i, j)] * state[c * n + wrap_index(i + j - r, n)];
        z[o * n + i] += sum;
      }
    apply_activation(options_.activation, z);
    VectorMap<Scalar>(state, state_size()) = z;
  }

 private:
  // Offset of u[o][c][i][j] in the row-major [1, C, C, n, k] tensor.
  Index weight_index(Index o, Index c, Index i, Index j) const {
    return ((o * options_.channels + c) * options_.ring_size + i) * options_.kernel_size + j;
  }

  // The four tensors, named and shaped, for options already validated.
  static Parameters named_parameters(const LocoCellOptions& options) {
    const Index C = options.channels, n = options.ring_size;
    return Parameters(Parameter<Scalar>("Wx.weight", {C * n, options.input_size}, false),
                      Parameter<Scalar>("Wx.bias", {C * n}, true),
                      Parameter<Scalar>("Wy.weight", {1, C, C, n, options.kernel_size}, false),
                      Parameter<Scalar>("Wy.bias", {1, C, n}, true));
  }

  static const LocoCellOptions& validated(const LocoCellOptions& options) {
    require_positive("loco cell input size d", options.input_size);
    ConvShape{options.channels, options.ring_size, options.kernel_size}.validate();
    return options;
  }

  LocoCellOptions options_;
  Vector<Scalar> stream_scratch_;
};

}  // namespace wrnn
