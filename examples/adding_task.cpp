// Trains a wave-RNN or an iRNN on the adding task (PAPER.md section 2). `adding_task --help`.
#include "common/memory_task_program.hpp"

int main(int argc, char** argv) {
  return wrnn::examples::memory_task_main(
      argc, argv, "adding", 100, [](wrnn::Index length) { return wrnn::AddingTask(length); });
}
