// wrnn::ThreadPool: every task runs exactly once, on several threads at once, exceptions reach
// the caller, the pool survives them and repeated calls; default_thread_count reads
// WRNN_NUM_THREADS.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

#include "wrnn/core/thread_pool.hpp"

namespace test_thread_pool {  // see "unity groups" in tests/CMakeLists.txt

using wrnn::Index;

TEST_CASE("every task runs exactly once, call after call", "[thread_pool]") {
  for (Index threads : {1, 2, 3, 8}) {
    CAPTURE(threads);
    wrnn::ThreadPool pool(threads);
    CHECK(pool.thread_count() == threads);
    for (Index task_count : {0, 1, 2, 7, 1000}) {
      CAPTURE(task_count);
      std::vector<std::atomic<int>> runs(static_cast<std::size_t>(task_count));
      for (int call = 0; call < 50; ++call)
        pool.parallel_for(task_count, [&](Index task) { runs[static_cast<std::size_t>(task)]++; });
      Index wrong = 0;
      for (const auto& count : runs) wrong += count.load() != 50;
      CHECK(wrong == 0);
    }
  }
}

TEST_CASE("a one-thread pool runs tasks inline and in order", "[thread_pool]") {
  wrnn::ThreadPool pool(1);
  std::vector<Index> order;
  std::vector<std::thread::id> where;
  pool.parallel_for(5, [&](Index task) {
    order.push_back(task);
    where.push_back(std::this_thread::get_id());
  });
  CHECK(order == std::vector<Index>{0, 1, 2, 3, 4});
  for (const auto& id : where) CHECK(id == std::this_thread::get_id());
}

TEST_CASE("tasks run on several threads at once", "[thread_pool]") {
  // Two tasks that each wait for the other to have started: they only both finish if two
  // threads run them at the same time (the deadline only stops a broken pool from hanging).
  wrnn::ThreadPool pool(2);
  std::atomic<int> started{0};
  std::atomic<int> met{0};
  pool.parallel_for(2, [&](Index) {
    started++;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (started.load() < 2 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
    if (started.load() == 2) met++;
  });
  CHECK(met.load() == 2);
}

TEST_CASE("an exception in a task reaches the caller and the pool keeps working", "[thread_pool]") {
  for (Index threads : {1, 4}) {
    CAPTURE(threads);
    wrnn::ThreadPool pool(threads);
    std::atomic<int> ran{0};
    CHECK_THROWS_AS(pool.parallel_for(100,
                                      [&](Index task) {
                                        ran++;
                                        if (task == 37) throw wrnn::ValueError("task 37");
                                      }),
                    wrnn::ValueError);
    CHECK(ran.load() >= 1);
    CHECK(ran.load() <= 100);

    std::atomic<Index> sum{0};
    pool.parallel_for(100, [&](Index task) { sum += task; });
    CHECK(sum.load() == 4950);
  }
}

TEST_CASE("parallel_for inside a task of the same pool runs inline", "[thread_pool]") {
  wrnn::ThreadPool pool(3);
  std::vector<std::atomic<int>> runs(6 * 5);
  pool.parallel_for(6, [&](Index outer) {
    pool.parallel_for(5, [&](Index inner) { runs[static_cast<std::size_t>(outer * 5 + inner)]++; });
  });
  for (const auto& count : runs) CHECK(count.load() == 1);
}

TEST_CASE("thread counts: the constructor checks, WRNN_NUM_THREADS sets the default",
          "[thread_pool]") {
  CHECK_THROWS_AS(wrnn::ThreadPool(0), wrnn::ValueError);

  ::setenv("WRNN_NUM_THREADS", "3", 1);
  CHECK(wrnn::default_thread_count() == 3);
  ::setenv("WRNN_NUM_THREADS", "three", 1);
  CHECK_THROWS_AS(wrnn::default_thread_count(), wrnn::ValueError);
  for (const char* bad : {"0", "-1", "", "2x", " ", "99999999999999999999"}) {
    ::setenv("WRNN_NUM_THREADS", bad, 1);
    CHECK_THROWS_WITH(wrnn::default_thread_count(),
                      Catch::Matchers::Contains("WRNN_NUM_THREADS") &&
                          Catch::Matchers::Contains(std::string("'") + bad + "'"));
  }
  ::unsetenv("WRNN_NUM_THREADS");
  CHECK(wrnn::default_thread_count() == wrnn::available_processor_count());
  const unsigned hardware = std::thread::hardware_concurrency();
  CHECK(wrnn::available_processor_count() >= 1);
  if (hardware > 0) CHECK(wrnn::available_processor_count() <= static_cast<Index>(hardware));
}

#if defined(__linux__)
// Under `taskset -c 0` or a rank that mpirun bound to one core, the default is one thread: not
// as many threads as the machine has, all sharing that core.
TEST_CASE("the default thread count follows the CPU affinity mask", "[thread_pool]") {
  cpu_set_t saved;
  CPU_ZERO(&saved);
  REQUIRE(sched_getaffinity(0, sizeof saved, &saved) == 0);
  int first = 0;
  while (!CPU_ISSET(first, &saved)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
  ::unsetenv("WRNN_NUM_THREADS");
  const Index restricted = wrnn::default_thread_count();
  REQUIRE(sched_setaffinity(0, sizeof saved, &saved) == 0);
  CHECK(restricted == 1);
  CHECK(wrnn::available_processor_count() == CPU_COUNT(&saved));
}
#endif

}  // namespace test_thread_pool
