// What copy_task and adding_task share: their options (the authors' flags, docs/model.md), the
// flags both take, and the run, compiled once for both and for wrnn_sweep in
// memory_task_program.cpp (the training loop, checkpoints and the run's record). Each program's
// file (examples/copy_task.cpp, examples/adding_task.cpp) adds its task's own flags and defaults.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "common/flag_checks.hpp"
#include "common/lr_schedule_flags.hpp"
#include "common/model_flags.hpp"
#include "wrnn/core/types.hpp"
#include "wrnn/tasks/copy_task.hpp"

namespace wrnn::examples {

struct MemoryTaskOptions {
  std::string task;            // "copy" or "adding"
  std::string model = "wave";  // wave, irnn, lstm or gru
  Index ring_size = 100;       // --n: units per channel (wave) or hidden units (irnn, lstm, gru)
  Index channels = 6;
  Index kernel_size = 3;
  Index length = 0;  // --T
  long long steps = 1000;
  Index batch = 128;
  Index test_batch = 512;
  double learning_rate = 1e-3;
  double grad_clip = 0.0;
  std::string init;    // default: shift for wave, identity for irnn
  std::string v_init;  // default: solo for wave, normal for irnn (the authors' choices)
  std::string activation = "relu";
  std::string readout = "linear";  // linear or mlp
  Index mlp_hidden = 100;          // the mlp readout's hidden units
  bool freeze_rnn = false;         // --freeze-rnn: the recurrent weight and bias kept at init
  bool freeze_encoder = false;     // --freeze-encoder: the input weight and bias kept at init
  // --lr-scheduler and its parameters (lr_schedule_flags.hpp), stepped every training step.
  std::string lr_scheduler = "constant";
  long long lr_drop_every = 1000;
  double lr_drop_factor = 10.0;
  double lr_gamma = 0.97;        // the authors' ExponentialLR
  long long lr_t_max = 0;        // 0: --steps
  double lr_max = 0.0;           // 0: --lr
  long long lr_total_steps = 0;  // 0: --steps
  long long lr_patience = 5;     // the authors' ReduceLROnPlateau
  long long lr_cooldown = 5;
  std::uint64_t seed = 1;
  Index threads = 0;  // --threads, else WRNN_NUM_THREADS or the cores (resolve_thread_count)
  long long log_every = 100;
  double solved_threshold = 0.05;
  // Copy task only: the digits to recall, the steps the loss scores, and how it is scaled.
  Index memory_length = CopyTask::kDigits;  // --mem-len, the authors' --mem_len
  bool only_last = false;                   // --only-last: the loss on the last m steps only
  std::string loss_scale = "mean";          // --loss-scale: mean, or authors (mean / batch)
  // Adding task only: the authors' early stopping (--patience_init, --patience).
  long long early_stop_from = -1;  // --early-stop-from: -1 never
  long long early_stop_patience = 5;
  std::string out_dir;
  // Weights and checkpoints (docs/checkpoints.md).
  std::string save_path;           // --save: the trained model
  std::string load_path;           // --load: start from these weights instead of the init
  long long checkpoint_every = 0;  // --checkpoint-every (0: never)
  std::string checkpoint_path;     // --checkpoint (default: <out>/checkpoint.safetensors)
  std::string resume_path;         // --resume: continue the run saved in this checkpoint
};

// The flags both memory tasks take: the model's, the readout's, freezing, the learning-rate
// schedule, the run's length and batches, the seed, the outputs, weights and checkpoints. --T and
// the task's own flags are the program's.
inline void add_memory_task_flags(CLI::App& app, MemoryTaskOptions& options) {
  add_model_flags(app, options);
  add_readout_flags(app, options);
  add_freeze_flags(app, options);
  add_lr_schedule_flags(app, options, "step", "--steps");
  add_integer_option<long long>(app, "--steps", options.steps, "training steps (batches)");
  add_integer_option<Index>(app, "--batch", options.batch, "batch size");
  add_integer_option<Index>(app, "--test-batch", options.test_batch,
                            "size of the fixed test batch");
  add_integer_option<std::uint64_t>(app, "--seed", options.seed,
                                    "random seed (an integer in [0, 2^64))");
  add_integer_option<long long>(app, "--log-every", options.log_every,
                                "evaluate and log every N steps");
  app.add_option("--out", options.out_dir,
                 "write curve.csv, results.json, hidden_states.csv and space_time.png here (and "
                 "for the copy task copy_outputs.png: the outputs' softmax against the targets "
                 "over the last 50 steps of 4 test sequences)");
  app.add_option("--save", options.save_path, "save the trained model (safetensors) here");
  app.add_option("--load", options.load_path,
                 "start from the weights of this model file (same structure) instead of the init");
  add_integer_option<long long>(app, "--checkpoint-every", options.checkpoint_every,
                                "write a checkpoint every N steps (0: never)");
  app.add_option("--checkpoint", options.checkpoint_path,
                 "checkpoint file (default: <out>/checkpoint.safetensors; written with "
                 "--checkpoint-every)");
  app.add_option("--resume", options.resume_path,
                 "continue the run saved in this checkpoint (same flags otherwise; its step may "
                 "be at most --steps)");
}

// Parses the command line with `app` (its flags added) into `options`, checks the flags, and
// runs options.task ("copy" or "adding"): trains, writes the run's record, prints the results.
// Returns the program's exit status (program_errors.hpp); `program` names it in messages.
int run_memory_task_program(const std::string& program, CLI::App& app, int argc, char** argv,
                            MemoryTaskOptions& options);

// The programs' entry points (examples/copy_task.cpp, examples/adding_task.cpp), which their
// main() and wrnn_sweep's runs (in-process, common/sweep_run.hpp) call.
int copy_task_main(int argc, char** argv);
int adding_task_main(int argc, char** argv);

}  // namespace wrnn::examples
