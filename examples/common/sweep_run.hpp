// One run of a sweep, in-process: the program's entry point called with the run's flags, its
// standard output and error sent to <run>/log.txt (so that ranks' runs do not interleave on the
// terminal), and its record in <run>/: run.json (what was asked, written first), then what the
// program writes (results.json last of its files, curve.csv, ...), then status.json (how it
// ended).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/output_files.hpp"
#include "common/sweep_flags.hpp"
#include "wrnn/core/error.hpp"

namespace wrnn::examples::sweep {

// A run's folder and record files.
struct RunFiles {
  std::filesystem::path folder;
  std::filesystem::path request() const { return folder / "run.json"; }
  std::filesystem::path results() const { return folder / "results.json"; }
  std::filesystem::path status() const { return folder / "status.json"; }
  std::filesystem::path log() const { return folder / "log.txt"; }
};

// What a run asks for: its parameters and the program's flags. Written to run.json before the run
// and compared on a later start, so that a folder of other flags is never taken as this run's.
inline nlohmann::json run_request(const Program& program, const Run& run,
                                  const std::vector<std::string>& flags) {
  nlohmann::json parameters = nlohmann::json::object();
  for (const auto& [name, value] : run.parameters) parameters[name] = value;
  return {
      {"run", run.name}, {"program", program.name}, {"parameters", parameters}, {"flags", flags}};
}

// The JSON in `path`, or nothing when the file is absent or not whole JSON.
inline std::optional<nlohmann::json> read_json(const std::filesystem::path& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  nlohmann::json value = nlohmann::json::parse(file, nullptr, false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

// Whether the run finished before: results.json whole, with the final losses the program writes
// last, and run.json asking for the same flags. FormatError when the folder holds a record of
// other flags (a different sweep, or this one's file changed): the sweep will not mix them.
inline bool run_completed(const RunFiles& files, const nlohmann::json& request) {
  const auto recorded = read_json(files.request());
  if (recorded && recorded->value("flags", nlohmann::json()) != request["flags"])
    throw FormatError(files.folder.string() + ": holds a run of other flags (" +
                      recorded->value("flags", nlohmann::json()).dump() +
                      "), this sweep asks for " + request["flags"].dump() +
                      "; give another --out or remove the folder");
  if (!recorded) return false;
  const auto results = read_json(files.results());
  return results && results->is_object() && results->contains("final_test_loss") &&
         results->contains("final_train_loss");
}

// How a run ended.
struct Outcome {
  int exit_status = 0;
  std::string error;  // the program's message when exit_status is not 0
  double wall_seconds = 0.0;
};

namespace run_internal {

// The standard output and error of the process pointed at a file for the lifetime of the object,
// then back. Descriptors, not streams: the programs write through std::cout, std::cerr and C's
// stderr alike.
class OutputRedirect {
 public:
  explicit OutputRedirect(const std::filesystem::path& log) {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    const int file = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (file < 0)
      throw FormatError(detail::concat(log.string(), ": cannot create the run's log (",
                                       std::strerror(errno), ")"));
    saved_out_ = ::dup(STDOUT_FILENO);
    saved_err_ = ::dup(STDERR_FILENO);
    if (saved_out_ < 0 || saved_err_ < 0 || ::dup2(file, STDOUT_FILENO) < 0 ||
        ::dup2(file, STDERR_FILENO) < 0) {
      const int error = errno;
      ::close(file);
      restore();
      throw Error(detail::concat("cannot send the run's output to ", log.string(), " (",
                                 std::strerror(error), ")"));
    }
    ::close(file);
  }
  OutputRedirect(const OutputRedirect&) = delete;
  OutputRedirect& operator=(const OutputRedirect&) = delete;
  ~OutputRedirect() { restore(); }

 private:
  void restore() {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    if (saved_out_ >= 0) {
      ::dup2(saved_out_, STDOUT_FILENO);
      ::close(saved_out_);
    }
    if (saved_err_ >= 0) {
      ::dup2(saved_err_, STDERR_FILENO);
      ::close(saved_err_);
    }
    saved_out_ = saved_err_ = -1;
  }
  int saved_out_ = -1;
  int saved_err_ = -1;
};

// The program's error message from its log: the last line "<program>: ..." (program_errors.hpp),
// else the last line of the log (CLI11's own messages carry no program name).
inline std::string error_from_log(const std::filesystem::path& log, const std::string& program) {
  std::ifstream file(log);
  std::string line, last, named;
  while (std::getline(file, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    last = line;
    if (line.compare(0, program.size() + 2, program + ": ") == 0)
      named = line.substr(program.size() + 2);
  }
  return named.empty() ? last : named;
}

}  // namespace run_internal

// Runs `program` with `flags` plus --out <folder> (and --threads when threads > 0), in this
// process, and records the run. A run that fails (non-zero status, or an exception escaping the
// entry point) is an Outcome, not an exception; exceptions are for the sweep's own files.
inline Outcome execute_run(const Program& program, const Run& run,
                           const std::vector<std::string>& flags, const RunFiles& files,
                           long long threads, int rank) {
  std::filesystem::create_directories(files.folder);
  std::error_code ignored;
  std::filesystem::remove(files.status(), ignored);  // a failed attempt's record
  write_text_file(files.request().string(), run_request(program, run, flags).dump(2) + "\n");

  std::vector<std::string> arguments = {program.name};
  arguments.insert(arguments.end(), flags.begin(), flags.end());
  arguments.insert(arguments.end(), {"--out", files.folder.string()});
  if (threads > 0) arguments.insert(arguments.end(), {"--threads", std::to_string(threads)});
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);

  Outcome outcome;
  const auto start = std::chrono::steady_clock::now();
  {
    run_internal::OutputRedirect redirect(files.log());
    try {
      outcome.exit_status = program.main(static_cast<int>(arguments.size()), argv.data());
    } catch (const std::exception& error) {
      outcome.exit_status = 1;
      outcome.error = error.what();
    } catch (...) {
      outcome.exit_status = 1;
      outcome.error = "stopped by an exception of unknown type";
    }
  }
  outcome.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (outcome.exit_status != 0 && outcome.error.empty())
    outcome.error = run_internal::error_from_log(files.log(), program.name);
  if (outcome.exit_status == 0 && !read_json(files.results())) {  // cannot happen, but check
    outcome.exit_status = 1;
    outcome.error = "the program ended with status 0 but wrote no whole results.json";
  }

  std::string command;
  for (const std::string& argument : arguments) command += (command.empty() ? "" : " ") + argument;
  const nlohmann::json status = {{"run", run.name},        {"exit_status", outcome.exit_status},
                                 {"error", outcome.error}, {"wall_seconds", outcome.wall_seconds},
                                 {"rank", rank},           {"command", command}};
  write_text_file(files.status().string(), status.dump(2) + "\n");
  return outcome;
}

}  // namespace wrnn::examples::sweep
