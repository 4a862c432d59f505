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
  // one GEMM per step (sequence_model.hpp, kNarrowInput): the other path, checked here.
  wrnn::WaveCellOptions options;
  options.input_size = 17;
  options.channels = 2;
  options.ring_size = 3;
  options.recurrent_init = wrnn::RecurrentInit::random;
  options.input_init = wrnn::InputInit::normal;
  wrnn_test::check_gradients_all_configurations<wrnn::WaveCell<double>>(options,
                                                                        "wave d=17 C=2 n=3");
}

TEST_CASE("dense cell gradients match finite differences", "[gradients][dense]") {
  wrnn::DenseCellOptions options;
  options.input_size = 3;
  options.hidden_size = 6;
  check_all_activations<wrnn::DenseCell<double>>(options, "dense N=6");
}

}  // namespace test_gradients
