// Measures the wave-speed accuracy and the verdict's error rates on synthetic fields (the numbers
// quoted in docs/analysis.md). Build and run from the repository root:
//   g++ -std=c++17 -O2 -Iinclude -I/usr/include/eigen3 docs/analysis_accuracy.cpp
//       -o /tmp/analysis_accuracy -lfftw3 && /tmp/analysis_accuracy
#include <cmath>
#include <cstdio>

#include "wrnn/analysis/wave_analysis.hpp"

using namespace wrnn;
using namespace wrnn::analysis;

namespace {
double ring_distance(double x, double y, double n) {
  double d = std::fmod(x - y, n);
  if (d > n / 2) d -= n;
  if (d <= -n / 2) d += n;
  return d;
}

// A Gaussian bump (sigma 2 units) on a ring of n units moving `speed` units per step, plus noise.
Matrix<double> bump(Index n, Index steps, double speed, double noise, Rng& rng) {
  Matrix<double> field(n, steps);
  for (Index t = 0; t < steps; ++t)
    for (Index i = 0; i < n; ++i) {
      const double d =
          ring_distance(static_cast<double>(i), 10.0 + speed * t, static_cast<double>(n));
      field(i, t) = std::exp(-d * d / 8.0) + noise * rng.normal();
    }
  return field;
}
}  // namespace

int main() {
  const Index n = 64, steps = 200, seeds = 50;
  for (double noise : {0.1, 0.3}) {
    double worst = 0.0, sum = 0.0;
    int count = 0, waves = 0, stationary_waves = 0, noise_waves = 0;
    for (Index seed = 0; seed < seeds; ++seed) {
      Rng rng(static_cast<std::uint64_t>(1000 + seed));
      for (double speed : {1.0, -1.0, 0.5, 2.0}) {
        const WaveAnalysis analysis = analyze_waves(bump(n, steps, speed, noise, rng), 1, n);
        const double error = std::abs(analysis.channels[0].speed.speed / speed - 1.0);
        worst = std::max(worst, error);
        sum += error;
        ++count;
        waves += analysis.is_wave;
      }
      stationary_waves += analyze_waves(bump(n, steps, 0.0, noise, rng), 1, n).is_wave;
      Matrix<double> white(n, steps);
      for (Index k = 0; k < white.size(); ++k) white(k) = rng.normal();
      noise_waves += analyze_waves(white, 1, n).is_wave;
    }
    std::printf(
        "noise sd %.1f: speeds {+1, -1, 0.5, 2} x %ld seeds: mean relative error %.4f, "
        "worst %.4f, called wave %d/%d; stationary bump called wave %d/%ld; white noise "
        "called wave %d/%ld\n",
        noise, static_cast<long>(seeds), sum / count, worst, waves, count, stationary_waves,
        static_cast<long>(seeds), noise_waves, static_cast<long>(seeds));
  }
}
