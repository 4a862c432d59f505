/// \file
/// The four parameters every cell of wrnn has, in one place (CellParameters).
#pragma once

#include <utility>
#include <vector>

#include "wrnn/cells/initialization.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/core/rng.hpp"

namespace wrnn {

/// The four parameters every cell of wrnn has: the input projection Wx, bx and the recurrent
/// weight and bias.
///
/// Each cell derives from CellParameters, which owns the tensors and gives the accessors and the
/// parameters() order of the cell concept (cell_concept.hpp); the cell names and shapes them (the
/// authors' "Wx.weight", "Wy.weight" or PyTorch's "weight_ih_l0") and says what the recurrent
/// weight means.
template <class Scalar>
class CellParameters {
 public:
  /// The order of parameters(), and of the gradient pointers backward_step receives.
  enum ParameterIndex {
    kInputWeight,      ///< Wx [P, d]
    kInputBias,        ///< bx [P]
    kRecurrentWeight,  ///< the recurrent weight (the cell gives its shape)
    kRecurrentBias     ///< the recurrent bias
  };

  Parameter<Scalar>& input_weight() { return input_weight_; }              ///< Wx [P, d].
  Parameter<Scalar>& input_bias() { return input_bias_; }                  ///< bx [P].
  const Parameter<Scalar>& input_weight() const { return input_weight_; }  ///< Wx [P, d].
  const Parameter<Scalar>& input_bias() const { return input_bias_; }      ///< bx [P].
  /// The recurrent weight (the wave cell's convolution kernel, a dense cell's U, ...).
  Parameter<Scalar>& recurrent_weight() { return recurrent_weight_; }
  /// The recurrent bias.
  Parameter<Scalar>& recurrent_bias() { return recurrent_bias_; }
  /// The recurrent weight, read-only.
  const Parameter<Scalar>& recurrent_weight() const { return recurrent_weight_; }
  /// The recurrent bias, read-only.
  const Parameter<Scalar>& recurrent_bias() const { return recurrent_bias_; }

  /// The four tensors in ParameterIndex order (input weight and bias first, as the cell concept
  /// requires); names relative to the cell.
  std::vector<Parameter<Scalar>*> parameters() {
    return {&input_weight_, &input_bias_, &recurrent_weight_, &recurrent_bias_};
  }

  /// Takes the four tensors. A cell builds them in a static function that validates the options
  /// first (a cell derives from this class, so it is built before any member of the cell).
  CellParameters(Parameter<Scalar> input_weight, Parameter<Scalar> input_bias,
                 Parameter<Scalar> recurrent_weight, Parameter<Scalar> recurrent_bias)
      : input_weight_(std::move(input_weight)),
        input_bias_(std::move(input_bias)),
        recurrent_weight_(std::move(recurrent_weight)),
        recurrent_bias_(std::move(recurrent_bias)) {}

  /// torch.nn.LSTM's and GRU's tensors for `gates` gates of H units (options: input_size d and
  /// hidden_size H, validated): weight_ih_l0 [gates*H, d], bias_ih_l0 [gates*H], weight_hh_l0
  /// [gates*H, H], bias_hh_l0 [gates*H].
  template <class GatedOptions>
  static CellParameters like_pytorch_rnn(Index gates, const GatedOptions& options) {
    const Index rows = gates * options.hidden_size;
    return CellParameters(Parameter<Scalar>("weight_ih_l0", {rows, options.input_size}, false),
                          Parameter<Scalar>("bias_ih_l0", {rows}, true),
                          Parameter<Scalar>("weight_hh_l0", {rows, options.hidden_size}, false),
                          Parameter<Scalar>("bias_hh_l0", {rows}, true));
  }

 protected:
  /// torch.nn.LSTM's and GRU's reset_parameters: every tensor U(-1/sqrt(H), 1/sqrt(H)), drawn in
  /// PyTorch's order weight_ih, weight_hh, bias_ih, bias_hh (so the same seed gives the same
  /// numbers as a PyTorch run drawing from the same stream would).
  void init_like_pytorch_rnn(Index hidden_size, Rng& rng) {
    for (Parameter<Scalar>* p :
         {&input_weight_, &recurrent_weight_, &input_bias_, &recurrent_bias_})
      fill_pytorch_default(*p, hidden_size, rng);
  }

  Parameter<Scalar> input_weight_;      ///< Wx [P, d].
  Parameter<Scalar> input_bias_;        ///< bx [P].
  Parameter<Scalar> recurrent_weight_;  ///< The recurrent weight.
  Parameter<Scalar> recurrent_bias_;    ///< The recurrent bias.
};

}  // namespace wrnn
