// The example programs' mains (program_mains.hpp), one translation unit for all of them.
#include "common/program_mains.hpp"

#include "common/memory_task_program.hpp"
#include "common/seq_image_program.hpp"
#include "common/wave_gallery_program.hpp"

namespace wrnn::examples {

int copy_task_main(int argc, char** argv) {
  return memory_task_main(argc, argv, "copy", 30, 1.0, [](const MemoryTaskOptions& options) {
    return CopyTask(options.length, options.memory_length,
                    options.only_last ? CopyLoss::recall_only : CopyLoss::every_step);
  });
}

int adding_task_main(int argc, char** argv) {
  return memory_task_main(argc, argv, "adding", 100, 1.0, [](const MemoryTaskOptions& options) {
    return AddingTask(options.length);
  });
}

int seq_image_program_main(int argc, char** argv) {
  return seq_image_main(argc, argv);
}

int wave_gallery_program_main(int argc, char** argv) {
  return gallery::gallery_main(argc, argv);
}

}  // namespace wrnn::examples
