// Replays the fuzzing corpus (tests/fuzz/corpus/: valid files, every kind of corruption, and the
// inputs the fuzzer found) through the reader built with the ordinary compiler: each input must
// parse or raise a wrnn::Error, never anything else. Under tests/run_sanitized.sh this also runs
// with AddressSanitizer and UBSan.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "wrnn/io/safetensors_reader.hpp"

namespace test_safetensors_corpus {  // see "unity groups" in tests/CMakeLists.txt

namespace {

std::vector<unsigned char> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// true when the input parsed and every tensor converted to double, false when either raised a
// wrnn::Error; any other exception escapes and fails the test.
bool parses_and_converts(const std::vector<unsigned char>& bytes, const std::string& name) {
  bool all_converted = true;
  try {
    const auto file = wrnn::io::SafetensorsFile::parse(bytes.data(), bytes.size(), name);
    for (const std::string& tensor : file.names()) {
      try {
        const std::vector<double> values = file.get<double>(tensor);
        CHECK(values.size() == file.info(tensor).element_count);
      } catch (const wrnn::Error&) {
        all_converted = false;
      }
    }
  } catch (const wrnn::Error&) {
    return false;
  }
  return all_converted;
}

}  // namespace

TEST_CASE("every corpus input parses or raises wrnn::Error") {
  std::vector<std::filesystem::path> inputs;
  for (const auto& entry : std::filesystem::directory_iterator(WRNN_FUZZ_CORPUS_DIR))
    if (entry.is_regular_file()) inputs.push_back(entry.path());
  REQUIRE(inputs.size() >= 20);
  int valid = 0, rejected = 0;
  for (const auto& path : inputs) {
    const std::string name = path.filename().string();
    INFO("corpus input " << name);
    const bool parsed = parses_and_converts(read_bytes(path), name);
    parsed ? ++valid : ++rejected;
    // The hand-made seeds say in their name what the reader must do with them: "valid_" ones parse
    // and convert, "bad_" ones raise wrnn::Error when parsed or converted.
    if (name.rfind("valid_", 0) == 0) CHECK(parsed);
    if (name.rfind("bad_", 0) == 0) CHECK_FALSE(parsed);
  }
  CHECK(valid >= 5);
  CHECK(rejected >= 20);
}

}  // namespace test_safetensors_corpus
