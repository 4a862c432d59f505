// The paper's central picture: a wave-RNN and an iRNN trained alike on a memory task, their hidden
// states drawn and measured side by side in one HTML page (docs/gallery.md). `wave_gallery
// --help`. The program is common/wave_gallery_program.hpp.
#include "common/program_mains.hpp"

int main(int argc, char** argv) {
  return wrnn::examples::wave_gallery_program_main(argc, argv);
}
