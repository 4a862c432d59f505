/// \file
/// A small fixed-size thread pool for splitting a batch across cores (ThreadPool).
#pragma once

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"

#if defined(__linux__)
#include <sched.h>
#endif

namespace wrnn {

/// The processors this process may run on: on Linux the size of its CPU affinity mask (what
/// `nproc` prints), which `taskset`, a batch scheduler's cgroup-style binding or `mpirun`'s
/// default binding of each rank to a core can make smaller than the machine; elsewhere, or when
/// the mask cannot be read, the number of hardware threads. At least 1.
///
/// Why not std::thread::hardware_concurrency() alone: under `mpirun -np 1` Open MPI binds the
/// rank to one core, and threads counted from the whole machine would then share that one core.
inline Index available_processor_count() {
#if defined(__linux__)
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof mask, &mask) == 0 && CPU_COUNT(&mask) > 0)
    return static_cast<Index>(CPU_COUNT(&mask));
#endif
  return std::max<Index>(1, static_cast<Index>(std::thread::hardware_concurrency()));
}

/// The thread count to use when none is given: the environment variable WRNN_NUM_THREADS when it
/// is set, otherwise the processors this process may run on (available_processor_count()).
///
/// Only a call of this function reads the variable, so a program can ask for its flags first and
/// call this only when no thread count was given.
/// \throws ValueError naming the variable when WRNN_NUM_THREADS is not a decimal integer in
///         [1, 2^63) (empty, "abc", "2x", "0", "-1", too large to hold).
inline Index default_thread_count() {
  if (const char* text = std::getenv("WRNN_NUM_THREADS")) {
    char* end = nullptr;
    errno = 0;
    const long long value = std::strtoll(text, &end, 10);
    if (end != text && *end == '\0' && errno == 0 && value > 0) return static_cast<Index>(value);
    throw ValueError(detail::concat(
        "WRNN_NUM_THREADS: expected a positive integer (a thread count), received '", text, "'"));
  }
  return available_processor_count();
}

/// A small fixed-size thread pool for splitting a batch across cores.
///
/// \code
/// wrnn::ThreadPool pool(wrnn::default_thread_count());
/// pool.parallel_for(task_count, [&](wrnn::Index task) { ... });   // blocks until all ran
/// \endcode
///
/// - The calling thread works too: a pool of T threads starts T - 1 workers, and a pool of one
///   thread runs every task inline, in order, with no synchronisation at all.
/// - Tasks are claimed one at a time from a shared atomic counter, so uneven tasks balance out.
///   Which thread runs a task is not fixed: results are thread-count independent only if each
///   task writes its own outputs (for a reduction, give every task its own partial result and
///   add the partials in task order afterwards).
/// - No allocation per call: the task function is passed by pointer (type-erased into a plain
///   function pointer and a context pointer), workers wait on a condition variable after a
///   short spin.
/// - If a task throws, tasks not yet started are skipped, and parallel_for rethrows the first
///   exception in the caller once every running task has finished.
/// - A parallel_for called from inside a task of the same pool runs inline (no deadlock);
///   parallel_for calls from different threads on one pool take turns.
class ThreadPool {
 public:
  /// Starts threads - 1 workers.
  /// \throws ValueError when threads < 1.
  /// \throws Error saying how many workers started of how many were asked for, when the system
  ///         refuses a thread (std::system_error: a limit on processes or memory) or the memory
  ///         for their list; the workers already started are stopped first.
  explicit ThreadPool(Index threads = default_thread_count()) {
    if (threads < 1)
      throw ValueError(detail::concat("thread count: expected >= 1, received ", threads));
    try {
      workers_.reserve(static_cast<std::size_t>(threads - 1));
      for (Index w = 0; w + 1 < threads; ++w) workers_.emplace_back([this] { worker_loop(); });
    } catch (const std::exception& error) {  // std::system_error, std::bad_alloc, length_error
      const std::size_t started = workers_.size();
      stop_workers();
      throw Error(detail::concat("thread pool of ", threads, " threads: could not start worker ",
                                 started + 1, " of ", threads - 1, " (", error.what(),
                                 "); ask for fewer threads"));
    }
  }

  /// Stops and joins the workers.
  ~ThreadPool() { stop_workers(); }

  ThreadPool(const ThreadPool&) = delete;             ///< Not copyable.
  ThreadPool& operator=(const ThreadPool&) = delete;  ///< Not copyable.

  /// Threads that run tasks, the caller included.
  Index thread_count() const { return static_cast<Index>(workers_.size()) + 1; }

  /// Runs task(i) for every i in [0, task_count), spread over the pool; returns when all are done.
  /// Rethrows the first exception a task threw, once every running task has finished.
  template <class Task>
  void parallel_for(Index task_count, Task&& task) {
    if (task_count <= 0) return;
    using Function = std::remove_reference_t<Task>;
    Function* function = &task;
    auto invoke = [](void* context, Index i) { (*static_cast<Function*>(context))(i); };
    if (workers_.empty() || task_count == 1 || current_pool() == this) {
      for (Index i = 0; i < task_count; ++i) (*function)(i);
      return;
    }
    run(task_count, invoke, const_cast<void*>(static_cast<const void*>(function)));
  }

 private:
  using Invoke = void (*)(void*, Index);

  // The pool whose task this thread is running (null outside any task).
  static const ThreadPool*& current_pool() {
    thread_local const ThreadPool* pool = nullptr;
    return pool;
  }

  void run(Index task_count, Invoke invoke, void* context) {
    std::lock_guard<std::mutex> one_job_at_a_time(submit_mutex_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      invoke_ = invoke;
      context_ = context;
      task_count_ = task_count;
      next_task_.store(0, std::memory_order_relaxed);
      error_ = nullptr;
      busy_workers_ = static_cast<Index>(workers_.size());
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_workers_.notify_all();
    work();
    std::unique_lock<std::mutex> lock(mutex_);
    job_done_.wait(lock, [this] { return busy_workers_ == 0; });
    if (error_) {
      std::exception_ptr error = error_;
      error_ = nullptr;
      std::rethrow_exception(error);
    }
  }

  // Claims and runs tasks of the current job until none is left.
  void work() {
    const ThreadPool* outer = current_pool();
    current_pool() = this;
    for (;;) {
      const Index i = next_task_.fetch_add(1, std::memory_order_relaxed);
      if (i >= task_count_) break;
      try {
        invoke_(context_, i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
        next_task_.store(task_count_, std::memory_order_relaxed);  // skip what has not started
      }
    }
    current_pool() = outer;
  }

  // Wakes every worker with stopping_ set and waits for all of them to return.
  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_workers_.notify_all();
    for (std::thread& worker : workers_) worker.join();
  }

  void worker_loop() {
    std::uint64_t seen = 0;
    for (;;) {
      // Spinning briefly catches back-to-back jobs (one per time step) without the cost of a
      // sleep and wake-up; after that, sleep so that an idle pool leaves its cores alone.
      const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
      while (generation_.load(std::memory_order_acquire) == seen &&
             std::chrono::steady_clock::now() < spin_until)
        std::this_thread::yield();
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_workers_.wait(lock,
                           [&] { return generation_.load(std::memory_order_acquire) != seen; });
        seen = generation_.load(std::memory_order_acquire);
        if (stopping_) return;
      }
      work();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (--busy_workers_ == 0) job_done_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex submit_mutex_;  // serialises parallel_for calls from different threads
  std::mutex mutex_;         // guards the job description, busy_workers_, error_, stopping_
  std::condition_variable wake_workers_, job_done_;
  std::atomic<std::uint64_t> generation_{0};  // bumped once per job (and on shutdown)
  std::atomic<Index> next_task_{0};
  Invoke invoke_ = nullptr;
  void* context_ = nullptr;
  Index task_count_ = 0;
  Index busy_workers_ = 0;
  std::exception_ptr error_;
  bool stopping_ = false;
};

}  // namespace wrnn
