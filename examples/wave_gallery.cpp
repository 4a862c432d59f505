// wave_gallery: the paper's central picture, made here: a wave-RNN (shift init) and an iRNN
// (identity init) are trained the same way on a memory task, then the hidden state of one test
// sequence is drawn and measured for each, side by side, in one small static HTML page:
//
//   DIR/index.html      the page (relative links to the pictures below)
//   DIR/gallery.json    every number on the page
//   DIR/<model>_space_time.png   units (down) x time (right), one panel per channel
//   DIR/<model>_spectrum.png     2-D spectrum normalised by time-shuffled copies
//   DIR/<model>_animation.gif    the rings over time
//   DIR/wave_kernels.png         the wRNN's trained kernel, one panel per channel pair
//
// Wave speed, verdict and diagonal power come from wrnn::analysis (docs/analysis.md). The iRNN's
// N hidden units have no ring order of their own; they are drawn and measured as one ring of N
// units in index order, which is where a wave would have to show if the iRNN learnt one.
// Speeds follow docs/analysis.md: > 0 toward higher unit indices, so the shift initialisation's
// travelling wave (the paper's "speed 1") reads -1 here.
//
// `wave_gallery --help` lists the flags and their defaults. Before training the program checks the
// flags (flag_checks.hpp), the memory both runs need (memory_budget.hpp) and the output folder
// (output_files.hpp); gallery.json is written last, so a run that failed has none. Its exit
// status says how it ended (program_errors.hpp).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/flag_checks.hpp"
#include "common/float_models.hpp"
#include "common/hidden_unit_census.hpp"
#include "common/memory_budget.hpp"
#include "common/output_files.hpp"
#include "common/program_errors.hpp"
#include "common/progress_bar.hpp"
#include "wrnn/analysis/analysis.hpp"
#include "wrnn/wrnn.hpp"

namespace wrnn::examples {
namespace {

struct GalleryOptions {
  std::string task = "copy";  // copy or adding
  Index length = 0;           // --T; when not given, the task's default below
  long long steps = 1000;
  Index ring_size = 64;  // wave: units per ring n
  Index channels = 4;    // wave: channels C
  Index kernel_size = 3;
  Index irnn_hidden = 0;  // iRNN hidden units N; 0 (--irnn-n not given): C * n, as many as the wRNN
  // The iRNN's input weights: 'solo' feeds unit 0 only, and with the identity recurrence every
  // other unit then stays at exactly zero (ReLU passes no gradient there), a blank picture.
  std::string irnn_v_init = "normal";
  Index batch = 64;
  double learning_rate = 1e-3;
  std::uint64_t seed = 1;
  Index threads = 0;  // --threads, else WRNN_NUM_THREADS or the cores (resolve_thread_count)
  Index sample = 0;   // which sequence of the test batch is drawn
  std::string out_dir = "wave_gallery";
};

constexpr Index kDefaultCopyGap = 30;
constexpr Index kDefaultAddingLength = 100;
constexpr Index kTestBatch = 256;

// One model's part of the gallery: its losses, its measured waves and its picture files.
struct ModelResult {
  std::string key;    // file prefix: "wave" or "irnn"
  std::string title;  // "wRNN (shift init)"
  std::string input_init = "solo";
  Index channels = 1, ring_size = 0, weights = 0;
  double final_train_loss = 0.0, test_loss = 0.0, wall_seconds = 0.0;
  analysis::WaveAnalysis waves;
  analysis::AuthorsFftMeasure authors_fft;  // their Plot_FFT numbers, beside wrnn's own
  nlohmann::json hidden_units;              // hidden_unit_census.hpp
};

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format(double value, int digits = 3) {
  if (!std::isfinite(value)) return "&ndash;";
  char text[32];
  std::snprintf(text, sizeof text, "%.*g", digits, value);
  return text;
}

// Speeds with a fixed three decimals: "-1.000", not "-1".
std::string format_speed(double value) {
  if (!std::isfinite(value)) return "&ndash;";
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", value);
  return text;
}

nlohmann::json number_or_null(double x) {
  return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
}

// Colour range [min(0, lowest), 98th percentile]: a few very active units would otherwise wash
// out the bands of the wave. Shared by the space-time picture and the animation.
std::pair<double, double> colour_range(const Matrix<float>& states) {
  std::vector<float> sorted(states.data(), states.data() + states.size());
  std::sort(sorted.begin(), sorted.end());
  const double low = std::min(0.0f, sorted.front());
  const double high = sorted[sorted.size() * 98 / 100];
  return {low, std::max(high, low + 1e-6)};
}

void write_pictures(const Matrix<float>& states, const ModelResult& result,
                    const std::string& dir) {
  const auto [low, high] = colour_range(states);
  analysis::SpaceTimeOptions space_time;
  space_time.value_min = low;
  space_time.value_max = high;
  analysis::write_space_time_png(dir + "/" + result.key + "_space_time.png", states,
                                 result.channels, result.ring_size, space_time);
  analysis::write_spectrum_png(dir + "/" + result.key + "_spectrum.png", states, result.channels,
                               result.ring_size);
  analysis::AnimationOptions animation;
  animation.value_min = low;
  animation.value_max = high;
  animation.delay_centiseconds = 10;
  animation.ring_row_pixels = 28;
  analysis::write_state_animation_gif(dir + "/" + result.key + "_animation.gif", states,
                                      result.channels, result.ring_size, animation);
}

template <class Model, class Task>
ModelResult train_and_draw(Model& model, const Task& task, const TaskBatch<float>& test,
                           const GalleryOptions& options, ModelResult result) {
  // Separate streams, so that both models see the same batches however many numbers their
  // initialisations draw.
  Rng init_rng(options.seed);
  model.init(init_rng);
  Rng rng(options.seed + 1);
  Adam<float> optimizer(model.parameters(), AdamOptions{options.learning_rate});
  ProgressBar progress(options.steps, result.key + " ");
  const long long log_every = std::max<long long>(1, options.steps / 20);
  for (long long step = 1; step <= options.steps; ++step) {
    const TaskBatch<float> batch = task.template generate<float>(options.batch, rng);
    result.final_train_loss =
        train_step(model, optimizer, batch.inputs, batch.targets, task.loss(), 0.0, step).loss;
    if (step % log_every == 0 || step == options.steps) {
      char message[48];
      std::snprintf(message, sizeof message, "loss %.3e", result.final_train_loss);
      progress.update(step, message);
    }
  }
  progress.finish();
  result.wall_seconds = progress.seconds_since_start();
  result.weights = model.weight_count();
  // forward() (not evaluate_loss, which runs without a tape) keeps the test batch's states.
  Matrix<float> unused_grad;
  result.test_loss =
      compute_loss(task.loss(), model.forward(test.inputs), test.targets, unused_grad);
  result.hidden_units = hidden_unit_census(model, std::min<Index>(test.inputs.batch(), 16));
  const Matrix<float> states = model.sample_states(options.sample);
  result.waves = analysis::analyze_waves(states, result.channels, result.ring_size);
  // Their recording starts at h_1 (y_seq appends the state after each input), without h_0 = 0;
  // their fft2 needs two steps and two units (else the JSON holds nulls).
  if (states.cols() >= 3 && result.ring_size >= 2)
    result.authors_fft = analysis::authors_fft_measure(states.rightCols(states.cols() - 1),
                                                       result.channels, result.ring_size);
  write_pictures(states, result, options.out_dir);
  return result;
}

nlohmann::json to_json(const ModelResult& result) {
  const auto authors_number = [&](double x) {  // null when the measure was not taken
    return result.authors_fft.channels.empty() ? nlohmann::json(nullptr) : number_or_null(x);
  };
  nlohmann::json channels = nlohmann::json::array();
  for (const auto& c : result.waves.channels)
    channels.push_back(
        {{"channel", c.channel},
         {"authors_diag_power",
          static_cast<std::size_t>(c.channel) < result.authors_fft.channels.size()
              ? number_or_null(
                    result.authors_fft.channels[static_cast<std::size_t>(c.channel)].diag_power)
              : nlohmann::json(nullptr)},
         {"speed_units_per_step", c.speed.speed},
         {"lag", c.speed.lag},
         {"peak_correlation", c.speed.peak_correlation},
         {"correlation_gain", c.speed.correlation_gain},
         {"ridge_contrast", c.ridge_contrast},
         {"ridge_baseline", c.ridge_baseline},
         {"diagonal_power_positive", c.diagonal.positive},
         {"diagonal_power_negative", c.diagonal.negative},
         {"diagonal_power_baseline", c.diagonal.baseline},
         {"is_wave", c.is_wave},
         {"verdict", c.reason}});
  return {{"model", result.key},
          {"title", result.title},
          {"input_init", result.input_init},
          {"channels", result.channels},
          {"ring_size", result.ring_size},
          {"weights", result.weights},
          {"final_train_loss", result.final_train_loss},
          {"test_loss", result.test_loss},
          {"train_seconds", result.wall_seconds},
          {"is_wave", result.waves.is_wave},
          {"wave_channels", result.waves.wave_channels},
          {"mean_speed_units_per_step", number_or_null(result.waves.mean_speed)},
          {"mean_abs_speed_units_per_step", number_or_null(result.waves.mean_abs_speed)},
          {"mean_diagonal_power", result.waves.mean_diagonal_power},
          {"mean_diagonal_baseline", result.waves.mean_diagonal_baseline},
          // The authors' Plot_FFT summary (authors_fft_measure.hpp): the trace of
          // |F| / |F shuffled| per channel, over their first 16 channels, one shuffle each.
          {"authors_fft",
           {{"diag_power_mean", authors_number(result.authors_fft.mean)},
            {"diag_power_std", authors_number(result.authors_fft.std)},
            {"diag_power_max", authors_number(result.authors_fft.max)},
            {"diag_power_min", authors_number(result.authors_fft.min)},
            {"diag_power_range", authors_number(result.authors_fft.range)},
            {"channels_read", result.authors_fft.channels.size()}}},
          {"per_channel", channels},
          {"hidden_units", result.hidden_units},
          {"files",
           {{"space_time", result.key + "_space_time.png"},
            {"spectrum", result.key + "_spectrum.png"},
            {"animation", result.key + "_animation.gif"}}}};
}

// What the reader sees, stated from the measurements rather than assumed.
std::string summary_sentence(const ModelResult& wave, const ModelResult& irnn) {
  std::ostringstream out;
  if (wave.waves.is_wave)
    out << "The wRNN's hidden state carries travelling waves: in the space-time picture the "
           "activity forms diagonal bands (rising to the right: it moves toward lower unit "
           "indices), measured at "
        << format_speed(wave.waves.mean_abs_speed) << " units per step in "
        << wave.waves.wave_channels << " of " << wave.channels
        << " channels, and its spectrum shows the matching diagonal line. ";
  else
    out << "In this run the wRNN's hidden state was not called a wave (" << wave.waves.wave_channels
        << " of " << wave.channels << " channels passed the rule of docs/analysis.md). ";
  if (irnn.waves.is_wave)
    out << "The iRNN's hidden state was also called a wave here, at "
        << format_speed(irnn.waves.mean_abs_speed) << " units per step.";
  else
    out << "The iRNN's units hold their values instead: horizontal stripes in the space-time "
           "picture, no diagonal in the spectrum, and no wave by the same rule ("
        << html_escape(irnn.waves.channels.front().reason) << ").";
  return out.str();
}

void write_html(const std::string& path, const GalleryOptions& options, const ModelResult& wave,
                const ModelResult& irnn, double total_seconds) {
  const std::vector<const ModelResult*> models{&wave, &irnn};
  const bool copy = options.task == "copy";
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       << "<title>wrnn wave gallery</title>\n<style>\n"
       << "body{font-family:sans-serif;max-width:1400px;margin:1em auto;padding:0 1em}\n"
       << "table{border-collapse:collapse;margin:0.5em 0}"
       << "td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}"
       << "th{background:#eee}td.l,th.l{text-align:left}\n"
       << ".pair{display:flex;gap:1.5em;flex-wrap:wrap;align-items:flex-start}"
       << ".pair figure{margin:0}img{max-width:100%}\n</style>\n</head>\n<body>\n";
  html << "<h1>Travelling waves in a trained wave-RNN, and none in an iRNN</h1>\n";
  html << "<p>Both models were trained for " << options.steps << " Adam steps (lr "
       << options.learning_rate << ", batch " << options.batch << ", seed " << options.seed
       << ") on the " << options.task << " task with " << (copy ? "gap T = " : "length T = ")
       << options.length << (copy ? " (sequences of T + 10 steps)" : "")
       << "; the pictures show the hidden state of test sequence " << options.sample
       << " (column 0 is the zero start state).</p>\n";
  html << "<p>" << summary_sentence(wave, irnn) << "</p>\n";

  html << "<h2>Numbers</h2>\n<table>\n<tr><th class=\"l\">model</th><th>channels x units</th>"
       << "<th>weights</th><th>final train loss</th><th>test loss (" << kTestBatch
       << " sequences)</th><th>wave channels</th><th>mean speed</th><th>mean |speed|</th>"
       << "<th>diagonal power / baseline</th><th class=\"l\">verdict</th></tr>\n";
  for (const ModelResult* m : models)
    html << "<tr><td class=\"l\">" << m->title << "</td><td>" << m->channels << " x "
         << m->ring_size << "</td><td>" << m->weights << "</td><td>" << format(m->final_train_loss)
         << "</td><td>" << format(m->test_loss) << "</td><td>" << m->waves.wave_channels << " / "
         << m->channels << "</td><td>" << format_speed(m->waves.mean_speed) << "</td><td>"
         << format_speed(m->waves.mean_abs_speed) << "</td><td>"
         << format(m->waves.mean_diagonal_power) << " / " << format(m->waves.mean_diagonal_baseline)
         << "</td><td class=\"l\">" << (m->waves.is_wave ? "wave" : "no wave") << "</td></tr>\n";
  html << "</table>\n";

  html << "<table>\n<tr><th class=\"l\">model</th><th>channel</th><th>speed (units/step)</th>"
       << "<th>lag</th><th>peak corr.</th><th>ridge contrast / baseline</th>"
       << "<th>diagonal +1 / &minus;1 / baseline</th><th class=\"l\">verdict</th></tr>\n";
  for (const ModelResult* m : models)
    for (const auto& c : m->waves.channels)
      html << "<tr><td class=\"l\">" << m->title << "</td><td>" << c.channel << "</td><td>"
           << format_speed(c.speed.speed) << "</td><td>" << c.speed.lag << "</td><td>"
           << format(c.speed.peak_correlation, 2) << "</td><td>" << format(c.ridge_contrast)
           << " / " << format(c.ridge_baseline) << "</td><td>" << format(c.diagonal.positive)
           << " / " << format(c.diagonal.negative) << " / " << format(c.diagonal.baseline)
           << "</td><td class=\"l\">" << html_escape(c.reason) << "</td></tr>\n";
  html << "</table>\n<p>Speed &gt; 0: activity moves toward higher unit indices. The shift "
          "initialisation moves it toward lower ones, so the paper's speed-1 wave reads &minus;1 "
          "here. A speed is only meaningful where the verdict is &ldquo;wave&rdquo;. The iRNN's "
       << irnn.ring_size
       << " hidden units are measured as one ring in index order. Rule and measures: "
          "docs/analysis.md.</p>\n";

  struct Row {
    const char* heading;
    const char* suffix;
    const char* caption;
  };
  const Row rows[] = {
      {"Space-time pictures", "_space_time.png",
       "units (down) x time (right), one panel per channel; a travelling wave is a diagonal "
       "band, a unit holding its value a horizontal stripe"},
      {"Spectra", "_spectrum.png",
       "log10 of the 2-D spectrum over that of time-shuffled copies (white: no different from "
       "shuffled); rows k = -1/2..1/2 cycles per unit, columns w = -1/2..1/2 cycles per step; "
       "the speed -1 wave lies on the diagonal from top left to bottom right"},
      {"Animations", "_animation.gif",
       "each channel's ring as a horizontal strip, one frame per step"},
  };
  for (const Row& row : rows) {
    html << "<h2>" << row.heading << "</h2>\n<p>" << row.caption << "</p>\n<div class=\"pair\">\n";
    for (const ModelResult* m : models)
      html << "<figure><figcaption>" << m->title << "</figcaption><img src=\"" << m->key
           << row.suffix << "\" alt=\"" << m->title << " " << row.heading << "\"></figure>\n";
    html << "</div>\n";
  }
  // The iRNN's U is a dense N x N matrix with no kernel to draw.
  html << "<h2>Recurrent kernel</h2>\n<p>the wRNN's trained kernel u, one panel per (output, "
          "input) channel pair, taps -k/2..k/2 left to right; the shift init starts with one tap "
          "right of centre on the diagonal panels</p>\n<figure><figcaption>"
       << wave.title << "</figcaption><img src=\"wave_kernels.png\" alt=\"" << wave.title
       << " kernels\"></figure>\n";
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", total_seconds);
  html << "<p><small>Made by examples/wave_gallery in " << seconds << " s with " << options.threads
       << " thread(s); numbers in gallery.json.</small></p>\n</body>\n</html>\n";
  write_text_file(path, html.str());
}

template <class Task>
int run_gallery(const GalleryOptions& options, const Task& task) {
  ProgressBar clock(1);
  const bool copy = options.task == "copy";
  const ReadoutOptions readout{task.output_size(), ReadoutKind::linear,
                               copy ? ReadoutMode::every_step : ReadoutMode::last_step, 100};
  ModelOptions model_options;
  model_options.threads = options.threads;
  Rng test_rng(options.seed + 2);
  const TaskBatch<float> test = task.template generate<float>(kTestBatch, test_rng);

  ModelResult wave_result;
  wave_result.key = "wave";
  wave_result.title = "wRNN (shift init)";
  wave_result.channels = options.channels;
  wave_result.ring_size = options.ring_size;
  {
    const WaveCellOptions cell{task.input_size(),   options.channels, options.ring_size,
                               options.kernel_size, Activation::relu, RecurrentInit::shift,
                               InputInit::solo};
    SequenceModel<WaveCell<float>> model(cell, readout, model_options);
    wave_result = train_and_draw(model, task, test, options, wave_result);
    analysis::write_kernel_png(options.out_dir + "/wave_kernels.png",
                               model.cell().recurrent_weight().value, options.channels, 1,
                               options.kernel_size);
  }

  ModelResult irnn_result;
  irnn_result.key = "irnn";
  irnn_result.title = "iRNN (identity init)";
  irnn_result.input_init = options.irnn_v_init;
  irnn_result.channels = 1;
  irnn_result.ring_size =
      options.irnn_hidden > 0 ? options.irnn_hidden : options.channels * options.ring_size;
  {
    const DenseCellOptions cell{task.input_size(), irnn_result.ring_size, Activation::relu,
                                RecurrentInit::identity, parse_input_init(options.irnn_v_init)};
    if (const auto warning = dead_unit_warning(cell)) std::cerr << "warning: " << *warning << '\n';
    SequenceModel<DenseCell<float>> model(cell, readout, model_options);
    irnn_result = train_and_draw(model, task, test, options, irnn_result);
  }

  const double total_seconds = clock.seconds_since_start();
  write_html(options.out_dir + "/index.html", options, wave_result, irnn_result, total_seconds);
  const nlohmann::json gallery = {
      {"task", options.task},
      {"T", options.length},
      {"steps", options.steps},
      {"batch", options.batch},
      {"lr", options.learning_rate},
      {"kernel", options.kernel_size},
      {"seed", options.seed},
      {"threads", options.threads},
      {"test_batch", kTestBatch},
      {"sample", options.sample},
      {"wall_seconds", total_seconds},
      {"speed_convention",
       "units per step, > 0 toward higher unit indices; the shift init's wave reads -1"},
      {"models", {to_json(wave_result), to_json(irnn_result)}}};
  write_text_file(options.out_dir + "/gallery.json", gallery.dump(2) + "\n");  // last
  print_result(gallery.dump(2));
  std::cerr << "wrote " << options.out_dir << "/index.html\n";
  return 0;
}

// Refuses flags out of range (ValueError naming the flag). --irnn-n has no default value: left
// out, the iRNN gets C * n units.
void check_flags(const CLI::App& app, const GalleryOptions& options) {
  require_at_least("--T", options.length, Index{options.task == "copy" ? 1 : 2});
  require_at_least("--steps", options.steps, 1LL);
  require_at_least("--batch", options.batch, Index{1});
  require_at_least("--n", options.ring_size, Index{1});
  require_at_least("--channels", options.channels, Index{1});
  if (options.kernel_size < 1 || options.kernel_size % 2 == 0)
    throw ValueError(
        detail::concat("--kernel: expected an odd size >= 1, received ", options.kernel_size));
  if (app.get_option("--irnn-n")->count() > 0 && options.irnn_hidden < 1)
    throw ValueError(detail::concat("--irnn-n: expected >= 1, received ", options.irnn_hidden,
                                    " (leave it out for C * n units)"));
  require_at_least("--lr", options.learning_rate, 0.0);
  if (options.sample < 0 || options.sample >= kTestBatch)
    throw ValueError(
        detail::concat("--sample: expected 0..", kTestBatch - 1, ", received ", options.sample));
}

// The memory of the larger of the two runs (memory_budget.hpp): parameters with Adam's state, a
// training batch's tape, and the forward over the test batch that records its states. The wave
// model first: once it fits, C * n is small enough to size the iRNN with.
template <class Task>
void require_memory_for(const GalleryOptions& options, const Task& task) {
  const Index d = task.input_size();
  const ByteCount T =
      ByteCount::of(options.length) + ByteCount::of(options.task == "copy" ? CopyTask::kDigits : 0);
  const bool every_step = options.task == "copy";
  const auto run_bytes = [&](const ModelSizes& sizes) {
    return training_state_bytes(sizes, options.batch) +
           larger(model_run_bytes(sizes, d, T, options.batch, true, 0, every_step),
                  model_run_bytes(sizes, d, T, kTestBatch, true, 0, every_step)) +
           ByteCount(sizeof(float)) * T * ByteCount::of(d + 1) *
               (ByteCount::of(options.batch) + ByteCount::of(kTestBatch));
  };
  const std::string hint = "ask for a smaller --batch, --T, --n, --channels or --irnn-n";
  require_memory(run_bytes(model_sizes("wave", d, options.ring_size, options.channels,
                                       options.kernel_size, task.output_size(), 0)),
                 "the wRNN run", hint);
  const Index irnn_units =
      options.irnn_hidden > 0 ? options.irnn_hidden : options.channels * options.ring_size;
  require_memory(run_bytes(model_sizes("irnn", d, irnn_units, 1, 1, task.output_size(), 0)),
                 "the iRNN run", hint);
}

int gallery_main(int argc, char** argv) {
  GalleryOptions options;
  CLI::App app{
      "Train a wave-RNN (shift init) and an iRNN (identity init) on a memory task and write "
      "their hidden states' space-time pictures, spectra, animations, wave speeds and verdicts "
      "side by side as DIR/index.html and DIR/gallery.json"};
  app.add_option("--task", options.task, "copy or adding")
      ->capture_default_str()
      ->check(CLI::IsMember({"copy", "adding"}));
  CLI::Option* length_option =
      app.add_option("--T", options.length,
                     "copy: gap T (sequences of T + 10 steps); adding: sequence length T "
                     "(default: 30 for copy, 100 for adding)")
          ->transform(decimal_integer<Index>());
  add_integer_option<long long>(app, "--steps", options.steps, "Adam steps for each model");
  add_integer_option<Index>(app, "--n", options.ring_size, "wave: units per ring");
  add_integer_option<Index>(app, "--channels", options.channels, "wave: channels C");
  add_integer_option<Index>(app, "--kernel", options.kernel_size, "wave: kernel size k (odd)");
  app.add_option("--irnn-n", options.irnn_hidden,
                 "iRNN hidden units, >= 1 (default: channels * n, as many units as the wRNN)")
      ->transform(decimal_integer<Index>());
  app.add_option("--irnn-v-init", options.irnn_v_init,
                 "iRNN input weights: normal (N(0, 0.001^2)) or solo (unit 0 only)")
      ->capture_default_str()
      ->check(CLI::IsMember({"normal", "solo"}));
  add_integer_option<Index>(app, "--batch", options.batch, "batch size");
  app.add_option("--lr", options.learning_rate, "Adam learning rate (finite, >= 0)")
      ->capture_default_str()
      ->transform(finite_number());
  app.add_option("--seed", options.seed,
                 "random seed (weights, batches, test set; an integer in [0, 2^64))")
      ->capture_default_str()
      ->transform(decimal_integer<std::uint64_t>());
  app.add_option("--threads", options.threads,
                 "threads (default: WRNN_NUM_THREADS or the cores this process may run on; "
                 "results do not depend on it)")
      ->transform(decimal_integer<Index>());
  add_integer_option<Index>(app, "--sample", options.sample,
                            "test sequence drawn and measured (0..255)");
  app.add_option("--out", options.out_dir, "output folder DIR")->capture_default_str();
  return run_program("wave_gallery", app, argc, argv, [&] {
    options.threads = resolve_thread_count(*app.get_option("--threads"), options.threads);
    if (length_option->count() == 0)
      options.length = options.task == "copy" ? kDefaultCopyGap : kDefaultAddingLength;
    check_flags(app, options);
    const auto run = [&](const auto& task) {
      require_memory_for(options, task);
      std::vector<std::string> files{"index.html", "gallery.json"};
      for (const char* model : {"wave", "irnn"})
        for (const char* suffix : {"_space_time.png", "_spectrum.png", "_animation.gif"})
          files.push_back(std::string(model) + suffix);
      files.push_back("wave_kernels.png");
      prepare_output_folder("--out", options.out_dir, files);
      return run_gallery(options, task);
    };
    if (options.task == "copy") return run(CopyTask(options.length));
    return run(AddingTask(options.length));
  });
}

}  // namespace
}  // namespace wrnn::examples

int main(int argc, char** argv) {
  return wrnn::examples::gallery_main(argc, argv);
}
