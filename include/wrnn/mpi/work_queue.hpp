/// \file
/// Dynamic dealing of work items 0, 1, ..., count - 1 to the ranks of a job: every rank, rank 0
/// included, asks for the next item when it has finished its last one, so that a rank given short
/// items takes more of them and no rank waits while items are left.
///
/// The items are dealt from one shared counter held by rank 0 in an MPI window and advanced with
/// MPI_Fetch_and_op (one-sided, passive target): a rank takes the next item without any other
/// rank taking part, even while rank 0 itself is busy with an item. Within one node Open MPI
/// places such a window in shared memory and the fetch is an atomic add there; across nodes it
/// needs an interconnect with remote atomics (InfiniBand, Omni-Path through UCX or PSM2), or the
/// fetch may wait until rank 0 next enters MPI.
///
/// \code
/// wrnn::mpi::Environment mpi;
/// wrnn::mpi::WorkQueue queue(mpi, run_count);  // collective
/// while (const auto item = queue.next()) run(*item);
/// \endcode
///
/// Without MPI (Environment::active() false) the queue deals every item to the one process, in
/// order.
#pragma once

#include <cstdint>
#include <optional>

#include "wrnn/core/error.hpp"
#include "wrnn/mpi/environment.hpp"

namespace wrnn::mpi {

/// Deals the items 0, 1, ..., count - 1 to the job's ranks, the next to whichever rank asks first
/// (this file's comment says how).
class WorkQueue {
 public:
  /// A queue of the items 0..count-1. Collective: every rank of `environment` constructs its
  /// queue with the same count (and destroys it, MPI_Win_free being collective too).
  /// \throws ValueError for a negative count, MpiError when MPI refuses the window.
  WorkQueue(const Environment& environment, std::int64_t count)
      : active_(environment.active()), count_(count) {
    if (count < 0)
      throw ValueError(
          detail::concat("WorkQueue: expected a count of items >= 0, received ", count));
    if (!active_) return;
    const MPI_Aint bytes = environment.is_root() ? static_cast<MPI_Aint>(sizeof(std::int64_t)) : 0;
    check(MPI_Win_allocate(bytes, sizeof(std::int64_t), MPI_INFO_NULL, environment.communicator(),
                           &counter_, &window_),
          "MPI_Win_allocate");
    // Errors on the window reach check() as return codes, as on the communicator (Environment).
    check(MPI_Win_set_errhandler(window_, MPI_ERRORS_RETURN), "MPI_Win_set_errhandler");
    if (environment.is_root()) {
      // The local store goes through an access epoch so that it is visible to the other ranks'
      // fetches in either of MPI's memory models.
      check(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, window_), "MPI_Win_lock");
      *counter_ = 0;
      check(MPI_Win_unlock(0, window_), "MPI_Win_unlock");
    }
    environment.barrier();  // no rank fetches before the counter is 0
  }

  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  /// Frees the window (collective).
  ~WorkQueue() {
    if (active_) MPI_Win_free(&window_);
  }

  /// The next item not yet taken by any rank, or nothing when all have been taken.
  /// \throws MpiError when the fetch fails.
  std::optional<std::int64_t> next() {
    std::int64_t taken = local_next_;
    if (active_) {
      const std::int64_t one = 1;
      check(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, window_), "MPI_Win_lock");
      check(MPI_Fetch_and_op(&one, &taken, MPI_INT64_T, 0, 0, MPI_SUM, window_),
            "MPI_Fetch_and_op");
      check(MPI_Win_unlock(0, window_), "MPI_Win_unlock");
    } else {
      ++local_next_;
    }
    if (taken >= count_) return std::nullopt;
    return taken;
  }

  /// The number of items (the same on every rank).
  std::int64_t count() const noexcept { return count_; }

 private:
  bool active_;
  std::int64_t count_;
  std::int64_t local_next_ = 0;  // without MPI
  std::int64_t* counter_ = nullptr;
  MPI_Win window_ = MPI_WIN_NULL;
};

}  // namespace wrnn::mpi
