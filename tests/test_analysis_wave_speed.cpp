// Wave speed, direction and the wave / no-wave verdict on synthetic fields of known motion.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "wrnn/analysis/wave_analysis.hpp"

namespace test_analysis_wave_speed {  // see "unity groups" in tests/CMakeLists.txt

using namespace wrnn;
using namespace wrnn::analysis;

namespace {

constexpr double pi = 3.14159265358979323846;

// Signed distance from x to y on a ring of n units, in (-n/2, n/2].
double ring_distance(double x, double y, double n) {
  double d = std::fmod(x - y, n);
  if (d > n / 2) d -= n;
  if (d <= -n / 2) d += n;
  return d;
}

// A Gaussian bump (width sigma units) starting at unit `start` and moving `speed` units per step,
// plus white noise of standard deviation `noise`: a (n) x (steps) block for one channel.
Matrix<double> travelling_bump(Index n, Index steps, double speed, double noise, Rng& rng,
                               double start = 10.0, double sigma = 2.0) {
  Matrix<double> block(n, steps);
  for (Index t = 0; t < steps; ++t)
    for (Index i = 0; i < n; ++i) {
      const double d =
          ring_distance(static_cast<double>(i), start + speed * t, static_cast<double>(n));
      block(i, t) = std::exp(-d * d / (2 * sigma * sigma)) + noise * rng.normal();
    }
  return block;
}

// sin(2 pi (i - speed t) / wavelength) plus noise.
Matrix<double> travelling_sinusoid(Index n, Index steps, double speed, double wavelength,
                                   double noise, Rng& rng) {
  Matrix<double> block(n, steps);
  for (Index t = 0; t < steps; ++t)
    for (Index i = 0; i < n; ++i)
      block(i, t) = std::sin(2 * pi * (i - speed * t) / wavelength) + noise * rng.normal();
  return block;
}

Matrix<double> white_noise(Index rows, Index steps, Rng& rng) {
  Matrix<double> block(rows, steps);
  for (Index t = 0; t < steps; ++t)
    for (Index i = 0; i < rows; ++i) block(i, t) = rng.normal();
  return block;
}

}  // namespace

TEST_CASE("FFT cross-correlation equals the naive sum at integer shifts", "[analysis][speed]") {
  Rng rng(3);
  const Index n = 12, steps = 9;  // even n exercises the split Nyquist bin
  const Matrix<double> block = white_noise(n, steps, rng);
  for (Index upsample : {1, 4}) {
    internal::RingCorrelation correlation(block, upsample);
    for (Index lag : {1, 3}) {
      correlation.compute(lag);
      double e0 = 0, e1 = 0;
      for (Index t = 0; t + lag < steps; ++t) e0 += block.col(t).squaredNorm();
      for (Index t = lag; t < steps; ++t) e1 += block.col(t).squaredNorm();
      for (Index s = 0; s < n; ++s) {
        double naive = 0;
        for (Index t = 0; t + lag < steps; ++t)
          for (Index i = 0; i < n; ++i) naive += block(i, t + lag) * block((i - s + n) % n, t);
        naive /= std::sqrt(e0 * e1);
        CHECK(correlation.at(s * upsample) == Approx(naive).margin(1e-12).epsilon(0));
      }
    }
  }
  // Odd ring size.
  const Matrix<double> odd = white_noise(7, 6, rng);
  internal::RingCorrelation odd_correlation(odd, 3);
  odd_correlation.compute(2);
  double naive = 0, e0 = 0, e1 = 0;
  for (Index t = 0; t + 2 < 6; ++t) {
    e0 += odd.col(t).squaredNorm();
    e1 += odd.col(t + 2).squaredNorm();
    for (Index i = 0; i < 7; ++i) naive += odd(i, t + 2) * odd((i - 5 + 7) % 7, t);
  }
  CHECK(odd_correlation.at(5 * 3) == Approx(naive / std::sqrt(e0 * e1)).margin(1e-12).epsilon(0));
}

TEST_CASE("speeds +1, -1, 0.5 and 2 of a noisy travelling bump are recovered within 5%",
          "[analysis][speed]") {
  const Index n = 64, steps = 200;
  Rng rng(11);
  for (double speed : {1.0, -1.0, 0.5, 2.0, -0.5, -2.0}) {
    const Matrix<double> block = travelling_bump(n, steps, speed, 0.1, rng);
    const WaveSpeedEstimate estimate = estimate_block_wave_speed(block);
    INFO("true speed " << speed << ", estimated " << estimate.speed << " at lag " << estimate.lag);
    CHECK(estimate.speed == Approx(speed).epsilon(0.05));
    CHECK(std::signbit(estimate.speed) == std::signbit(speed));
    CHECK(estimate.lag > 1);  // the refinement used a longer lag
    CHECK(estimate.peak_correlation > 0.8);
  }
}

TEST_CASE("speeds of noisy travelling sinusoids are recovered within 5%", "[analysis][speed]") {
  const Index n = 100, steps = 200;
  Rng rng(12);
  for (double speed : {1.0, -1.0, 0.5, 2.0}) {
    // Four wavelengths around the ring: v and v + 25 look alike; the slowest is reported.
    const Matrix<double> block = travelling_sinusoid(n, steps, speed, 25.0, 0.3, rng);
    const WaveSpeedEstimate estimate = estimate_block_wave_speed(block);
    INFO("true speed " << speed << ", estimated " << estimate.speed);
    CHECK(estimate.speed == Approx(speed).epsilon(0.05));
  }
}

TEST_CASE("a non-integer speed is measured to sub-unit precision", "[analysis][speed]") {
  Rng rng(13);
  const Matrix<double> block = travelling_bump(100, 200, 0.73, 0.05, rng);
  CHECK(estimate_block_wave_speed(block).speed == Approx(0.73).epsilon(0.02));
}

TEST_CASE("verdict: travelling waves are waves, with the right speed and direction",
          "[analysis][verdict]") {
  const Index n = 64, steps = 200;
  Rng rng(21);
  for (double speed : {1.0, -1.0, 0.5, 2.0}) {
    const Matrix<double> states = travelling_bump(n, steps, speed, 0.1, rng);
    const WaveAnalysis analysis = analyze_waves(states, 1, n);
    REQUIRE(analysis.channels.size() == 1);
    const ChannelWaveAnalysis& channel = analysis.channels[0];
    INFO("speed " << speed << ": " << channel.reason);
    CHECK(channel.is_wave);
    CHECK(analysis.is_wave);
    CHECK(analysis.mean_speed == Approx(speed).epsilon(0.05));
    CHECK(channel.ridge_contrast > 2 * channel.ridge_baseline);
  }
}

TEST_CASE("verdict: a sinusoid that moves a whole wavelength by the final lag is a wave",
          "[analysis][verdict]") {
  // n = 256 allows lags up to 32, where a speed-1 wave of wavelength 32 has moved exactly one
  // wavelength and fits shift 0 as well as the true shift; the gain is taken over all lags.
  Rng rng(26);
  const Matrix<double> states = travelling_sinusoid(256, 300, 1.0, 32.0, 0.1, rng);
  const WaveAnalysis analysis = analyze_waves(states, 1, 256);
  const ChannelWaveAnalysis& channel = analysis.channels[0];
  INFO(channel.reason);
  CHECK(channel.speed.lag == 32);
  CHECK(channel.speed.zero_shift_correlation > 0.8);  // a whole wavelength: shift 0 fits too
  CHECK(channel.speed.correlation_gain > 1.0);        // at lag 16 it was half a wavelength
  CHECK(channel.is_wave);
  CHECK(channel.speed.speed == Approx(1.0).epsilon(0.01));
}

TEST_CASE("verdict: a wave riding on activity that grows on the whole ring is still a wave",
          "[analysis][verdict]") {
  // As in an untrained ReLU wRNN whose bias accumulates: every unit rises by 0.05 per step, far
  // more variance than the bump carries. Removing each step's ring mean takes the ramp away.
  const Index n = 64, steps = 200;
  Rng rng(27);
  Matrix<double> states = travelling_bump(n, steps, -1.0, 0.05, rng);
  for (Index t = 0; t < steps; ++t) states.col(t).array() += 0.05 * static_cast<double>(t);
  const WaveAnalysis analysis = analyze_waves(states, 1, n);
  INFO(analysis.channels[0].reason);
  CHECK(analysis.is_wave);
  CHECK(analysis.mean_speed == Approx(-1.0).epsilon(0.02));

  WaveAnalysisOptions keep_ramp;
  keep_ramp.speed.remove_step_mean = false;
  keep_ramp.spectrum.remove_step_mean = false;
  const WaveAnalysis with_ramp = analyze_waves(states, 1, n, keep_ramp);
  INFO(with_ramp.channels[0].reason);
  CHECK_FALSE(with_ramp.is_wave);  // the ramp correlates at every shift: no gain over shift 0
}

TEST_CASE("verdict: a stationary bump with noise is no wave", "[analysis][verdict]") {
  const Index n = 64, steps = 200;
  Rng rng(22);
  const Matrix<double> states = travelling_bump(n, steps, 0.0, 0.1, rng);
  const WaveAnalysis analysis = analyze_waves(states, 1, n);
  INFO(analysis.channels[0].reason);
  CHECK_FALSE(analysis.channels[0].is_wave);
  CHECK_FALSE(analysis.is_wave);
  CHECK(std::isnan(analysis.mean_speed));

  // Keeping the static part: the bump dominates, correlates best at shift 0, and still no wave.
  WaveAnalysisOptions keep_mean;
  keep_mean.speed.remove_unit_mean = false;
  const WaveAnalysis kept = analyze_waves(states, 1, n, keep_mean);
  INFO(kept.channels[0].reason);
  CHECK(std::abs(kept.channels[0].speed.speed) < 0.05);
  CHECK(kept.channels[0].speed.peak_correlation > 0.8);
  CHECK_FALSE(kept.is_wave);
}

TEST_CASE("verdict: a pulsing stationary bump is no wave", "[analysis][verdict]") {
  const Index n = 64, steps = 200;
  Rng rng(23);
  Matrix<double> states = travelling_bump(n, steps, 0.0, 0.0, rng);
  for (Index t = 0; t < steps; ++t) states.col(t) *= 1.0 + 0.8 * std::sin(0.2 * t);
  for (Index t = 0; t < steps; ++t)
    for (Index i = 0; i < n; ++i) states(i, t) += 0.05 * rng.normal();
  const WaveAnalysis analysis = analyze_waves(states, 1, n);
  const ChannelWaveAnalysis& channel = analysis.channels[0];
  INFO(channel.reason);
  CHECK(std::abs(channel.speed.speed) < 0.05);
  CHECK_FALSE(channel.is_wave);
}

TEST_CASE("verdict: white noise is no wave", "[analysis][verdict]") {
  const Index channels = 3, n = 64, steps = 200;
  Rng rng(24);
  const Matrix<double> states = white_noise(channels * n, steps, rng);
  const WaveAnalysis analysis = analyze_waves(states, channels, n);
  for (const auto& channel : analysis.channels) {
    INFO(channel.reason);
    CHECK_FALSE(channel.is_wave);
    CHECK(channel.speed.peak_correlation < 0.2);
  }
  CHECK_FALSE(analysis.is_wave);
  CHECK(analysis.wave_fraction == 0.0);
}

TEST_CASE("constant states are no wave and do not divide by zero", "[analysis][verdict]") {
  // 0.1f: the mean of equal values need not round back to the value; still exactly no variation.
  const Matrix<float> states = Matrix<float>::Constant(2 * 16, 20, 0.1f);
  const WaveAnalysis analysis = analyze_waves(states, 2, 16);
  CHECK_FALSE(analysis.is_wave);
  CHECK(analysis.channels[0].reason == "no temporal variation");
}

TEST_CASE("aggregate over channels: opposite directions and a silent channel",
          "[analysis][verdict]") {
  const Index n = 64, steps = 200;
  Rng rng(25);
  Matrix<float> states(3 * n, steps);
  states.block(0, 0, n, steps) = travelling_bump(n, steps, 1.0, 0.05, rng).cast<float>();
  // Twice the amplitude: four times the energy, so it weighs four times as much.
  states.block(n, 0, n, steps) = (2.0 * travelling_bump(n, steps, -1.0, 0.05, rng)).cast<float>();
  states.block(2 * n, 0, n, steps) = (0.1 * white_noise(n, steps, rng)).cast<float>();
  const WaveAnalysis analysis = analyze_waves(states, 3, n);
  CHECK(analysis.channels[0].is_wave);
  CHECK(analysis.channels[1].is_wave);
  CHECK_FALSE(analysis.channels[2].is_wave);
  CHECK(analysis.wave_channels == 2);
  CHECK(analysis.wave_fraction == Approx(2.0 / 3.0));
  CHECK(analysis.is_wave);
  CHECK(analysis.mean_abs_speed == Approx(1.0).epsilon(0.05));
  const double e0 = analysis.channels[0].speed.energy, e1 = analysis.channels[1].speed.energy;
  CHECK(e1 / e0 == Approx(4.0).epsilon(0.1));
  CHECK(analysis.mean_speed ==
        Approx((e0 * analysis.channels[0].speed.speed + e1 * analysis.channels[1].speed.speed) /
               (e0 + e1)));
  CHECK(analysis.mean_speed < -0.5);

  WaveAnalysisOptions only_noise;
  only_noise.channels = {2};
  CHECK_FALSE(analyze_waves(states, 3, n, only_noise).is_wave);
}

TEST_CASE("wave speed input checks", "[analysis][speed]") {
  const Matrix<double> short_states = Matrix<double>::Zero(8, 2);
  CHECK_THROWS_AS(estimate_wave_speed(short_states, 1, 8, 0), ShapeError);
  const Matrix<double> states = Matrix<double>::Zero(8, 10);
  CHECK_THROWS_AS(estimate_wave_speed(states, 1, 8, 1), ValueError);
  Matrix<double> diverged = Matrix<double>::Zero(8, 10);
  diverged(3, 4) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(estimate_wave_speed(diverged, 1, 8, 0), NumericalError);
  CHECK_THROWS_AS(analyze_waves(diverged, 1, 8), NumericalError);
  CHECK_THROWS_AS(estimate_block_wave_speed(diverged), NumericalError);
  WaveSpeedOptions bad;
  bad.upsample = 0;
  CHECK_THROWS_AS(estimate_wave_speed(states, 1, 8, 0, bad), ValueError);
  bad = {};
  bad.max_displacement_fraction = 0.6;
  CHECK_THROWS_AS(estimate_wave_speed(states, 1, 8, 0, bad), ValueError);
}

}  // namespace test_analysis_wave_speed
