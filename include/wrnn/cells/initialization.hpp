/// \file
/// Initialisations shared by the wave and dense cells (docs/model.md, "Initialisations").
#pragma once

#include <cmath>
#include <string>

#include "wrnn/core/error.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/core/rng.hpp"

namespace wrnn {

/// The recurrent weights' start: the paper's ablation shows this choice is the largest effect.
enum class RecurrentInit {
  shift,     ///< activity moves one unit per step around the ring (code name 'fwd')
  identity,  ///< activity stays where it is (code name 'eye'; the iRNN)
  random     ///< PyTorch's default init
};

/// The input weights' start. The authors give each model its own (docs/model.md, "Defaults"):
/// the wave model solo, the iRNN normal on the memory tasks and PyTorch's Linear default on the
/// image tasks.
enum class InputInit {
  solo,            ///< V = 0 except unit 0 of every channel, which gets weight 1 from every input
  normal,          ///< V ~ N(0, 0.001^2), b_V PyTorch's default (the authors' solo_init 'no')
  pytorch_default  ///< V and b_V ~ U(-1/sqrt(d), 1/sqrt(d)), PyTorch's nn.Linear default
};

/// The name parse_recurrent_init() reads: "shift", "identity" or "random".
inline std::string to_string(RecurrentInit init) {
  switch (init) {
    case RecurrentInit::shift:
      return "shift";
    case RecurrentInit::identity:
      return "identity";
    case RecurrentInit::random:
      return "random";
  }
  return "unknown";
}

/// The name parse_input_init() reads: "solo", "normal" or "pytorch".
inline std::string to_string(InputInit init) {
  switch (init) {
    case InputInit::solo:
      return "solo";
    case InputInit::normal:
      return "normal";
    case InputInit::pytorch_default:
      return "pytorch";
  }
  return "unknown";
}

/// The init named `name`: "shift" (or the authors' "fwd"), "identity" (or "eye"), "random".
/// \throws ValueError for any other name.
inline RecurrentInit parse_recurrent_init(const std::string& name) {
  if (name == "shift" || name == "fwd") return RecurrentInit::shift;
  if (name == "identity" || name == "eye") return RecurrentInit::identity;
  if (name == "random") return RecurrentInit::random;
  throw ValueError("recurrent init: expected one of shift, identity, random, received '" + name +
                   "'");
}

/// The init named `name`: "solo", "normal" or "pytorch". \throws ValueError for any other name.
inline InputInit parse_input_init(const std::string& name) {
  if (name == "solo") return InputInit::solo;
  if (name == "normal") return InputInit::normal;
  if (name == "pytorch") return InputInit::pytorch_default;
  throw ValueError("input init: expected one of solo, normal, pytorch, received '" + name + "'");
}

/// PyTorch's default for Linear and Conv1d weights and biases: U(-1/sqrt(fan_in),
/// 1/sqrt(fan_in)).
template <class Scalar>
void fill_pytorch_default(Parameter<Scalar>& parameter, Index fan_in, Rng& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  for (Index i = 0; i < parameter.size(); ++i)
    parameter.value[i] = static_cast<Scalar>(rng.uniform(-bound, bound));
}

/// Initialises the input Linear V [C*n, d] and b_V [C*n] of `channels` rings of `ring_size`
/// units as `init` says.
template <class Scalar>
void init_input_projection(Parameter<Scalar>& weight, Parameter<Scalar>& bias, InputInit init,
                           Index channels, Index ring_size, Rng& rng) {
  const Index input_size = weight.shape[1];
  if (init == InputInit::solo) {
    weight.value.setZero();
    bias.value.setZero();
    auto matrix = weight.matrix();  // row c*n + i is unit i of channel c
    for (Index c = 0; c < channels; ++c) matrix.row(c * ring_size).setOnes();
  } else if (init == InputInit::normal) {
    for (Index i = 0; i < weight.size(); ++i)
      weight.value[i] = static_cast<Scalar>(rng.normal(0.0, 0.001));
    fill_pytorch_default(bias, input_size, rng);
  } else {
    fill_pytorch_default(weight, input_size, rng);
    fill_pytorch_default(bias, input_size, rng);
  }
}

}  // namespace wrnn
