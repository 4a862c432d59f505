// Every parameter's BPTT gradient against central finite differences, in double precision, for
// each cell x activation x readout kind x readout mode x loss, with one and several batch chunks.
#include <catch2/catch.hpp>

#include "support/gradient_check.hpp"
#include "wrnn/wrnn.hpp"

namespace test_gradients {  // see "unity groups" in tests/CMakeLists.txt

namespace {

// The wave and dense cells under each activation, with random recurrent and input inits.
template <class Cell>
void check_all_activations(typename Cell::Options options, const std::string& label) {
  for (auto activation :
       {wrnn::Activation::relu, wrnn::Activation::tanh, wrnn::Activation::identity}) {
    options.activation = activation;
    options.recurrent_init = wrnn::RecurrentInit::random;
    options.input_init = wrnn::InputInit::normal;
    wrnn_test::check_gradients_all_configurations<Cell>(
        options, label + ", activation " + wrnn::to_string(activation), 0.6, 1.0);
  }
}

}  // namespace

TEST_CASE("wave cell gradients match finite differences", "[gradients][wave]") {
  wrnn::WaveCellOptions options;
  options.input_size = 3;
  options.channels = 2;
  options.ring_size = 5;
  options.kernel_size = 3;
  check_all_activations<wrnn::WaveCell<double>>(options, "wave C=2 n=5 k=3");
  options.kernel_size = 5;
  options.channels = 3;
  options.ring_size = 4;
  check_all_activations<wrnn::WaveCell<double>>(options, "wave C=3 n=4 k=5");
}

TEST_CASE("input projection gradients match finite differences for wide inputs",
          "[gradients][wave]") {
  // Up to 16 inputs the model projects per sample on a column-major copy of Wx, from 17 on with
  // one GEMM per step (column_projection.hpp, narrow_input_limit): the other path, checked here.
  wrnn::WaveCellOptions options;
  options.input_size = 17;
  options.channels = 2;
  options.ring_size = 3;
  options.recurrent_init = wrnn::RecurrentInit::random;
  options.input_init = wrnn::InputInit::normal;
  wrnn_test::check_gradients_all_configurations<wrnn::WaveCell<double>>(options,
                                                                        "wave d=17 C=2 n=3");
}

TEST_CASE("input projection gradients match finite differences with many inputs in use",
          "[gradients][wave]") {
  // With samples in lanes and at least lanes::transposing_rows inputs not zero at a step, dWx
  // takes one pass over dL/dp_t for all inputs (lane_projection.hpp, add_gradients); the
  // other tests use 3 inputs. Batch 19: two whole vectors of doubles and a remainder on AVX-512,
  // nine on SSE2; P = 10 rows, past one vector's transposed block.
  wrnn::WaveCellOptions options;
  options.input_size = 6;
  options.channels = 2;
  options.ring_size = 5;
  options.recurrent_init = wrnn::RecurrentInit::random;
  options.input_init = wrnn::InputInit::normal;
  const wrnn::Index T = 4, B = 19, classes = 3;
  wrnn::SequenceModel<wrnn::WaveCell<double>> model(
      options,
      wrnn::ReadoutOptions{classes, wrnn::ReadoutKind::linear, wrnn::ReadoutMode::every_step});
  wrnn::Rng rng(7);
  model.init(rng);
  wrnn::Sequence<double> x(T, B, options.input_size);
  // Input 4 is zero at every step of every sample (a zero row inside the pass), the others are
  // not.
  for (wrnn::Index t = 0; t < T; ++t)
    for (wrnn::Index b = 0; b < B; ++b)
      for (wrnn::Index j = 0; j < options.input_size; ++j)
        x(t, b, j) = j == 4 ? 0.0 : rng.uniform(-1.5, 1.5);
  wrnn::Targets<double> targets;
  for (wrnn::Index m = 0; m < T * B; ++m)
    targets.classes.push_back(static_cast<int>(rng.uniform_int(0, classes)));
  wrnn_test::check_gradients(model, x, targets, wrnn::LossKind::cross_entropy);
}

TEST_CASE("dense cell gradients match finite differences", "[gradients][dense]") {
  wrnn::DenseCellOptions options;
  options.input_size = 3;
  options.hidden_size = 6;
  check_all_activations<wrnn::DenseCell<double>>(options, "dense N=6");
}

}  // namespace test_gradients
