/// \file
/// A named, trainable tensor with its gradient.
///
/// Names and shapes follow the authors' PyTorch state_dict (docs/model.md, "Parameters and
/// names"): a cell owns "Wx.weight" [C*n, d], a model prefixes it as "cell.Wx.weight". Values are
/// stored row-major, the way PyTorch stores a contiguous tensor, so weights cross to PyTorch
/// without reordering.
#pragma once

#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn {

/// A named, trainable tensor and its gradient, stored flat and row-major as PyTorch stores it.
template <class Scalar>
struct Parameter {
  std::string name;          ///< The name within its owner: "Wx.weight", "bias", ...
  std::vector<Index> shape;  ///< PyTorch's shape: [out, in] for a Linear weight, [C, C, k], ...
  /// True for a bias: the paper counts weights and leaves biases out of its parameter counts.
  bool is_bias = false;
  Vector<Scalar> value;  ///< The values, row-major, product(shape) of them.
  /// dL/dvalue, same size; accumulated by backward passes. Empty while the parameter is frozen.
  Vector<Scalar> grad;

  /// A tensor of `shape_` (value and gradient zero).
  Parameter(std::string name_, std::vector<Index> shape_, bool is_bias_)
      : name(std::move(name_)), shape(std::move(shape_)), is_bias(is_bias_) {
    const Index count =
        std::accumulate(shape.begin(), shape.end(), Index{1}, std::multiplies<Index>());
    value = Vector<Scalar>::Zero(count);
    grad = Vector<Scalar>::Zero(count);
  }

  /// Number of values: the product of the shape.
  Index size() const { return value.size(); }

  /// Whether the parameter is kept at its value (the authors' --freeze_rnn and --freeze_encoder,
  /// PyTorch's requires_grad = False): backward passes compute no gradient for it, its grad is
  /// empty (grad.data() is null, which tells the backward code to skip it), and an optimizer
  /// built while it is frozen neither updates it nor keeps state for it.
  bool frozen() const { return frozen_; }
  /// Freezes the parameter (its gradient is released) or unfreezes it (a zero gradient).
  /// Freeze before building the optimizer: the optimizer sizes its state from it.
  void set_frozen(bool frozen) {
    frozen_ = frozen;
    if (frozen)
      grad = Vector<Scalar>();
    else if (grad.size() != size())
      grad = Vector<Scalar>::Zero(size());
  }

  /// The tensor as a matrix [shape[0], product of the rest], row-major as PyTorch's
  /// .view(rows, -1).
  RowMatrixMap<Scalar> matrix() { return {value.data(), shape[0], size() / shape[0]}; }
  /// The tensor as a read-only matrix [shape[0], product of the rest].
  ConstRowMatrixMap<Scalar> matrix() const { return {value.data(), shape[0], size() / shape[0]}; }
  /// The gradient as a matrix [shape[0], product of the rest].
  RowMatrixMap<Scalar> grad_matrix() { return {grad.data(), shape[0], size() / shape[0]}; }

 private:
  bool frozen_ = false;
};

/// A parameter seen from a model: its full name ("cell.Wx.weight") and the tensor.
template <class Scalar>
struct NamedParameter {
  std::string name;              ///< The full name, prefixed by its owners: "cell.Wx.weight".
  Parameter<Scalar>* parameter;  ///< The tensor, owned by the model.
};

/// Every parameter of a model, in a fixed order, with its full name.
template <class Scalar>
using ParameterList = std::vector<NamedParameter<Scalar>>;

/// Adds "prefix." in front of every name of a component's parameters and appends them to `list`.
template <class Scalar>
void append_prefixed(ParameterList<Scalar>& list, const std::string& prefix,
                     std::vector<Parameter<Scalar>*> parameters) {
  for (Parameter<Scalar>* p : parameters) list.push_back({prefix + "." + p->name, p});
}

/// Number of weights the way the paper counts them: every parameter except biases.
template <class Scalar>
Index count_weights(const ParameterList<Scalar>& list) {
  Index total = 0;
  for (const auto& named : list)
    if (!named.parameter->is_bias) total += named.parameter->size();
  return total;
}

/// Freezes (or unfreezes) the parameters of `list` whose full name is in `names`, in order
/// ("cell.Wy.weight"); see Parameter::set_frozen.
/// \throws ValueError naming the first name that is not a parameter of the list, before any
///         parameter changes.
template <class Scalar>
void set_frozen(const ParameterList<Scalar>& list, const std::vector<std::string>& names,
                bool frozen = true) {
  std::vector<Parameter<Scalar>*> found;
  for (const std::string& name : names) {
    Parameter<Scalar>* match = nullptr;
    for (const auto& named : list)
      if (named.name == name) match = named.parameter;
    if (match == nullptr) {
      std::string known;
      for (const auto& named : list) known += (known.empty() ? "" : ", ") + named.name;
      throw ValueError("set_frozen: expected a parameter name (" + known + "), received '" + name +
                       "'");
    }
    found.push_back(match);
  }
  for (Parameter<Scalar>* parameter : found) parameter->set_frozen(frozen);
}

/// Sets every parameter's gradient to zero.
template <class Scalar>
void zero_gradients(const ParameterList<Scalar>& list) {
  for (const auto& named : list) named.parameter->grad.setZero();
}

}  // namespace wrnn
