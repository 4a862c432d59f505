// Train a wave-RNN on the copy task, then evaluate it on sequences it has not seen.
#include <iostream>
#include <wrnn/wrnn.hpp>

int main() {
  wrnn::CopyTask task(/*T=*/10);  // 10 symbols, a gap of T steps, then recall them; d = 10
  wrnn::WaveCellOptions cell;     // defaults: shift and solo init, relu, kernel k = 3
  cell.input_size = task.input_size();
  cell.channels = 4;
  cell.ring_size = 32;
  wrnn::SequenceModel<wrnn::WaveCell<float>> model(cell, {/*outputs=*/task.output_size()});
  wrnn::Rng rng(1);
  model.init(rng);
  wrnn::Adam<float> adam(model.parameters(), {/*learning rate=*/3e-3});
  for (long step = 1; step <= 200; ++step) {
    const auto batch = task.generate<float>(/*batch=*/32, rng);
    const auto result = wrnn::train_step(model, adam, batch.inputs, batch.targets, task.loss(),
                                         /*clip=*/1.0, step);
    if (step % 50 == 0) std::cout << "step " << step << " loss " << result.loss << '\n';
  }

  const auto test = task.generate<float>(/*batch=*/256, rng);
  const double loss = wrnn::evaluate_loss(model, test.inputs, test.targets, task.loss());
  const wrnn::Matrix<float>& logits = model.infer(test.inputs);  // column t * B + b: step t
  const wrnn::Index B = 256, L = task.sequence_length();
  long recalled = 0;
  for (wrnn::Index t = L - 10; t < L; ++t)
    for (wrnn::Index b = 0; b < B; ++b) {
      wrnn::Index guess = 0;
      logits.col(t * B + b).maxCoeff(&guess);
      recalled += guess == test.targets.classes[static_cast<std::size_t>(t * B + b)];
    }
  std::cout << "test loss " << loss << ", digits recalled " << 100.0 * recalled / (10 * B) << "%\n";
  return 0;
}
