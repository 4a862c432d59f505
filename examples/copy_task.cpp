// Trains a wave-RNN, iRNN, LSTM or GRU on the copy task (PAPER.md section 2). `copy_task --help`.
#include "common/memory_task_program.hpp"

int main(int argc, char** argv) {
  return wrnn::examples::memory_task_main(argc, argv, "copy", 30, 0.0,
                                          [](wrnn::Index gap) { return wrnn::CopyTask(gap); });
}
