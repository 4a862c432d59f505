// Trains a wave-RNN, an iRNN, an LSTM or a GRU on sMNIST, psMNIST or noisy sequential CIFAR-10
// (docs/model.md, "Tasks", docs/seq_image.md). `seq_image --help`. The program is
// common/seq_image_program.hpp.
#include "common/program_mains.hpp"

int main(int argc, char** argv) {
  return wrnn::examples::seq_image_program_main(argc, argv);
}
