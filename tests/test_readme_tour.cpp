// The README's API tour: every program of examples/tour/ (the README includes each verbatim,
// tests/check_readme_snippets.py checks that) compiled here, all in this one unit, and run, each
// checked against what it must print: a loss below the copy task's blank-and-guess baseline, the
// simulation loop equal to the model's infer, the streaming snapshot equal to the cell, a saved
// model loaded back bit for bit, and the shift init's waves at one unit per step.
//
// Each program's main() becomes run() in a namespace of its own. The headers they include come
// first, here, so that their #includes inside the namespaces are already-seen no-ops.
#include <Eigen/Core>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "wrnn/analysis/analysis.hpp"
#include "wrnn/io/io.hpp"
#include "wrnn/wrnn.hpp"

namespace test_readme_tour {  // see "unity groups" in tests/CMakeLists.txt

// clang-format off
#define main run
namespace train {
#include "../examples/tour/train.cpp"
}
namespace simulate {
#include "../examples/tour/simulate.cpp"
}
namespace stream {
#include "../examples/tour/stream.cpp"
}
namespace save_load {
#include "../examples/tour/save_load.cpp"
}
namespace waves {
#include "../examples/tour/waves.cpp"
}
#undef main
// clang-format on

namespace {

namespace fs = std::filesystem;

// Where a tour program runs: a fresh folder under the test's working directory (the build tree's,
// so that two build trees testing at once do not share it).
fs::path folder_of(const std::string& name) {
  return fs::current_path() / "readme_tour" / name;
}

// Runs a tour program in its folder (they write their files into the current one) and returns
// what it printed on std::cout. Fails the test if it does not return 0.
template <class Program>
std::string run_program(const std::string& name, Program program) {
  const fs::path previous = fs::current_path();
  const fs::path directory = folder_of(name);
  fs::remove_all(directory);
  fs::create_directories(directory);
  fs::current_path(directory);
  std::ostringstream captured;
  std::streambuf* const console = std::cout.rdbuf(captured.rdbuf());
  int status = -1;
  try {
    status = program();
  } catch (...) {
    std::cout.rdbuf(console);
    fs::current_path(previous);
    throw;
  }
  std::cout.rdbuf(console);
  fs::current_path(previous);
  INFO(name << " printed:\n" << captured.str());
  REQUIRE(status == 0);
  return captured.str();
}

// The number printed right after the n-th occurrence (0-based) of `label`.
double number_after(const std::string& text, const std::string& label, int occurrence = 0) {
  std::size_t at = std::string::npos, from = 0;
  for (int i = 0; i <= occurrence; ++i) {
    at = text.find(label, from);
    if (at == std::string::npos) FAIL("'" << label << "' not printed in:\n" << text);
    from = at + label.size();
  }
  const char* start = text.c_str() + from;
  char* end = nullptr;
  const double value = std::strtod(start, &end);
  if (end == start) FAIL("no number after '" << label << "' in:\n" << text);
  return value;
}

}  // namespace

TEST_CASE("tour: train a wave model on the copy task and evaluate it") {
  const std::string out = run_program("train", train::run);
  INFO(out);
  const double first = number_after(out, "loss ", 0), last = number_after(out, "loss ", 3);
  CHECK(last < first);
  // Predicting blanks everywhere and guessing the digits (8 symbols) costs (9 / L) ln 8 at a
  // sequence length L = T + 10 = 20 (at T = 10 the delimiter replaces the tenth digit, so the
  // last target is always 9); a model that remembers nothing cannot go below it.
  const double blank_and_guess = 9.0 / 20.0 * std::log(8.0);
  CHECK(number_after(out, "test loss ") < blank_and_guess);
  CHECK(number_after(out, "digits recalled ") > 100.0 / 8.0);  // chance: 1 digit in 8
}

TEST_CASE("tour: a wave model in a simulation loop computes what infer computes") {
  const std::string out = run_program("simulate", simulate::run);
  INFO(out);
  const double loop = number_after(out, "last command "), whole = number_after(out, "infer ");
  CHECK(std::isfinite(number_after(out, "position ")));
  CHECK(std::abs(loop - whole) <= 1e-4 * std::max(1.0, std::abs(whole)));
}

TEST_CASE("tour: the streaming snapshot steps as the cell does") {
  const std::string out = run_program("stream", stream::run);
  INFO(out);
  const double largest = number_after(out, "largest state ");
  CHECK(largest > 0.0);
  CHECK(number_after(out, "largest difference ") <= 1e-5 * std::max(1.0, largest));
}

TEST_CASE("tour: a saved model loads back from its file alone") {
  const std::string out = run_program("save_load", save_load::run);
  INFO(out);
  CHECK(out.rfind("copy model, ", 0) == 0);  // the extra metadata came back
  // Weights (biases left out): Wx [C n, d] + Wy [C, C, k] + readout [o, C n].
  CHECK(number_after(out, "model, ") == 4 * 32 * 10 + 4 * 4 * 3 + 10 * 4 * 32);
  CHECK(number_after(out, "largest difference ") == 0.0);
  CHECK(fs::file_size(folder_of("save_load") / "wave.safetensors") > 2608 * sizeof(float));
}

TEST_CASE("tour: the shift init's waves travel one unit per step and are drawn") {
  const std::string out = run_program("waves", waves::run);
  INFO(out);
  const double wave_channels = number_after(out, "waves in ");
  CHECK(wave_channels >= 3);
  // (u (*) h)[c][i] = h[c][i + 1] under the shift init: toward lower indices, one unit per step.
  int measured = 0;
  for (int c = 0; c < 4; ++c) {
    const std::string line_start = "channel " + std::to_string(c) + ": speed ";
    const std::size_t line = out.find(line_start);
    REQUIRE(line != std::string::npos);
    if (out.compare(out.find('\n', line) - 4, 4, "wave") != 0) continue;
    CHECK(std::abs(number_after(out, line_start) + 1.0) < 0.05);
    ++measured;
  }
  CHECK(measured == wave_channels);
  std::ifstream png(folder_of("waves") / "waves.png", std::ios::binary);
  char signature[8] = {};
  png.read(signature, 8);
  CHECK(std::string(signature + 1, 3) == "PNG");
}

}  // namespace test_readme_tour
