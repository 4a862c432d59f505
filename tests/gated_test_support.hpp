// Shared by tests/test_lstm.cpp and tests/test_gru.cpp: the finite-difference gradient check over
// every readout/loss/chunking configuration, the deterministic weights and inputs of
// tests/pytorch_reference_gated.py, and a malloc counter for the allocation-free streaming step.
//
// Include from exactly one translation unit per test program: it defines malloc.
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "wrnn/wrnn.hpp"

namespace gated_test {

using wrnn::Index;

// ---- finite differences (the pattern of tests/test_gradients.cpp) ----

template <class Model>
double loss_of(Model& model, const wrnn::Sequence<double>& x, const wrnn::Targets<double>& targets,
               wrnn::LossKind kind) {
  wrnn::Matrix<double> unused;
  return wrnn::compute_loss(kind, model.forward(x), targets, unused);
}

// Checks, for every parameter, ||fd - analytic|| / max(||fd||, ||analytic||) <= 1e-6 with central
// differences of step 1e-6, and that every parameter gets a non-zero gradient.
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
    wrnn::Vector<double> numeric(p.size());
    for (Index i = 0; i < p.size(); ++i) {
      const double saved = p.value[i];
      p.value[i] = saved + step;
      const double plus = loss_of(model, x, targets, kind);
      p.value[i] = saved - step;
      const double minus = loss_of(model, x, targets, kind);
      p.value[i] = saved;
      numeric[i] = (plus - minus) / (2 * step);
    }
    const double scale = std::max(numeric.norm(), p.grad.norm());
    INFO(named.name << ": |numeric| = " << numeric.norm() << ", |analytic| = " << p.grad.norm());
    CHECK(scale > 0.0);
    if (scale > 0.0) {
      const double error = (numeric - p.grad).norm() / scale;
      INFO(named.name << " relative error " << error);
      CHECK(error <= 1e-6);
    }
  }
}

// Every readout kind x readout mode x loss x batch chunk (one chunk, and chunks of 2 for B = 5).
template <class Cell>
void check_gradients_all_configurations(const typename Cell::Options& options,
                                        const std::string& label) {
  const Index T = 5, B = 5, d = options.input_size, classes = 4;
  for (auto kind : {wrnn::ReadoutKind::linear, wrnn::ReadoutKind::mlp})
    for (auto mode : {wrnn::ReadoutMode::every_step, wrnn::ReadoutMode::last_step})
      for (auto loss : {wrnn::LossKind::cross_entropy, wrnn::LossKind::mse})
        for (Index chunk : {Index{32}, Index{2}}) {
          wrnn::ReadoutOptions readout{classes, kind, mode, 7};
          wrnn::SequenceModel<Cell> model(options, readout, wrnn::ModelOptions{chunk});
          wrnn::Rng rng(42);
          model.init(rng);
          // Larger than PyTorch's U(-1/sqrt(H), 1/sqrt(H)) so that gates saturate partly and
          // every term of the backward equations matters.
          for (auto& named : model.parameters())
            for (Index i = 0; i < named.parameter->size(); ++i)
              named.parameter->value[i] = rng.uniform(-1.0, 1.0);
          wrnn::Sequence<double> x(T, B, d);
          for (Index i = 0; i < T * B * d; ++i) x.data()[i] = rng.uniform(-1.5, 1.5);
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

// Random parameters U(-scale, scale) and inputs U(-1.5, 1.5).
template <class Model, class Scalar>
void randomize(Model& model, wrnn::Sequence<Scalar>& x, double scale, std::uint64_t seed) {
  wrnn::Rng rng(seed);
  for (auto& named : model.parameters())
    for (Index i = 0; i < named.parameter->size(); ++i)
      named.parameter->value[i] = static_cast<Scalar>(rng.uniform(-scale, scale));
  for (Index i = 0; i < x.steps() * x.batch() * x.features(); ++i)
    x.data()[i] = static_cast<Scalar>(rng.uniform(-1.5, 1.5));
}

// ---- the deterministic values of tests/pytorch_reference_gated.py ----

constexpr Index kRefSteps = 5, kRefBatch = 3, kRefInput = 3, kRefHidden = 4, kRefOutput = 2;

inline int reference_key(const std::string& full_name) {
  const char* names[] = {"cell.weight_ih_l0", "cell.weight_hh_l0", "cell.bias_ih_l0",
                         "cell.bias_hh_l0",   "readout.weight",    "readout.bias"};
  for (int k = 0; k < 6; ++k)
    if (full_name == names[k]) return k;
  FAIL("no reference values for parameter " << full_name);
  return -1;
}
inline double reference_value(int key, Index i) {
  return 0.5 * std::sin(0.37 * static_cast<double>(i) + 1.3 * key);
}
inline double reference_input(Index i) {
  return std::cos(0.29 * static_cast<double>(i) + 0.4);
}
inline double reference_target(Index i) {
  return 0.5 * std::sin(0.41 * static_cast<double>(i) - 0.2);
}

// Loads the script's weights into a model (linear readout, o = 2) and returns its inputs and
// MSE targets.
template <class Model>
void load_reference(Model& model, wrnn::Sequence<double>& x, wrnn::Targets<double>& targets) {
  for (const auto& named : model.parameters()) {
    const int key = reference_key(named.name);
    for (Index i = 0; i < named.parameter->size(); ++i)
      named.parameter->value[i] = reference_value(key, i);
  }
  x.resize(kRefSteps, kRefBatch, kRefInput);
  for (Index i = 0; i < kRefSteps * kRefBatch * kRefInput; ++i) x.data()[i] = reference_input(i);
  // Output column t*B + b, row k is element (t*B + b)*o + k of the script's y[T][B][o].
  targets.values.resize(kRefOutput, kRefSteps * kRefBatch);
  for (Index i = 0; i < targets.values.size(); ++i) targets.values.data()[i] = reference_target(i);
}

// ---- counting heap allocations ----

// Counts calls of malloc while counting_enabled is set: operator new and Eigen's allocator both
// end in malloc. glibc only (it exports __libc_malloc for exactly this kind of interposition).
inline bool counting_enabled = false;
inline long malloc_calls = 0;
#if defined(__GLIBC__)
constexpr bool kCanCountAllocations = true;
#else
constexpr bool kCanCountAllocations = false;
#endif

}  // namespace gated_test

#if defined(__GLIBC__)
extern "C" void* __libc_malloc(std::size_t size);
extern "C" void* malloc(std::size_t size) noexcept {
  if (gated_test::counting_enabled) ++gated_test::malloc_calls;
  return __libc_malloc(size);
}
#endif

namespace gated_test {

// Heap allocations made by f().
template <class F>
long count_allocations(F&& f) {
  malloc_calls = 0;
  counting_enabled = true;
  f();
  counting_enabled = false;
  return malloc_calls;
}

}  // namespace gated_test
