// wrnn_sweep: runs a grid of copy_task or adding_task runs (a sweep
// file, sweep_grid.hpp) in this process, or under `mpirun -np R` on R ranks that each take the
// next run when they finish one (wrnn/mpi/work_queue.hpp). docs/sweeps.md describes it.
//
// Every rank reads the same grid (rank 0 reads the file and sends its text), so that a refused
// file or parameter ends every rank alike, with rank 0 printing the message. Rank 0 alone looks
// at the output folder (which runs finished before) and tells the others which runs are left;
// the runs' folders must be on a file system every rank sees. A failure of the sweep's own files
// during the runs (a folder it cannot write) ends the whole job through MPI_Abort, with the
// message; a run that fails is recorded and the sweep goes on.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/flag_checks.hpp"
#include "common/program_errors.hpp"
#include "common/progress_bar.hpp"
#include "common/sweep_flags.hpp"
#include "common/sweep_grid.hpp"
#include "common/sweep_run.hpp"
#include "common/sweep_summary.hpp"
#include "wrnn/mpi/environment.hpp"
#include "wrnn/mpi/work_queue.hpp"

namespace wrnn::examples::sweep {
namespace {

constexpr const char* kProgram = "wrnn_sweep";

struct SweepOptions {
  std::string file;
  std::string out_dir;
  long long threads = 0;  // per run; 0: threads_per_run's default
  bool list_only = false;
};

// ---- rank 0 decides, every rank learns the outcome ----

// What rank 0 found: an exit status (0: go on), a text (a message, or the sweep file), numbers.
struct RootOutcome {
  int status = 0;
  std::string text;
  std::vector<std::int64_t> numbers;
};

// Runs `decide` on rank 0, turning its exceptions into an exit status and message as
// program_errors.hpp does, and sends the outcome to every rank.
RootOutcome decide_on_root(const mpi::Environment& mpi,
                           const std::function<RootOutcome()>& decide) {
  RootOutcome outcome;
  if (mpi.is_root()) {
    try {
      outcome = decide();
    } catch (const ValueError& error) {
      outcome = {kExitUsage, error_text(error), {}};
    } catch (const std::exception& error) {
      outcome = {kExitFailure, error_text(error), {}};
    }
  }
  if (!mpi.distributed()) return outcome;
  std::int64_t sizes[3] = {outcome.status, static_cast<std::int64_t>(outcome.text.size()),
                           static_cast<std::int64_t>(outcome.numbers.size())};
  mpi::check(MPI_Bcast(sizes, 3, MPI_INT64_T, 0, mpi.communicator()), "MPI_Bcast");
  outcome.status = static_cast<int>(sizes[0]);
  outcome.text.resize(static_cast<std::size_t>(sizes[1]));
  outcome.numbers.resize(static_cast<std::size_t>(sizes[2]));
  if (sizes[1] > 0)
    mpi::check(
        MPI_Bcast(outcome.text.data(), static_cast<int>(sizes[1]), MPI_CHAR, 0, mpi.communicator()),
        "MPI_Bcast");
  if (sizes[2] > 0)
    mpi::check(MPI_Bcast(outcome.numbers.data(), static_cast<int>(sizes[2]), MPI_INT64_T, 0,
                         mpi.communicator()),
               "MPI_Bcast");
  return outcome;
}

// ---- threads per run ----

// --threads, else WRNN_NUM_THREADS (left to the program), else what each rank of the node may use
// (mpi::Environment::default_threads_per_rank: R ranks on R cores run one thread each).
long long threads_per_run(const SweepOptions& options, const mpi::Environment& mpi) {
  if (options.threads > 0) return options.threads;
  if (std::getenv("WRNN_NUM_THREADS") != nullptr) return 0;  // the program reads it
  return mpi.default_threads_per_rank();
}

// ---- progress on rank 0 ----

// Prints, on rank 0, how many runs have ended and when the rest will have, whenever another has
// ended. It watches the runs' status.json files (written when a run ends, by whichever rank ran
// it) from a thread of its own, so that it reports while rank 0 is busy with a run; it prints to a
// copy of the standard error made before any run redirected it.
class ProgressReporter {
 public:
  ProgressReporter(std::vector<std::filesystem::path> status_files, std::size_t total,
                   std::size_t earlier)
      : status_files_(std::move(status_files)),
        total_(total),
        earlier_(earlier),
        output_(::dup(STDERR_FILENO)),
        start_(std::chrono::steady_clock::now()),
        thread_([this] { watch(); }) {}

  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  ~ProgressReporter() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
    report();  // the final count
    if (output_ >= 0) ::close(output_);
  }

 private:
  void watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; })) {
      lock.unlock();
      report();
      lock.lock();
    }
  }

  void report() {
    std::size_t ended = 0, failed = 0;
    for (const auto& path : status_files_) {
      const auto status = read_json(path);
      if (!status) continue;
      ++ended;
      if (status->value("exit_status", 1) != 0) ++failed;
    }
    if (ended == reported_) return;
    reported_ = ended;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::size_t left = status_files_.size() - ended;
    const double eta =
        ended > 0 ? elapsed / static_cast<double>(ended) * static_cast<double>(left) : 0.0;
    std::string line = detail::concat(kProgram, ": runs done ", earlier_ + ended, "/", total_);
    if (earlier_ > 0) line += detail::concat(" (", earlier_, " before this start)");
    if (failed > 0) line += detail::concat(", ", failed, " failed");
    line += ", elapsed " + ProgressBar::format_duration(elapsed);
    if (left > 0) line += ", ETA " + ProgressBar::format_duration(eta);
    line += '\n';
    if (output_ >= 0 && ::write(output_, line.data(), line.size()) < 0) {
      // Progress is a courtesy: a closed standard error does not stop the sweep.
    }
  }

  std::vector<std::filesystem::path> status_files_;
  std::size_t total_, earlier_, reported_ = 0;
  int output_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is set up
};

// ---- the sweep ----

// Everything every rank derives from the sweep file's text alike.
struct SweepPlan {
  Grid grid;
  Program program;
  std::vector<Run> runs;
  std::vector<std::vector<std::string>> flags;  // per run
};

SweepPlan plan_sweep(const std::string& text, const std::string& source) {
  SweepPlan plan;
  plan.grid = parse_grid(text, source);
  plan.program = choose_program(plan.grid.program);
  check_parameter_names(plan.grid);
  plan.runs = expand_grid(plan.grid);
  for (const Run& run : plan.runs) {
    try {
      plan.flags.push_back(program_flags(plan.program, run));
    } catch (const ValueError& error) {
      throw ValueError(source + ": run " + run.name + ": " + error_text(error));
    }
  }
  return plan;
}

std::string command_line(const Program& program, const std::vector<std::string>& flags,
                         const std::filesystem::path& folder) {
  std::string command = program.name;
  for (const std::string& flag : flags) command += ' ' + flag;
  return command + " --out " + folder.string();
}

std::string read_sweep_file(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw FormatError(path + ": expected a sweep file (YAML), received a folder");
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw FormatError(path + ": cannot read the sweep file (" + std::strerror(errno) + ")");
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw FormatError(path + ": reading the sweep file failed");
  return text.str();
}

int run_sweep(const mpi::Environment& mpi, const SweepOptions& options) {
  const auto fail = [&](const RootOutcome& outcome) {
    if (mpi.is_root() && !outcome.text.empty())
      std::cerr << kProgram << ": " << outcome.text << std::endl;
    return outcome.status;
  };

  // The file's text, from rank 0, and the plan, on every rank alike.
  const RootOutcome file = decide_on_root(mpi, [&] {
    return RootOutcome{0, read_sweep_file(options.file), {}};
  });
  if (file.status != 0) return fail(file);
  SweepPlan plan;
  try {
    plan = plan_sweep(file.text, options.file);
  } catch (const ValueError& error) {
    return fail({kExitUsage, error_text(error), {}});
  } catch (const std::exception& error) {
    return fail({kExitFailure, error_text(error), {}});
  }
  const std::filesystem::path out = options.out_dir;

  if (options.list_only) {  // --list: the runs and their commands, nothing run
    if (mpi.is_root())
      for (std::size_t i = 0; i < plan.runs.size(); ++i)
        std::cout << plan.runs[i].name << "\t"
                  << command_line(plan.program, plan.flags[i], out / plan.runs[i].name) << '\n';
    return 0;
  }

  // Rank 0: the output folder, the runs finished before, and which are left.
  const RootOutcome pending = decide_on_root(mpi, [&] {
    prepare_output_folder("--out", out.string(), {"summary.csv", "summary.markdown"});
    RootOutcome outcome;
    for (std::size_t i = 0; i < plan.runs.size(); ++i) {
      const RunFiles files{out / plan.runs[i].name};
      if (run_completed(files, run_request(plan.program, plan.runs[i], plan.flags[i]))) continue;
      std::error_code ignored;
      std::filesystem::remove(files.status(), ignored);  // a failed attempt's; runs again
      outcome.numbers.push_back(static_cast<std::int64_t>(i));
    }
    return outcome;
  });
  if (pending.status != 0) return fail(pending);

  const long long threads = threads_per_run(options, mpi);
  if (mpi.is_root())
    std::cerr << kProgram << ": " << plan.runs.size()
              << (plan.runs.size() == 1 ? " run of " : " runs of ") << plan.program.name << ", "
              << plan.runs.size() - pending.numbers.size() << " finished before, "
              << pending.numbers.size() << " to run on " << mpi.size()
              << (mpi.size() == 1 ? " rank" : " ranks")
              << (threads > 0 ? detail::concat(", ", threads, threads == 1 ? " thread" : " threads",
                                               " each")
                              : std::string())
              << "; each run's output in " << (out / "<run>" / "log.txt").string() << std::endl;

  {
    std::optional<ProgressReporter> progress;
    if (mpi.is_root()) {
      std::vector<std::filesystem::path> status_files;
      for (const std::int64_t i : pending.numbers)
        status_files.push_back(
            RunFiles{out / plan.runs[static_cast<std::size_t>(i)].name}.status());
      progress.emplace(std::move(status_files), plan.runs.size(),
                       plan.runs.size() - pending.numbers.size());
    }
    mpi::WorkQueue queue(mpi, static_cast<std::int64_t>(pending.numbers.size()));
    while (const auto item = queue.next()) {
      const std::size_t i =
          static_cast<std::size_t>(pending.numbers[static_cast<std::size_t>(*item)]);
      try {
        execute_run(plan.program, plan.runs[i], plan.flags[i], RunFiles{out / plan.runs[i].name},
                    threads, mpi.rank());
      } catch (const std::exception& error) {  // the sweep's own files: end every rank
        if (!mpi.distributed()) throw;
        mpi.abort(kProgram, "run " + plan.runs[i].name + ": " + error_text(error), kExitFailure);
      }
    }
    mpi.barrier();  // every run has ended
  }

  // Rank 0: the summary; every rank ends with its status.
  const RootOutcome summary = decide_on_root(mpi, [&] {
    bool plots_drawn = true;
    const auto records = write_summary(out, plan.grid, plan.program, plan.runs, plots_drawn);
    const auto failed = std::count_if(records.begin(), records.end(),
                                      [](const RunRecord& r) { return r.state != "done"; });
    std::cerr << kProgram << ": summary in " << (out / "summary.markdown").string() << " and "
              << (out / "summary.csv").string();
    if (plots_drawn && std::filesystem::exists(out / "plots"))
      std::cerr << ", plots in " << (out / "plots").string();
    else if (!plots_drawn)
      std::cerr << "; gnuplot could not draw the plots (install gnuplot and run the .gp files in "
                << (out / "plots").string() << ")";
    std::cerr << std::endl;
    if (failed == 0) return RootOutcome{};
    return RootOutcome{
        kExitFailure,
        detail::concat(failed, " of ", records.size(), " runs failed; their errors are in ",
                       (out / "summary.markdown").string()),
        {}};
  });
  return summary.status == 0 ? 0 : fail(summary);
}

int sweep_main(int argc, char** argv) {
  std::optional<mpi::Environment> mpi;
  try {
    mpi.emplace();
  } catch (const std::exception& error) {
    std::cerr << kProgram << ": " << error_text(error) << std::endl;
    return kExitFailure;
  }
  SweepOptions options;
  CLI::App app{
      "Run a grid of copy_task or adding_task runs from a sweep file (the W&B sweep "
      "format of the authors' files), alone or under mpirun -np R"};
  app.add_option("FILE", options.file, "sweep file (YAML): program, method: grid, parameters")
      ->required();
  app.add_option("--out", options.out_dir,
                 "folder of the runs (one folder each) and the summary; a sweep started again "
                 "with the same folder skips the runs that finished")
      ->required();
  add_integer_option<long long>(
      app, "--threads", options.threads,
      "threads per run (0: the cores the rank is bound to, or its share of the node's; "
      "results do not depend on it)");
  app.add_flag("--list", options.list_only, "print each run's name and command, run nothing");
  // Every rank parses the same arguments alike; rank 0 alone prints what CLI11 says.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return mpi->is_root() ? app.exit(error) : error.get_exit_code();
  }
  try {
    require_at_least("--threads", options.threads, 0LL);
    return run_sweep(*mpi, options);
  } catch (const ValueError& error) {  // refused alike on every rank
    if (mpi->is_root()) std::cerr << kProgram << ": " << error_text(error) << std::endl;
    return kExitUsage;
  } catch (const std::exception& error) {  // this rank's own failure: end every rank
    if (mpi->distributed()) mpi->abort(kProgram, error_text(error), kExitFailure);
    std::cerr << kProgram << ": " << error_text(error) << std::endl;
    return kExitFailure;
  }
}

}  // namespace
}  // namespace wrnn::examples::sweep

int main(int argc, char** argv) {
  return wrnn::examples::sweep::sweep_main(argc, argv);
}
