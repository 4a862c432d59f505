// Every parameter's BPTT gradient against central finite differences, in double precision, over
// every readout kind x readout mode x loss x batch chunking: shared by the tests of every cell.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "sanitizer.hpp"

#include "wrnn/wrnn.hpp"

namespace wrnn_test {

using wrnn::Index;

template <class Model>
double loss_of(Model& model, const wrnn::Sequence<double>& x, const wrnn::Targets<double>& targets,
               wrnn::LossKind kind) {
  wrnn::Matrix<double> unused;
  return wrnn::compute_loss(kind, model.forward(x), targets, unused);
}

// Checks, for every parameter, ||fd - analytic|| / max(||fd||, ||analytic||) <= 1e-6 with central
// differences of step 1e-6, and that every parameter gets a non-zero gradient. Under the
// sanitizers (the suite's second pass, where a forward runs some 30 times slower) the backward
// still runs in full for every configuration, but only 16 evenly spaced coordinates of each
// parameter get a finite difference; the ordinary pass checks every coordinate.
template <class Model>
void check_gradients(Model& model, const wrnn::Sequence<double>& x,
                     const wrnn::Targets<double>& targets, wrnn::LossKind kind) {
  wrnn::Matrix<double> grad_outputs;
  wrnn::compute_loss(kind, model.forward(x), targets, grad_outputs);
  wrnn::zero_gradients(model.parameters());
  model.backward(grad_outputs);
  const double step = 1e-6;
  for (const auto& named : model.parameters()) {
    auto& p = *named.parameter;
    const Index stride = kUnderSanitizer ? std::max<Index>(1, p.size() / 16) : 1;
    const Index checked = (p.size() + stride - 1) / stride;
    wrnn::Vector<double> numeric(checked), analytic(checked);
    for (Index c = 0; c < checked; ++c) {
      const Index i = c * stride;
      const double saved = p.value[i];
      p.value[i] = saved + step;
      const double plus = loss_of(model, x, targets, kind);
      p.value[i] = saved - step;
      const double minus = loss_of(model, x, targets, kind);
      p.value[i] = saved;
      numeric[c] = (plus - minus) / (2 * step);
      analytic[c] = p.grad[i];
    }
    INFO(named.name << ": |numeric| = " << numeric.norm() << ", |analytic| = " << analytic.norm()
                    << " over " << checked << " of " << p.size() << " coordinates");
    CHECK(std::max(numeric.norm(), p.grad.norm()) > 0.0);
    const double scale = std::max(numeric.norm(), analytic.norm());
    if (scale > 0.0) {
      const double error = (numeric - analytic).norm() / scale;
      INFO(named.name << " relative error " << error);
      CHECK(error <= 1e-6);
    }
  }
}

// Every readout kind x readout mode x loss x batch chunk (one chunk, and chunks of 2 for B = 5).
// Parameters are drawn from U(-parameter_scale, parameter_scale) (larger than the default inits,
// so that gates saturate partly and every term of the backward equations matters) and inputs from
// U(-input_scale, input_scale), every third one set to zero.
template <class Cell>
void check_gradients_all_configurations(const typename Cell::Options& options,
                                        const std::string& label, double parameter_scale = 1.0,
                                        double input_scale = 1.5) {
  const Index T = 5, B = 5, d = options.input_size, classes = 4;
  for (auto kind : {wrnn::ReadoutKind::linear, wrnn::ReadoutKind::mlp})
    for (auto mode : {wrnn::ReadoutMode::every_step, wrnn::ReadoutMode::last_step})
      for (auto loss : {wrnn::LossKind::cross_entropy, wrnn::LossKind::mse})
        for (Index chunk : {Index{32}, Index{2}}) {
          wrnn::ReadoutOptions readout{classes, kind, mode, 7};
          wrnn::SequenceModel<Cell> model(options, readout, wrnn::ModelOptions{chunk});
          wrnn::Rng rng(42);
          model.init(rng);
          for (auto& named : model.parameters())
            for (Index i = 0; i < named.parameter->size(); ++i)
              named.parameter->value[i] = rng.uniform(-parameter_scale, parameter_scale);
          wrnn::Sequence<double> x(T, B, d);
          // Every third input exactly zero: the projection and its gradient skip zero inputs
          // (sequence_model.hpp), so both branches are checked.
          for (Index i = 0; i < T * B * d; ++i)
            x.data()[i] = i % 3 == 1 ? 0.0 : rng.uniform(-input_scale, input_scale);
          wrnn::Targets<double> targets;
          const Index columns = (mode == wrnn::ReadoutMode::every_step ? T : 1) * B;
          for (Index m = 0; m < columns; ++m)
            targets.classes.push_back(static_cast<int>(rng.uniform_int(0, classes)));
          targets.values = wrnn::Matrix<double>::Random(classes, columns);
          INFO(label << ", readout " << wrnn::to_string(kind) << " " << wrnn::to_string(mode)
                     << ", loss " << wrnn::to_string(loss) << ", batch chunk " << chunk);
          check_gradients(model, x, targets, loss);
        }
}

}  // namespace wrnn_test
