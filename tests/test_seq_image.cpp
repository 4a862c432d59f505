// The sequential-image program (examples/seq_image): the argmax accuracy, the training step that
// counts correct predictions, batched evaluation against a one-image-at-a-time oracle, the run
// record kept for checkpoints, and the whole program run on small IDX files written here.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "common/seq_image_run.hpp"
#include "support/read_csv.hpp"

namespace test_seq_image {  // see "unity groups" in tests/CMakeLists.txt

namespace fs = std::filesystem;
using wrnn_test::read_csv;
using namespace wrnn;
using Catch::Matchers::Contains;
using wrnn::examples::count_correct;

namespace {

// A dataset of `count` random 28x28 images with labels 0..9.
data::ImageDataset random_images(Index count, std::uint64_t seed) {
  data::ImageDataset d;
  d.count = count;
  d.rows = d.cols = 28;
  d.channels = 1;
  Rng rng(seed);
  d.pixels.resize(static_cast<std::size_t>(count * 784));
  for (auto& p : d.pixels) p = static_cast<std::uint8_t>(rng.uniform_int(0, 256));
  d.labels.resize(static_cast<std::size_t>(count));
  for (auto& l : d.labels) l = static_cast<std::uint8_t>(rng.uniform_int(0, 10));
  return d;
}

void put_u32(std::ofstream& out, std::uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.write(bytes, 4);
}

// Writes images and labels as raw IDX files (big-endian header, then the bytes).
void write_idx(const fs::path& images_path, const fs::path& labels_path,
               const data::ImageDataset& d) {
  std::ofstream images(images_path, std::ios::binary);
  put_u32(images, 0x00000803);
  put_u32(images, static_cast<std::uint32_t>(d.count));
  put_u32(images, 28);
  put_u32(images, 28);
  images.write(reinterpret_cast<const char*>(d.pixels.data()),
               static_cast<std::streamsize>(d.pixels.size()));
  std::ofstream labels(labels_path, std::ios::binary);
  put_u32(labels, 0x00000801);
  put_u32(labels, static_cast<std::uint32_t>(d.count));
  labels.write(reinterpret_cast<const char*>(d.labels.data()),
               static_cast<std::streamsize>(d.labels.size()));
}

// Writes CIFAR-10 binary records (label byte, then 3072 pixel bytes) of random images.
void write_cifar(const fs::path& path, Index records, Rng& rng) {
  std::ofstream out(path, std::ios::binary);
  for (Index r = 0; r < records; ++r) {
    out.put(static_cast<char>(rng.uniform_int(0, 10)));
    for (Index i = 0; i < 3072; ++i) out.put(static_cast<char>(rng.uniform_int(0, 256)));
  }
}

struct TempDir {
  fs::path path;
  TempDir() {
    static int count = 0;
    path = fs::temp_directory_path() /
           ("wrnn_test_seq_image_" + std::to_string(::getpid()) + "_" + std::to_string(count++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

int run_program(std::vector<std::string> args) {
  args.insert(args.begin(), "seq_image");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return examples::seq_image_main(static_cast<int>(argv.size()), argv.data());
}

// A small MNIST-format folder: 3000 validation + 40 training images (the split always holds out
// 3000) drawn with `seed`, and 30 test images drawn with seed + 1.
void write_small_mnist(const fs::path& dir, std::uint64_t seed) {
  write_idx(dir / "train-images-idx3-ubyte", dir / "train-labels-idx1-ubyte",
            random_images(3040, seed));
  write_idx(dir / "t10k-images-idx3-ubyte", dir / "t10k-labels-idx1-ubyte",
            random_images(30, seed + 1));
}

// The flags of a small wave run on psMNIST: n = 8, C = 2, lr 1e-2, two batches of 16 per epoch,
// evaluation on the first max_eval images in batches of 16.
std::vector<std::string> small_wave_run(const fs::path& data, const fs::path& out, int epochs,
                                        int max_eval, int seed, int threads) {
  const std::pair<const char*, std::string> flags[] = {{"--task", "psmnist"},
                                                       {"--model", "wave"},
                                                       {"--data", data.string()},
                                                       {"--n", "8"},
                                                       {"--channels", "2"},
                                                       {"--epochs", std::to_string(epochs)},
                                                       {"--batch", "16"},
                                                       {"--lr", "1e-2"},
                                                       {"--max-train-batches", "2"},
                                                       {"--max-eval", std::to_string(max_eval)},
                                                       {"--eval-batch", "16"},
                                                       {"--seed", std::to_string(seed)},
                                                       {"--threads", std::to_string(threads)},
                                                       {"--out", out.string()}};
  std::vector<std::string> arguments;
  for (const auto& [flag, value] : flags) arguments.insert(arguments.end(), {flag, value});
  return arguments;
}

using SmallWave = SequenceModel<WaveCell<float>>;
const ReadoutOptions kClassifier{10, ReadoutKind::linear, ReadoutMode::last_step, 100};
const WaveCellOptions kSmallWave{
    1, 2, 8, 3, Activation::relu, RecurrentInit::shift, InputInit::normal};

}  // namespace

TEST_CASE("count_correct: argmax per column, first maximum on ties") {
  Matrix<float> logits(3, 4);
  // columns: argmax 2, argmax 0, tie between 0 and 1 (-> 0), argmax 1
  logits << 0.1f, 5.f, 1.f, -3.f,  //
      0.2f, 1.f, 1.f, -1.f,        //
      0.9f, 2.f, 0.f, -2.f;
  CHECK(examples::argmax_column(logits, 0) == 2);
  CHECK(examples::argmax_column(logits, 1) == 0);
  CHECK(examples::argmax_column(logits, 2) == 0);
  CHECK(examples::argmax_column(logits, 3) == 1);
  CHECK(count_correct(logits, {2, 0, 0, 1}) == 4);
  CHECK(count_correct(logits, {2, 0, 1, 1}) == 3);  // the tie does not count for class 1
  CHECK(count_correct(logits, {0, 1, 2, 0}) == 0);
  CHECK_THROWS_AS(count_correct(logits, {0, 1, 2}), ShapeError);
}

TEST_CASE("evaluate_classifier in batches equals a one-image-at-a-time oracle") {
  data::ImageDataset images = random_images(23, 5);
  const data::SequentialImageView view = data::SequentialImageView::permuted_pixels(3);
  SmallWave model(kSmallWave, kClassifier);
  Rng rng(11);
  model.init(rng);

  // Oracle: each image alone (batch 1); its prediction by std::max_element, its loss by hand.
  // Labels: the prediction for even images and the next class for odd ones, so 12 of 23 right.
  std::vector<Index> examples;
  std::vector<double> losses;
  for (Index i = 0; i < images.count; ++i) {
    Sequence<float> x;
    std::vector<int> unused;
    view.fill(images, {i}, x, unused);
    const Matrix<float> logits = model.forward(x);
    const float* column = logits.data();
    const int prediction = static_cast<int>(std::max_element(column, column + 10) - column);
    const int label = i % 2 == 0 ? prediction : (prediction + 1) % 10;
    images.labels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(label);
    double sum = 0.0;
    for (int k = 0; k < 10; ++k) sum += std::exp(static_cast<double>(column[k]));
    losses.push_back(std::log(sum) - static_cast<double>(column[label]));
    examples.push_back(i);
  }
  double mean_loss = 0.0;
  for (double l : losses) mean_loss += l / static_cast<double>(losses.size());

  for (Index batch : {1, 7, 23, 64}) {
    const examples::Evaluation e =
        examples::evaluate_classifier(model, view, images, examples, batch);
    CHECK(e.examples == 23);
    CHECK(e.accuracy == Approx(12.0 / 23.0).epsilon(1e-12));
    CHECK(e.loss == Approx(mean_loss).epsilon(1e-5));
  }
  // A subset: the first 4 images, 2 right.
  const examples::Evaluation part =
      examples::evaluate_classifier(model, view, images, {0, 1, 2, 3}, 3);
  CHECK(part.accuracy == 0.5);
  CHECK(part.loss == Approx((losses[0] + losses[1] + losses[2] + losses[3]) / 4).epsilon(1e-5));
}

TEST_CASE("classification_train_step makes the same update as train_step and counts correct") {
  const data::ImageDataset images = random_images(9, 8);
  const data::SequentialImageView view = data::SequentialImageView::sequential_pixels();
  Sequence<float> x;
  std::vector<int> labels;
  view.fill(images, {0, 1, 2, 3, 4, 5, 6, 7, 8}, x, labels);

  SmallWave a(kSmallWave, kClassifier), b(kSmallWave, kClassifier);
  Rng rng_a(4), rng_b(4);
  a.init(rng_a);
  b.init(rng_b);
  Adam<float> adam_a(a.parameters(), AdamOptions{1e-2}), adam_b(b.parameters(), AdamOptions{1e-2});
  for (long long step = 1; step <= 3; ++step) {
    const Matrix<float> logits_before = b.forward(x);
    const Index expected_correct = count_correct(logits_before, labels);
    const auto ours = examples::classification_train_step(a, adam_a, x, labels, 0.5, step);
    Targets<float> targets;
    targets.classes = labels;
    const auto reference = train_step(b, adam_b, x, targets, LossKind::cross_entropy, 0.5, step);
    CHECK(ours.loss == reference.loss);
    CHECK(ours.gradient_norm == reference.gradient_norm);
    CHECK(ours.correct == expected_correct);
    for (std::size_t p = 0; p < a.parameters().size(); ++p)
      CHECK(a.parameters()[p].parameter->value == b.parameters()[p].parameter->value);
  }
}

TEST_CASE("RunRecord: test accuracy at the first best validation epoch; metadata round trip") {
  examples::RunRecord record;
  const auto epoch = [](long long e, double val, double test) {
    examples::EpochRecord r;
    r.epoch = e;
    r.val_acc = val;
    r.test_acc = test;
    r.train_batches = 3;
    r.train_images = 300;
    return r;
  };
  record.add(epoch(1, 0.5, 0.40));
  record.add(epoch(2, 0.7, 0.60));
  record.add(epoch(3, 0.7, 0.65));  // a tie: the best stays at epoch 2
  record.add(epoch(4, 0.6, 0.90));
  CHECK(record.best_val_epoch == 2);
  CHECK(record.best_val_acc == 0.7);
  CHECK(record.test_acc_at_best_val == 0.60);
  CHECK(record.epochs_done() == 4);

  examples::SeqImageOptions options;
  options.task = "psmnist";
  options.seed = 17;
  const data::SequentialImageView view = data::SequentialImageView::for_task("psmnist", 17);
  const nlohmann::json metadata = examples::checkpoint_metadata(record, options, view, "data");
  const io::RunTensors tensors = examples::checkpoint_tensors(record);
  CHECK(metadata.at("epoch") == 4);
  CHECK(metadata.at("permutation_seed") == 17);
  CHECK(tensors.at("run.curve").shape == std::vector<std::int64_t>{4, 13});
  const examples::RunRecord back =
      examples::run_record_from_checkpoint(metadata, tensors, options, view, "data");
  CHECK(back.epochs_done() == 4);
  CHECK(back.best_val_epoch == 2);
  CHECK(back.test_acc_at_best_val == 0.60);
  CHECK(back.curve[3].test_acc == 0.90);
  CHECK(back.curve[3].train_images == 300);

  // Another run, other settings, more epochs than --epochs, a damaged curve: refused.
  const auto refused = [&](const examples::SeqImageOptions& o, const data::SequentialImageView& v,
                           const io::RunTensors& t, const std::string& data_folder) {
    return examples::run_record_from_checkpoint(metadata, t, o, v, data_folder);
  };
  examples::SeqImageOptions other = options;
  other.model = "irnn";
  CHECK_THROWS_AS(refused(other, view, tensors, "data"), ValueError);
  const data::SequentialImageView other_view = data::SequentialImageView::for_task("psmnist", 18);
  CHECK_THROWS_AS(refused(options, other_view, tensors, "data"), ValueError);
  for (auto change : std::vector<void (*)(examples::SeqImageOptions&)>{
           [](examples::SeqImageOptions& o) { o.batch = 64; },
           [](examples::SeqImageOptions& o) { o.learning_rate = 1e-3; },
           [](examples::SeqImageOptions& o) { o.grad_clip = 1.0; },
           [](examples::SeqImageOptions& o) { o.max_train_batches = 5; },
           [](examples::SeqImageOptions& o) { o.lr_drop_every = 7; },
           [](examples::SeqImageOptions& o) { o.epochs = 3; }}) {
    examples::SeqImageOptions changed = options;
    change(changed);
    CHECK_THROWS_AS(refused(changed, view, tensors, "data"), ValueError);
  }
  CHECK_THROWS_WITH(refused(options, view, tensors, "other_data"), Contains("expected data"));
  io::RunTensors damaged = tensors;
  damaged.at("run.curve").values[13] = 5;  // row 1 says epoch 5
  CHECK_THROWS_AS(refused(options, view, damaged, "data"), FormatError);
  damaged = tensors;
  damaged.at("run.curve").values[14] = std::nan("");
  CHECK_THROWS_WITH(refused(options, view, damaged, "data"),
                    Contains("'run.curve' row 1 column 1"));
  damaged.at("run.curve").shape = {3, 13};
  CHECK_THROWS_WITH(refused(options, view, damaged, "data"), Contains("expected shape [4, 13]"));
  CHECK_THROWS_WITH(refused(options, view, {}, "data"), Contains("expected a tensor 'run.curve'"));
}

TEST_CASE("seq_image runs end to end on small IDX files and writes its record") {
  TempDir dir;
  write_small_mnist(dir.path, 1);
  const fs::path out = dir.path / "out";
  const int rc = run_program(small_wave_run(dir.path, out, 2, 40, 9, 2));
  REQUIRE(rc == 0);

  nlohmann::json results;
  std::ifstream(out / "results.json") >> results;
  CHECK(results.at("model") == "wave");
  CHECK(results.at("task") == "psmnist");
  // Weights only: Wx 16x1, Wy 2x2x3, readout 10x16.
  CHECK(results.at("params") == 16 + 12 + 160);
  CHECK(results.at("epochs") == 2);
  CHECK(results.at("permutation_seed") == 9);
  CHECK(results.at("train_examples") == 40);
  CHECK(results.at("validation_examples") == 40);
  CHECK(results.at("test_examples") == 30);
  CHECK(results.at("full_epoch_batches") == 2);  // 40 / 16 with the last partial batch dropped
  CHECK(results.at("flags").at("threads") == 2);

  const auto rows = read_csv(out / "curve.csv");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == std::vector<std::string>{"epoch", "train_loss", "train_acc", "val_loss",
                                            "val_acc", "test_loss", "test_acc", "seconds",
                                            "images_per_second", "lr", "eval_seconds"});
  double best_val = -1.0, test_at_best = 0.0;
  long long best_epoch = 0;
  for (std::size_t e = 1; e < rows.size(); ++e) {
    REQUIRE(rows[e].size() == 11);
    CHECK(std::stoll(rows[e][0]) == static_cast<long long>(e));
    for (std::size_t c = 1; c < rows[e].size(); ++c) CHECK(std::isfinite(std::stod(rows[e][c])));
    const double train_acc = std::stod(rows[e][2]), val_acc = std::stod(rows[e][4]),
                 test_acc = std::stod(rows[e][6]);
    // 32 training images (2 batches of 16), 40 validation and 30 test images.
    CHECK(std::fabs(train_acc * 32 - std::round(train_acc * 32)) < 1e-6);
    CHECK(std::fabs(val_acc * 40 - std::round(val_acc * 40)) < 1e-6);
    CHECK(std::fabs(test_acc * 30 - std::round(test_acc * 30)) < 1e-6);
    CHECK(std::stod(rows[e][1]) > 0.0);  // a cross-entropy
    CHECK(std::stod(rows[e][9]) == Approx(1e-2));
    if (val_acc > best_val) {
      best_val = val_acc;
      test_at_best = test_acc;
      best_epoch = static_cast<long long>(e);
    }
  }
  CHECK(results.at("best_val_epoch").get<double>() == static_cast<double>(best_epoch));
  CHECK(results.at("test_acc_at_best_val").get<double>() == Approx(test_at_best));
  CHECK(results.at("final_test_acc").get<double>() == Approx(std::stod(rows[2][6])));

  // The permutation of the run is saved and is the one the seed gives.
  std::ifstream permutation_file(out / "permutation.txt");
  std::vector<Index> permutation;
  for (Index p; permutation_file >> p;) permutation.push_back(p);
  CHECK(permutation == data::random_permutation(784, 9));

  // Another model and readout: the iRNN with the MLP readout (Wx 8x1, Wy 8x8, readout 100x8 and
  // 10x100 weights), on sMNIST, which keeps the last partial batch: 40 = 16 + 16 + 8.
  const fs::path out_irnn = dir.path / "out_irnn";
  REQUIRE(run_program({"--task", "smnist", "--model", "irnn", "--readout", "mlp", "--data",
                       dir.path.string(), "--n", "8", "--epochs", "1", "--batch", "16",
                       "--max-eval", "10", "--out", out_irnn.string()}) == 0);
  nlohmann::json irnn;
  std::ifstream(out_irnn / "results.json") >> irnn;
  CHECK(irnn.at("params") == 8 + 64 + 800 + 1000);
  CHECK(irnn.at("full_epoch_batches") == 3);
  CHECK(irnn.at("train_batches_per_epoch") == 3.0);
  CHECK(irnn.at("permutation_seed") == nullptr);
  CHECK(irnn.at("flags").at("readout") == "mlp");

  // Flags the program refuses end with exit code 2, a file it cannot read with 1.
  CHECK(run_program({"--task", "pmnist", "--data", dir.path.string()}) == 2);
  CHECK(run_program({"--data", (dir.path / "missing").string(), "--epochs", "1"}) == 1);
  CHECK(run_program({"--data", dir.path.string(), "--lr-drop-every", "0"}) == 2);
}

TEST_CASE("seq_image runs noisy sequential CIFAR-10 from CIFAR binary files") {
  TempDir dir;
  Rng rng(3);
  for (int i = 1; i <= 5; ++i)  // 3040 training images in all: 3000 validation, 40 training
    write_cifar(dir.path / ("data_batch_" + std::to_string(i) + ".bin"), 608, rng);
  write_cifar(dir.path / "test_batch.bin", 20, rng);
  CHECK(run_program({"--task", "nscifar10"}) == 2);  // CIFAR needs --data
  const fs::path out = dir.path / "out";
  REQUIRE(
      run_program(
          {"--task",     "nscifar10", "--model", "gru",     "--data", dir.path.string(),     "--n",
           "8",          "--epochs",  "1",       "--batch", "8",      "--max-train-batches", "1",
           "--max-eval", "16",        "--seed",  "5",       "--out",  out.string()}) == 0);
  nlohmann::json results;
  std::ifstream(out / "results.json") >> results;
  CHECK(results.at("T") == 1000);
  CHECK(results.at("d") == 96);
  CHECK(results.at("noise_seed") == 5);
  CHECK(results.at("permutation_seed") == nullptr);
  // weight_ih 24x96, weight_hh 24x8, readout 10x8.
  CHECK(results.at("params") == 2304 + 192 + 80);
  CHECK(results.at("train_examples") == 40);
  CHECK(results.at("test_examples") == 16);
  CHECK(results.at("full_epoch_batches") == 5);
  CHECK(read_csv(out / "curve.csv").size() == 2);
}

TEST_CASE("seq_image resumed from its epoch checkpoint continues bit-identically") {
  TempDir dir;
  write_small_mnist(dir.path, 3);
  auto arguments = [&](const fs::path& out, int epochs) {
    return small_wave_run(dir.path, out, epochs, 32, 5, 1);
  };
  const fs::path straight = dir.path / "straight", interrupted = dir.path / "interrupted";
  REQUIRE(run_program(arguments(straight, 3)) == 0);
  // The interrupted run also keeps only every 5th state of the 784-step tape and recomputes the
  // rest (--tape-checkpoint-every): that must not change a bit either.
  auto first_part = arguments(interrupted, 2);
  first_part.insert(first_part.end(), {"--tape-checkpoint-every", "5"});
  REQUIRE(run_program(first_part) == 0);
  auto resumed = arguments(interrupted, 3);
  resumed.insert(resumed.end(), {"--tape-checkpoint-every", "5", "--resume",
                                 (interrupted / "checkpoint.safetensors").string()});
  REQUIRE(run_program(resumed) == 0);
  // Every loss and accuracy of every epoch is the same (the seconds columns differ).
  const auto a = read_csv(straight / "curve.csv"), b = read_csv(interrupted / "curve.csv");
  REQUIRE(a.size() == 4);
  REQUIRE(b.size() == a.size());
  for (std::size_t row = 1; row < a.size(); ++row)
    for (std::size_t column = 0; column <= 6; ++column) CHECK(a[row][column] == b[row][column]);
  // A checkpoint of another run is refused.
  auto other = small_wave_run(dir.path, dir.path / "other", 3, 32, 6, 1);
  other.push_back("--resume");
  other.push_back((interrupted / "checkpoint.safetensors").string());
  CHECK(run_program(other) == 2);
}

}  // namespace test_seq_image
