// The program behind examples/copy_task and examples/adding_task: flags like the authors'
// scripts, a training loop with a progress bar, and the run's record (curve.csv, results.json).
//
// Before the first step the program checks everything it can: every flag (flag_checks.hpp), the
// memory the run will need (memory_budget.hpp), every output path (output_files.hpp), and a
// --resume checkpoint's record of the run. Its exit status says how it ended
// (program_errors.hpp); results.json is written last, so a run that failed has none.
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "common/data_parallel.hpp"
#include "common/flag_checks.hpp"
#include "common/hidden_unit_census.hpp"
#include "common/memory_budget.hpp"
#include "common/model_flags.hpp"
#include "common/output_files.hpp"
#include "common/program_errors.hpp"
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
  std::string init;    // default: shift for wave, identity for irnn
  std::string v_init;  // default: solo for wave, normal for irnn (the authors' choices)
  std::string activation = "relu";
  std::uint64_t seed = 1;
  Index threads = 0;  // --threads, else WRNN_NUM_THREADS or the cores (resolve_thread_count)
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
  results["hidden_units"] = hidden_unit_census(model, std::min<Index>(inputs.batch(), 16));
  // The part of the state the readout sees (an LSTM's h, not its cell state c).
  const Matrix<float> states = model.sample_states(0).topRows(model.cell().output_size());
  std::ostringstream csv;
  for (Index unit = 0; unit < states.rows(); ++unit) {
    for (Index t = 0; t < states.cols(); ++t) csv << (t ? "," : "") << states(unit, t);
    csv << '\n';
  }
  write_text_file(options.out_dir + "/hidden_states.csv", csv.str());
  const Index channels = options.model == "wave" || options.model == "loco" ? options.channels : 1;
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
    const MemoryTaskOptions& options, const std::optional<long long>& solved_step,
    double train_loss, double test_loss) {
  auto metadata = run_settings(options);
  metadata["wrnn.run.steps"] = std::to_string(options.steps);
  metadata["wrnn.run.solved_step"] = solved_step ? std::to_string(*solved_step) : "";
  metadata["wrnn.run.losses"] = nlohmann::json({train_loss, test_loss}).dump();
  return metadata;
}

// The curve so far grows with the run: a tensor "run.curve" of one row (step, train loss, test
// loss) per evaluation, not header metadata (readers limit the header's size).
inline const std::string kStepCurveTensor = "run.curve";

inline io::RunTensors checkpoint_tensors(const std::vector<CurvePoint>& curve) {
  io::RunTensor tensor{{static_cast<std::int64_t>(curve.size()), 3}, {}};
  for (const CurvePoint& p : curve)
    tensor.values.insert(tensor.values.end(),
                         {static_cast<double>(p.step), p.train_loss, p.test_loss});
  return {{kStepCurveTensor, tensor}};
}

// FormatError for a checkpoint whose record of the run is not what this program writes.
inline FormatError damaged_record(const MemoryTaskOptions& options, const std::string& what) {
  return FormatError("--resume " + options.resume_path + ": " + what +
                     " (a damaged checkpoint, or not one of this program's)");
}

// Restores the curve and losses of a resumed run, checking every part of the record; refuses a
// checkpoint of other settings or one taken after a step beyond --steps.
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
  if (info.step > options.steps)
    throw ValueError(detail::concat("--resume ", options.resume_path,
                                    ": the checkpoint was taken after step ", info.step,
                                    ", beyond --steps ", options.steps, "; give --steps ",
                                    info.step, " or more to continue the run"));

  const auto found_curve = info.run_tensors.find(kStepCurveTensor);
  if (found_curve == info.run_tensors.end())
    throw damaged_record(options, "expected a tensor '" + kStepCurveTensor + "', found none");
  const io::RunTensor& points = found_curve->second;
  if (points.shape.size() != 2 || points.shape[1] != 3)
    throw damaged_record(options, "tensor '" + kStepCurveTensor +
                                      "': expected shape [points, 3], " + "received " +
                                      io::shape_text(points.shape));
  for (std::size_t row = 0; row * 3 < points.values.size(); ++row) {
    const double step = points.values[3 * row];
    const long long previous = curve.empty() ? 0 : curve.back().step;
    if (!(step > static_cast<double>(previous) && step <= static_cast<double>(info.step) &&
          step == std::floor(step)))
      throw damaged_record(options, detail::concat("tensor '", kStepCurveTensor, "' row ", row,
                                                   ": expected a step in [", previous + 1, ", ",
                                                   info.step, "], received ", step));
    const double train = points.values[3 * row + 1], test = points.values[3 * row + 2];
    if (!std::isfinite(train) || !std::isfinite(test))
      throw damaged_record(
          options, detail::concat("tensor '", kStepCurveTensor, "' row ", row,
                                  ": expected finite losses, received ", train, " and ", test));
    curve.push_back({static_cast<long long>(step), train, test});
  }

  const auto metadata = [&](const std::string& key) -> const std::string& {
    const auto found = info.metadata.find(key);
    if (found == info.metadata.end())
      throw damaged_record(options, "expected metadata '" + key + "', found none");
    return found->second;
  };
  const std::string& solved = metadata("wrnn.run.solved_step");
  if (!solved.empty()) {
    const nlohmann::json step = nlohmann::json::parse(solved, nullptr, false);
    if (!step.is_number_integer() || step.get<long long>() < 1 || step.get<long long>() > info.step)
      throw damaged_record(options, detail::concat("metadata 'wrnn.run.solved_step': expected "
                                                   "empty or a step in [1, ",
                                                   info.step, "], received '", solved, "'"));
    solved_step = step.get<long long>();
  }
  const std::string& losses_text = metadata("wrnn.run.losses");
  const nlohmann::json losses = nlohmann::json::parse(losses_text, nullptr, false);
  if (!losses.is_array() || losses.size() != 2 || !losses[0].is_number() ||
      !losses[1].is_number() || !std::isfinite(losses[0].get<double>()) ||
      !std::isfinite(losses[1].get<double>()))
    throw damaged_record(options,
                         "metadata 'wrnn.run.losses': expected a JSON array of two "
                         "finite numbers, received '" +
                             losses_text + "'");
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

  std::vector<CurvePoint> curve;
  std::optional<long long> solved_step;
  double train_loss = 0.0, test_loss = 0.0;
  long long first_step = 1;
  if (!options.resume_path.empty()) {  // --resume: model, Adam, RNG, step and curve
    const io::CheckpointInfo info = io::load_checkpoint(options.resume_path, model, optimizer, rng);
    restore_run(options, info, curve, solved_step, train_loss, test_loss);
    first_step = info.step + 1;
  }
  Rng test_rng(options.seed + 1000003);
  const TaskBatch<float> test = task.template generate<float>(options.test_batch, test_rng);
  ProgressBar progress(options.steps, options.model + " " + options.task + " ");
  // Under mpirun the batch's chunks are shared among the ranks (common/data_parallel.hpp); every
  // rank draws the same batches, rank 0 alone prints and writes.
  auto&& parallel = data_parallel(model);
  const bool root = is_root_process();
  for (long long step = first_step; step <= options.steps; ++step) {
    const TaskBatch<float> batch = task.template generate<float>(options.batch, rng);
    train_loss = train_step(parallel, optimizer, batch.inputs, batch.targets, task.loss(),
                            options.grad_clip, step)
                     .loss;
    if (step % options.log_every == 0 || step == options.steps) {
      test_loss = evaluate_loss(parallel, test.inputs, test.targets, task.loss());
      curve.push_back({step, train_loss, test_loss});
      if (!solved_step && options.task == "adding" && test_loss <= options.solved_threshold)
        solved_step = step;
      char message[96];
      std::snprintf(message, sizeof message, "loss %.3e test %.3e", train_loss, test_loss);
      if (root) progress.update(step, message);
    }
    // Every N steps, and at the end so that a finished run can be continued with more --steps.
    if (root && options.checkpoint_every > 0 &&
        (step % options.checkpoint_every == 0 || step == options.steps))
      io::save_checkpoint(options.checkpoint_path, model, optimizer, rng, step,
                          checkpoint_metadata(options, solved_step, train_loss, test_loss),
                          checkpoint_tensors(curve));
  }
  progress.finish();
  const double wall_seconds = progress.seconds_since_start();
  if (root && !options.save_path.empty())  // --save (its folder was made before training)
    io::save_model(options.save_path, model, run_settings(options));

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
      {"channels", options.model == "wave" || options.model == "loco" ? options.channels : 1},
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
      {"processes", process_count()},
  };

  if (root && !options.out_dir.empty()) {  // the folder was made and tried before training
    std::ostringstream csv;
    csv << "step,train_loss,test_loss\n";
    csv.precision(9);
    for (const CurvePoint& point : curve)
      csv << point.step << ',' << point.train_loss << ',' << point.test_loss << '\n';
    write_text_file(options.out_dir + "/curve.csv", csv.str());
    write_hidden_state_record(model, test.inputs, options, results);
    write_text_file(options.out_dir + "/results.json", results.dump(2) + "\n");  // last
  }
  return results;
}

inline ModelOptions model_options(const MemoryTaskOptions& options) {
  ModelOptions model;
  model.threads = options.threads;
  return model;
}

// Refuses flags out of range or that do not go together (ValueError naming the flag). --model's
// own flags that do not apply to an LSTM or GRU are refused when given (refuse_given_flags).
inline void check_flags(const CLI::App& app, const MemoryTaskOptions& options) {
  require_at_least("--steps", options.steps, 1LL);
  require_at_least("--batch", options.batch, Index{1});
  require_at_least("--test-batch", options.test_batch, Index{1});
  require_at_least("--log-every", options.log_every, 1LL);
  require_at_least("--T", options.length, Index{options.task == "copy" ? 1 : 2});
  require_at_least("--n", options.ring_size, Index{1});
  require_at_least("--channels", options.channels, Index{1});
  if (options.kernel_size < 1 || options.kernel_size % 2 == 0)
    throw ValueError(
        detail::concat("--kernel: expected an odd size >= 1, received ", options.kernel_size));
  require_at_least("--lr", options.learning_rate, 0.0);
  require_at_least("--grad-clip", options.grad_clip, 0.0);  // 0: no clipping
  if (options.model != "wave" && options.model != "irnn" && options.model != "lstm" &&
      options.model != "gru" && options.model != "loco")
    throw ValueError("--model: expected wave, irnn, lstm, gru or loco, received '" + options.model +
                     "'");
  if (options.model == "lstm" || options.model == "gru")
    refuse_given_flags(app, {"--channels", "--kernel", "--act", "--init", "--v-init"},
                       "--model " + options.model + " (PyTorch's cell: its own gates and init)");
  parse_flag("--act", options.activation, parse_activation);
  if (!options.init.empty()) parse_flag("--init", options.init, parse_recurrent_init);
  if (!options.v_init.empty()) parse_flag("--v-init", options.v_init, parse_input_init);
  require_at_least("--checkpoint-every", options.checkpoint_every, 0LL);
  if (options.checkpoint_every > 0 && options.checkpoint_path.empty())
    throw ValueError("--checkpoint-every: needs a file to write, --checkpoint FILE or --out DIR");
  if (options.checkpoint_every == 0 && app.get_option("--checkpoint")->count() > 0)
    throw ValueError("--checkpoint: no checkpoint is written without --checkpoint-every N");
  if (!options.save_path.empty() && options.checkpoint_every > 0 &&
      same_file(options.save_path, options.checkpoint_path))
    throw ValueError("--save and --checkpoint name the same file '" + options.save_path +
                     "': the final model would replace the last checkpoint; give --save another "
                     "path");
  if (!options.save_path.empty() && !options.resume_path.empty() &&
      same_file(options.save_path, options.resume_path))
    throw ValueError("--save and --resume name the same file '" + options.save_path +
                     "': the final model would replace the checkpoint; give --save another path");
}

// The memory the run needs (memory_budget.hpp): the parameters with Adam's state, the fixed test
// batch, and the largest of a training step's tape, an evaluation of the test batch, and the
// final forward over the test batch that records its states (--out).
template <class Task>
void require_memory_for(const MemoryTaskOptions& options, const Task& task) {
  const Index d = task.input_size();
  const ByteCount T =
      ByteCount::of(options.length) + ByteCount::of(options.task == "copy" ? CopyTask::kDigits : 0);
  const bool every_step = options.task == "copy";
  const ModelSizes sizes = model_sizes(options.model, d, options.ring_size, options.channels,
                                       options.kernel_size, task.output_size(), 0);
  // A batch: the inputs (T x B x d) and the targets (a class per step and sample, or one value).
  const auto batch_bytes = [&](Index batch) {
    return ByteCount(sizeof(float)) * ByteCount::of(batch) * T * (ByteCount::of(d) + 1);
  };
  const ByteCount training =
      model_run_bytes(sizes, d, T, options.batch, true, 0, every_step) + batch_bytes(options.batch);
  const ByteCount evaluation =
      model_run_bytes(sizes, d, T, options.test_batch, !options.out_dir.empty(), 0, every_step);
  require_memory(training_state_bytes(sizes, options.batch) + batch_bytes(options.test_batch) +
                     larger(training, evaluation),
                 "this run (--model " + options.model + ")",
                 "ask for a smaller --batch, --test-batch, --T, --n or --channels");
}

// Every file the run will write, tried before the first training step.
inline void prepare_outputs(const MemoryTaskOptions& options) {
  if (!options.out_dir.empty())
    prepare_output_folder("--out", options.out_dir,
                          {"curve.csv", "results.json", "hidden_states.csv", "space_time.png"});
  if (!options.save_path.empty()) prepare_output_file("--save", options.save_path);
  if (options.checkpoint_every > 0) prepare_output_file("--checkpoint", options.checkpoint_path);
}

template <class Task>
int run_memory_task(MemoryTaskOptions options, const Task& task) {
  require_memory_for(options, task);
  if (is_root_process()) prepare_outputs(options);
  const Activation activation = parse_flag("--act", options.activation, parse_activation);
  const ReadoutOptions readout{
      task.output_size(), ReadoutKind::linear,
      options.task == "copy" ? ReadoutMode::every_step : ReadoutMode::last_step, 100};
  nlohmann::json results;
  if (options.model == "wave") {
    if (options.init.empty()) options.init = "shift";
    if (options.v_init.empty()) options.v_init = "solo";
    WaveCellOptions cell{task.input_size(),
                         options.channels,
                         options.ring_size,
                         options.kernel_size,
                         activation,
                         parse_flag("--init", options.init, parse_recurrent_init),
                         parse_flag("--v-init", options.v_init, parse_input_init)};
    SequenceModel<WaveCell<float>> model(cell, readout, model_options(options));
    results = train_model(model, task, options);
  } else if (options.model == "loco") {  // the wave cell with an untied kernel per position
    if (options.init.empty()) options.init = "shift";
    if (options.v_init.empty()) options.v_init = "solo";
    LocoCellOptions cell{task.input_size(),
                         options.channels,
                         options.ring_size,
                         options.kernel_size,
                         activation,
                         parse_flag("--init", options.init, parse_recurrent_init),
                         parse_flag("--v-init", options.v_init, parse_input_init)};
    SequenceModel<LocoCell<float>> model(cell, readout, model_options(options));
    results = train_model(model, task, options);
  } else if (options.model == "irnn") {
    if (options.init.empty()) options.init = "identity";
    if (options.v_init.empty()) options.v_init = "normal";
    DenseCellOptions cell{task.input_size(), options.ring_size, activation,
                          parse_flag("--init", options.init, parse_recurrent_init),
                          parse_flag("--v-init", options.v_init, parse_input_init)};
    if (const auto warning = dead_unit_warning(cell)) std::cerr << "warning: " << *warning << '\n';
    SequenceModel<DenseCell<float>> model(cell, readout, model_options(options));
    results = train_model(model, task, options);
  } else if (options.model == "lstm") {
    options.init = options.v_init = options.activation = "pytorch";  // PyTorch's own init and gates
    SequenceModel<LSTMCell<float>> model(LSTMCellOptions{task.input_size(), options.ring_size},
                                         readout, model_options(options));
    results = train_model(model, task, options);
  } else {  // gru (check_flags refused any other --model)
    options.init = options.v_init = options.activation = "pytorch";
    SequenceModel<GRUCell<float>> model(GRUCellOptions{task.input_size(), options.ring_size},
                                        readout, model_options(options));
    results = train_model(model, task, options);
  }
  if (is_root_process()) print_result(results.dump(2));
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
  add_integer_option<Index>(
      app, "--T", options.length,
      task_name == "copy" ? "gap T: sequences have T + 10 steps" : "sequence length T");
  add_integer_option<long long>(app, "--steps", options.steps, "training steps (batches)");
  add_integer_option<Index>(app, "--batch", options.batch, "batch size");
  add_integer_option<Index>(app, "--test-batch", options.test_batch,
                            "size of the fixed test batch");
  add_integer_option<std::uint64_t>(app, "--seed", options.seed,
                                    "random seed (an integer in [0, 2^64))");
  add_integer_option<long long>(app, "--log-every", options.log_every,
                                "evaluate and log every N steps");
  app.add_option("--out", options.out_dir,
                 "write curve.csv, results.json, hidden_states.csv and space_time.png here");
  app.add_option("--save", options.save_path, "save the trained model (safetensors) here");
  app.add_option("--load", options.load_path,
                 "start from the weights of this model file (same structure) instead of the init");
  add_integer_option<long long>(app, "--checkpoint-every", options.checkpoint_every,
                                "write a checkpoint every N steps (0: never)");
  app.add_option("--checkpoint", options.checkpoint_path,
                 "checkpoint file (default: <out>/checkpoint.safetensors; written with "
                 "--checkpoint-every)");
  app.add_option("--resume", options.resume_path,
                 "continue the run saved in this checkpoint (same flags otherwise; its step may "
                 "be at most --steps)");
  const std::string program = task_name + "_task";
  return run_program(program.c_str(), app, argc, argv, [&] {
    options.threads = resolve_thread_count(*app.get_option("--threads"), options.threads);
    if (options.checkpoint_path.empty() && !options.out_dir.empty())
      options.checkpoint_path = options.out_dir + "/checkpoint.safetensors";
    check_flags(app, options);
    return run_memory_task(options, make_task(options.length));
  });
}

}  // namespace wrnn::examples
