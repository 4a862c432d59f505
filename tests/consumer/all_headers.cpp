// Every public header of wrnn and its components, and the main templates instantiated for float,
// so that a compiler run with strict warnings (tests/install_consumer.sh: -Wall -Wextra
// -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Werror, g++ and clang++) checks the
// library's template code as a user's program would compile it, through plain -I include paths.
// Compiled only, never run: the functions below exist so that their template calls are compiled.
#include <wrnn/analysis/analysis.hpp>
#include <wrnn/data/data.hpp>
#include <wrnn/io/any_model.hpp>
#include <wrnn/io/io.hpp>
#include <wrnn/version.hpp>
#include <wrnn/wrnn.hpp>

#include <string>
#include <vector>

static_assert(WRNN_VERSION_MAJOR >= 0 && WRNN_VERSION_MINOR >= 0 && WRNN_VERSION_PATCH >= 0,
              "version.hpp defines the version numbers");

namespace consumer {

// Training, evaluation, weight files and checkpoints of a model of this cell.
template <class Cell>
void train_and_save(const typename Cell::Options& cell, const std::string& path) {
  wrnn::AddingTask task(20);
  wrnn::SequenceModel<Cell> model(
      cell, {task.output_size(), wrnn::ReadoutKind::mlp, wrnn::ReadoutMode::last_step, 8});
  wrnn::Rng rng(1);
  model.init(rng);
  wrnn::Adam<float> adam(model.parameters(), {1e-3});
  wrnn::Sgd<float> sgd(model.parameters(), {1e-2});
  const wrnn::TaskBatch<float> batch = task.generate<float>(4, rng);
  wrnn::train_step(model, adam, batch.inputs, batch.targets, task.loss(), 1.0, 1);
  wrnn::train_step(model, sgd, batch.inputs, batch.targets, task.loss(), 0.0, 2);
  (void)wrnn::evaluate_loss(model, batch.inputs, batch.targets, task.loss());
  (void)model.sample_states(0);
  // One sample at a time, and M agents at a time (the embedding API).
  wrnn::Vector<float> input = wrnn::Vector<float>::Zero(model.cell().input_size()),
                      state = wrnn::Vector<float>::Zero(model.cell().state_size()),
                      output = wrnn::Vector<float>::Zero(model.readout().output_size());
  model.step(input, state, output);
  model.step(input.data(), state.data(), output.data());
  wrnn::BatchStepper<Cell> agents(model, 3);
  wrnn::Matrix<float> agent_inputs = wrnn::Matrix<float>::Zero(model.cell().input_size(), 3),
                      agent_outputs = wrnn::Matrix<float>::Zero(model.readout().output_size(), 3);
  agents.step(agent_inputs, agent_outputs);
  agents.read_state(0, state.data());
  wrnn::io::save_model(path, model);
  wrnn::io::load_model(path, model);
  wrnn::io::save_checkpoint(path, model, adam, rng, 1);
  wrnn::io::load_checkpoint(path, model, adam, rng);
  wrnn::io::save_checkpoint(path, model, sgd, rng, 2);
  wrnn::io::load_checkpoint(path, model, sgd, rng);
}

void every_cell(const std::string& path) {
  wrnn::WaveCellOptions wave;
  wave.input_size = 2;
  train_and_save<wrnn::WaveCell<float>>(wave, path);
  wrnn::DenseCellOptions dense;
  dense.input_size = 2;
  train_and_save<wrnn::DenseCell<float>>(dense, path);
  wrnn::LSTMCellOptions lstm;
  lstm.input_size = 2;
  train_and_save<wrnn::LSTMCell<float>>(lstm, path);
  wrnn::GRUCellOptions gru;
  gru.input_size = 2;
  train_and_save<wrnn::GRUCell<float>>(gru, path);
  (void)wrnn::io::describe_model_file(path);
  wrnn::AnyModel any = wrnn::io::load_model(path);
  std::vector<float> state(static_cast<std::size_t>(any.state_size())),
      output(static_cast<std::size_t>(any.output_size()));
  const std::vector<float> input(static_cast<std::size_t>(any.input_size()));
  any.step(input.data(), state.data(), output.data());
  any.save(path);

  wrnn::CopyTask copy(10);
  wrnn::Rng rng(2);
  (void)copy.generate<float>(2, rng);
}

// A wave cell stepped one sample at a time, its states recorded and analysed.
void stream_and_analyse(const std::string& directory) {
  wrnn::WaveCellOptions options;
  options.input_size = 1;
  options.channels = 2;
  options.ring_size = 16;
  wrnn::WaveCell<float> cell(options);
  wrnn::Rng rng(3);
  cell.init(rng);
  wrnn::StreamingWaveCell<float> streaming(cell);
  wrnn::analysis::StateRecorder<float> recorder(streaming.state_size(), 33);
  std::vector<float> state(static_cast<std::size_t>(streaming.state_size()), 0.0f);
  const float x = 1.0f;
  recorder.record(state.data());
  for (int t = 0; t < 32; ++t) {
    streaming.step(&x, state.data());
    recorder.record(state.data());
  }
  const auto states = recorder.states();
  (void)wrnn::analysis::analyze_waves(states, 2, 16);
  wrnn::analysis::write_space_time_png(directory + "/space_time.png", states, 2, 16);
  wrnn::analysis::write_spectrum_png(directory + "/spectrum.png", states, 2, 16);
  wrnn::analysis::write_state_animation_gif(directory + "/animation.gif", states, 2, 16);
}

// Data files read and turned into sequential-image batches.
void read_data(const std::string& directory) {
  const wrnn::data::ImageDataset images = wrnn::data::load_mnist_directory(directory, true);
  const auto view = wrnn::data::SequentialImageView::for_task("psmnist", 1);
  wrnn::Sequence<float> x;
  std::vector<int> labels;
  view.fill(images, {0, 1}, x, labels);
  (void)wrnn::data::load_cifar10_directory(directory, false);
  (void)wrnn::data::split_train_validation(images.count, 1, 1);
}

}  // namespace consumer
