// seq_image's options from the authors' scripts, run on small IDX files written here: the
// feed-forward baseline (--model fc: its record, its checkpoint, the flags it refuses) and
// --lr-scheduler plateau stepped on what --lr-plateau-metric names (the learning rates of
// curve.csv against ReduceLROnPlateau's rule written out).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/seq_image_run.hpp"
#include "support/read_csv.hpp"

namespace test_seq_image_options {  // see "unity groups" in tests/CMakeLists.txt

namespace fs = std::filesystem;
using wrnn_test::read_csv;
using namespace wrnn;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    static int count = 0;
    path = fs::temp_directory_path() / ("wrnn_test_seq_image_options_" +
                                        std::to_string(::getpid()) + "_" + std::to_string(count++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

// An IDX file: the magic number, the sizes (big-endian), then the bytes.
void write_idx(const fs::path& path, std::uint32_t magic, std::vector<std::uint32_t> sizes,
               const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  sizes.insert(sizes.begin(), magic);
  for (std::uint32_t v : sizes)
    for (int shift : {24, 16, 8, 0}) out.put(static_cast<char>(v >> shift));
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// `count` random 28x28 images and labels 0..9 as the IDX pair prefix-images-idx3-ubyte,
// prefix-labels-idx1-ubyte.
void write_images(const fs::path& dir, const std::string& prefix, std::uint32_t count, Rng& rng) {
  std::vector<std::uint8_t> pixels(std::size_t(count) * 784), labels(count);
  for (auto& p : pixels) p = static_cast<std::uint8_t>(rng.uniform_int(0, 256));
  for (auto& l : labels) l = static_cast<std::uint8_t>(rng.uniform_int(0, 10));
  write_idx(dir / (prefix + "-images-idx3-ubyte"), 0x803, {count, 28, 28}, pixels);
  write_idx(dir / (prefix + "-labels-idx1-ubyte"), 0x801, {count}, labels);
}

// 3040 training images (3000 of them held out for validation) and 30 test images.
void write_small_mnist(const fs::path& dir) {
  Rng rng(17);
  write_images(dir, "train", 3040, rng);
  write_images(dir, "t10k", 30, rng);
}

int run_program(std::vector<std::string> args) {
  args.insert(args.begin(), "seq_image");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return examples::seq_image_main(static_cast<int>(argv.size()), argv.data());
}

// The flags of a small fc run on psMNIST: two batches of 16 per epoch, lr 1e-2, evaluation on
// the first 40 validation and 30 test images; `more` appended.
std::vector<std::string> small_fc_run(const fs::path& data, const fs::path& out, int epochs,
                                      std::vector<std::string> more = {}) {
  std::vector<std::string> arguments{"--task",
                                     "psmnist",
                                     "--model",
                                     "fc",
                                     "--data",
                                     data.string(),
                                     "--epochs",
                                     std::to_string(epochs),
                                     "--batch",
                                     "16",
                                     "--lr",
                                     "1e-2",
                                     "--max-train-batches",
                                     "2",
                                     "--max-eval",
                                     "40",
                                     "--eval-batch",
                                     "16",
                                     "--seed",
                                     "3",
                                     "--out",
                                     out.string()};
  arguments.insert(arguments.end(), more.begin(), more.end());
  return arguments;
}

nlohmann::json read_json(const fs::path& path) {
  nlohmann::json value;
  std::ifstream(path) >> value;
  return value;
}

}  // namespace

TEST_CASE("seq_image --model fc: the flattened-image baseline, its record and its checkpoint") {
  TempDir dir;
  write_small_mnist(dir.path);
  const fs::path straight = dir.path / "straight";
  REQUIRE(run_program(small_fc_run(dir.path, straight, 3)) == 0);
  const nlohmann::json results = read_json(straight / "results.json");
  CHECK(results.at("model") == "fc");
  CHECK(results.at("params") == 784 * 10);  // nn.Linear(784, 10)'s weight
  CHECK(results.at("hidden_units") == nullptr);
  CHECK(results.at("epochs") == 3);
  const auto a = read_csv(straight / "curve.csv");
  REQUIRE(a.size() == 4);
  for (std::size_t row = 1; row < a.size(); ++row) {
    REQUIRE(a[row].size() == 11);
    CHECK(std::stod(a[row][1]) > 0.0);  // a cross-entropy
    CHECK(std::isfinite(std::stod(a[row][1])));
  }

  // Stopped after 2 epochs and resumed: every loss and accuracy of every epoch the same.
  const fs::path interrupted = dir.path / "interrupted";
  REQUIRE(run_program(small_fc_run(dir.path, interrupted, 2)) == 0);
  REQUIRE(run_program(
              small_fc_run(dir.path, interrupted, 3,
                           {"--resume", (interrupted / "checkpoint.safetensors").string()})) == 0);
  const auto b = read_csv(interrupted / "curve.csv");
  REQUIRE(b.size() == a.size());
  for (std::size_t row = 1; row < a.size(); ++row)
    for (std::size_t column = 0; column <= 6; ++column) CHECK(a[row][column] == b[row][column]);

  // The authors' --mlp_decoder yes with --n_hid 12: Linear(784, 12) -> ReLU -> Linear(12, 10).
  const fs::path mlp = dir.path / "mlp";
  REQUIRE(run_program(small_fc_run(dir.path, mlp, 1, {"--readout", "mlp", "--mlp-hidden", "12"})) ==
          0);
  CHECK(read_json(mlp / "results.json").at("params") == 784 * 12 + 12 * 10);

  // The recurrent cell's flags are refused by name (exit status 2), and a wave checkpoint does
  // not resume an fc run.
  for (const char* flag : {"--n", "--channels", "--kernel", "--tape-checkpoint-every"})
    CHECK(run_program(small_fc_run(dir.path, dir.path / "refused", 1, {flag, "3"})) == 2);
  CHECK(run_program(small_fc_run(dir.path, dir.path / "refused", 1, {"--act", "tanh"})) == 2);
  CHECK(run_program(small_fc_run(dir.path, dir.path / "refused", 1, {"--freeze-rnn"})) == 2);
  CHECK(!fs::exists(dir.path / "refused" / "results.json"));
}

TEST_CASE("seq_image --lr-scheduler plateau steps on --lr-plateau-metric as ReduceLROnPlateau") {
  TempDir dir;
  write_small_mnist(dir.path);
  const int epochs = 4;
  // Patience 0 and no cooldown: every epoch whose metric does not beat the best so far (by
  // PyTorch's default relative threshold 1e-4) divides the rate by 10 for the next epoch.
  const auto plateau_run = [&](const fs::path& out, int run_epochs, const std::string& metric,
                               std::vector<std::string> more = {}) {
    std::vector<std::string> flags{"--lr-scheduler",      "plateau", "--lr-patience",    "0",
                                   "--lr-cooldown",       "0",       "--lr-drop-factor", "10",
                                   "--lr-plateau-metric", metric};
    flags.insert(flags.end(), more.begin(), more.end());
    return small_fc_run(dir.path, out, run_epochs, flags);
  };
  int reductions = 0;
  std::vector<std::vector<std::vector<std::string>>> curves;  // per metric
  for (const std::string metric : {"authors", "val-acc", "val-loss"}) {
    INFO("--lr-plateau-metric " << metric);
    const fs::path out = dir.path / metric;
    REQUIRE(run_program(plateau_run(out, epochs, metric)) == 0);
    const auto rows = read_csv(out / "curve.csv");
    REQUIRE(rows.size() == std::size_t(epochs) + 1);
    const bool rising = metric == "val-acc";
    double best = rising ? -INFINITY : INFINITY, lr = 1e-2;
    for (int e = 1; e <= epochs; ++e) {
      const auto& row = rows[std::size_t(e)];
      CHECK(std::stod(row[9]) == Approx(lr).epsilon(1e-12));  // the rate epoch e trained at
      // The authors' script steps on valid_acc, 100 * correct / count (a fraction in curve.csv).
      const double value = metric == "val-loss" ? std::stod(row[3]) : 100.0 * std::stod(row[4]);
      const bool better = rising ? value > best * (1 + 1e-4) : value < best * (1 - 1e-4);
      if (better) {
        best = value;
      } else {
        lr *= 0.1;
        ++reductions;
      }
    }
    curves.push_back(rows);
  }
  CHECK(reductions > 0);
  // authors and val-acc watch the same accuracies in opposite modes: epochs 1 and 2 train at the
  // same rate in both runs, and unless their accuracies are equal exactly one of the two drops
  // the rate for epoch 3.
  REQUIRE(curves[0][2][4] == curves[1][2][4]);
  REQUIRE(curves[0][1][4] != curves[0][2][4]);
  CHECK(curves[0][3][9] != curves[1][3][9]);

  // A resumed plateau run replays the metrics to the same rates.
  const fs::path interrupted = dir.path / "interrupted";
  REQUIRE(run_program(plateau_run(interrupted, 2, "authors")) == 0);
  REQUIRE(run_program(
              plateau_run(interrupted, epochs, "authors",
                          {"--resume", (interrupted / "checkpoint.safetensors").string()})) == 0);
  const auto resumed = read_csv(interrupted / "curve.csv");
  REQUIRE(resumed.size() == curves[0].size());
  for (std::size_t row = 1; row < resumed.size(); ++row)
    CHECK(resumed[row][9] == curves[0][row][9]);
  // ... and is refused with another metric.
  CHECK(run_program(plateau_run(interrupted, epochs, "val-loss",
                                {"--resume", (interrupted / "checkpoint.safetensors").string()})) ==
        2);

  // Refused: an unknown metric, and the flag with another schedule.
  CHECK(run_program(plateau_run(dir.path / "refused", 1, "accuracy")) == 2);
  CHECK(run_program(small_fc_run(dir.path, dir.path / "refused", 1,
                                 {"--lr-plateau-metric", "val-acc"})) == 2);
}

}  // namespace test_seq_image_options
