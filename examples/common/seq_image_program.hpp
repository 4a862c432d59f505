// The program behind examples/seq_image: sMNIST, psMNIST and noisy sequential CIFAR-10
// (PAPER.md section 2, docs/seq_image.md) for a wave-RNN, an iRNN, an LSTM or a GRU.
//
// Per epoch: shuffled training batches (drop_last for psMNIST and nsCIFAR-10 as the authors do),
// a progress bar with the running loss, running accuracy and ETA, then the validation split (3000
// held-out training images) and the test set, both forward-only. The reported test accuracy is the
// one at the epoch of best validation accuracy (the first such epoch on ties), as in the authors'
// code. The learning rate follows StepLR: lr(e) = lr * (1/F)^floor((e-1)/E) for epoch e = 1, 2, ...
// The run's record goes to DIR/curve.csv and DIR/results.json after every epoch.
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/classification.hpp"
#include "common/model_flags.hpp"
#include "common/progress_bar.hpp"
#include "wrnn/data/data.hpp"
#include "wrnn/io/io.hpp"
#include "wrnn/wrnn.hpp"

namespace wrnn::examples {

struct SeqImageOptions {
  std::string task = "smnist";  // smnist, psmnist or nscifar10
  std::string model = "wave";   // wave, irnn, lstm or gru
  std::string data_dir;         // default: Debian's Fashion-MNIST for smnist/psmnist
  Index ring_size = 256;        // --n: units per channel (wave) or hidden units (others)
  Index channels = 16;
  Index kernel_size = 3;
  std::string readout = "linear";  // linear or mlp
  long long epochs = 120;
  Index batch = 128;
  Index eval_batch = 1000;  // the authors'; evaluation keeps no tape (SequenceModel::infer)
  double learning_rate = 1e-4;
  long long lr_drop_every = 100;
  double lr_drop_factor = 10.0;
  double grad_clip = 0.0;
  std::string init;  // default: shift for wave, identity for irnn
  std::string v_init = "solo";
  std::string activation = "relu";
  std::uint64_t seed = 1;
  Index threads = default_thread_count();
  Index tape_checkpoint_every = 0;  // ModelOptions::tape_checkpoint_every (0: every state kept)
  long long max_train_batches = 0;  // 0: every batch of the epoch
  Index max_eval = 0;               // 0: the whole validation split and test set
  long long log_every = 10;
  std::string out_dir;
  std::string resume;  // checkpoint to continue from (DIR/checkpoint.safetensors of a run)
};

inline nlohmann::json to_json(const SeqImageOptions& o) {
  return {{"task", o.task},
          {"model", o.model},
          {"data", o.data_dir},
          {"n", o.ring_size},
          {"channels", o.channels},
          {"kernel", o.kernel_size},
          {"readout", o.readout},
          {"epochs", o.epochs},
          {"batch", o.batch},
          {"eval_batch", o.eval_batch},
          {"lr", o.learning_rate},
          {"lr_drop_every", o.lr_drop_every},
          {"lr_drop_factor", o.lr_drop_factor},
          {"grad_clip", o.grad_clip},
          {"init", o.init},
          {"v_init", o.v_init},
          {"act", o.activation},
          {"seed", o.seed},
          {"threads", o.threads},
          {"tape_checkpoint_every", o.tape_checkpoint_every},
          {"max_train_batches", o.max_train_batches},
          {"max_eval", o.max_eval},
          {"log_every", o.log_every},
          {"out", o.out_dir},
          {"resume", o.resume}};
}

// One row of curve.csv.
struct EpochRecord {
  long long epoch = 0;
  double train_loss = 0, train_acc = 0, val_loss = 0, val_acc = 0, test_loss = 0, test_acc = 0;
  double seconds = 0;  // training time of the epoch (evaluation excluded)
  double images_per_second = 0;
  double learning_rate = 0;
  double eval_seconds = 0;
  long long train_batches = 0;
  long long train_images = 0;
};

inline nlohmann::json to_json(const EpochRecord& r) {
  return {{"epoch", r.epoch},
          {"train_loss", r.train_loss},
          {"train_acc", r.train_acc},
          {"val_loss", r.val_loss},
          {"val_acc", r.val_acc},
          {"test_loss", r.test_loss},
          {"test_acc", r.test_acc},
          {"seconds", r.seconds},
          {"images_per_second", r.images_per_second},
          {"lr", r.learning_rate},
          {"eval_seconds", r.eval_seconds},
          {"train_batches", r.train_batches},
          {"train_images", r.train_images}};
}

inline EpochRecord epoch_record_from_json(const nlohmann::json& j) {
  EpochRecord r;
  r.epoch = j.at("epoch").get<long long>();
  r.train_loss = j.at("train_loss").get<double>();
  r.train_acc = j.at("train_acc").get<double>();
  r.val_loss = j.at("val_loss").get<double>();
  r.val_acc = j.at("val_acc").get<double>();
  r.test_loss = j.at("test_loss").get<double>();
  r.test_acc = j.at("test_acc").get<double>();
  r.seconds = j.at("seconds").get<double>();
  r.images_per_second = j.at("images_per_second").get<double>();
  r.learning_rate = j.at("lr").get<double>();
  r.eval_seconds = j.at("eval_seconds").get<double>();
  r.train_batches = j.at("train_batches").get<long long>();
  r.train_images = j.at("train_images").get<long long>();
  return r;
}

// Everything about the run so far that is not in the model or the optimizer: the curve and the
// best validation epoch. It is the checkpoint's metadata, so a resumed run continues its record.
struct RunRecord {
  std::vector<EpochRecord> curve;
  long long best_val_epoch = 0;  // 0: no epoch yet
  double best_val_acc = 0.0;
  double test_acc_at_best_val = 0.0;

  long long epochs_done() const { return curve.empty() ? 0 : curve.back().epoch; }

  // Adds an epoch; the best epoch moves only on a strictly higher validation accuracy.
  void add(const EpochRecord& r) {
    curve.push_back(r);
    if (best_val_epoch == 0 || r.val_acc > best_val_acc) {
      best_val_epoch = r.epoch;
      best_val_acc = r.val_acc;
      test_acc_at_best_val = r.test_acc;
    }
  }
};

// The checkpoint metadata: the run record plus what must match when resuming (task, model,
// permutation/noise seed, the psMNIST permutation itself).
// The checkpoint metadata key holding the run's record as JSON text.
inline const std::string kCheckpointRecordKey = "seq_image.record";

inline nlohmann::json checkpoint_metadata(const RunRecord& record, const SeqImageOptions& options,
                                          const data::SequentialImageView& view) {
  nlohmann::json curve = nlohmann::json::array();
  for (const EpochRecord& r : record.curve) curve.push_back(to_json(r));
  nlohmann::json metadata = {{"epoch", record.epochs_done()},
                             {"best_val_epoch", record.best_val_epoch},
                             {"best_val_acc", record.best_val_acc},
                             {"test_acc_at_best_val", record.test_acc_at_best_val},
                             {"task", options.task},
                             {"model", options.model},
                             {"seed", options.seed},
                             {"permutation_seed", view.seed()},
                             {"curve", curve}};
  if (view.kind() == data::SequentialImageKind::permuted_pixels)
    metadata["permutation"] = view.permutation();
  return metadata;
}

// Rebuilds the run record from checkpoint metadata, refusing a checkpoint of another run.
inline RunRecord run_record_from_metadata(const nlohmann::json& metadata,
                                          const SeqImageOptions& options,
                                          const data::SequentialImageView& view) {
  const auto expect = [&](const char* key, const nlohmann::json& expected) {
    if (!metadata.contains(key) || metadata.at(key) != expected)
      throw ValueError(detail::concat("--resume ", options.resume, ": expected ", key, " ",
                                      expected.dump(), " (from the flags), the checkpoint has ",
                                      metadata.contains(key) ? metadata.at(key).dump() : "none"));
  };
  expect("task", options.task);
  expect("model", options.model);
  expect("seed", options.seed);
  if (view.kind() == data::SequentialImageKind::permuted_pixels)
    expect("permutation", view.permutation());
  RunRecord record;
  for (const nlohmann::json& row : metadata.at("curve")) record.add(epoch_record_from_json(row));
  if (record.epochs_done() != metadata.at("epoch").get<long long>())
    throw FormatError(detail::concat("--resume ", options.resume, ": expected a curve up to epoch ",
                                     metadata.at("epoch").get<long long>(), ", received one up to ",
                                     record.epochs_done()));
  return record;
}

// The images of the run: training set (split into train and validation) and test set.
struct SeqImageData {
  data::ImageDataset train, test;
  data::TrainValidationSplit split;
  std::vector<Index> validation_examples, test_examples;  // after --max-eval
  std::string directory;
};

inline SeqImageData load_seq_image_data(const SeqImageOptions& options) {
  SeqImageData d;
  const bool cifar = options.task == "nscifar10";
  d.directory = options.data_dir;
  if (d.directory.empty()) {
    if (cifar)
      throw ValueError(
          "--data: nscifar10 needs the folder of the CIFAR-10 binary version (data_batch_1.bin .. "
          "test_batch.bin), received none");
    d.directory = data::kDebianFashionMnistDirectory;
  }
  d.train = cifar ? data::load_cifar10_directory(d.directory, true)
                  : data::load_mnist_directory(d.directory, true);
  d.test = cifar ? data::load_cifar10_directory(d.directory, false)
                 : data::load_mnist_directory(d.directory, false);
  d.split = data::split_train_validation(d.train.count, data::kImageValidationCount, options.seed);
  const auto first = [&](const std::vector<Index>& all) {
    const std::size_t keep = options.max_eval > 0
                                 ? std::min(all.size(), static_cast<std::size_t>(options.max_eval))
                                 : all.size();
    return std::vector<Index>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep));
  };
  d.validation_examples = first(d.split.validation);
  std::vector<Index> all_test(static_cast<std::size_t>(d.test.count));
  for (Index i = 0; i < d.test.count; ++i) all_test[static_cast<std::size_t>(i)] = i;
  d.test_examples = first(all_test);
  return d;
}

inline void write_curve_csv(const std::string& path, const RunRecord& record) {
  std::ofstream csv(path);
  csv << "epoch,train_loss,train_acc,val_loss,val_acc,test_loss,test_acc,seconds,"
         "images_per_second,lr,eval_seconds\n";
  csv.precision(9);
  for (const EpochRecord& r : record.curve)
    csv << r.epoch << ',' << r.train_loss << ',' << r.train_acc << ',' << r.val_loss << ','
        << r.val_acc << ',' << r.test_loss << ',' << r.test_acc << ',' << r.seconds << ','
        << r.images_per_second << ',' << r.learning_rate << ',' << r.eval_seconds << '\n';
  if (!csv) throw Error("could not write " + path);
}

template <class Model>
nlohmann::json seq_image_results(const Model& model, const SeqImageOptions& options,
                                 const SeqImageData& d, const data::SequentialImageView& view,
                                 const RunRecord& record, Index full_epoch_batches) {
  double seconds = 0.0, images = 0.0, batches = 0.0;
  for (const EpochRecord& r : record.curve) {
    seconds += r.seconds;
    images += static_cast<double>(r.train_images);
    batches += static_cast<double>(r.train_batches);
  }
  const double epochs = static_cast<double>(record.curve.size());
  const auto number = [&](double value) {
    return record.curve.empty() ? nlohmann::json(nullptr) : nlohmann::json(value);
  };
  const EpochRecord last = record.curve.empty() ? EpochRecord{} : record.curve.back();
  const double seconds_per_epoch = epochs > 0 ? seconds / epochs : 0.0;
  const bool permuted = view.kind() == data::SequentialImageKind::permuted_pixels;
  const bool noisy = view.kind() == data::SequentialImageKind::noisy_rows;
  return {
      {"model", options.model},
      {"task", options.task},
      {"params", model.weight_count()},
      {"epochs", record.epochs_done()},
      {"epochs_requested", options.epochs},
      {"best_val_epoch", number(static_cast<double>(record.best_val_epoch))},
      {"best_val_acc", number(record.best_val_acc)},
      {"test_acc_at_best_val", number(record.test_acc_at_best_val)},
      {"final_train_loss", number(last.train_loss)},
      {"final_train_acc", number(last.train_acc)},
      {"final_val_loss", number(last.val_loss)},
      {"final_val_acc", number(last.val_acc)},
      {"final_test_loss", number(last.test_loss)},
      {"final_test_acc", number(last.test_acc)},
      {"seconds_per_epoch", number(seconds_per_epoch)},
      {"images_per_second", number(seconds > 0 ? images / seconds : 0.0)},
      // A full epoch's training time from the batches actually run (--max-train-batches).
      {"seconds_per_full_epoch",
       number(batches > 0 ? seconds / batches * static_cast<double>(full_epoch_batches) : 0.0)},
      {"train_batches_per_epoch", number(epochs > 0 ? batches / epochs : 0.0)},
      {"full_epoch_batches", full_epoch_batches},
      {"threads", options.threads},
      {"T", view.steps()},
      {"d", view.features()},
      {"permutation_seed", permuted ? nlohmann::json(view.seed()) : nlohmann::json(nullptr)},
      {"noise_seed", noisy ? nlohmann::json(view.seed()) : nlohmann::json(nullptr)},
      {"train_examples", d.split.train.size()},
      {"validation_examples", d.validation_examples.size()},
      {"test_examples", d.test_examples.size()},
      {"data", d.directory},
      {"flags", to_json(options)},
  };
}

template <class Model>
nlohmann::json train_seq_image(Model& model, const SeqImageOptions& options, const SeqImageData& d,
                               const data::SequentialImageView& view, std::ostream& log) {
  Rng rng(options.seed);
  model.init(rng);
  Adam<float> optimizer(model.parameters(), AdamOptions{options.learning_rate});
  const StepSchedule schedule(options.learning_rate, options.lr_drop_every,
                              1.0 / options.lr_drop_factor);
  // The authors' sMNIST loader keeps the last partial batch; psMNIST and nsCIFAR-10 drop it.
  const bool drop_last = options.task != "smnist";
  const Index full_epoch_batches =
      data::EpochBatches::shuffled(d.split.train, options.batch, drop_last, options.seed, 0).size();

  RunRecord record;
  if (!options.resume.empty()) {
    // Model, Adam state and RNG from the checkpoint; the run's record (curve, best epoch) from its
    // metadata. The batch order needs nothing: it depends only on (seed, epoch).
    const io::CheckpointInfo info = io::load_checkpoint(options.resume, model, optimizer, rng);
    const auto stored = info.metadata.find(kCheckpointRecordKey);
    if (stored == info.metadata.end())
      throw FormatError("--resume " + options.resume + ": expected metadata '" +
                        kCheckpointRecordKey + "' (a seq_image checkpoint), the file has none");
    record = run_record_from_metadata(nlohmann::json::parse(stored->second), options, view);
  }
  if (!options.out_dir.empty()) std::filesystem::create_directories(options.out_dir);
  if (!options.out_dir.empty() && view.kind() == data::SequentialImageKind::permuted_pixels) {
    std::ofstream permutation(options.out_dir + "/permutation.txt");
    for (Index position : view.permutation()) permutation << position << '\n';
    if (!permutation) throw Error("could not write " + options.out_dir + "/permutation.txt");
  }

  Sequence<float> x;
  std::vector<int> labels;
  long long step = optimizer.step_count();
  for (long long epoch = record.epochs_done() + 1; epoch <= options.epochs; ++epoch) {
    EpochRecord r;
    r.epoch = epoch;
    r.learning_rate = schedule.learning_rate(epoch - 1);
    optimizer.set_learning_rate(r.learning_rate);
    const data::EpochBatches batches = data::EpochBatches::shuffled(
        d.split.train, options.batch, drop_last, options.seed, epoch - 1);
    const Index count = options.max_train_batches > 0
                            ? std::min<Index>(batches.size(), options.max_train_batches)
                            : batches.size();
    ProgressBar progress(count, detail::concat("epoch ", epoch, "/", options.epochs, " "));
    double loss_sum = 0.0;
    Index correct = 0, seen = 0;
    for (Index i = 0; i < count; ++i) {
      view.fill(d.train, batches[i], x, labels);
      const ClassificationStep result =
          classification_train_step(model, optimizer, x, labels, options.grad_clip, ++step);
      loss_sum += result.loss * static_cast<double>(labels.size());
      correct += result.correct;
      seen += static_cast<Index>(labels.size());
      if ((i + 1) % options.log_every == 0 || i + 1 == count) {
        char message[64];
        std::snprintf(message, sizeof message, "loss %.4f acc %.4f",
                      loss_sum / static_cast<double>(seen),
                      static_cast<double>(correct) / static_cast<double>(seen));
        progress.update(i + 1, message);
      }
    }
    progress.finish();
    r.seconds = progress.seconds_since_start();
    r.train_batches = count;
    r.train_images = seen;
    r.train_loss = seen > 0 ? loss_sum / static_cast<double>(seen) : 0.0;
    r.train_acc = seen > 0 ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
    r.images_per_second = r.seconds > 0 ? static_cast<double>(seen) / r.seconds : 0.0;

    const auto eval_start = std::chrono::steady_clock::now();
    const Evaluation validation =
        evaluate_classifier(model, view, d.train, d.validation_examples, options.eval_batch);
    const Evaluation test =
        evaluate_classifier(model, view, d.test, d.test_examples, options.eval_batch);
    r.eval_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - eval_start).count();
    r.val_loss = validation.loss;
    r.val_acc = validation.accuracy;
    r.test_loss = test.loss;
    r.test_acc = test.accuracy;
    record.add(r);

    char line[256];
    std::snprintf(line, sizeof line,
                  "epoch %lld: train loss %.4f acc %.4f | val loss %.4f acc %.4f | test loss %.4f "
                  "acc %.4f | %.1f s, %.1f images/s | best val epoch %lld (test %.4f)",
                  epoch, r.train_loss, r.train_acc, r.val_loss, r.val_acc, r.test_loss, r.test_acc,
                  r.seconds, r.images_per_second, record.best_val_epoch,
                  record.test_acc_at_best_val);
    log << line << std::endl;

    if (!options.out_dir.empty()) {
      write_curve_csv(options.out_dir + "/curve.csv", record);
      std::ofstream results_file(options.out_dir + "/results.json");
      results_file << seq_image_results(model, options, d, view, record, full_epoch_batches).dump(2)
                   << '\n';
      if (!results_file) throw Error("could not write " + options.out_dir + "/results.json");
      // Every epoch: atomically, so a kill leaves the previous epoch's checkpoint whole.
      io::save_checkpoint(
          options.out_dir + "/checkpoint.safetensors", model, optimizer, rng, step,
          {{kCheckpointRecordKey, checkpoint_metadata(record, options, view).dump()}});
    }
  }
  return seq_image_results(model, options, d, view, record, full_epoch_batches);
}

inline ModelOptions seq_image_model_options(const SeqImageOptions& options) {
  ModelOptions model;
  model.threads = options.threads;
  model.tape_checkpoint_every = options.tape_checkpoint_every;
  return model;
}

// Builds the model the flags ask for and trains it. Returns results.json's content.
inline nlohmann::json run_seq_image(SeqImageOptions options, std::ostream& log) {
  if (options.epochs < 0 || options.batch <= 0 || options.eval_batch <= 0 ||
      options.log_every <= 0 || options.lr_drop_every <= 0 || !(options.lr_drop_factor > 0) ||
      options.max_train_batches < 0 || options.max_eval < 0)
    throw ValueError(
        "--epochs, --max-train-batches and --max-eval must be >= 0; --batch, --eval-batch, "
        "--log-every, --lr-drop-every and --lr-drop-factor must be positive");
  if (options.model == "wave" && options.init.empty()) options.init = "shift";
  if (options.model == "irnn" && options.init.empty()) options.init = "identity";
  if (options.model == "lstm" || options.model == "gru")
    options.init = options.v_init = options.activation = "pytorch";  // PyTorch's own init, gates
  if (options.model != "wave" && options.model != "irnn" && options.model != "lstm" &&
      options.model != "gru")
    throw ValueError("--model: expected wave, irnn, lstm or gru, received '" + options.model + "'");

  // The view first: a wrong --task fails before any file is read.
  const data::SequentialImageView view =
      data::SequentialImageView::for_task(options.task, options.seed);
  const SeqImageData d = load_seq_image_data(options);
  const ReadoutOptions readout{10, parse_readout_kind(options.readout), ReadoutMode::last_step,
                               100};
  const Index d_in = view.features();
  if (options.model == "wave") {
    WaveCellOptions cell{d_in,
                         options.channels,
                         options.ring_size,
                         options.kernel_size,
                         parse_activation(options.activation),
                         parse_recurrent_init(options.init),
                         parse_input_init(options.v_init)};
    SequenceModel<WaveCell<float>> model(cell, readout, seq_image_model_options(options));
    return train_seq_image(model, options, d, view, log);
  }
  if (options.model == "irnn") {
    DenseCellOptions cell{d_in, options.ring_size, parse_activation(options.activation),
                          parse_recurrent_init(options.init), parse_input_init(options.v_init)};
    SequenceModel<DenseCell<float>> model(cell, readout, seq_image_model_options(options));
    return train_seq_image(model, options, d, view, log);
  }
  if (options.model == "lstm") {
    SequenceModel<LSTMCell<float>> model(LSTMCellOptions{d_in, options.ring_size}, readout,
                                         seq_image_model_options(options));
    return train_seq_image(model, options, d, view, log);
  }
  SequenceModel<GRUCell<float>> model(GRUCellOptions{d_in, options.ring_size}, readout,
                                      seq_image_model_options(options));
  return train_seq_image(model, options, d, view, log);
}

inline int seq_image_main(int argc, char** argv) {
  SeqImageOptions options;
  CLI::App app{
      "Train a wave-RNN, an iRNN, an LSTM or a GRU on sequential image classification: sMNIST, "
      "psMNIST or noisy sequential CIFAR-10 (Keller et al. 2024)"};
  add_model_flags(app, options);
  app.add_option("--task", options.task, "smnist, psmnist or nscifar10")->capture_default_str();
  app.add_option("--data", options.data_dir,
                 std::string("folder of the IDX files (default for smnist/psmnist: ") +
                     data::kDebianFashionMnistDirectory +
                     ") or of the CIFAR-10 binary files (needed for nscifar10)");
  app.add_option("--readout", options.readout, "linear or mlp (one hidden layer of 100 relu)")
      ->capture_default_str();
  app.add_option("--epochs", options.epochs, "training epochs")->capture_default_str();
  app.add_option("--batch", options.batch, "training batch size")->capture_default_str();
  app.add_option("--eval-batch", options.eval_batch,
                 "evaluation batch size (results do not depend on it)")
      ->capture_default_str();
  app.add_option("--lr-drop-every", options.lr_drop_every,
                 "divide the learning rate by --lr-drop-factor every E epochs (StepLR)")
      ->capture_default_str();
  app.add_option("--lr-drop-factor", options.lr_drop_factor, "the divisor F of the lr drop")
      ->capture_default_str();
  app.add_option("--seed", options.seed,
                 "seed of the train/validation split, the psMNIST permutation (or nsCIFAR-10 "
                 "noise), the batch order and the initial weights")
      ->capture_default_str();
  app.add_option("--max-train-batches", options.max_train_batches,
                 "train on at most N batches per epoch (0: all; for quick runs and timing)")
      ->capture_default_str();
  app.add_option("--tape-checkpoint-every", options.tape_checkpoint_every,
                 "keep every K-th state for backpropagation and recompute the others (0: keep "
                 "all; 28 cuts the wave sMNIST tape from 1.6 GB to 112 MB at the same speed; "
                 "results do not depend on it)")
      ->capture_default_str();
  app.add_option("--max-eval", options.max_eval,
                 "evaluate on the first N validation and N test images (0: all)")
      ->capture_default_str();
  app.add_option("--log-every", options.log_every, "redraw the progress bar every N batches")
      ->capture_default_str();
  app.add_option("--out", options.out_dir,
                 "write curve.csv and results.json here after every epoch (and permutation.txt "
                 "for psmnist)");
  app.add_option("--resume", options.resume, "continue the run saved in this checkpoint");
  CLI11_PARSE(app, argc, argv);
  try {
    std::cout << run_seq_image(options, std::cerr).dump(2) << std::endl;
    return 0;
  } catch (const Error& error) {
    std::cerr << error.what() << std::endl;
    return 2;
  } catch (const std::exception& error) {  // the file system or the JSON library
    std::cerr << "seq_image: " << error.what() << std::endl;
    return 1;
  }
}

}  // namespace wrnn::examples
