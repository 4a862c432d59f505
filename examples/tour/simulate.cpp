// A wave model inside a simulation loop: one sample, one step at a time, no allocation per step.
#include <cmath>
#include <iostream>
#include <wrnn/wrnn.hpp>

int main() {
  wrnn::WaveCellOptions options;
  options.input_size = 2;  // what the agent senses at each tick
  options.channels = 4;
  options.ring_size = 64;
  wrnn::SequenceModel<wrnn::WaveCell<float>> model(options, {/*outputs=*/1});
  wrnn::Rng rng(7);
  model.init(rng);  // or wrnn::io::load_model(path, model) for trained weights

  Eigen::VectorXf state = Eigen::VectorXf::Zero(model.cell().state_size());  // h_0 = 0
  const int ticks = 1000;
  wrnn::Sequence<float> seen(ticks, /*batch=*/1, /*d=*/2);  // only for the check below
  Eigen::VectorXf x(2), command(1);  // what the agent senses, what the model tells it
  float position = 0.0f;
  for (int t = 0; t < ticks; ++t) {
    x << std::sin(0.05f * t), position;
    model.step(x, state, command);  // h_t in place from h_{t-1} and x_t, then the readout
    position += 0.01f * std::tanh(command[0]);
    seen(t, 0, 0) = x[0];
    seen(t, 0, 1) = x[1];
  }
  // The loop computed what the model computes on the whole sequence at once.
  std::cout << "last command " << command[0] << ", infer " << model.infer(seen)(0, ticks - 1)
            << ", position " << position << '\n';
  return 0;
}
