// libFuzzer harness for the safetensors reader: any byte string must either parse or raise a
// wrnn::Error; anything else (a crash, a sanitizer report, another exception, a leak) is a bug.
// A file that parses is also converted tensor by tensor to every target type, to exercise the
// conversions on whatever offsets and dtypes the fuzzer makes up.
//
// Build and run: tests/fuzz/run_fuzzer.sh [seconds]   (clang++ -fsanitize=fuzzer,address,undefined)
#include <cstddef>
#include <cstdint>
#include <string>

#include "wrnn/io/safetensors_reader.hpp"

namespace {
template <class Scalar>
void convert_all(const wrnn::io::SafetensorsFile& file) {
  for (const std::string& name : file.names()) {
    try {
      const auto values = file.get<Scalar>(name);
      if (values.size() != file.info(name).element_count) __builtin_trap();
    } catch (const wrnn::Error&) {
    }
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const wrnn::io::SafetensorsFile file = wrnn::io::SafetensorsFile::parse(data, size, "fuzz");
    convert_all<float>(file);
    convert_all<double>(file);
    convert_all<std::int64_t>(file);
    convert_all<std::uint8_t>(file);
    for (const auto& entry : file.metadata()) (void)entry.second.size();
  } catch (const wrnn::Error&) {
  }
  return 0;
}
