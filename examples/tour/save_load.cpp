// Save a model (safetensors, the authors' PyTorch names) and rebuild it from the file alone.
#include <iostream>
#include <wrnn/io/io.hpp>
#include <wrnn/wrnn.hpp>

int main() {
  wrnn::WaveCellOptions cell;
  cell.input_size = 10;
  cell.channels = 4;
  cell.ring_size = 32;
  wrnn::SequenceModel<wrnn::WaveCell<float>> model(cell, {/*outputs=*/10});
  wrnn::Rng rng(1);
  model.init(rng);  // (and train it)
  wrnn::io::save_model("wave.safetensors", model, {{"task", "copy"}});

  // Elsewhere: the file's metadata says which model to build.
  const wrnn::io::ModelDescription file = wrnn::io::describe_model_file("wave.safetensors");
  if (file.cell != "wave") return 1;
  wrnn::SequenceModel<wrnn::WaveCell<float>> loaded(file.wave, file.readout);
  wrnn::io::load_model("wave.safetensors", loaded);  // names a missing or misshapen tensor

  const auto inputs = wrnn::CopyTask(10).generate<float>(/*batch=*/8, rng).inputs;
  const wrnn::Matrix<float> expected = model.infer(inputs);
  std::cout << file.metadata.at("task") << " model, " << loaded.weight_count()
            << " weights, largest difference "
            << (loaded.infer(inputs) - expected).cwiseAbs().maxCoeff() << '\n';
  return 0;
}
