// Trains a wave-RNN, iRNN, LSTM or GRU on the copy task (PAPER.md section 2). `copy_task --help`.
// Gradients are clipped to norm 1 by default (without it, Adam now and then throws a trained
// wave-RNN back up by three orders of magnitude for a few hundred steps).
#include "common/memory_task_program.hpp"

int main(int argc, char** argv) {
  return wrnn::examples::memory_task_main(argc, argv, "copy", 30, 1.0,
                                          [](wrnn::Index gap) { return wrnn::CopyTask(gap); });
}
