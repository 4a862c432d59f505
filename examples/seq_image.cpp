// Trains a wave-RNN, an iRNN, an LSTM or a GRU on sMNIST, psMNIST or noisy sequential CIFAR-10
// (docs/model.md, "Tasks", docs/seq_image.md). `seq_image --help`. The program is
// common/seq_image_program.hpp.
#include "common/data_parallel.hpp"
#include "common/program_mains.hpp"

int main(int argc, char** argv) {
  // Under mpirun: data-parallel over the ranks (common/data_parallel.hpp).
  return wrnn::examples::data_parallel_main("seq_image", argc, argv,
                                            wrnn::examples::seq_image_program_main);
}
