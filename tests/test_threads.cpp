// Results do not depend on the thread count: outputs and every gradient are bit-identical for
// 1, 2, 3 and 4 threads (the batch is cut into the same chunks whatever the thread count, and
// chunk gradients are summed in chunk order).
#include <catch2/catch.hpp>

#include "wrnn/wrnn.hpp"

namespace test_threads {  // see "unity groups" in tests/CMakeLists.txt

using wrnn::Index;

namespace {

template <class Cell>
void check_thread_independence(const typename Cell::Options& options, wrnn::ReadoutMode mode) {
  const Index T = 12, B = 37, classes = 5;
  std::vector<wrnn::Matrix<float>> outputs;
  std::vector<std::vector<wrnn::Vector<float>>> gradients;
  for (Index threads : {1, 2, 3, 4}) {
    wrnn::ModelOptions model_options;
    model_options.batch_chunk = 8;
    model_options.threads = threads;
    wrnn::SequenceModel<Cell> model(options, {classes, wrnn::ReadoutKind::mlp, mode, 16},
                                    model_options);
    wrnn::Rng rng(21);
    model.init(rng);
    wrnn::Sequence<float> x(T, B, options.input_size);
    for (Index i = 0; i < T * B * options.input_size; ++i)
      x.data()[i] = static_cast<float>(rng.uniform(-1, 1));
    const wrnn::Matrix<float>& y = model.forward(x);
    wrnn::Matrix<float> grad_outputs = wrnn::Matrix<float>::Ones(y.rows(), y.cols());
    for (Index i = 0; i < grad_outputs.size(); ++i)
      grad_outputs.data()[i] = static_cast<float>(rng.uniform(-1, 1));
    wrnn::zero_gradients(model.parameters());
    model.backward(grad_outputs);
    outputs.push_back(y);
    gradients.emplace_back();
    for (const auto& named : model.parameters()) gradients.back().push_back(named.parameter->grad);
  }
  for (std::size_t run = 1; run < outputs.size(); ++run) {
    INFO("threads " << run + 1 << " against 1");
    CHECK(outputs[run] == outputs[0]);  // exact equality, not approximate
    for (std::size_t p = 0; p < gradients[0].size(); ++p)
      CHECK(gradients[run][p] == gradients[0][p]);
  }
}

}  // namespace

TEST_CASE("outputs and gradients are bit-identical for any thread count", "[threads]") {
  wrnn::WaveCellOptions wave;
  wave.input_size = 3;
  wave.channels = 4;
  wave.ring_size = 19;
  wave.recurrent_init = wrnn::RecurrentInit::random;
  for (auto mode : {wrnn::ReadoutMode::every_step, wrnn::ReadoutMode::last_step}) {
    check_thread_independence<wrnn::WaveCell<float>>(wave, mode);
    check_thread_independence<wrnn::DenseCell<float>>(wrnn::DenseCellOptions{3, 20}, mode);
    check_thread_independence<wrnn::LSTMCell<float>>(wrnn::LSTMCellOptions{3, 9}, mode);
    check_thread_independence<wrnn::GRUCell<float>>(wrnn::GRUCellOptions{3, 9}, mode);
  }
}

}  // namespace test_threads
