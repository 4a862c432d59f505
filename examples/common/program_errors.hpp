// How the example programs end. Every failure that escapes a program's run is caught here and
// reported on stderr as "<program>: <message>", so that no input ends in std::terminate:
//
//   exit 0  the run finished (or --help)
//   exit 1  a failure while running: a file that cannot be read or written, a run that
//           diverged, memory or threads the system refuses (any wrnn::Error but ValueError, any
//           other exception)
//   exit 2  the flags ask for something the program refuses: CLI11's parse errors (an unknown
//           flag, a value that is not a number or fails its check) with CLI11's message, and
//           wrnn::ValueError (a value out of range, flags that do not go together, a run too
//           large for the machine's memory)
#pragma once

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <new>
#include <string>

#include "wrnn/core/error.hpp"

namespace wrnn::examples {

inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// A wrnn::Error's message without the "wrnn: " every library message starts with (the program's
// name takes its place).
inline std::string error_text(const std::exception& error) {
  const std::string text = error.what();
  const std::string prefix = "wrnn: ";
  return text.compare(0, prefix.size(), prefix) == 0 ? text.substr(prefix.size()) : text;
}

// Prints "program: message" on the standard error in one write, so that the ranks of an MPI job
// refusing the same flags cannot interleave their lines ("seq_imageseq_image: ...").
inline void print_error(const char* program, const std::string& message) {
  const std::string line = std::string(program) + ": " + message + "\n";
  std::cerr.write(line.data(), static_cast<std::streamsize>(line.size()));
  std::cerr.flush();
}

// Parses the flags into `app`'s options, then runs `run` (which returns the exit status),
// turning whatever either throws into a message and an exit status as above.
template <class Run>
int run_program(const char* program, CLI::App& app, int argc, char** argv, Run&& run) {
  const auto report = [&](const std::string& message, int status) {
    print_error(program, message);
    return status;
  };
  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
      // app.exit prints CLI11's message (or the help, status 0); CLI11's own statuses (100 and
      // up, one per kind of parse error) become the one usage status.
      return app.exit(error) == 0 ? 0 : kExitUsage;
    }
    return run();
  } catch (const ValueError& error) {
    return report(error_text(error), kExitUsage);
  } catch (const Error& error) {
    return report(error_text(error), kExitFailure);
  } catch (const std::bad_alloc&) {
    return report(
        "out of memory: the system refused an allocation (ask for a smaller --batch, test or "
        "evaluation batch, --n or --channels)",
        kExitFailure);
  } catch (const std::exception& error) {
    return report(error.what(), kExitFailure);
  } catch (...) {
    return report("stopped by an exception of unknown type", kExitFailure);
  }
}

// Prints the run's result to standard output and checks that it got there (a full disk or a
// closed pipe would otherwise end a run with status 0 and no output).
inline void print_result(const std::string& text) {
  std::cout << text << std::endl;
  if (!std::cout) throw Error("could not write the result to standard output");
}

}  // namespace wrnn::examples
