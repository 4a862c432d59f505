// Trains a small wave-RNN for a few steps on the adding task; exits 0 when the loss went down.
#include <wrnn/wrnn.hpp>

#include <cstdio>

int main() {
  wrnn::AddingTask task(20);
  wrnn::WaveCellOptions cell;
  cell.input_size = task.input_size();
  cell.channels = 2;
  cell.ring_size = 16;
  wrnn::SequenceModel<wrnn::WaveCell<float>> model(
      cell, {task.output_size(), wrnn::ReadoutKind::linear, wrnn::ReadoutMode::last_step});
  wrnn::Rng rng(1);
  model.init(rng);
  wrnn::Adam<float> adam(model.parameters(), {1e-2});
  const auto test = task.generate<float>(256, rng);
  const double before = wrnn::evaluate_loss(model, test.inputs, test.targets, task.loss());
  for (int step = 1; step <= 60; ++step) {
    const auto batch = task.generate<float>(32, rng);
    wrnn::train_step(model, adam, batch.inputs, batch.targets, task.loss(), 1.0, step);
  }
  const double after = wrnn::evaluate_loss(model, test.inputs, test.targets, task.loss());
  std::printf("adding-task MSE before %.4f, after %.4f\n", before, after);
  return after < before ? 0 : 1;
}
