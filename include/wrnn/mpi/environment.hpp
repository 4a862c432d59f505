/// \file
/// MPI's start and end for one process, its rank and size, and MPI's errors as wrnn::Error.
///
/// A program creates one Environment at the top of main(). Launched by an MPI launcher (mpirun,
/// mpiexec, Slurm's srun) it initialises MPI, with MPI_THREAD_FUNNELED (only the main thread calls
/// MPI; the thread pool computes), and finalises it when it goes out of scope; started by hand it
/// does not touch MPI at all and reports rank 0 of 1, so every MPI-aware program still runs as one
/// ordinary process. That choice is deliberate: an MPI "singleton" start (MPI_Init without a
/// launcher) works with Open MPI but forks a helper daemon and costs about half a second, and on a
/// machine whose MPI runtime is not set up it fails, which would make plain single-process runs
/// depend on MPI for nothing.
///
/// A launched process is recognised by the variables its launcher sets: Open MPI's
/// OMPI_COMM_WORLD_SIZE, PMIx's PMIX_RANK, the PMI-1/2 PMI_RANK (MPICH's Hydra, Slurm's PMI) and
/// Slurm's SLURM_PROCID together with SLURM_STEP_ID (set for the tasks of `srun`, not for a batch
/// script's own shell).
///
/// A rank that meets an error must not simply return from main(): the other ranks would wait in
/// their next collective call. Environment::abort prints the message with the rank and calls
/// MPI_Abort, which ends every rank of the job (Open MPI also ends the job when a rank exits
/// without MPI_Finalize, e.g. when it is killed).
#pragma once

// Only MPI's C interface: the deprecated C++ bindings (removed in MPI-3) that Open MPI's mpi.h
// would otherwise pull in do not compile warning-free.
#ifndef OMPI_SKIP_MPICXX
/// Open MPI: leave out the C++ bindings.
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
/// MPICH: leave out the C++ bindings.
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "wrnn/core/error.hpp"
#include "wrnn/core/thread_pool.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn::mpi {

/// An MPI call failed; the message names the call and MPI's own description of the error.
class MpiError : public Error {
 public:
  using Error::Error;
};

/// Throws MpiError("`call` failed: <MPI's error string>") unless `result` is MPI_SUCCESS.
///
/// MPI's default error handler on communicators ends the job itself; Environment sets
/// MPI_ERRORS_RETURN on MPI_COMM_WORLD so that errors reach this check and become exceptions.
inline void check(int result, const char* call) {
  if (result == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(result, text, &length) != MPI_SUCCESS) length = 0;
  throw MpiError(detail::concat(call, " failed: ",
                                length > 0 ? std::string(text, static_cast<std::size_t>(length))
                                           : "MPI error code " + std::to_string(result)));
}

/// Whether this process was started by an MPI launcher (mpirun, mpiexec, srun), judged by the
/// environment variables the launchers set (see the file's description).
inline bool launched_by_mpi_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return std::getenv("SLURM_PROCID") != nullptr && std::getenv("SLURM_STEP_ID") != nullptr;
}

/// MPI for the lifetime of the object: initialised when the process was launched by an MPI
/// launcher (or joined when the caller initialised MPI, and then left for the caller to
/// finalise), otherwise a single process of rank 0 that never calls MPI. One per process that
/// uses MPI; Environment(false) objects, which never touch MPI, may be added anywhere.
class Environment {
 public:
  /// Initialises MPI (MPI_Init_thread, MPI_THREAD_FUNNELED) when launched by a launcher, joins it
  /// when it is initialised already, else is a single process.
  /// \throws MpiError when initialisation fails or MPI cannot give FUNNELED threads.
  Environment() : Environment(launched_by_mpi_launcher() || mpi_initialized()) {}

  /// With `use_mpi` true initialises MPI (or joins it when it is initialised already), whatever
  /// the environment says: for programs that must run under MPI. With false a single process of
  /// rank 0 that never calls MPI, even inside an MPI job: for work that must stay on this rank
  /// (a run of a sweep, say).
  /// \throws MpiError as Environment().
  explicit Environment(bool use_mpi) {
    if (!use_mpi) return;
    active_ = true;
    if (!mpi_initialized()) {
      int provided = MPI_THREAD_SINGLE;
      check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
      owns_mpi_ = true;
      if (provided < MPI_THREAD_FUNNELED) {
        MPI_Finalize();
        throw MpiError(detail::concat("MPI_Init_thread: expected thread support FUNNELED (",
                                      MPI_THREAD_FUNNELED, ") or more, received ", provided));
      }
    }
    check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  }

  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  /// Finalises MPI when this object initialised it.
  ~Environment() {
    if (!owns_mpi_) return;
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }

  /// Whether this object uses MPI; false for a process started without a launcher and for
  /// Environment(false).
  bool active() const noexcept { return active_; }
  /// This process's rank in MPI_COMM_WORLD (0 without MPI).
  int rank() const noexcept { return rank_; }
  /// The number of processes in MPI_COMM_WORLD (1 without MPI).
  int size() const noexcept { return size_; }
  /// Whether this is rank 0, the rank that writes files and prints.
  bool is_root() const noexcept { return rank_ == 0; }
  /// Whether more than one process takes part (MPI in use and size > 1).
  bool distributed() const noexcept { return active_ && size_ > 1; }
  /// The communicator of all processes (MPI_COMM_WORLD).
  MPI_Comm communicator() const noexcept { return MPI_COMM_WORLD; }

  /// The ranks of this job on this node, this one included (MPI_Comm_split_type, shared
  /// memory); 1 without MPI. Collective: every rank calls it.
  /// \throws MpiError when MPI fails.
  int ranks_on_this_node() const {
    if (!active_) return 1;
    MPI_Comm node = MPI_COMM_NULL;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
          "MPI_Comm_split_type");
    int size = 1;
    const int result = MPI_Comm_size(node, &size);
    MPI_Comm_free(&node);
    check(result, "MPI_Comm_size");
    return size;
  }

  /// The threads each rank of this node takes when none are given: the processors the rank may
  /// run on (Open MPI binds each rank to a core by default: then 1), and when the ranks are not
  /// bound (`--bind-to none`), the node's hardware threads shared among its ranks. At least 1.
  /// Collective, as ranks_on_this_node().
  Index default_threads_per_rank() const {
    const Index hardware = std::max<Index>(1, std::thread::hardware_concurrency());
    const Index shared = std::max<Index>(1, hardware / ranks_on_this_node());
    return std::min(available_processor_count(), shared);
  }

  /// Waits until every rank arrives (nothing without MPI).
  void barrier() const {
    if (active_) check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  }

  /// Prints "<program>: rank R of N: <message>" (or "<program>: <message>" as a single process)
  /// to stderr and ends: with MPI_Abort(exit_code) on every rank of the job when MPI is in use,
  /// so that no other rank waits forever, else with std::exit(exit_code).
  [[noreturn]] void abort(const char* program, const std::string& message,
                          int exit_code = 1) const {
    if (distributed())
      std::fprintf(stderr, "%s: rank %d of %d: %s\n", program, rank_, size_, message.c_str());
    else
      std::fprintf(stderr, "%s: %s\n", program, message.c_str());
    std::fflush(stderr);
    if (active_) MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::exit(exit_code);
  }

 private:
  static bool mpi_initialized() {
    int initialized = 0;
    check(MPI_Initialized(&initialized), "MPI_Initialized");
    return initialized != 0;
  }

  bool active_ = false;
  bool owns_mpi_ = false;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace wrnn::mpi
