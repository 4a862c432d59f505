/// \file
/// Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_(parameters, max_norm).
#pragma once

#include <cmath>

#include "wrnn/core/parameter.hpp"

namespace wrnn {

/// The global norm of every gradient, sqrt(sum over all parameters of ||g||^2), summed in double.
template <class Scalar>
double gradient_norm(const ParameterList<Scalar>& parameters) {
  double sum = 0.0;
  for (const auto& named : parameters)
    sum += named.parameter->grad.template cast<double>().squaredNorm();
  return std::sqrt(sum);
}

/// Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_(parameters, max_norm):
///
///     total = sqrt(sum over all parameters of ||g||^2)
///     if max_norm / (total + 1e-6) < 1:  g <- g * max_norm / (total + 1e-6)
///
/// Returns the total norm before clipping (non-finite when a gradient is).
template <class Scalar>
double clip_gradient_norm(const ParameterList<Scalar>& parameters, double max_norm) {
  const double total = gradient_norm(parameters);
  const double coefficient = max_norm / (total + 1e-6);
  if (coefficient < 1.0)
    for (const auto& named : parameters) named.parameter->grad *= static_cast<Scalar>(coefficient);
  return total;
}

}  // namespace wrnn
