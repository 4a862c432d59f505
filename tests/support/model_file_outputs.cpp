// model_file_outputs MODEL INPUTS OUTPUTS: wrnn's outputs for a model file, for the converter's
// round trip (tests/convert_pytorch_roundtrip.py). The model is rebuilt from MODEL's metadata
// alone (describe_model_file, then load_model), in the file's dtype; INPUTS holds the tensor
// "inputs" [T, B, d]; OUTPUTS gets "outputs", [T, B, o] (every step) or [B, o] (last step).
// Wave, dense and loco cells: the three models of the authors' code. Exits 1 with the error
// otherwise.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "common/float_models.hpp"  // the float models, compiled once (wrnn_float_models)
#include "wrnn/io/io.hpp"
#include "wrnn/wrnn.hpp"

namespace {

template <class Model>
void write_outputs(Model& model, const wrnn::io::ModelDescription& d, const std::string& path,
                   const std::string& inputs_path, const std::string& outputs_path) {
  using Scalar = typename Model::Scalar;
  wrnn::io::load_model(path, model);
  const auto file = wrnn::io::SafetensorsFile::read(inputs_path);
  std::vector<std::int64_t> shape;
  const std::vector<Scalar> x = file.get<Scalar>("inputs", &shape);
  if (shape.size() != 3)
    throw wrnn::ShapeError("'" + inputs_path + "': tensor 'inputs': expected [T, B, d], received " +
                           std::to_string(shape.size()) + " dimensions");
  wrnn::Sequence<Scalar> inputs(shape[0], shape[1], shape[2]);
  std::copy(x.begin(), x.end(), inputs.all().data());
  const wrnn::Matrix<Scalar>& outputs = model.forward(inputs);
  const std::int64_t o = d.readout.output_size;
  wrnn::io::SafetensorsWriter writer;
  if (d.readout.mode == wrnn::ReadoutMode::every_step)
    writer.add("outputs", {shape[0], shape[1], o}, outputs.data());
  else
    writer.add("outputs", {shape[1], o}, outputs.data());
  writer.write(outputs_path);
}

template <class Scalar>
void run(const wrnn::io::ModelDescription& d, const std::string& path, const std::string& inputs,
         const std::string& outputs) {
  if (d.cell == "wave") {
    wrnn::SequenceModel<wrnn::WaveCell<Scalar>> model(d.wave, d.readout);
    write_outputs(model, d, path, inputs, outputs);
  } else if (d.cell == "dense") {
    wrnn::SequenceModel<wrnn::DenseCell<Scalar>> model(d.dense, d.readout);
    write_outputs(model, d, path, inputs, outputs);
  } else if (d.cell == "loco") {
    wrnn::SequenceModel<wrnn::LocoCell<Scalar>> model(d.loco, d.readout);
    write_outputs(model, d, path, inputs, outputs);
  } else {
    throw wrnn::ValueError("'" + path + "': expected a wave, dense or loco model, received '" +
                           d.cell + "'");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: model_file_outputs MODEL INPUTS OUTPUTS\n";
    return 2;
  }
  try {
    const auto d = wrnn::io::describe_model_file(argv[1]);
    const auto dtype = d.metadata.find("wrnn.dtype");
    if (dtype != d.metadata.end() && dtype->second == "F64")
      run<double>(d, argv[1], argv[2], argv[3]);
    else
      run<float>(d, argv[1], argv[2], argv[3]);
  } catch (const std::exception& error) {
    std::cerr << "model_file_outputs: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
