// The program behind examples/copy_task and examples/adding_task: flags like the authors'
// scripts, a training loop with a progress bar, and the run's record (curve.csv, results.json).
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/model_flags.hpp"
#include "common/progress_bar.hpp"
#include "wrnn/analysis/analysis.hpp"
#include "wrnn/io/io.hpp"
#include "wrnn/wrnn.hpp"

namespace wrnn::examples {

struct MemoryTaskOptions {
  std::string task;            // "copy" or "adding"
  std::string model = "wave";  // wave, irnn, lstm or gru
  Index ring_size = 100;       // --n: units per channel (wave) or hidden units (irnn, lstm, gru)
  Index channels = 6;
  Index kernel_size = 3;
  Index length = 0;  // --T
  long long steps = 1000;
  Index batch = 128;
  Index test_batch = 512;
  double learning_rate = 1e-3;
  double grad_clip = 0.0;
  std::string init;  // default: shift for wave, identity for irnn
  std::string v_init = "solo";
  std::string activation = "relu";
  std::uint64_t seed = 1;
  Index threads = default_thread_count();
  long long log_every = 100;
  double solved_threshold = 0.05;
  std::string out_dir;
  // Weights and checkpoints (docs/checkpoints.md).
  std::string save_path;           // --save: the trained model
  std::string load_path;           // --load: start from these weights instead of the init
  long long checkpoint_every = 0;  // --checkpoint-every (0: never)
  std::string checkpoint_path;     // --checkpoint (default: <out>/checkpoint.safetensors)
  std::string resume_path;         // --resume: continue the run saved in this checkpoint
};

// One evaluation on the fixed test batch: (step, train loss of that step, test loss).
struct CurvePoint {
  long long step;
  double train_loss;
  double test_loss;
};

// The hidden state of test sample 0 over time (units x steps): as CSV, as a space-time picture
// (one panel per channel; rings for the wave cell, one "ring" of N units for the iRNN), and the
// wave measures of docs/analysis.md added to results under "waves".
template <class Model>
void write_hidden_state_record(Model& model, const Sequence<float>& inputs,
                               const MemoryTaskOptions& options, nlohmann::json& results) {
  model.forward(inputs);
  // The part of the state the readout sees (an LSTM's h, not its cell state c).
  const Matrix<float> states = model.sample_states(0).topRows(model.cell().output_size());
  std::ofstream csv(options.out_dir + "/hidden_states.csv");
  for (Index unit = 0; unit < states.rows(); ++unit) {
    for (Index t = 0; t < states.cols(); ++t) csv << (t ? "," : "") << states(unit, t);
    csv << '\n';
  }
  const Index channels = options.model == "wave" ? options.channels : 1;
  const Index ring_size = states.rows() / channels;
  // Colour range up to the 99.5th percentile, so a few very active units do not wash out the
  // bands of the wave.
  std::vector<float> sorted(states.data(), states.data() + states.size());
  std::sort(sorted.begin(), sorted.end());
  analysis::SpaceTimeOptions picture;
  picture.value_min = std::min(0.0f, sorted.front());
  picture.value_max =
      std::max<double>(sorted[sorted.size() * 995 / 1000], *picture.value_min + 1e-6);
  analysis::write_space_time_png(options.out_dir + "/space_time.png", states, channels, ring_size,
                                 picture);
  const analysis::WaveAnalysis waves = analysis::analyze_waves(states, channels, ring_size);
  nlohmann::json per_channel = nlohmann::json::array();
  for (const auto& channel : waves.channels)
    per_channel.push_back({{"channel", channel.channel},
                           {"speed", channel.speed.speed},
                           {"is_wave", channel.is_wave},
                           {"reason", channel.reason}});
  auto number_or_null = [](double x) {
    return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
  };
  results["waves"] = {{"is_wave", waves.is_wave},
                      {"wave_fraction", waves.wave_fraction},
                      {"mean_speed_units_per_step", number_or_null(waves.mean_speed)},
                      {"mean_diagonal_power", waves.mean_diagonal_power},
                      {"channels", per_channel}};
}

// ---- checkpoints: what a checkpoint records of the run besides model, Adam and RNG ----
// The settings that must not change when a run is resumed, or the continuation differs (--steps
// may: a run of 3000 steps can be resumed to go on to 5000).
inline std::map<std::string, std::string> run_settings(const MemoryTaskOptions& options) {
  return {{"wrnn.run.task", options.task},
          {"wrnn.run.T", std::to_string(options.length)},
          {"wrnn.run.batch", std::to_string(options.batch)},
          {"wrnn.run.test_batch", std::to_string(options.test_batch)},
          {"wrnn.run.lr", nlohmann::json(options.learning_rate).dump()},
          {"wrnn.run.grad_clip", nlohmann::json(options.grad_clip).dump()},
          {"wrnn.run.seed", std::to_string(options.seed)},
          {"wrnn.run.log_every", std::to_string(options.log_every)}};
}

inline std::map<std::string, std::string> checkpoint_metadata(
    const MemoryTaskOptions& options, const std::vector<CurvePoint>& curve,
    const std::optional<long long>& solved_step, double train_loss, double test_loss) {
  auto metadata = run_settings(options);
  nlohmann::json points = nlohmann::json::array();
  for (const CurvePoint& p : curve) points.push_back({p.step, p.train_loss, p.test_loss});
  metadata["wrnn.run.steps"] = std::to_string(options.steps);
  metadata["wrnn.run.curve"] = points.dump();
  metadata["wrnn.run.solved_step"] = solved_step ? std::to_string(*solved_step) : "";
  metadata["wrnn.run.losses"] = nlohmann::json({train_loss, test_loss}).dump();
  return metadata;
}

// Restores the curve and losses of a resumed run; refuses a checkpoint of other settings.
inline void restore_run(const MemoryTaskOptions& options, const io::CheckpointInfo& info,
                        std::vector<CurvePoint>& curve, std::optional<long long>& solved_step,
                        double& train_loss, double& test_loss) {
  for (const auto& [key, value] : run_settings(options)) {
    const auto found = info.metadata.find(key);
    const std::string saved = found == info.metadata.end() ? "(none)" : found->second;
    if (saved != value)
      throw ValueError("--resume " + options.resume_path + ": the checkpoint's " + key + " is " +
                       saved + ", this run's " + value + "; resume with the same settings");
  }
  for (const auto& p : nlohmann::json::parse(info.metadata.at("wrnn.run.curve")))
    curve.push_back({p[0].get<long long>(), p[1].get<double>(), p[2].get<double>()});
  const std::string& solved = info.metadata.at("wrnn.run.solved_step");
  if (!solved.empty()) solved_step = std::stoll(solved);
  const auto losses = nlohmann::json::parse(info.metadata.at("wrnn.run.losses"));
  train_loss = losses[0].get<double>();
  test_loss = losses[1].get<double>();
}
// ---- end checkpoints ----

template <class Model, class Task>
nlohmann::json train_model(Model& model, const Task& task, const MemoryTaskOptions& options) {
  Rng rng(options.seed);
  model.init(rng);
  if (!options.load_path.empty()) io::load_model(options.load_path, model);  // --load
  Adam<float> optimizer(model.parameters(), AdamOptions{options.learning_rate});
  Rng test_rng(options.seed + 1000003);
  const TaskBatch<float> test = task.template generate<float>(options.test_batch, test_rng);

  std::vector<CurvePoint> curve;
  std::optional<long long> solved_step;
  ProgressBar progress(options.steps, options.model + " " + options.task + " ");
  double train_loss = 0.0, test_loss = 0.0;
  long long first_step = 1;
  if (options.checkpoint_every > 0)
    std::filesystem::create_directories(
        std::filesystem::absolute(options.checkpoint_path).parent_path());
  if (!options.resume_path.empty()) {  // --resume: model, Adam, RNG, step and curve
    const io::CheckpointInfo info = io::load_checkpoint(options.resume_path, model, optimizer, rng);
    restore_run(options, info, curve, solved_step, train_loss, test_loss);
    first_step = info.step + 1;
  }
  for (long long step = first_step; step <= options.steps; ++step) {
    const TaskBatch<float> batch = task.template generate<float>(options.batch, rng);
    train_loss = train_step(model, optimizer, batch.inputs, batch.targets, task.loss(),
                            options.grad_clip, step)
                     .loss;
    if (step % options.log_every == 0 || step == options.steps) {
      test_loss = evaluate_loss(model, test.inputs, test.targets, task.loss());
      curve.push_back({step, train_loss, test_loss});
      if (!solved_step && options.task == "adding" && test_loss <= options.solved_threshold)
        solved_step = step;
      char message[96];
      std::snprintf(message, sizeof message, "loss %.3e test %.3e", train_loss, test_loss);
      progress.update(step, message);
    }
    // Every N steps, and at the end so that a finished run can be continued with more --steps.
    if (options.checkpoint_every > 0 &&
        (step % options.checkpoint_every == 0 || step == options.steps))
      io::save_checkpoint(options.checkpoint_path, model, optimizer, rng, step,
                          checkpoint_metadata(options, curve, solved_step, train_loss, test_loss));
  }
  progress.finish();
  const double wall_seconds = progress.seconds_since_start();
  if (!options.save_path.empty()) {  // --save
    std::filesystem::create_directories(std::filesystem::absolute(options.save_path).parent_path());
    io::save_model(options.save_path, model, run_settings(options));
  }

  nlohmann::json results = {
      {"model", options.model},
      {"task", options.task},
      {"T", options.length},
      {"steps", options.steps},
      {"params", model.weight_count()},
      {"final_train_loss", train_loss},
      {"final_test_loss", test_loss},
      {"solved_step", solved_step ? nlohmann::json(*solved_step) : nlohmann::json(nullptr)},
      {"solved_threshold", options.task == "adding" ? nlohmann::json(options.solved_threshold)
                                                    : nlohmann::json(nullptr)},
      {"wall_seconds", wall_seconds},
      {"steps_per_second", static_cast<double>(options.steps) / wall_seconds},
      {"n", options.ring_size},
      {"channels", options.model == "wave" ? options.channels : 1},
      {"kernel", options.kernel_size},
      {"batch", options.batch},
      {"test_batch", options.test_batch},
      {"lr", options.learning_rate},
      {"grad_clip", options.grad_clip},
      {"init", options.init},
      {"v_init", options.v_init},
      {"act", options.activation},
      {"seed", options.seed},
      {"threads", options.threads},
  };

  if (!options.out_dir.empty()) {
    std::filesystem::create_directories(options.out_dir);
    std::ofstream csv(options.out_dir + "/curve.csv");
    csv << "step,train_loss,test_loss\n";
    csv.precision(9);
    for (const CurvePoint& point : curve)
      csv << point.step << ',' << point.train_loss << ',' << point.test_loss << '\n';
    write_hidden_state_record(model, test.inputs, options, results);
    std::ofstream(options.out_dir + "/results.json") << results.dump(2) << '\n';
  }
  return results;
}

inline ModelOptions model_options(const MemoryTaskOptions& options) {
  ModelOptions model;
  model.threads = options.threads;
  return model;
}

template <class Task>
int run_memory_task(MemoryTaskOptions options, const Task& task) {
  const Activation activation = parse_activation(options.activation);
  const InputInit input_init = parse_input_init(options.v_init);
  const ReadoutOptions readout{
      task.output_size(), ReadoutKind::linear,
      options.task == "copy" ? ReadoutMode::every_step : ReadoutMode::last_step, 100};
  nlohmann::json results;
  if (options.model == "wave") {
    if (options.init.empty()) options.init = "shift";
    WaveCellOptions cell{task.input_size(),   options.channels, options.ring_size,
                         options.kernel_size, activation,       parse_recurrent_init(options.init),
                         input_init};
    SequenceModel<WaveCell<float>> model(cell, readout, model_options(options));
    results = train_model(model, task, options);
  } else if (options.model == "irnn") {
    if (options.init.empty()) options.init = "identity";
    DenseCellOptions cell{task.input_size(), options.ring_size, activation,
                          parse_recurrent_init(options.init), input_init};
    SequenceModel<DenseCell<float>> model(cell, readout, model_options(options));
    results = train_model(model, task, options);
  } else if (options.model == "lstm") {
    options.init = options.v_init = options.activation = "pytorch";  // PyTorch's own init and gates
    SequenceModel<LSTMCell<float>> model(LSTMCellOptions{task.input_size(), options.ring_size},
                                         readout, model_options(options));
    results = train_model(model, task, options);
  } else if (options.model == "gru") {
    options.init = options.v_init = options.activation = "pytorch";
    SequenceModel<GRUCell<float>> model(GRUCellOptions{task.input_size(), options.ring_size},
                                        readout, model_options(options));
    results = train_model(model, task, options);
  } else {
    throw ValueError("--model: expected wave, irnn, lstm or gru, received '" + options.model + "'");
  }
  std::cout << results.dump(2) << std::endl;
  return 0;
}

// Parses the flags shared by both memory tasks and runs the task. default_length is --T's default.
template <class MakeTask>
int memory_task_main(int argc, char** argv, const std::string& task_name, Index default_length,
                     double default_grad_clip, MakeTask make_task) {
  MemoryTaskOptions options;
  options.task = task_name;
  options.length = default_length;
  options.grad_clip = default_grad_clip;
  CLI::App app{"Train a wave-RNN, an iRNN, an LSTM or a GRU on the " + task_name +
               " task (Keller et al. 2024)"};
  add_model_flags(app, options);
  app.add_option("--T", options.length,
                 task_name == "copy" ? "gap T: sequences have T + 10 steps" : "sequence length T")
      ->capture_default_str();
  app.add_option("--steps", options.steps, "training steps (batches)")->capture_default_str();
  app.add_option("--batch", options.batch, "batch size")->capture_default_str();
  app.add_option("--test-batch", options.test_batch, "size of the fixed test batch")
      ->capture_default_str();
  app.add_option("--seed", options.seed, "random seed")->capture_default_str();
  app.add_option("--log-every", options.log_every, "evaluate and log every N steps")
      ->capture_default_str();
  app.add_option("--out", options.out_dir,
                 "write curve.csv, results.json, hidden_states.csv and space_time.png here");
  app.add_option("--save", options.save_path, "save the trained model (safetensors) here");
  app.add_option("--load", options.load_path,
                 "start from the weights of this model file (same structure) instead of the init");
  app.add_option("--checkpoint-every", options.checkpoint_every,
                 "write a checkpoint every N steps (0: never)")
      ->capture_default_str();
  app.add_option("--checkpoint", options.checkpoint_path,
                 "checkpoint file (default: <out>/checkpoint.safetensors)");
  app.add_option("--resume", options.resume_path,
                 "continue the run saved in this checkpoint (same flags otherwise)");
  CLI11_PARSE(app, argc, argv);
  if (options.checkpoint_path.empty() && !options.out_dir.empty())
    options.checkpoint_path = options.out_dir + "/checkpoint.safetensors";
  try {
    if (options.steps <= 0 || options.batch <= 0 || options.test_batch <= 0 ||
        options.log_every <= 0)
      throw ValueError("--steps, --batch, --test-batch and --log-every must be positive");
    if (options.checkpoint_every < 0 ||
        (options.checkpoint_every > 0 && options.checkpoint_path.empty()))
      throw ValueError(
          "--checkpoint-every needs N >= 0 and a file: --checkpoint FILE or --out DIR");
    return run_memory_task(options, make_task(options.length));
  } catch (const Error& error) {
    std::cerr << error.what() << std::endl;
    return 2;
  }
}

}  // namespace wrnn::examples
