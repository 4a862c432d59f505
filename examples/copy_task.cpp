// copy_task: trains a wave-RNN, a LocoCell, an iRNN, an LSTM or a GRU on the copy task
// (docs/model.md, "Tasks"): m random digits, blanks, and a delimiter T - 1 steps in; over the
// last m of the T + m steps the model must recall the digits in order. `copy_task --help` lists the
// flags; the authors' names for them are in docs/model.md.
//
// The flags the copy and adding tasks share and the run itself (training, checkpoints, the
// record in --out) are common/memory_task.hpp's; this file is the copy task's own flags and
// defaults. Under mpirun the run is data-parallel over the ranks (common/data_parallel.hpp).
#include <CLI/CLI.hpp>
#include <string>

#include "common/data_parallel.hpp"
#include "common/flag_checks.hpp"
#include "common/memory_task.hpp"

namespace wrnn::examples {

int copy_task_main(int argc, char** argv) {
  MemoryTaskOptions options;
  options.task = "copy";
  options.length = 30;
  // Gradients clipped to norm 1: without it, Adam now and then throws a trained wave-RNN back up
  // by three orders of magnitude for a few hundred steps.
  options.grad_clip = 1.0;
  CLI::App app{"Train a wave-RNN, an iRNN, an LSTM or a GRU on the copy task (Keller et al. 2024)"};
  add_memory_task_flags(app, options);
  add_integer_option<Index>(app, "--T", options.length,
                            "gap T: sequences have T + m steps (m: --mem-len)");
  add_integer_option<Index>(app, "--mem-len", options.memory_length,
                            "digits to recall, m (the authors' generator always writes 10)");
  app.add_flag("--only-last", options.only_last,
               "score the loss on the last m steps only, where the digits are recalled "
               "(default: every step)");
  app.add_option("--loss-scale", options.loss_scale,
                 "the loss the run trains on and reports (curve.csv, results.json): mean "
                 "(PyTorch's mean cross-entropy) or authors (that mean divided by the batch "
                 "size, as the authors' script trains and logs it)")
      ->capture_default_str();
  return run_memory_task_program("copy_task", app, argc, argv, options);
}

}  // namespace wrnn::examples

// wrnn_sweep runs this program in-process (copy_task_main) and compiles this file without main().
#ifndef WRNN_PROGRAM_WITHOUT_MAIN
int main(int argc, char** argv) {
  return wrnn::examples::data_parallel_main("copy_task", argc, argv,
                                            wrnn::examples::copy_task_main);
}
#endif
