// The run behind copy_task and adding_task (memory_task.hpp), compiled once for both programs
// and wrnn_sweep: a training loop with a progress bar, checkpoints, and the run's record
// (curve.csv, results.json, the hidden state's pictures).
//
// Before the first step the run checks everything it can: every flag (flag_checks.hpp), the
// memory the run will need (memory_budget.hpp), every output path (output_files.hpp), and a
// --resume checkpoint's record of the run. Its exit status says how it ended
// (program_errors.hpp); results.json is written last, so a run that failed has none.

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
#include <vector>

#include "common/data_parallel.hpp"
#include "common/flag_checks.hpp"
#include "common/float_models.hpp"
#include "common/hidden_unit_census.hpp"
#include "common/lr_schedule_flags.hpp"
#include "common/memory_budget.hpp"
#include "common/memory_task.hpp"
#include "common/model_flags.hpp"
#include "common/output_files.hpp"
#include "common/program_errors.hpp"
#include "common/progress_bar.hpp"
#include "wrnn/analysis/analysis.hpp"
#include "wrnn/io/io.hpp"
#include "wrnn/wrnn.hpp"

namespace wrnn::examples {
namespace {

// One evaluation on the fixed test batch: (step, train loss of that step, test loss).
struct CurvePoint {
  long long step;
  double train_loss;
  double test_loss;
};

// What the evaluations so far say about an adding run, as the authors' script decides it:
// "solved" at the first evaluation whose training loss (the batch of that step) is at most the
// threshold, and, kept beside it, the first whose test loss is; the best test loss; and their
// early stopping: once solved and at or past step --early-stop-from, the run stops at the
// --early-stop-patience-th evaluation without a new best test loss (a new best, <= the best so
// far, resets the count). A resumed run replays its curve through it.
struct RunMonitor {
  bool adding = false;
  double threshold = 0.05;
  long long stop_from = -1;  // -1: never stop early
  long long patience = 5;
  std::optional<long long> solved_step, solved_step_test_loss, stopped_step;
  double best_test_loss = 1e10;  // the authors' starting "best"
  long long evaluations_without_best = 0;

  explicit RunMonitor(const MemoryTaskOptions& options)
      : adding(options.task == "adding"),
        threshold(options.solved_threshold),
        stop_from(options.early_stop_from),
        patience(options.early_stop_patience) {}

  // Takes one evaluation; returns whether the run stops there.
  bool add(const CurvePoint& point) {
    if (!adding) return false;
    if (!solved_step && point.train_loss <= threshold) solved_step = point.step;
    if (!solved_step_test_loss && point.test_loss <= threshold) solved_step_test_loss = point.step;
    if (point.test_loss <= best_test_loss) {
      best_test_loss = point.test_loss;
      evaluations_without_best = 0;
    } else if (stop_from >= 0 && point.step >= stop_from && solved_step &&
               ++evaluations_without_best >= patience) {
      stopped_step = point.step;
      return true;
    }
    return false;
  }
};

// A step or null, for results.json.
nlohmann::json step_or_null(const std::optional<long long>& step) {
  return step ? nlohmann::json(*step) : nlohmann::json(nullptr);
}

// What the losses of curve.csv and results.json are, in words.
std::string loss_description(const MemoryTaskOptions& options) {
  if (options.task == "adding") return "MSE of the sum at the last step";
  std::string what = "cross-entropy, mean over ";
  what +=
      options.only_last ? "the last m (--mem-len) steps of every sample" : "every step and sample";
  if (options.loss_scale == "authors") what += ", divided by the batch size (the authors')";
  return what;
}

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
std::map<std::string, std::string> run_settings(const MemoryTaskOptions& options) {
  return {{"wrnn.run.task", options.task},
          {"wrnn.run.T", std::to_string(options.length)},
          {"wrnn.run.batch", std::to_string(options.batch)},
          {"wrnn.run.test_batch", std::to_string(options.test_batch)},
          {"wrnn.run.lr", nlohmann::json(options.learning_rate).dump()},
          {"wrnn.run.grad_clip", nlohmann::json(options.grad_clip).dump()},
          {"wrnn.run.seed", std::to_string(options.seed)},
          {"wrnn.run.log_every", std::to_string(options.log_every)},
          {"wrnn.run.readout", options.readout + " " + std::to_string(options.mlp_hidden)},
          {"wrnn.run.freeze", detail::concat(options.freeze_rnn, " ", options.freeze_encoder)},
          {"wrnn.run.lr_schedule", lr_schedule_json(options).dump()},
          {"wrnn.run.copy",
           detail::concat(options.memory_length, " ", options.only_last, " ", options.loss_scale)},
          {"wrnn.run.early_stop",
           detail::concat(options.early_stop_from, " ", options.early_stop_patience)}};
}

std::map<std::string, std::string> checkpoint_metadata(const MemoryTaskOptions& options,
                                                       const std::optional<long long>& solved_step,
                                                       double train_loss, double test_loss) {
  auto metadata = run_settings(options);
  metadata["wrnn.run.steps"] = std::to_string(options.steps);
  metadata["wrnn.run.solved_step"] = solved_step ? std::to_string(*solved_step) : "";
  metadata["wrnn.run.losses"] = nlohmann::json({train_loss, test_loss}).dump();
  return metadata;
}

// The curve so far grows with the run: a tensor "run.curve" of one row (step, train loss, test
// loss) per evaluation, not header metadata (readers limit the header's size).
const std::string kStepCurveTensor = "run.curve";

io::RunTensors checkpoint_tensors(const std::vector<CurvePoint>& curve) {
  io::RunTensor tensor{{static_cast<std::int64_t>(curve.size()), 3}, {}};
  for (const CurvePoint& p : curve)
    tensor.values.insert(tensor.values.end(),
                         {static_cast<double>(p.step), p.train_loss, p.test_loss});
  return {{kStepCurveTensor, tensor}};
}

// FormatError for a checkpoint whose record of the run is not what this program writes.
FormatError damaged_record(const MemoryTaskOptions& options, const std::string& what) {
  return FormatError("--resume " + options.resume_path + ": " + what +
                     " (a damaged checkpoint, or not one of this program's)");
}

// Restores the curve and losses of a resumed run, checking every part of the record; refuses a
// checkpoint of other settings or one taken after a step beyond --steps.
void restore_run(const MemoryTaskOptions& options, const io::CheckpointInfo& info,
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

// The batch's loss scale: the authors' copy script divides the mean by the batch size.
template <class Scalar>
void scale_loss(const MemoryTaskOptions& options, TaskBatch<Scalar>& batch) {
  if (options.loss_scale == "authors")
    batch.targets.loss_scale = 1.0 / static_cast<double>(batch.inputs.batch());
}

template <class Model, class Task>
nlohmann::json train_model(Model& model, const Task& task, const MemoryTaskOptions& options) {
  Rng rng(options.seed);
  model.init(rng);
  if (!options.load_path.empty()) io::load_model(options.load_path, model);  // --load
  freeze_parameters(model, options);  // before Adam: it keeps no state for frozen parameters
  Adam<float> optimizer(model.parameters(), AdamOptions{options.learning_rate});

  std::vector<CurvePoint> curve;
  std::optional<long long> solved_step;
  double train_loss = 0.0, test_loss = 0.0;
  long long first_step = 1;
  RunMonitor monitor(options);
  LrSchedule schedule(options, options.learning_rate, options.steps, options.steps);
  if (!options.resume_path.empty()) {  // --resume: model, Adam, RNG, step and curve
    const io::CheckpointInfo info = io::load_checkpoint(options.resume_path, model, optimizer, rng);
    restore_run(options, info, curve, solved_step, train_loss, test_loss);
    first_step = info.step + 1;
    for (long long step = 1; step <= info.step; ++step) schedule.step();  // its state, replayed
    for (const CurvePoint& point : curve) {
      schedule.step(point.test_loss);
      if (monitor.add(point)) first_step = options.steps + 1;  // it had stopped early
    }
  }
  Rng test_rng(options.seed + 1000003);
  TaskBatch<float> test = task.template generate<float>(options.test_batch, test_rng);
  scale_loss(options, test);
  ProgressBar progress(options.steps, options.model + " " + options.task + " ");
  // Under mpirun the batch's chunks are shared among the ranks (common/data_parallel.hpp); every
  // rank draws the same batches, rank 0 alone prints and writes.
  auto&& parallel = data_parallel(model);
  const bool root = is_root_process();
  long long last_step = first_step - 1;
  for (long long step = first_step; step <= options.steps; ++step) {
    TaskBatch<float> batch = task.template generate<float>(options.batch, rng);
    scale_loss(options, batch);
    schedule.apply(optimizer);
    train_loss = train_step(parallel, optimizer, batch.inputs, batch.targets, task.loss(),
                            options.grad_clip, step)
                     .loss;
    last_step = step;
    schedule.step();
    bool stop = false;
    if (step % options.log_every == 0 || step == options.steps) {
      test_loss = evaluate_loss(parallel, test.inputs, test.targets, task.loss());
      curve.push_back({step, train_loss, test_loss});
      stop = monitor.add(curve.back());
      schedule.step(test_loss);  // plateau: on the test loss, every --log-every steps
      char message[96];
      std::snprintf(message, sizeof message, "loss %.3e test %.3e", train_loss, test_loss);
      if (root) progress.update(step, message);
    }
    // Every N steps, and at the end so that a finished run can be continued with more --steps.
    if (root && options.checkpoint_every > 0 &&
        (step % options.checkpoint_every == 0 || step == options.steps || stop))
      io::save_checkpoint(options.checkpoint_path, model, optimizer, rng, step,
                          checkpoint_metadata(options, monitor.solved_step, train_loss, test_loss),
                          checkpoint_tensors(curve));
    if (stop) break;
  }
  progress.finish();
  const double wall_seconds = progress.seconds_since_start();
  if (root && !options.save_path.empty())  // --save (its folder was made before training)
    io::save_model(options.save_path, model, run_settings(options));

  const bool copy = options.task == "copy";
  const long long steps_run = std::max(0LL, last_step - first_step + 1);
  nlohmann::json results = {
      {"model", options.model},
      {"task", options.task},
      {"T", options.length},
      {"mem_len", copy ? nlohmann::json(options.memory_length) : nlohmann::json(nullptr)},
      {"only_last", copy ? nlohmann::json(options.only_last) : nlohmann::json(nullptr)},
      {"loss_scale", copy ? nlohmann::json(options.loss_scale) : nlohmann::json(nullptr)},
      {"loss", loss_description(options)},
      {"steps", options.steps},
      {"last_step", curve.empty() ? nlohmann::json(nullptr) : nlohmann::json(curve.back().step)},
      {"params", model.weight_count()},
      {"final_train_loss", train_loss},
      {"final_test_loss", test_loss},
      // Adding: the authors' "solved" (training loss of a logged step), the test loss's beside.
      {"solved_step", step_or_null(monitor.solved_step)},
      {"solved_step_test_loss", step_or_null(monitor.solved_step_test_loss)},
      {"solved_threshold",
       copy ? nlohmann::json(nullptr) : nlohmann::json(options.solved_threshold)},
      {"best_test_loss",
       copy || curve.empty() ? nlohmann::json(nullptr) : nlohmann::json(monitor.best_test_loss)},
      {"early_stop_from", copy ? nlohmann::json(nullptr) : nlohmann::json(options.early_stop_from)},
      {"early_stop_patience",
       copy ? nlohmann::json(nullptr) : nlohmann::json(options.early_stop_patience)},
      {"stopped_early_at", step_or_null(monitor.stopped_step)},
      {"wall_seconds", wall_seconds},
      {"steps_per_second", wall_seconds > 0 ? static_cast<double>(steps_run) / wall_seconds : 0.0},
      {"n", options.ring_size},
      {"channels", options.model == "wave" || options.model == "loco" ? options.channels : 1},
      {"kernel", options.kernel_size},
      {"readout", options.readout},
      {"mlp_hidden",
       options.readout == "mlp" ? nlohmann::json(options.mlp_hidden) : nlohmann::json(nullptr)},
      {"freeze_rnn", options.freeze_rnn},
      {"freeze_encoder", options.freeze_encoder},
      {"lr_schedule", lr_schedule_json(options)},
      {"final_lr", schedule.learning_rate()},
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
    // The forward over the test batch just made: its first 4 samples' outputs against their
    // targets, the picture the authors' copy script logs.
    if (copy)
      analysis::write_copy_outputs_png(options.out_dir + "/copy_outputs.png", test.inputs,
                                       model.outputs(), test.targets.classes);
    write_text_file(options.out_dir + "/results.json", results.dump(2) + "\n");  // last
  }
  return results;
}

ModelOptions model_options(const MemoryTaskOptions& options) {
  ModelOptions model;
  model.threads = options.threads;
  return model;
}

// Refuses flags out of range or that do not go together (ValueError naming the flag). --model's
// own flags that do not apply to an LSTM or GRU are refused when given (refuse_given_flags).
void check_flags(const CLI::App& app, const MemoryTaskOptions& options) {
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
  if (options.model == "irnn") refuse_given_flags(app, {"--channels", "--kernel"}, kIrnnRefusal);
  parse_flag("--act", options.activation, parse_activation);
  if (!options.init.empty()) parse_flag("--init", options.init, parse_recurrent_init);
  if (!options.v_init.empty()) parse_flag("--v-init", options.v_init, parse_input_init);
  check_readout_flags(app, options);
  check_lr_schedule_flags(app, options, options.steps, options.steps);
  if (options.task == "copy") {
    require_at_least("--mem-len", options.memory_length, Index{1});
    if (options.loss_scale != "mean" && options.loss_scale != "authors")
      throw ValueError("--loss-scale: expected mean or authors, received '" + options.loss_scale +
                       "'");
  } else {
    require_at_least("--early-stop-from", options.early_stop_from, -1LL);
    require_at_least("--early-stop-patience", options.early_stop_patience, 1LL);
    if (options.early_stop_from < 0)
      refuse_given_flags(app, {"--early-stop-patience"},
                         "a run without --early-stop-from (it never stops early)");
  }
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
  const ByteCount T = ByteCount::of(options.length) +
                      ByteCount::of(options.task == "copy" ? options.memory_length : 0);
  const bool every_step = options.task == "copy";
  const ModelSizes sizes =
      model_sizes(options.model, d, options.ring_size, options.channels, options.kernel_size,
                  task.output_size(), options.readout == "mlp" ? options.mlp_hidden : 0);
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
void prepare_outputs(const MemoryTaskOptions& options) {
  std::vector<std::string> files{"curve.csv", "results.json", "hidden_states.csv",
                                 "space_time.png"};
  if (options.task == "copy") files.push_back("copy_outputs.png");
  if (!options.out_dir.empty()) prepare_output_folder("--out", options.out_dir, files);
  if (!options.save_path.empty()) prepare_output_file("--save", options.save_path);
  if (options.checkpoint_every > 0) prepare_output_file("--checkpoint", options.checkpoint_path);
}

template <class Task>
int run_memory_task(MemoryTaskOptions options, const Task& task) {
  require_memory_for(options, task);
  if (is_root_process()) prepare_outputs(options);
  const Activation activation = parse_flag("--act", options.activation, parse_activation);
  const ReadoutOptions readout =
      readout_options(options, task.output_size(),
                      options.task == "copy" ? ReadoutMode::every_step : ReadoutMode::last_step);
  nlohmann::json results;
  if (options.model == "wave") {
    if (options.init.empty()) options.init = "shift";
    if (options.v_init.empty()) options.v_init = "solo";
    const auto cell = ring_cell_options<WaveCellOptions>(task.input_size(), options);
    SequenceModel<WaveCell<float>> model(cell, readout, model_options(options));
    results = train_model(model, task, options);
  } else if (options.model == "loco") {  // the wave cell with an untied kernel per position
    if (options.init.empty()) options.init = "shift";
    if (options.v_init.empty()) options.v_init = "solo";
    const auto cell = ring_cell_options<LocoCellOptions>(task.input_size(), options);
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

}  // namespace

int run_memory_task_program(const std::string& program, CLI::App& app, int argc, char** argv,
                            MemoryTaskOptions& options) {
  return run_program(program.c_str(), app, argc, argv, [&] {
    options.threads = resolve_thread_count(*app.get_option("--threads"), options.threads);
    if (options.checkpoint_path.empty() && !options.out_dir.empty())
      options.checkpoint_path = options.out_dir + "/checkpoint.safetensors";
    check_flags(app, options);
    // The defaults that follow --steps, resolved so that results.json and a checkpoint record
    // the schedule that ran.
    if (options.lr_scheduler == "cosine" && options.lr_t_max == 0) options.lr_t_max = options.steps;
    if (options.lr_scheduler == "onecycle" && options.lr_total_steps == 0)
      options.lr_total_steps = options.steps;
    if (options.task == "copy")
      return run_memory_task(
          options, CopyTask(options.length, options.memory_length,
                            options.only_last ? CopyLoss::recall_only : CopyLoss::every_step));
    return run_memory_task(options, AddingTask(options.length));
  });
}

}  // namespace wrnn::examples
