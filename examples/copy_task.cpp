// Trains a wave-RNN, iRNN, LSTM or GRU on the copy task (docs/model.md, "Tasks"). `copy_task
// --help`. The program is common/memory_task_program.hpp.
#include "common/data_parallel.hpp"
#include "common/program_mains.hpp"

int main(int argc, char** argv) {
  // Under mpirun: data-parallel over the ranks (common/data_parallel.hpp).
  return wrnn::examples::data_parallel_main("copy_task", argc, argv,
                                            wrnn::examples::copy_task_main);
}
