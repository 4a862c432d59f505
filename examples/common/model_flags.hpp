// The flags every training program shares: which model, its sizes, its init and activation,
// Adam's learning rate and the gradient clip, and the thread count. Options is the program's own
// options struct; it has a field for each of these, with the program's default in it (threads: 0,
// resolved after parsing by resolve_thread_count). Numbers are checked as they are parsed
// (flag_checks.hpp).
#pragma once

#include <CLI/CLI.hpp>

#include "common/flag_checks.hpp"

namespace wrnn::examples {

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
                 "threads (default: WRNN_NUM_THREADS or all cores; results do not depend on it)")
      ->transform(decimal_integer<Index>());
}

}  // namespace wrnn::examples
