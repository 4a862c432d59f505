// Record a wave model's hidden state on one sequence, measure its waves and draw them.
#include <iostream>
#include <wrnn/analysis/analysis.hpp>
#include <wrnn/wrnn.hpp>

int main() {
  wrnn::WaveCellOptions cell;
  cell.input_size = 2;
  cell.channels = 4;
  cell.ring_size = 32;
  wrnn::SequenceModel<wrnn::WaveCell<float>> model(cell, {/*outputs=*/1});
  wrnn::Rng rng(1);
  model.init(rng);  // the shift init carries waves already; a trained model too

  const auto batch = wrnn::AddingTask(/*T=*/60).generate<float>(/*batch=*/4, rng);
  model.forward(batch.inputs);  // forward, not infer: it keeps every state
  const wrnn::Matrix<float> states = model.sample_states(0);  // (C * n) x (T + 1)
  const auto waves = wrnn::analysis::analyze_waves(states, cell.channels, cell.ring_size);
  for (const auto& channel : waves.channels)
    std::cout << "channel " << channel.channel << ": speed " << channel.speed.speed
              << " units per step, " << channel.reason << '\n';
  std::cout << "waves in " << waves.wave_channels << " of " << cell.channels << " channels\n";
  wrnn::analysis::write_space_time_png("waves.png", states, cell.channels, cell.ring_size);
  return 0;
}
