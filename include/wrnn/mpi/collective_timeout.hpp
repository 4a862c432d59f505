/// \file
/// A time limit on collective calls, which MPI does not have: a rank that dies ends an MPI job
/// (Open MPI ends every rank when one exits without MPI_Finalize), but a rank that hangs without
/// dying (an endless loop, a read that never returns, a stopped process) leaves every other rank
/// waiting in its next collective call for ever.
///
/// TimedCommunicator starts no collective itself: its owner starts each one non-blocking
/// (MPI_Iallgatherv, MPI_Ibcast, ...) on communicator() and calls wait(), which polls the request
/// (MPI_Test) until it completes. Non-blocking and blocking collectives move the same bytes, so
/// results do not change. When the call has not completed after CollectiveTimeout::seconds, the
/// rank finds out which ranks are missing and ends the job:
///
///   1. it asks every other rank (point to point, on the same private communicator) which
///      collective call it is waiting in: every rank answers such questions while it waits in
///      wait(), so a rank that has arrived answers at once, and one that is computing, hung or
///      stopped does not;
///   2. after a grace period (the timeout, at most one second) it prints the call, the timeout and
///      the ranks that did not answer (or answered from another call) to stderr, and calls
///      MPI_Abort, which ends every rank of the job, the hung one included. A collective call
///      cannot be cancelled, so the job could not go on anyway.
///
/// The collective calls are counted on every rank; the ranks make the same calls in the same
/// order, so the count names a call across ranks.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/mpi/environment.hpp"

namespace wrnn::mpi {

/// How long a rank waits in a collective call for the other ranks before it ends the job.
struct CollectiveTimeout {
  /// Seconds a rank waits for a collective call to complete; 0 waits for ever. The default is far
  /// longer than any rank waits for another in healthy data-parallel training (the ranks only
  /// wait for each other's share of one step).
  double seconds = 600;
  /// How the message names the setting, e.g. a program's flag ("--mpi-timeout").
  std::string name = "the collective timeout";
};

/// A private duplicate of an environment's communicator whose collective calls end the job, with
/// a message naming the missing ranks, when they do not complete in time (see the file's
/// description). Used only when the environment is distributed; otherwise it does nothing.
class TimedCommunicator {
 public:
  /// Duplicates `environment`'s communicator (MPI_Comm_dup: collective, every rank constructs its
  /// TimedCommunicator at the same point) when the environment is distributed.
  /// \throws ValueError when timeout.seconds is negative or not finite; MpiError when MPI fails.
  TimedCommunicator(const Environment& environment, CollectiveTimeout timeout)
      : environment_(environment), timeout_(std::move(timeout)) {
    if (!(timeout_.seconds >= 0 && timeout_.seconds <= 1e9))
      throw ValueError(detail::concat(timeout_.name,
                                      ": expected seconds in [0, 1e9] (0: wait for ever), "
                                      "received ",
                                      timeout_.seconds));
    if (!environment_.distributed()) return;
    check(MPI_Comm_dup(environment_.communicator(), &communicator_), "MPI_Comm_dup");
    check(MPI_Comm_set_errhandler(communicator_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  }

  TimedCommunicator(const TimedCommunicator&) = delete;
  TimedCommunicator& operator=(const TimedCommunicator&) = delete;

  /// Frees the duplicate communicator.
  ~TimedCommunicator() {
    if (communicator_ != MPI_COMM_NULL) MPI_Comm_free(&communicator_);
  }

  /// The communicator to start the collective calls on (MPI_COMM_NULL when not distributed).
  MPI_Comm communicator() const noexcept { return communicator_; }
  /// The time limit.
  const CollectiveTimeout& timeout() const noexcept { return timeout_; }
  /// How many collective calls wait() has waited for (the last one's number).
  std::int64_t calls() const noexcept { return calls_; }

  /// Waits until `request`, the collective call `call` (named in messages, e.g. "MPI_Allgatherv
  /// (gradients)") just started on communicator(), completes. After the timeout: prints which
  /// ranks are missing and ends the job (MPI_Abort); does not return then.
  /// \throws MpiError when MPI reports an error.
  void wait(MPI_Request& request, const char* call) {
    ++calls_;
    const Clock::time_point deadline = Clock::now() + to_duration(timeout_.seconds);
    for (;;) {
      if (test(request, call)) return;
      answer_questions();
      if (timeout_.seconds > 0 && Clock::now() >= deadline) break;
    }
    if (find_missing_ranks(request, call)) return;  // completed during the grace period
  }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr int kQuestionTag = 1;  // payload: the asking rank's call number
  static constexpr int kAnswerTag = 2;    // payload: {the question's call number, the answerer's}

  static Clock::duration to_duration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  static bool test(MPI_Request& request, const char* call) {
    int done = 0;
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), call);
    return done != 0;
  }

  // Answers every question waiting: the call this rank waits in. The answer is tiny and sent
  // eagerly; the asking rank is receiving answers when it asks.
  void answer_questions() {
    for (;;) {
      int waiting = 0;
      MPI_Status status;
      check(MPI_Iprobe(MPI_ANY_SOURCE, kQuestionTag, communicator_, &waiting, &status),
            "MPI_Iprobe (collective timeout)");
      if (!waiting) return;
      std::int64_t asked = 0;
      check(MPI_Recv(&asked, 1, MPI_INT64_T, status.MPI_SOURCE, kQuestionTag, communicator_,
                     MPI_STATUS_IGNORE),
            "MPI_Recv (collective timeout)");
      const std::int64_t answer[2] = {asked, calls_};
      check(MPI_Send(answer, 2, MPI_INT64_T, status.MPI_SOURCE, kAnswerTag, communicator_),
            "MPI_Send (collective timeout)");
    }
  }

  // Asks the other ranks where they wait, collects the answers for the grace period and ends the
  // job naming the ranks missing from this call; returns true when the call completes meanwhile.
  bool find_missing_ranks(MPI_Request& request, const char* call) {
    const int ranks = environment_.size(), me = environment_.rank();
    // The call each rank answered from: -1 for no answer yet.
    std::vector<std::int64_t> answered(static_cast<std::size_t>(ranks), -1);
    answered[static_cast<std::size_t>(me)] = calls_;
    std::vector<MPI_Request> questions;
    question_ = calls_;
    for (int r = 0; r < ranks; ++r) {
      if (r == me) continue;
      questions.emplace_back();
      check(
          MPI_Isend(&question_, 1, MPI_INT64_T, r, kQuestionTag, communicator_, &questions.back()),
          "MPI_Isend (collective timeout)");
    }
    const double grace_seconds = timeout_.seconds < 1 ? timeout_.seconds : 1.0;
    const Clock::time_point grace_end = Clock::now() + to_duration(grace_seconds);
    bool completed = false;
    while (!completed && Clock::now() < grace_end) {
      completed = test(request, call);
      answer_questions();
      for (;;) {
        int waiting = 0;
        MPI_Status status;
        check(MPI_Iprobe(MPI_ANY_SOURCE, kAnswerTag, communicator_, &waiting, &status),
              "MPI_Iprobe (collective timeout)");
        if (!waiting) break;
        std::int64_t answer[2] = {0, 0};
        check(MPI_Recv(answer, 2, MPI_INT64_T, status.MPI_SOURCE, kAnswerTag, communicator_,
                       MPI_STATUS_IGNORE),
              "MPI_Recv (collective timeout)");
        if (answer[0] == calls_) answered[static_cast<std::size_t>(status.MPI_SOURCE)] = answer[1];
      }
    }
    // The questions are small and sent eagerly; a rank that never receives one is ended with
    // the job, so they need not complete.
    for (MPI_Request& question : questions) MPI_Request_free(&question);
    if (completed) return true;

    std::vector<int> absent;
    std::string elsewhere;
    for (int r = 0; r < ranks; ++r) {
      const std::int64_t at = answered[static_cast<std::size_t>(r)];
      if (at < 0) absent.push_back(r);
      if (at >= 0 && at != calls_)
        elsewhere += detail::concat("; rank ", r, " waits in collective call ", at);
    }
    std::string missing;
    for (std::size_t i = 0; i < absent.size(); ++i)
      missing += detail::concat(i == 0 ? "" : ", ", absent[i]);
    if (!absent.empty())
      missing = detail::concat(absent.size() == 1 ? "; rank " : "; ranks ", missing,
                               " did not arrive (no answer in ", grace_seconds, " s)");
    const std::string message = detail::concat(
        "collective call ", calls_, ", ", call, ", has not completed in ", timeout_.seconds, " s (",
        timeout_.name, ")", missing, elsewhere, "; ending the job");
    std::fprintf(stderr, "wrnn::mpi: rank %d of %d: %s\n", me, ranks, message.c_str());
    std::fflush(stderr);
    MPI_Abort(environment_.communicator(), 1);
    std::abort();  // MPI_Abort does not return
  }

  const Environment& environment_;
  CollectiveTimeout timeout_;
  MPI_Comm communicator_ = MPI_COMM_NULL;
  std::int64_t calls_ = 0;
  std::int64_t question_ = 0;  // the questions' payload, kept while they are sent
};

}  // namespace wrnn::mpi
