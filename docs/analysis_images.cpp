// Makes the example pictures of docs/analysis.md from synthetic fields of known motion, and prints
// the wave analysis of each channel. Build and run from the repository root:
//   g++ -std=c++17 -O2 -Iinclude -I/usr/include/eigen3 docs/analysis_images.cpp
//       -o /tmp/analysis_images -lfftw3 -lgif && /tmp/analysis_images docs/images
#include <cmath>
#include <cstdio>
#include <string>

#include "wrnn/analysis/analysis.hpp"

using namespace wrnn;
using namespace wrnn::analysis;

namespace {

double ring_distance(double x, double y, double n) {
  double d = std::fmod(x - y, n);
  if (d > n / 2) d -= n;
  if (d <= -n / 2) d += n;
  return d;
}

// Channel c of the demo field: a bump moving at speeds[c] (NaN: white noise instead).
Matrix<float> demo_field(Index n, Index steps, const std::vector<double>& speeds, Rng& rng) {
  const Index channels = static_cast<Index>(speeds.size());
  Matrix<float> states(channels * n, steps);
  for (Index c = 0; c < channels; ++c) {
    const double speed = speeds[static_cast<std::size_t>(c)];
    for (Index t = 0; t < steps; ++t)
      for (Index i = 0; i < n; ++i) {
        double value = 0.0;
        if (std::isnan(speed)) {
          value = 0.5 + 0.3 * rng.normal();
        } else {
          const double d = ring_distance(static_cast<double>(i), 8.0 + 12.0 * c + speed * t,
                                         static_cast<double>(n));
          value = std::exp(-d * d / 8.0) + 0.1 * rng.normal();
        }
        states(c * n + i, t) = static_cast<float>(std::max(value, 0.0));  // ReLU-like states
      }
  }
  return states;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string directory = argc > 1 ? argv[1] : ".";
  const Index n = 64, steps = 200;
  const std::vector<double> speeds = {1.0, -1.0, 0.5, 2.0, 0.0, std::nan("")};
  const Index channels = static_cast<Index>(speeds.size());
  Rng rng(2024);
  const Matrix<float> states = demo_field(n, steps, speeds, rng);

  SpaceTimeOptions image;
  write_space_time_png(directory + "/analysis_space_time.png", states, channels, n, image);

  SpectrumImageOptions spectrum;
  write_spectrum_png(directory + "/analysis_spectrum.png", states, channels, n, spectrum);

  AnimationOptions rings;
  rings.max_frames = 48;
  rings.min_ring_pixels = 128;
  write_state_animation_gif(directory + "/analysis_rings.gif", states, channels, n, rings);
  AnimationOptions grid = rings;
  grid.layout = AnimationLayout::grid;
  grid.min_grid_pixels = 48;
  write_state_animation_gif(directory + "/analysis_grid.gif", states, channels, n, grid);

  const WaveAnalysis analysis = analyze_waves(states, channels, n);
  std::printf(
      "| channel | true speed | estimated speed | lag | peak corr. | corr. at shift 0 | "
      "ridge contrast / baseline | diagonal +1 / -1 / baseline | verdict |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& channel : analysis.channels) {
    const double truth = speeds[static_cast<std::size_t>(channel.channel)];
    std::printf(
        "| %ld | %s | %+.3f | %ld | %.2f | %.2f | %.2f / %.2f | %.2f / %.2f / %.2f | %s |\n",
        static_cast<long>(channel.channel),
        std::isnan(truth) ? "noise" : format_number(truth).c_str(), channel.speed.speed,
        static_cast<long>(channel.speed.lag), channel.speed.peak_correlation,
        channel.speed.zero_shift_correlation, channel.ridge_contrast, channel.ridge_baseline,
        channel.diagonal.positive, channel.diagonal.negative, channel.diagonal.baseline,
        channel.reason.c_str());
  }
  std::printf("\nall channels: %ld of %ld waves, mean |speed| %.3f, verdict %s\n",
              static_cast<long>(analysis.wave_channels), static_cast<long>(channels),
              analysis.mean_abs_speed, analysis.is_wave ? "wave" : "no wave");
}
