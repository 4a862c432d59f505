// Trains a wave-RNN, iRNN, LSTM or GRU on the copy task (docs/model.md, "Tasks"). `copy_task
// --help`. The program is common/memory_task_program.hpp.
#include "common/program_mains.hpp"

int main(int argc, char** argv) {
  return wrnn::examples::copy_task_main(argc, argv);
}
