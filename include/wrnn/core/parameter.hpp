// A named, trainable tensor with its gradient.
//
// Names and shapes follow the authors' PyTorch state_dict (PAPER.md section 1): a cell owns
// "Wx.weight" [C*n, d], a model prefixes it as "cell.Wx.weight". Values are stored row-major, the
// way PyTorch stores a contiguous tensor, so weights cross to PyTorch without reordering.
#pragma once

#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn {

template <class Scalar>
struct Parameter {
  std::string name;
  std::vector<Index> shape;
  // The paper counts weights and leaves biases out of its parameter counts.
  bool is_bias = false;
  Vector<Scalar> value;
  Vector<Scalar> grad;

  Parameter(std::string name_, std::vector<Index> shape_, bool is_bias_)
      : name(std::move(name_)), shape(std::move(shape_)), is_bias(is_bias_) {
    const Index count =
        std::accumulate(shape.begin(), shape.end(), Index{1}, std::multiplies<Index>());
    value = Vector<Scalar>::Zero(count);
    grad = Vector<Scalar>::Zero(count);
  }

  Index size() const { return value.size(); }

  // The tensor as a matrix [shape[0], product of the rest], row-major as PyTorch's .view(rows, -1).
  RowMatrixMap<Scalar> matrix() { return {value.data(), shape[0], size() / shape[0]}; }
  ConstRowMatrixMap<Scalar> matrix() const { return {value.data(), shape[0], size() / shape[0]}; }
  RowMatrixMap<Scalar> grad_matrix() { return {grad.data(), shape[0], size() / shape[0]}; }
};

// A parameter seen from a model: its full name ("cell.Wx.weight") and the tensor.
template <class Scalar>
struct NamedParameter {
  std::string name;
  Parameter<Scalar>* parameter;
};

template <class Scalar>
using ParameterList = std::vector<NamedParameter<Scalar>>;

// Adds "prefix." in front of every name of a component's parameters.
template <class Scalar>
void append_prefixed(ParameterList<Scalar>& list, const std::string& prefix,
                     std::vector<Parameter<Scalar>*> parameters) {
  for (Parameter<Scalar>* p : parameters) list.push_back({prefix + "." + p->name, p});
}

// Number of weights the way the paper counts them: every parameter except biases.
template <class Scalar>
Index count_weights(const ParameterList<Scalar>& list) {
  Index total = 0;
  for (const auto& named : list)
    if (!named.parameter->is_bias) total += named.parameter->size();
  return total;
}

template <class Scalar>
void zero_gradients(const ParameterList<Scalar>& list) {
  for (const auto& named : list) named.parameter->grad.setZero();
}

}  // namespace wrnn
