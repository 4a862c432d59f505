// adding_task: trains a wave-RNN, a LocoCell, an iRNN, an LSTM or a GRU on the adding task
// (docs/model.md, "Tasks"): T steps of a random value and a marker channel that marks two of
// them; at the last step the model must output the sum of the two marked values. `adding_task
// --help` lists the flags; the authors' names for them are in docs/model.md.
//
// The flags the copy and adding tasks share and the run itself (training, checkpoints, the
// record in --out) are common/memory_task.hpp's; this file is the adding task's own flags and
// defaults. Under mpirun the run is data-parallel over the ranks (common/data_parallel.hpp).
#include <CLI/CLI.hpp>
#include <string>

#include "common/data_parallel.hpp"
#include "common/flag_checks.hpp"
#include "common/memory_task.hpp"

namespace wrnn::examples {

int adding_task_main(int argc, char** argv) {
  MemoryTaskOptions options;
  options.task = "adding";
  options.length = 100;
  // Gradients clipped to norm 1: without clipping the wave-RNN stalls at the mean predictor
  // (MSE 1/6) for the first thousand steps.
  options.grad_clip = 1.0;
  CLI::App app{
      "Train a wave-RNN, an iRNN, an LSTM or a GRU on the adding task (Keller et al. 2024)"};
  add_memory_task_flags(app, options);
  add_integer_option<Index>(app, "--T", options.length, "sequence length T");
  add_integer_option<long long>(
      app, "--early-stop-from", options.early_stop_from,
      "the authors' early stopping from this step on, once solved (training loss <= 0.05 "
      "at an evaluation): stop after --early-stop-patience evaluations without a new best "
      "test loss (-1: never)");
  add_integer_option<long long>(app, "--early-stop-patience", options.early_stop_patience,
                                "evaluations without a new best test loss before stopping");
  return run_memory_task_program("adding_task", app, argc, argv, options);
}

}  // namespace wrnn::examples

// wrnn_sweep runs this program in-process (adding_task_main) and compiles this file without
// main().
#ifndef WRNN_PROGRAM_WITHOUT_MAIN
int main(int argc, char** argv) {
  return wrnn::examples::data_parallel_main("adding_task", argc, argv,
                                            wrnn::examples::adding_task_main);
}
#endif
