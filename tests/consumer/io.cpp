// wrnn::io from an installed wrnn: two named parameters and a metadata entry written to a
// safetensors file and read back (nlohmann_json parses the file's header) into parameters that
// held other values. Usage: consumer_io DIRECTORY
#include <wrnn/io/parameters.hpp>
#include <wrnn/io/safetensors.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
    return 2;
  }
  const std::string path = std::string(argv[1]) + "/parameters.safetensors";
  wrnn::Parameter<float> weight("weight", {2, 3}, false), bias("bias", {2}, true);
  weight.value << 0.5f, -1.25f, 3.0f, 1e-3f, -7.0f, 2.5f;
  bias.value << 0.125f, -0.75f;
  wrnn::io::SafetensorsWriter writer;
  wrnn::io::add_parameters<float>(writer, {{"layer.weight", &weight}, {"layer.bias", &bias}});
  writer.set_metadata("consumer", "io");
  writer.write(path);

  wrnn::Parameter<float> loaded_weight("weight", {2, 3}, false), loaded_bias("bias", {2}, true);
  const wrnn::io::SafetensorsFile file = wrnn::io::SafetensorsFile::read(path);
  wrnn::io::load_parameters<float>(
      file, {{"layer.weight", &loaded_weight}, {"layer.bias", &loaded_bias}});
  const bool same = loaded_weight.value == weight.value && loaded_bias.value == bias.value &&
                    file.metadata_value("consumer") == "io";
  std::printf("io: %zu tensors read back %s\n", file.names().size(),
              same ? "unchanged" : "CHANGED");
  return same ? 0 : 1;
}
