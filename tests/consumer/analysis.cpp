// wrnn::analysis from an installed wrnn: a pulse that moves one unit per step around a ring of 16
// units (what the paper's shift-initialised wave cell does to one active unit), recorded step by
// step; its space-time picture (PNG, stb), animation (GIF, giflib) and spectrum (FFTW) written,
// and its speed measured. Usage: consumer_analysis DIRECTORY
#include <wrnn/analysis/analysis.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
    return 2;
  }
  const std::string directory = argv[1];
  constexpr wrnn::Index channels = 1, ring = 16, steps = 32;
  wrnn::analysis::StateRecorder<float> recorder(ring, steps);
  std::vector<float> state(static_cast<std::size_t>(ring));
  for (wrnn::Index t = 0; t < steps; ++t) {
    for (wrnn::Index unit = 0; unit < ring; ++unit)
      state[static_cast<std::size_t>(unit)] = unit == t % ring ? 1.0f : 0.0f;
    recorder.record(state.data());
  }
  const auto states = recorder.states();
  wrnn::analysis::write_space_time_png(directory + "/space_time.png", states, channels, ring);
  wrnn::analysis::write_state_animation_gif(directory + "/animation.gif", states, channels, ring);
  wrnn::analysis::write_spectrum_png(directory + "/spectrum.png", states, channels, ring);
  const wrnn::analysis::WaveAnalysis waves = wrnn::analysis::analyze_waves(states, channels, ring);
  bool written = true;
  for (const char* name : {"space_time.png", "animation.gif", "spectrum.png"})
    written = written && std::filesystem::file_size(directory + "/" + name) > 0;
  std::printf("analysis: pictures %s, wave speed %.3f units per step\n",
              written ? "written" : "MISSING", waves.mean_speed);
  return written && std::abs(std::abs(waves.mean_speed) - 1.0) < 0.05 ? 0 : 1;
}
