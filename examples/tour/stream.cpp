// StreamingWaveCell: a snapshot of a wave cell's weights laid out to step one sample fast.
#include <iostream>
#include <wrnn/wrnn.hpp>

int main() {
  wrnn::WaveCellOptions options;
  options.input_size = 10;
  options.channels = 6;
  options.ring_size = 100;
  wrnn::WaveCell<float> cell(options);  // or a trained model's model.cell()
  wrnn::Rng rng(3);
  cell.init(rng);
  wrnn::StreamingWaveCell<float> fast(cell);  // copies the weights: fast.load(cell) after changes

  Eigen::VectorXf state = Eigen::VectorXf::Zero(cell.state_size()), fast_state = state;
  for (int t = 0; t < 500; ++t) {
    float x[10] = {};
    x[rng.uniform_int(0, 10)] = 1.0f;  // one-hot
    cell.step(x, state.data());
    fast.step(x, fast_state.data());
  }
  std::cout << "largest state " << state.cwiseAbs().maxCoeff() << ", largest difference "
            << (state - fast_state).cwiseAbs().maxCoeff() << '\n';
  return 0;
}
