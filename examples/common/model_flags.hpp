// The flags every training program shares: which model, its sizes, its init and activation,
// Adam's learning rate and the gradient clip, the thread count, and the readout. Options is the
// program's own options struct; it has a field for each of these, with the program's default in it
// (threads: 0, resolved after parsing by resolve_thread_count). Numbers are checked as they are
// parsed (flag_checks.hpp).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "common/data_parallel.hpp"
#include "common/flag_checks.hpp"
#include "wrnn/cells/initialization.hpp"
#include "wrnn/core/activation.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/model/readout.hpp"

namespace wrnn::examples {

// What --channels and --kernel, given with --model irnn, are refused for: the iRNN is one dense
// recurrence over --n units, with no rings to count or convolve.
inline const std::string kIrnnRefusal =
    "--model irnn (one dense layer of --n units; the authors' n_hid x n_ch units are --n with "
    "that product)";

template <class Options>
void add_model_flags(CLI::App& app, Options& options) {
  app.add_option("--model", options.model,
                 "wave, irnn, lstm, gru or loco (the wave cell with a kernel per unit)")
      ->capture_default_str();
  add_integer_option<Index>(app, "--n", options.ring_size,
                            "units per channel (wave, loco) or hidden units (irnn, lstm, gru)");
  add_integer_option<Index>(app, "--channels", options.channels, "channels C (wave, loco)");
  add_integer_option<Index>(app, "--kernel", options.kernel_size,
                            "kernel size k, odd (wave, loco)");
  app.add_option("--lr", options.learning_rate, "Adam learning rate (finite, >= 0)")
      ->capture_default_str()
      ->transform(finite_number());
  app.add_option("--grad-clip", options.grad_clip,
                 "global gradient-norm clip (> 0), or 0 for no clipping")
      ->capture_default_str()
      ->transform(finite_number());
  app.add_option("--init", options.init,
                 "recurrent init: shift, identity or random (default: shift for wave, identity "
                 "for irnn)");
  app.add_option("--v-init", options.v_init,
                 "input init: solo, normal or pytorch (default: solo for wave; for irnn normal on "
                 "the memory tasks, pytorch on the image tasks)");
  app.add_option("--act", options.activation, "activation: relu, tanh or identity")
      ->capture_default_str();
  app.add_option("--threads", options.threads,
                 "threads (default: WRNN_NUM_THREADS or the cores this process may run on; "
                 "results do not depend on it)")
      ->transform(decimal_integer<Index>());
  add_data_parallel_flags(app);  // --mpi-timeout
}

// The wave cell's or the loco cell's options (the same fields: the loco cell is the wave cell with
// an untied kernel per position) from the ring flags.
template <class RingCellOptions, class Options>
RingCellOptions ring_cell_options(Index input_size, const Options& options) {
  return {input_size,
          options.channels,
          options.ring_size,
          options.kernel_size,
          parse_flag("--act", options.activation, parse_activation),
          parse_flag("--init", options.init, parse_recurrent_init),
          parse_flag("--v-init", options.v_init, parse_input_init)};
}

// --freeze-rnn and --freeze-encoder (the authors' --freeze_rnn, --freeze_encoder): the recurrent
// weight and bias, or the input weight and bias, kept at their init.
template <class Options>
void add_freeze_flags(CLI::App& app, Options& options) {
  app.add_flag("--freeze-rnn", options.freeze_rnn,
               "keep the recurrent weight and bias at their init (no gradient, no optimizer "
               "state)");
  app.add_flag("--freeze-encoder", options.freeze_encoder,
               "keep the input weight and bias at their init (no gradient, no optimizer state)");
}

// Freezes what --freeze-rnn and --freeze-encoder ask for (Parameter::frozen): every cell's
// parameters are the input weight and bias, then the recurrent weight and bias (CellParameters).
// Call it after the init and before the optimizer is built.
template <class Model, class Options>
void freeze_parameters(Model& model, const Options& options) {
  const auto& list = model.parameters();
  std::vector<std::string> names;
  if (options.freeze_encoder) names.insert(names.end(), {list[0].name, list[1].name});
  if (options.freeze_rnn) names.insert(names.end(), {list[2].name, list[3].name});
  set_frozen(list, names);
}

// --readout and --mlp-hidden (the authors' --mlp_decoder: one hidden layer of relu units).
template <class Options>
void add_readout_flags(CLI::App& app, Options& options) {
  app.add_option("--readout", options.readout,
                 "linear or mlp (one hidden layer of --mlp-hidden relu units)")
      ->capture_default_str();
  add_integer_option<Index>(app, "--mlp-hidden", options.mlp_hidden,
                            "hidden units of the mlp readout (with --readout mlp)");
}

// Refuses a --readout it does not know, --mlp-hidden below 1, and --mlp-hidden given without
// --readout mlp (it would be ignored).
template <class Options>
void check_readout_flags(const CLI::App& app, const Options& options) {
  if (parse_flag("--readout", options.readout, parse_readout_kind) != ReadoutKind::mlp)
    refuse_given_flags(app, {"--mlp-hidden"}, "--readout " + options.readout);
  require_at_least("--mlp-hidden", options.mlp_hidden, Index{1});
}

// The readout the flags ask for, with `outputs` outputs read at the steps `mode` names.
template <class Options>
ReadoutOptions readout_options(const Options& options, Index outputs, ReadoutMode mode) {
  return {outputs, parse_flag("--readout", options.readout, parse_readout_kind), mode,
          options.mlp_hidden};
}

}  // namespace wrnn::examples
