// How copy_task, adding_task and seq_image train under `mpirun -np R` (or srun): data-parallel,
// with the results of one process bit for bit (wrnn/mpi/data_parallel.hpp).
//
// The program's own main() runs it through data_parallel_main(), which starts MPI when a launcher
// started the process (wrnn::mpi::Environment) and makes MPI_COMM_WORLD the group the training
// runs over. Every rank then builds the same model, reads the same flags and data, and trains
// through data_parallel(model); rank 0 alone prints and writes files (is_root_process()). A rank
// that fails ends every rank of the job (MPI_Abort), after its message; so does a rank that waits
// in a step's collective call longer than --mpi-timeout seconds, naming the ranks that did not
// arrive (a rank that hangs without dying). Without --threads or WRNN_NUM_THREADS a rank takes the
// cores it is bound to (mpirun binds each rank to one by default), or unbound, its share of the
// node's.
//
// The same programs called in-process (a sweep's runs, the tests) have no group: data_parallel()
// is then the model on its own and every caller is its own root. Built without wrnn::mpi
// (WRNN_EXAMPLES_WITH_MPI undefined) the programs are single processes.
#pragma once

#include <stdlib.h>  // setenv (POSIX)

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <exception>
#include <string>

#include "common/program_errors.hpp"

#if defined(WRNN_EXAMPLES_WITH_MPI)
#include "wrnn/mpi/mpi.hpp"
#endif

namespace wrnn::examples {

// --mpi-timeout: the seconds a rank waits in a step's collective call for the other ranks.
inline constexpr double kDefaultMpiTimeoutSeconds = 600;

inline double& mpi_timeout_seconds() {
  static double seconds = kDefaultMpiTimeoutSeconds;
  return seconds;
}

// Adds --mpi-timeout to a program's flags (and resets it to its default: a sweep parses the flags
// of many runs in one process).
inline void add_data_parallel_flags(CLI::App& app) {
  mpi_timeout_seconds() = kDefaultMpiTimeoutSeconds;
  app.add_option("--mpi-timeout", mpi_timeout_seconds(),
                 "under mpirun: seconds a rank waits in a step's collective call for the other "
                 "ranks before it ends the job, naming those that did not arrive (0: wait for "
                 "ever)")
      ->capture_default_str()
      ->transform(CLI::Validator(
          [](std::string& text) -> std::string {
            char* end = nullptr;
            const double seconds = std::strtod(text.c_str(), &end);
            if (text.empty() || end != text.c_str() + text.size() || !(seconds >= 0) ||
                !(seconds <= 1e9))
              return "expected seconds in [0, 1e9] (0: wait for ever), received '" + text + "'";
            return {};
          },
          ""));
}

#if defined(WRNN_EXAMPLES_WITH_MPI)

// The group the programs train over: the process's MPI environment while data_parallel_main()
// runs a program, else a single process that never calls MPI.
inline const mpi::Environment*& data_parallel_group_pointer() {
  static const mpi::Environment* group = nullptr;
  return group;
}

inline const mpi::Environment& data_parallel_group() {
  static const mpi::Environment alone(false);
  const mpi::Environment* group = data_parallel_group_pointer();
  return group != nullptr ? *group : alone;
}

// The model trained over the group: train_step(), evaluate_loss() and the programs' own steps take
// it in place of the model.
template <class Model>
mpi::DataParallel<Model> data_parallel(Model& model) {
  return {model, data_parallel_group(),
          mpi::CollectiveTimeout{mpi_timeout_seconds(), "--mpi-timeout"}};
}

inline int process_rank() {
  return data_parallel_group().rank();
}
inline int process_count() {
  return data_parallel_group().size();
}

// Runs `main` (a program's entry point) with the process's MPI environment as the group; a
// failure (exit status not 0) on any rank of a job of several ends every rank with MPI_Abort.
template <class Main>
int data_parallel_main(const char* program, int argc, char** argv, Main main) {
  try {
    mpi::Environment environment;
    // Without --threads or WRNN_NUM_THREADS each rank would take every core of its node: the
    // ranks take what they are bound to, or share the node's cores (results do not depend on the
    // thread count).
    if (environment.distributed() && std::getenv("WRNN_NUM_THREADS") == nullptr) {
      const Index share = environment.default_threads_per_rank();
      setenv("WRNN_NUM_THREADS", std::to_string(share).c_str(), 1);
    }
    data_parallel_group_pointer() = &environment;
    const int status = main(argc, argv);
    data_parallel_group_pointer() = nullptr;
    if (status != 0 && environment.distributed())
      environment.abort(program, detail::concat("stopping every rank (exit status ", status, ")"),
                        status);
    return status;
  } catch (const std::exception& error) {  // MPI could not start
    data_parallel_group_pointer() = nullptr;
    print_error(program, error_text(error));
    return kExitFailure;
  }
}

#else

template <class Model>
Model& data_parallel(Model& model) {
  return model;
}

inline int process_rank() {
  return 0;
}
inline int process_count() {
  return 1;
}

template <class Main>
int data_parallel_main(const char*, int argc, char** argv, Main main) {
  return main(argc, argv);
}

#endif

// Whether this process prints and writes the run's files: rank 0 of the group.
inline bool is_root_process() {
  return process_rank() == 0;
}

}  // namespace wrnn::examples
