/// \file
/// Pointwise activations of the recurrent cells, and their derivatives written in terms of the
/// activation's output y = act(z), which is what the BPTT tape keeps:
///
///     relu:     y = max(z, 0)   dy/dz = [y > 0]      (PyTorch's convention: 0 at z = 0)
///     tanh:     y = tanh(z)     dy/dz = 1 - y^2
///     identity: y = z           dy/dz = 1
#pragma once

#include <string>

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn {

/// The pointwise activation of a recurrent cell's state update.
enum class Activation {
  relu,     ///< y = max(z, 0)
  tanh,     ///< y = tanh(z)
  identity  ///< y = z
};

/// The activation's name as parse_activation() reads it: "relu", "tanh" or "identity".
inline std::string to_string(Activation activation) {
  switch (activation) {
    case Activation::relu:
      return "relu";
    case Activation::tanh:
      return "tanh";
    case Activation::identity:
      return "identity";
  }
  return "unknown";
}

/// The activation named `name` ("relu", "tanh", "identity" or its synonym "linear").
/// \throws ValueError for any other name.
inline Activation parse_activation(const std::string& name) {
  if (name == "relu") return Activation::relu;
  if (name == "tanh") return Activation::tanh;
  if (name == "identity" || name == "linear") return Activation::identity;
  throw ValueError("activation: expected one of relu, tanh, identity, received '" + name + "'");
}

/// values <- act(values), in place.
template <class Derived>
void apply_activation(Activation activation, Eigen::DenseBase<Derived>& values) {
  using Scalar = typename Derived::Scalar;
  switch (activation) {
    case Activation::relu:
      values.derived() = values.derived().cwiseMax(Scalar(0));
      break;
    case Activation::tanh:
      values.derived() = values.derived().array().tanh().matrix();
      break;
    case Activation::identity:
      break;
  }
}

/// result = gradient * act'(z), with act'(z) computed from the output y = act(z): one pass
/// over the three (result may be gradient itself). All three have the same shape.
template <class OutputDerived, class GradientDerived, class ResultDerived>
void activation_gradient(Activation activation, const Eigen::MatrixBase<OutputDerived>& output,
                         const Eigen::MatrixBase<GradientDerived>& gradient,
                         Eigen::MatrixBase<ResultDerived>& result) {
  using Scalar = typename ResultDerived::Scalar;
  switch (activation) {
    case Activation::relu:
      result.derived() = (output.array() > Scalar(0)).select(gradient.array(), Scalar(0)).matrix();
      break;
    case Activation::tanh:
      result.derived() = (gradient.array() * (Scalar(1) - output.array().square())).matrix();
      break;
    case Activation::identity:
      result.derived() = gradient;
      break;
  }
}

}  // namespace wrnn
