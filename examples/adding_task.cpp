// Trains a wave-RNN, iRNN, LSTM or GRU on the adding task (PAPER.md section 2). `adding_task
// --help`. Gradients are clipped to norm 1 by default: without clipping the wave-RNN stalls at the
// mean predictor (MSE 1/6) for the first thousand steps (see README).
#include "common/memory_task_program.hpp"

int main(int argc, char** argv) {
  return wrnn::examples::memory_task_main(
      argc, argv, "adding", 100, 1.0, [](wrnn::Index length) { return wrnn::AddingTask(length); });
}
