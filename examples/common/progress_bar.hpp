// A one-line progress bar for training loops: step, loss, rate and ETA.
// On a terminal it redraws one line; otherwise (logs, CI) it prints a line per update.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace wrnn::examples {

class ProgressBar {
 public:
  explicit ProgressBar(long long total, std::string label = "")
      : total_(total),
        label_(std::move(label)),
        start_(Clock::now()),
        interactive_(isatty(fileno(stderr)) != 0) {}

  void update(long long done, const std::string& message) {
    const double elapsed = seconds_since_start();
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
    const int width = 24;
    const int filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(static_cast<std::size_t>(width), '-');
    std::fprintf(stderr, "%s%s[%s] %lld/%lld %s  %.1f it/s  ETA %s%s", interactive_ ? "\r" : "",
                 label_.c_str(), bar.c_str(), done, total_, message.c_str(), rate,
                 format_duration(eta).c_str(), interactive_ ? "\033[K" : "\n");
    std::fflush(stderr);
  }

  void finish() {
    if (interactive_) std::fprintf(stderr, "\n");
  }

  double seconds_since_start() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }

  static std::string format_duration(double seconds) {
    const long long s = static_cast<long long>(seconds + 0.5);
    char text[32];
    std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
    return text;
  }

 private:
  using Clock = std::chrono::steady_clock;
  long long total_;
  std::string label_;
  Clock::time_point start_;
  bool interactive_;
};

}  // namespace wrnn::examples
