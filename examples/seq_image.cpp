// Trains a wave-RNN, an iRNN, an LSTM or a GRU on sMNIST, psMNIST or noisy sequential CIFAR-10
// (PAPER.md section 2, docs/seq_image.md). `seq_image --help`.
#include "common/seq_image_program.hpp"

int main(int argc, char** argv) {
  return wrnn::examples::seq_image_main(argc, argv);
}
