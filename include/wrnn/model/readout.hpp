/// \file
/// Readouts: map the cell's visible state h_t to outputs y_t, at every step or at the last only
/// (Readout).
#pragma once

#include <string>
#include <vector>

#include "wrnn/cells/initialization.hpp"
#include "wrnn/core/error.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/kernels/lane_products.hpp"
#include "wrnn/kernels/narrow_products.hpp"

namespace wrnn {

/// The readout's network.
enum class ReadoutKind {
  linear,  ///< y = W h + b
  mlp      ///< y = W2 relu(W0 h + b0) + b2, a hidden layer of ReadoutOptions::mlp_hidden units
};
/// When the readout runs.
enum class ReadoutMode {
  every_step,  ///< an output at every step (the copy task)
  last_step    ///< one output after the last step (the adding task, sequential images)
};

/// "linear" or "mlp", as parse_readout_kind() reads it.
inline std::string to_string(ReadoutKind kind) {
  return kind == ReadoutKind::linear ? "linear" : "mlp";
}
/// "every_step" or "last_step", as parse_readout_mode() reads it.
inline std::string to_string(ReadoutMode mode) {
  return mode == ReadoutMode::every_step ? "every_step" : "last_step";
}
/// The kind named "linear" or "mlp". \throws ValueError for any other name.
inline ReadoutKind parse_readout_kind(const std::string& name) {
  if (name == "linear") return ReadoutKind::linear;
  if (name == "mlp") return ReadoutKind::mlp;
  throw ValueError("readout: expected linear or mlp, received '" + name + "'");
}
/// The mode named "every_step" or "last_step". \throws ValueError for any other name.
inline ReadoutMode parse_readout_mode(const std::string& name) {
  if (name == "every_step") return ReadoutMode::every_step;
  if (name == "last_step") return ReadoutMode::last_step;
  throw ValueError("readout mode: expected every_step or last_step, received '" + name + "'");
}

/// The shape of a Readout.
struct ReadoutOptions {
  Index output_size = 1;                       ///< o, the outputs (classes, or 1 for regression).
  ReadoutKind kind = ReadoutKind::linear;      ///< linear or MLP.
  ReadoutMode mode = ReadoutMode::every_step;  ///< every step or the last one.
  Index mlp_hidden = 100;                      ///< the MLP's hidden units (kind mlp only).
};

/// A readout: maps the cell's visible state h_t to outputs y_t.
///
///     linear: y = W h + b                    parameters weight [o, N], bias [o]
///     mlp:    a = W0 h + b0, r = relu(a), y = W2 r + b2
///             parameters 0.weight [100, N], 0.bias, 2.weight [o, 100], 2.bias
///             (PyTorch nn.Sequential names)
///
/// Backward (dy given):
///
///     linear: dW += dy h^T, db += sum dy, dh = W^T dy
///     mlp:    dW2 += dy r^T, db2 += sum dy, da = (W2^T dy) * [r > 0],
///             dW0 += da h^T, db0 += sum da, dh = W0^T da
///
/// Every call works on M samples at once (a batch's, at one step), its matrices (h, dh, the
/// MLP's r and dr, y and dy) in the cell's state layout (state_layout.hpp):
///   - samples in columns (column-major): y = W h + b and dW += dy h^T on the narrow kernels for
///     weights of 2 to 100 rows (the paper's readouts, and the MLP's layers), else on Eigen's
///     GEMM; dh = W^T dy always on Eigen's GEMM;
///   - samples in lanes (row-major, the wave cell's): all three on the lanes products
///     (kernels/lane_products.hpp).
template <class Scalar>
class Readout {
 public:
  /// A readout of N = `input_size` inputs, its parameters zero until init().
  /// \throws ValueError when output_size, input_size or (for an MLP) mlp_hidden is not positive.
  Readout(const ReadoutOptions& options, Index input_size)
      : options_(validated(options, input_size)), input_size_(input_size) {
    const Index o = options.output_size, H = options.mlp_hidden;
    if (options.kind == ReadoutKind::linear) {
      layers_.push_back({"weight", {o, input_size}, false});
      layers_.push_back({"bias", {o}, true});
    } else {
      layers_.push_back({"0.weight", {H, input_size}, false});
      layers_.push_back({"0.bias", {H}, true});
      layers_.push_back({"2.weight", {o, H}, false});
      layers_.push_back({"2.bias", {o}, true});
    }
  }

  const ReadoutOptions& options() const { return options_; }  ///< The options it was built with.
  Index input_size() const { return input_size_; }            ///< N, the state rows it reads.
  Index output_size() const { return options_.output_size; }  ///< o.
  /// Rows of the hidden layer the backward pass needs (0 for linear).
  Index hidden_size() const { return options_.kind == ReadoutKind::mlp ? options_.mlp_hidden : 0; }

  /// The layers' weights and biases in order, named as PyTorch names them ("weight", "bias";
  /// "0.weight", "0.bias", "2.weight", "2.bias" for the MLP).
  std::vector<Parameter<Scalar>*> parameters() {
    std::vector<Parameter<Scalar>*> list;
    for (auto& p : layers_) list.push_back(&p);
    return list;
  }

  /// PyTorch's default Linear init for every layer.
  void init(Rng& rng) {
    for (std::size_t i = 0; i < layers_.size(); i += 2) {
      const Index fan_in = layers_[i].shape[1];
      fill_pytorch_default(layers_[i], fan_in, rng);
      fill_pytorch_default(layers_[i + 1], fan_in, rng);
    }
  }

  /// Writable outputs of M samples in columns (the layout of the dense, LSTM and GRU cells): a
  /// column-major matrix, map or block, any column stride. An Eigen::Ref binds to memory the
  /// caller owns and never to a temporary copy, so what the readout writes cannot be lost.
  using ColumnOutputs = Eigen::Ref<Matrix<Scalar>>;
  /// Writable outputs of M samples in lanes (the wave cell's layout): a row-major matrix or map
  /// whose rows are M contiguous values.
  using LaneOutputs = Eigen::Ref<RowMatrix<Scalar>>;

  /// outputs (o x M) = readout(inputs (N x M)), samples in columns; hidden (H x M) keeps relu(a)
  /// for the MLP (0 x M for a linear readout).
  template <class Inputs>
  void forward(const Inputs& inputs, ColumnOutputs hidden, ColumnOutputs outputs) const {
    forward_layers(inputs, hidden, outputs);
  }
  /// The same with samples in lanes (inputs, hidden and outputs row-major, rows contiguous).
  /// \throws ShapeError when a row of hidden or outputs is not contiguous.
  template <class Inputs>
  void forward(const Inputs& inputs, LaneOutputs hidden, LaneOutputs outputs) const {
    require_contiguous_rows("Readout::forward hidden", hidden);
    require_contiguous_rows("Readout::forward outputs", outputs);
    forward_layers(inputs, hidden, outputs);
  }

  /// Adds parameter gradients into grads (in parameters() order) and dL/dinputs into grad_inputs
  /// (the model's dL/dh_t, which already holds what step t+1 sends back: one GEMM accumulates
  /// into it, with no buffer and no extra pass). grad_hidden (H x M) is scratch for the MLP.
  /// Samples in columns.
  template <class Inputs, class ConstLayer>
  void backward(const Inputs& inputs, const ConstLayer& hidden, const ConstLayer& grad_outputs,
                ColumnOutputs grad_hidden, ColumnOutputs grad_inputs, Scalar* const* grads) const {
    backward_layers(inputs, hidden, grad_outputs, grad_hidden, grad_inputs, grads);
  }
  /// The same with samples in lanes (every matrix row-major, rows contiguous).
  /// \throws ShapeError when a row of grad_hidden or grad_inputs is not contiguous.
  template <class Inputs, class ConstLayer>
  void backward(const Inputs& inputs, const ConstLayer& hidden, const ConstLayer& grad_outputs,
                LaneOutputs grad_hidden, LaneOutputs grad_inputs, Scalar* const* grads) const {
    require_contiguous_rows("Readout::backward grad_hidden", grad_hidden);
    require_contiguous_rows("Readout::backward grad_inputs", grad_inputs);
    backward_layers(inputs, hidden, grad_outputs, grad_hidden, grad_inputs, grads);
  }

 private:
  static const ReadoutOptions& validated(const ReadoutOptions& options, Index input_size) {
    require_positive("readout output size", options.output_size);
    require_positive("readout input size", input_size);
    if (options.kind == ReadoutKind::mlp)
      require_positive("readout MLP hidden size", options.mlp_hidden);
    return options;
  }

  // The lanes kernels read and write rows of M values back to back.
  static void require_contiguous_rows(const char* what, const LaneOutputs& m) {
    if (m.rows() > 1 && m.outerStride() != m.cols())
      throw ShapeError(wrnn::detail::concat(what, ": expected rows of ", m.cols(),
                                            " contiguous values, received a row stride of ",
                                            m.outerStride()));
  }

  template <class Inputs, class Out>
  void forward_layers(const Inputs& inputs, Out& hidden, Out& outputs) const {
    if (options_.kind == ReadoutKind::linear) {
      affine(0, inputs, outputs);
    } else {
      affine(0, inputs, hidden);
      hidden = hidden.cwiseMax(Scalar(0));
      affine(2, hidden, outputs);
    }
  }

  template <class Inputs, class ConstLayer, class Out>
  void backward_layers(const Inputs& inputs, const ConstLayer& hidden,
                       const ConstLayer& grad_outputs, Out& grad_hidden, Out& grad_inputs,
                       Scalar* const* grads) const {
    if (options_.kind == ReadoutKind::linear) {
      affine_backward(0, inputs, grad_outputs, grads);
      add_input_gradient(0, grad_outputs, grad_inputs);
    } else {
      affine_backward(2, hidden, grad_outputs, grads);
      grad_hidden.setZero();
      add_input_gradient(2, grad_outputs, grad_hidden);
      grad_hidden = (hidden.array() > Scalar(0)).select(grad_hidden.array(), Scalar(0)).matrix();
      affine_backward(0, inputs, grad_hidden, grads);
      add_input_gradient(0, grad_hidden, grad_inputs);
    }
  }

  // Whether a layer's products run on the narrow kernels (wrnn/kernels/narrow_products.hpp)
  // rather than Eigen's GEMM: for weights of 2 to narrow_max_rows rows, where they measured
  // faster (bench_readout, docs/kernels.md). One row is a matrix-vector product, which Eigen
  // does well.
  static constexpr Index narrow_max_rows = 100;
  // (Only asked where simd::available<Scalar> and for column-major inputs; elsewhere the kernels
  // do not compile.)
  bool narrow(std::size_t layer) const {
    const Index rows = layers_[layer].shape[0];
    return rows >= 2 && rows <= narrow_max_rows;
  }

  // out = W x + b for the layer whose weight is layers_[layer].
  template <class In, class Out>
  void affine(std::size_t layer, const In& in, Out& out) const {
    const Parameter<Scalar>& weight = layers_[layer];
    const Vector<Scalar>& bias = layers_[layer + 1].value;
    if constexpr (In::IsRowMajor) {
      static_assert(Out::IsRowMajor, "samples in lanes in and out");
      const Index cols = weight.shape[1];
      lanes::affine(weight.value.data(), cols, weight.shape[0], bias.data(), in.data(),
                    static_cast<const Index*>(nullptr), cols, out.data(), in.cols());
      return;
    }
    if constexpr (simd::available<Scalar> && !In::IsRowMajor) {
      if (narrow(layer)) {
        simd::narrow_affine(weight.value.data(), weight.shape[1], bias.data(), weight.shape[0],
                            weight.shape[1], in.data(), in.outerStride(), in.cols(), out.data(),
                            out.outerStride());
        return;
      }
    }
    out.noalias() = weight.matrix() * in;
    out.colwise() += bias;
  }

  template <class In, class Grad>
  void affine_backward(std::size_t layer, const In& in, const Grad& grad_out,
                       Scalar* const* grads) const {
    const Parameter<Scalar>& weight = layers_[layer];
    const Index rows = weight.shape[0], cols = weight.shape[1];
    // A null gradient: that parameter is frozen (Parameter::frozen).
    if (grads[layer + 1] != nullptr)
      VectorMap<Scalar>(grads[layer + 1], rows) += grad_out.rowwise().sum();
    if (grads[layer] == nullptr) return;
    if constexpr (In::IsRowMajor) {
      lanes::add_sample_products(grad_out.data(), rows, in.data(), cols, grads[layer], cols,
                                 in.cols());
      return;
    }
    if constexpr (simd::available<Scalar> && !In::IsRowMajor) {
      if (narrow(layer)) {
        simd::narrow_weight_gradient(grad_out.data(), grad_out.outerStride(), rows, in.data(),
                                     in.outerStride(), cols, in.cols(), grads[layer], cols);
        return;
      }
    }
    RowMatrixMap<Scalar>(grads[layer], rows, cols).noalias() += grad_out * in.transpose();
  }

  // grad_in += W^T grad_out for the layer whose weight is layers_[layer].
  template <class Grad, class GradIn>
  void add_input_gradient(std::size_t layer, const Grad& grad_out, GradIn& grad_in) const {
    const Parameter<Scalar>& weight = layers_[layer];
    if constexpr (GradIn::IsRowMajor) {
      static_assert(Grad::IsRowMajor, "samples in lanes in and out");
      lanes::add_transposed_product(weight.value.data(), weight.shape[1], weight.shape[0],
                                    weight.shape[1], grad_out.data(), grad_in.data(),
                                    grad_in.cols());
    } else {
      grad_in.noalias() += weight.matrix().transpose() * grad_out;
    }
  }

  ReadoutOptions options_;
  Index input_size_;
  std::vector<Parameter<Scalar>> layers_;  // weight, bias[, weight, bias]
};

}  // namespace wrnn
