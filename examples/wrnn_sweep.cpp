// Runs a grid of copy_task or adding_task runs from a sweep file, alone or under
// `mpirun -np R` (docs/sweeps.md). `wrnn_sweep --help`. The program is common/sweep_program.hpp.
#include "common/sweep_program.hpp"

int main(int argc, char** argv) {
  return wrnn::examples::sweep::sweep_main(argc, argv);
}
