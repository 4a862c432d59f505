// Every cell's float gradients, through SequenceModel with a readout and a loss, against the same
// model in double as the oracle (test_gradients and the cells' own tests check the double model
// against finite differences): the float path runs other kernels (float tiles, other vector
// widths, the Winograd lanes kernels where the shape allows), which no double test reaches. This
// file is compiled at every SIMD level (portable, x86-64-v3, x86-64-v4; tests/CMakeLists.txt), so
// each level's float kernels are checked. Shapes include the Winograd lanes ones (wave k = 3,
// C >= 8, n a multiple of 4), input widths on each projection path (few, many and more than 16
// inputs), and batches over several chunks with a remainder past the last whole SIMD vector.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "wrnn/wrnn.hpp"

namespace test_float_gradients {  // see "unity groups" in tests/CMakeLists.txt

using wrnn::Index;

namespace {

struct Run {
  Index steps, batch, chunk;
  wrnn::ReadoutOptions readout;
  wrnn::LossKind loss;
};

// The largest |a - b| over the largest |b|: the error of a against b, per element, relative to
// the tensor's scale (a per-element check, so one wrong element cannot hide in a norm).
template <class A, class B>
double elementwise_error(const A& actual, const B& expected) {
  const double scale = expected.cwiseAbs().maxCoeff();
  return scale > 0.0 ? (actual - expected).cwiseAbs().maxCoeff() / scale : 0.0;
}

// Runs the float and the double model of `options` on the same float-representable weights,
// inputs and targets, and compares the outputs, the loss and every parameter's gradient.
//
// Tolerance: float rounds each operation to 2^-24 = 6e-8 relative. A gradient is a sum over the
// batch and the steps of products that the forward's rounding has already perturbed, and the
// reverse sweep carries errors back through T Jacobians: with T <= 6 and weights drawn from
// U(-0.5, 0.5) the float gradients here stay within 1.1e-6 of each tensor's largest value, the
// outputs within 1.1e-6 of theirs (portable -O1 build). 3e-5 and 1e-5 leave room for other
// summation orders (FMA, wider vectors), and still fail a single element off by 1e-4 of its
// tensor's scale (one wrong tap, lane or remainder column).
template <template <class> class Cell>
void check_float_against_double(const typename Cell<double>::Options& options, const Run& run,
                                const std::string& label) {
  INFO(label << ": T " << run.steps << ", B " << run.batch << ", chunk " << run.chunk
             << ", readout " << wrnn::to_string(run.readout.kind) << " "
             << wrnn::to_string(run.readout.mode) << ", loss " << wrnn::to_string(run.loss));
  wrnn::SequenceModel<Cell<double>> oracle(options, run.readout, wrnn::ModelOptions{run.chunk});
  wrnn::SequenceModel<Cell<float>> model(options, run.readout, wrnn::ModelOptions{run.chunk});
  REQUIRE(oracle.parameters().size() == model.parameters().size());
  wrnn::Rng rng(2024);
  for (std::size_t p = 0; p < model.parameters().size(); ++p) {
    wrnn::Parameter<float>& single = *model.parameters()[p].parameter;
    wrnn::Parameter<double>& reference = *oracle.parameters()[p].parameter;
    REQUIRE(single.size() == reference.size());
    for (Index i = 0; i < single.size(); ++i) {
      single.value[i] = static_cast<float>(rng.uniform(-0.5, 0.5));
      reference.value[i] = single.value[i];
    }
  }
  const Index T = run.steps, B = run.batch, d = options.input_size;
  wrnn::Sequence<float> x(T, B, d);
  // Every third input zero (the projections skip zero inputs); input 1 of 3+ is zero in every
  // sample at step 2 (a row of zeros for the samples-in-lanes projection).
  for (Index t = 0; t < T; ++t)
    for (Index b = 0; b < B; ++b)
      for (Index j = 0; j < d; ++j)
        x(t, b, j) = (t * B * d + b * d + j) % 3 == 1 || (t == 2 && j == 1)
                         ? 0.0f
                         : static_cast<float>(rng.uniform(-1.5, 1.5));
  wrnn::Sequence<double> x_double(T, B, d);
  for (Index i = 0; i < T * B * d; ++i) x_double.data()[i] = x.data()[i];
  const Index o = run.readout.output_size;
  const Index columns = (run.readout.mode == wrnn::ReadoutMode::every_step ? T : 1) * B;
  wrnn::Targets<float> targets;
  wrnn::Targets<double> targets_double;
  targets.values.resize(o, columns);
  for (Index m = 0; m < columns; ++m) {
    targets.classes.push_back(static_cast<int>(rng.uniform_int(0, o)));
    for (Index r = 0; r < o; ++r) targets.values(r, m) = static_cast<float>(rng.uniform(-1, 1));
  }
  targets_double.classes = targets.classes;
  targets_double.values = targets.values.cast<double>();

  wrnn::Matrix<float> grad_outputs;
  wrnn::Matrix<double> grad_outputs_double;
  const wrnn::Matrix<float>& outputs = model.forward(x);
  const wrnn::Matrix<double>& outputs_double = oracle.forward(x_double);
  CHECK(elementwise_error(outputs.cast<double>(), outputs_double) <= 1e-5);
  const double loss = wrnn::compute_loss(run.loss, outputs, targets, grad_outputs);
  const double loss_double =
      wrnn::compute_loss(run.loss, outputs_double, targets_double, grad_outputs_double);
  CHECK(std::abs(loss - loss_double) <= 1e-5 * std::abs(loss_double));
  wrnn::zero_gradients(model.parameters());
  wrnn::zero_gradients(oracle.parameters());
  model.backward(grad_outputs);
  oracle.backward(grad_outputs_double);
  for (std::size_t p = 0; p < model.parameters().size(); ++p) {
    const auto& named = oracle.parameters()[p];
    const wrnn::Vector<double> single =
        model.parameters()[p].parameter->grad.template cast<double>();
    const double error = elementwise_error(single, named.parameter->grad);
    INFO(named.name << ": largest |gradient| " << named.parameter->grad.cwiseAbs().maxCoeff()
                    << ", float error " << error << " of it");
    CHECK(named.parameter->grad.cwiseAbs().maxCoeff() > 0.0);
    CHECK(error <= 3e-5);
  }
}

wrnn::WaveCellOptions wave(Index d, Index C, Index n, Index k, wrnn::Activation activation) {
  wrnn::WaveCellOptions options;
  options.input_size = d;
  options.channels = C;
  options.ring_size = n;
  options.kernel_size = k;
  options.activation = activation;
  return options;
}

constexpr auto linear = wrnn::ReadoutKind::linear;
constexpr auto mlp = wrnn::ReadoutKind::mlp;
constexpr auto every_step = wrnn::ReadoutMode::every_step;
constexpr auto last_step = wrnn::ReadoutMode::last_step;
constexpr auto cross_entropy = wrnn::LossKind::cross_entropy;
constexpr auto mse = wrnn::LossKind::mse;

}  // namespace

TEST_CASE("wave cell float gradients match the double model's", "[gradients][float][wave]") {
  // Winograd lanes shapes (k = 3, C >= 8, n a multiple of 4): 70 samples in chunks of 32, 32, 6.
  check_float_against_double<wrnn::WaveCell>(wave(3, 8, 12, 3, wrnn::Activation::tanh),
                                             {6, 70, 32, {4, linear, every_step}, cross_entropy},
                                             "wave d=3 C=8 n=12 k=3 tanh");
  // 17 inputs: the projection as one product per step; 37 samples in chunks of 32 and 5.
  check_float_against_double<wrnn::WaveCell>(wave(17, 16, 8, 3, wrnn::Activation::relu),
                                             {5, 37, 32, {3, mlp, last_step, 6}, mse},
                                             "wave d=17 C=16 n=8 k=3 relu");
  // The direct kernels (k = 5, C = 3, n = 7: no vector-sized ring); 6 inputs in use at most
  // steps (the projection gradient's pass over all inputs at once); chunks of 4, 4, 1.
  check_float_against_double<wrnn::WaveCell>(wave(6, 3, 7, 5, wrnn::Activation::relu),
                                             {6, 9, 4, {5, mlp, every_step, 7}, cross_entropy},
                                             "wave d=6 C=3 n=7 k=5 relu");
  // The direct kernels at a Winograd-sized ring with too few channels (C = 7); one chunk.
  check_float_against_double<wrnn::WaveCell>(wave(2, 7, 16, 3, wrnn::Activation::identity),
                                             {4, 19, 32, {2, linear, last_step}, mse},
                                             "wave d=2 C=7 n=16 k=3 identity");
}

TEST_CASE("dense cell (iRNN) float gradients match the double model's",
          "[gradients][float][dense]") {
  wrnn::DenseCellOptions options;
  options.input_size = 3;
  options.hidden_size = 24;
  options.activation = wrnn::Activation::tanh;
  check_float_against_double<wrnn::DenseCell>(
      options, {6, 40, 16, {4, linear, every_step}, cross_entropy}, "dense d=3 N=24 tanh");
  options.input_size = 17;
  options.hidden_size = 13;
  options.activation = wrnn::Activation::relu;
  check_float_against_double<wrnn::DenseCell>(options, {5, 9, 32, {3, mlp, last_step, 5}, mse},
                                              "dense d=17 N=13 relu");
}

TEST_CASE("LSTM float gradients match the double model's", "[gradients][float][lstm]") {
  check_float_against_double<wrnn::LSTMCell>(
      {3, 8}, {6, 35, 16, {4, linear, every_step}, cross_entropy}, "LSTM d=3 H=8");
  check_float_against_double<wrnn::LSTMCell>({17, 5}, {4, 7, 32, {3, mlp, last_step, 6}, mse},
                                             "LSTM d=17 H=5");
}

TEST_CASE("GRU float gradients match the double model's", "[gradients][float][gru]") {
  check_float_against_double<wrnn::GRUCell>(
      {3, 8}, {6, 35, 16, {4, linear, every_step}, cross_entropy}, "GRU d=3 H=8");
  check_float_against_double<wrnn::GRUCell>({17, 5}, {4, 7, 32, {3, mlp, last_step, 6}, mse},
                                            "GRU d=17 H=5");
}

}  // namespace test_float_gradients
