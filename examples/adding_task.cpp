// Trains a wave-RNN, iRNN, LSTM or GRU on the adding task (docs/model.md, "Tasks"). `adding_task
// --help`. The program is common/memory_task_program.hpp.
#include "common/program_mains.hpp"

int main(int argc, char** argv) {
  return wrnn::examples::adding_task_main(argc, argv);
}
