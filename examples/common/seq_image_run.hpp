// What seq_image's run is made of (the program is examples/seq_image.cpp): its options, the data
// (sMNIST, psMNIST, noisy sequential CIFAR-10: docs/model.md, "Tasks", docs/seq_image.md), the
// epoch loop, the run's record (curve.csv, results.json) and its checkpoint.
//
// Per epoch: shuffled training batches (drop_last for psMNIST and nsCIFAR-10 as the authors do),
// a progress bar with the running loss, running accuracy and ETA, then the validation split (3000
// held-out training images) and the test set, both forward-only. The reported test accuracy is the
// one at the epoch of best validation accuracy (the first such epoch on ties), as in the authors'
// code. The learning rate follows --lr-scheduler, stepped once per epoch (lr_schedule_flags.hpp),
// by default StepLR: lr(e) = lr * (1/F)^floor((e-1)/E) for epoch e = 1, 2, ...; plateau takes
// the epoch's --lr-plateau-metric after the evaluation, by default what the authors' psMNIST script
// gives it: scheduler.step(valid_acc), the validation accuracy in percent, in ReduceLROnPlateau's
// default mode 'min' (so the rate drops while the accuracy rises; val-acc asks for mode 'max').
// The run's record goes to DIR/curve.csv and DIR/results.json after every epoch.
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/classification.hpp"
#include "common/data_parallel.hpp"
#include "common/flag_checks.hpp"
#include "common/hidden_unit_census.hpp"
#include "common/lr_schedule_flags.hpp"
#include "common/memory_budget.hpp"
#include "common/model_flags.hpp"
#include "common/output_files.hpp"
#include "common/program_errors.hpp"
#include "common/progress_bar.hpp"
#include "wrnn/data/data.hpp"
#include "wrnn/io/io.hpp"
#include "wrnn/model/flat_classifier.hpp"
#include "wrnn/wrnn.hpp"

namespace wrnn::examples {

struct SeqImageOptions {
  std::string task = "smnist";  // smnist, psmnist or nscifar10
  std::string model = "wave";   // wave, irnn, lstm, gru, loco or fc
  std::string data_dir;         // default: Debian's Fashion-MNIST for smnist/psmnist
  Index ring_size = 256;        // --n: units per channel (wave) or hidden units (others)
  Index channels = 16;
  Index kernel_size = 3;
  std::string readout = "linear";  // linear or mlp
  Index mlp_hidden = 100;          // the mlp readout's hidden units
  bool freeze_rnn = false;         // --freeze-rnn: the recurrent weight and bias kept at init
  bool freeze_encoder = false;     // --freeze-encoder: the input weight and bias kept at init
  long long epochs = 120;
  Index batch = 128;
  Index eval_batch = 1000;  // the authors'; evaluation keeps no tape (SequenceModel::infer)
  double learning_rate = 1e-4;
  // --lr-scheduler and its parameters (lr_schedule_flags.hpp), stepped every epoch.
  std::string lr_scheduler = "step";
  long long lr_drop_every = 100;
  double lr_drop_factor = 10.0;
  double lr_gamma = 0.97;        // the authors' ExponentialLR
  long long lr_t_max = 0;        // 0: --epochs
  double lr_max = 0.0;           // 0: --lr
  long long lr_total_steps = 0;  // 0: batches per epoch x --epochs, the authors' OneCycleLR
  long long lr_patience = 5;     // the authors' ReduceLROnPlateau
  long long lr_cooldown = 5;
  std::string lr_plateau_metric = "authors";  // authors, val-acc or val-loss (plateau_metric)
  double grad_clip = 0.0;
  std::string init;    // default: shift for wave, identity for irnn
  std::string v_init;  // default: solo for wave, pytorch for irnn (the authors' choices)
  std::string activation = "relu";
  std::uint64_t seed = 1;
  Index threads = 0;  // --threads, else WRNN_NUM_THREADS or the cores (resolve_thread_count)
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
          {"mlp_hidden", o.mlp_hidden},
          {"freeze_rnn", o.freeze_rnn},
          {"freeze_encoder", o.freeze_encoder},
          {"epochs", o.epochs},
          {"batch", o.batch},
          {"eval_batch", o.eval_batch},
          {"lr", o.learning_rate},
          {"lr_drop_every", o.lr_drop_every},
          {"lr_drop_factor", o.lr_drop_factor},
          {"lr_schedule", lr_schedule_json(o)},
          {"lr_plateau_metric", o.lr_plateau_metric},
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

// An epoch's record as a row of numbers, in this order (the checkpoint's curve tensor).
inline constexpr std::size_t kEpochRecordColumns = 13;

inline std::vector<double> epoch_row(const EpochRecord& r) {
  return {static_cast<double>(r.epoch),
          r.train_loss,
          r.train_acc,
          r.val_loss,
          r.val_acc,
          r.test_loss,
          r.test_acc,
          r.seconds,
          r.images_per_second,
          r.learning_rate,
          r.eval_seconds,
          static_cast<double>(r.train_batches),
          static_cast<double>(r.train_images)};
}

inline EpochRecord epoch_record_from_row(const double* row) {
  EpochRecord r;
  r.epoch = static_cast<long long>(row[0]);
  r.train_loss = row[1];
  r.train_acc = row[2];
  r.val_loss = row[3];
  r.val_acc = row[4];
  r.test_loss = row[5];
  r.test_acc = row[6];
  r.seconds = row[7];
  r.images_per_second = row[8];
  r.learning_rate = row[9];
  r.eval_seconds = row[10];
  r.train_batches = static_cast<long long>(row[11]);
  r.train_images = static_cast<long long>(row[12]);
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

// --lr-plateau-metric: what --lr-scheduler plateau is given after each epoch, and whether it
// improves by falling (PlateauMode::min) or rising (max):
//   authors   the validation accuracy in percent, mode min: the authors' psMNIST script calls
//             scheduler.step(valid_acc) on a ReduceLROnPlateau left in PyTorch's default mode
//   val-acc   the validation accuracy in percent, mode max
//   val-loss  the validation loss, mode min
inline PlateauMode plateau_mode(const SeqImageOptions& options) {
  return options.lr_plateau_metric == "val-acc" ? PlateauMode::max : PlateauMode::min;
}
inline double plateau_metric(const SeqImageOptions& options, const EpochRecord& r) {
  return options.lr_plateau_metric == "val-loss" ? r.val_loss : 100.0 * r.val_acc;
}

// What a checkpoint keeps of the run besides model, Adam and RNG: under the metadata key
// "seq_image.record" (JSON text) the epochs done, the best validation epoch and the settings a
// resumed run must share (resume_settings); and the curve, which grows with the run, as the
// tensor "run.curve" of one row per epoch (epoch_row), not in the header (readers limit its size).
inline const std::string kCheckpointRecordKey = "seq_image.record";
inline const std::string kEpochCurveTensor = "run.curve";

// The flags that decide how training goes on from a checkpoint, with the data folder as a
// canonical path: resuming with any of them changed is refused (--epochs may grow; --threads,
// --eval-batch and --tape-checkpoint-every do not change the results).
inline nlohmann::json resume_settings(const SeqImageOptions& options,
                                      const std::string& data_directory) {
  std::error_code error;
  const std::filesystem::path data = std::filesystem::weakly_canonical(data_directory, error);
  nlohmann::json settings = {{"task", options.task},
                             {"model", options.model},
                             {"seed", options.seed},
                             {"data", error ? data_directory : data.string()},
                             {"batch", options.batch},
                             {"lr", options.learning_rate},
                             {"lr_drop_every", options.lr_drop_every},
                             {"lr_drop_factor", options.lr_drop_factor},
                             {"lr_schedule", lr_schedule_json(options)},
                             {"grad_clip", options.grad_clip},
                             {"freeze_rnn", options.freeze_rnn},
                             {"freeze_encoder", options.freeze_encoder},
                             {"max_train_batches", options.max_train_batches}};
  if (options.lr_scheduler == "plateau") settings["lr_plateau_metric"] = options.lr_plateau_metric;
  return settings;
}

inline nlohmann::json checkpoint_metadata(const RunRecord& record, const SeqImageOptions& options,
                                          const data::SequentialImageView& view,
                                          const std::string& data_directory) {
  nlohmann::json metadata = resume_settings(options, data_directory);
  metadata["epoch"] = record.epochs_done();
  metadata["best_val_epoch"] = record.best_val_epoch;
  metadata["best_val_acc"] = record.best_val_acc;
  metadata["test_acc_at_best_val"] = record.test_acc_at_best_val;
  metadata["permutation_seed"] = view.seed();
  if (view.kind() == data::SequentialImageKind::permuted_pixels)
    metadata["permutation"] = view.permutation();
  return metadata;
}

inline io::RunTensors checkpoint_tensors(const RunRecord& record) {
  io::RunTensor curve{{static_cast<std::int64_t>(record.curve.size()),
                       static_cast<std::int64_t>(kEpochRecordColumns)},
                      {}};
  for (const EpochRecord& r : record.curve) {
    const std::vector<double> row = epoch_row(r);
    curve.values.insert(curve.values.end(), row.begin(), row.end());
  }
  return {{kEpochCurveTensor, curve}};
}

// Rebuilds the run record from a checkpoint's metadata and curve tensor, refusing a checkpoint
// of another run or of other settings (ValueError naming the setting), one whose epoch is beyond
// --epochs (ValueError), and a damaged record (FormatError naming what is wrong).
inline RunRecord run_record_from_checkpoint(const nlohmann::json& metadata,
                                            const io::RunTensors& tensors,
                                            const SeqImageOptions& options,
                                            const data::SequentialImageView& view,
                                            const std::string& data_directory) {
  const auto damaged = [&](const std::string& what) {
    return FormatError("--resume " + options.resume + ": " + what +
                       " (a damaged checkpoint, or not one of seq_image's)");
  };
  if (!metadata.is_object())
    throw damaged("expected metadata '" + kCheckpointRecordKey + "' to be a JSON object");
  const auto expect = [&](const std::string& key, const nlohmann::json& expected) {
    if (!metadata.contains(key) || metadata.at(key) != expected)
      throw ValueError(detail::concat("--resume ", options.resume, ": expected ", key, " ",
                                      expected.dump(), " (from the flags), the checkpoint has ",
                                      metadata.contains(key) ? metadata.at(key).dump() : "none",
                                      "; resume with the same settings"));
  };
  const nlohmann::json settings = resume_settings(options, data_directory);
  for (const auto& [key, value] : settings.items()) expect(key, value);
  if (view.kind() == data::SequentialImageKind::permuted_pixels)
    expect("permutation", view.permutation());
  if (!metadata.contains("epoch") || !metadata.at("epoch").is_number_integer() ||
      metadata.at("epoch").get<long long>() < 0)
    throw damaged("expected 'epoch' to be an integer >= 0");
  const long long epochs = metadata.at("epoch").get<long long>();
  if (epochs > options.epochs)
    throw ValueError(detail::concat("--resume ", options.resume,
                                    ": the checkpoint was taken after epoch ", epochs,
                                    ", beyond --epochs ", options.epochs, "; give --epochs ",
                                    epochs, " or more to continue the run"));

  const auto found = tensors.find(kEpochCurveTensor);
  if (found == tensors.end())
    throw damaged("expected a tensor '" + kEpochCurveTensor + "', found none");
  const io::RunTensor& curve = found->second;
  if (curve.shape !=
      std::vector<std::int64_t>{epochs, static_cast<std::int64_t>(kEpochRecordColumns)})
    throw damaged(detail::concat("tensor '", kEpochCurveTensor, "': expected shape [", epochs, ", ",
                                 kEpochRecordColumns, "] (one row per epoch done), received ",
                                 io::shape_text(curve.shape)));
  RunRecord record;
  for (long long e = 1; e <= epochs; ++e) {
    const double* row = curve.values.data() + (e - 1) * static_cast<long long>(kEpochRecordColumns);
    for (std::size_t c = 0; c < kEpochRecordColumns; ++c)
      if (!std::isfinite(row[c]) || row[c] < 0 || (c == 0 && row[c] != static_cast<double>(e)))
        throw damaged(detail::concat("tensor '", kEpochCurveTensor, "' row ", e - 1, " column ", c,
                                     ": expected ", c == 0 ? "the epoch " : "a finite number >= 0",
                                     c == 0 ? std::to_string(e) : std::string(), ", received ",
                                     row[c]));
    record.add(epoch_record_from_row(row));
  }
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
  std::ostringstream csv;
  csv << "epoch,train_loss,train_acc,val_loss,val_acc,test_loss,test_acc,seconds,"
         "images_per_second,lr,eval_seconds\n";
  csv.precision(9);
  for (const EpochRecord& r : record.curve)
    csv << r.epoch << ',' << r.train_loss << ',' << r.train_acc << ',' << r.val_loss << ','
        << r.val_acc << ',' << r.test_loss << ',' << r.test_acc << ',' << r.seconds << ','
        << r.images_per_second << ',' << r.learning_rate << ',' << r.eval_seconds << '\n';
  write_text_file(path, csv.str());
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
      {"processes", process_count()},
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

// Whether Model is the fc model (FlatClassifier): no cell, so no census, nothing to freeze, and
// one process.
template <class Model>
inline constexpr bool is_flat_classifier = false;
template <class Scalar>
inline constexpr bool is_flat_classifier<FlatClassifier<Scalar>> = true;

// The hidden-unit census (hidden_unit_census.hpp) over the first 16 test images; null when the
// tape is checkpointed (the forward then keeps too few states to read a sample's history).
template <class Model>
nlohmann::json recurrent_census(Model& model, const SeqImageOptions& options, const SeqImageData& d,
                                const data::SequentialImageView& view) {
  if (options.tape_checkpoint_every > 0 || d.test_examples.empty()) return nullptr;
  const std::vector<Index> examples(
      d.test_examples.begin(),
      d.test_examples.begin() +
          std::min<std::ptrdiff_t>(16, static_cast<std::ptrdiff_t>(d.test_examples.size())));
  Sequence<float> x;
  std::vector<int> labels;
  view.fill(d.test, examples, x, labels);
  model.forward(x);
  return hidden_unit_census(model, static_cast<Index>(examples.size()));
}

// Null for the fc model, which has no hidden state.
template <class Model>
nlohmann::json test_census(Model& model, const SeqImageOptions& options, const SeqImageData& d,
                           const data::SequentialImageView& view) {
  if constexpr (is_flat_classifier<Model>) {
    return nullptr;
  } else {
    return recurrent_census(model, options, d, view);
  }
}

// The model trained over the process group (common/data_parallel.hpp); the fc model, which has
// no chunks to deal, alone (run_seq_image refuses it under mpirun).
template <class Model>
decltype(auto) training_group(Model& model) {
  if constexpr (is_flat_classifier<Model>) {
    return (model);
  } else {
    return data_parallel(model);
  }
}

template <class Model>
nlohmann::json train_seq_image(Model& model, const SeqImageOptions& options, const SeqImageData& d,
                               const data::SequentialImageView& view, std::ostream& log) {
  Rng rng(options.seed);
  model.init(rng);
  // Before Adam: it keeps no state for frozen parameters (the fc model has none to freeze).
  if constexpr (!is_flat_classifier<Model>) freeze_parameters(model, options);
  Adam<float> optimizer(model.parameters(), AdamOptions{options.learning_rate});
  // The authors' sMNIST loader keeps the last partial batch; psMNIST and nsCIFAR-10 drop it.
  const bool drop_last = options.task != "smnist";
  const Index full_epoch_batches =
      data::EpochBatches::shuffled(d.split.train, options.batch, drop_last, options.seed, 0).size();
  // Stepped once per epoch, as the authors do (run_seq_image resolved the defaults).
  LrSchedule schedule(options, options.learning_rate, options.epochs, options.lr_total_steps,
                      plateau_mode(options));

  RunRecord record;
  if (!options.resume.empty()) {
    // Model, Adam state and RNG from the checkpoint; the run's record (curve, best epoch) from its
    // metadata and curve tensor. The batch order needs nothing: it depends only on (seed, epoch).
    const io::CheckpointInfo info = io::load_checkpoint(options.resume, model, optimizer, rng);
    const auto stored = info.metadata.find(kCheckpointRecordKey);
    if (stored == info.metadata.end())
      throw FormatError("--resume " + options.resume + ": expected metadata '" +
                        kCheckpointRecordKey + "' (a seq_image checkpoint), the file has none");
    record = run_record_from_checkpoint(nlohmann::json::parse(stored->second, nullptr, false),
                                        info.run_tensors, options, view, d.directory);
    for (const EpochRecord& done : record.curve) {  // the schedule's state, replayed
      schedule.step();
      schedule.step(plateau_metric(options, done));
    }
  }
  // Under mpirun each batch's chunks are shared among the ranks (common/data_parallel.hpp): every
  // rank reads the whole batch, runs its chunks; rank 0 alone prints and writes.
  auto&& parallel = training_group(model);
  const bool root = is_root_process();
  if (root && !options.out_dir.empty() &&
      view.kind() == data::SequentialImageKind::permuted_pixels) {
    std::ostringstream permutation;
    for (Index position : view.permutation()) permutation << position << '\n';
    write_text_file(options.out_dir + "/permutation.txt", permutation.str());
  }

  Sequence<float> x;
  std::vector<int> labels;
  long long step = optimizer.step_count();
  for (long long epoch = record.epochs_done() + 1; epoch <= options.epochs; ++epoch) {
    EpochRecord r;
    r.epoch = epoch;
    r.learning_rate = schedule.learning_rate();
    schedule.apply(optimizer);
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
          classification_train_step(parallel, optimizer, x, labels, options.grad_clip, ++step);
      loss_sum += result.loss * static_cast<double>(labels.size());
      correct += result.correct;
      seen += static_cast<Index>(labels.size());
      if ((i + 1) % options.log_every == 0 || i + 1 == count) {
        char message[64];
        std::snprintf(message, sizeof message, "loss %.4f acc %.4f",
                      loss_sum / static_cast<double>(seen),
                      static_cast<double>(correct) / static_cast<double>(seen));
        if (root) progress.update(i + 1, message);
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
        evaluate_classifier(parallel, view, d.train, d.validation_examples, options.eval_batch);
    const Evaluation test =
        evaluate_classifier(parallel, view, d.test, d.test_examples, options.eval_batch);
    r.eval_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - eval_start).count();
    const nlohmann::json census = root ? test_census(model, options, d, view) : nullptr;
    r.val_loss = validation.loss;
    r.val_acc = validation.accuracy;
    r.test_loss = test.loss;
    r.test_acc = test.accuracy;
    record.add(r);
    schedule.step();
    schedule.step(plateau_metric(options, r));  // plateau only: --lr-plateau-metric

    char line[256];
    std::snprintf(line, sizeof line,
                  "epoch %lld: train loss %.4f acc %.4f | val loss %.4f acc %.4f | test loss %.4f "
                  "acc %.4f | %.1f s, %.1f images/s | best val epoch %lld (test %.4f)",
                  epoch, r.train_loss, r.train_acc, r.val_loss, r.val_acc, r.test_loss, r.test_acc,
                  r.seconds, r.images_per_second, record.best_val_epoch,
                  record.test_acc_at_best_val);
    if (root) log << line << std::endl;

    if (root && !options.out_dir.empty()) {
      // Every epoch, each file atomically, so a kill leaves the previous epoch's files whole.
      write_curve_csv(options.out_dir + "/curve.csv", record);
      nlohmann::json results =
          seq_image_results(model, options, d, view, record, full_epoch_batches);
      results["hidden_units"] = census;
      write_text_file(options.out_dir + "/results.json", results.dump(2) + "\n");
      io::save_checkpoint(
          options.out_dir + "/checkpoint.safetensors", model, optimizer, rng, step,
          {{kCheckpointRecordKey, checkpoint_metadata(record, options, view, d.directory).dump()}},
          checkpoint_tensors(record));
    }
  }
  return seq_image_results(model, options, d, view, record, full_epoch_batches);
}

// The program's entry point (examples/seq_image.cpp), which its main() and the tests call: parses
// the flags, trains, and returns the exit status (program_errors.hpp).
int seq_image_main(int argc, char** argv);

}  // namespace wrnn::examples
