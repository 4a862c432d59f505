// The 2-D spectrum, its shuffle normalisation, the diagonal power score and the spectrum image.
#include <catch2/catch.hpp>

#include <complex>
#include <cstdio>

#include "wrnn/analysis/spectrum.hpp"

namespace test_analysis_spectrum {  // see "unity groups" in tests/CMakeLists.txt

using namespace wrnn;
using namespace wrnn::analysis;

namespace {

constexpr double pi = 3.14159265358979323846;

double ring_distance(double x, double y, double n) {
  double d = std::fmod(x - y, n);
  if (d > n / 2) d -= n;
  if (d <= -n / 2) d += n;
  return d;
}

// One channel: a Gaussian bump moving `speed` units per step, plus noise; (n) x (steps).
Matrix<double> travelling_bump(Index n, Index steps, double speed, double noise, Rng& rng) {
  Matrix<double> block(n, steps);
  for (Index t = 0; t < steps; ++t)
    for (Index i = 0; i < n; ++i) {
      const double d =
          ring_distance(static_cast<double>(i), 5.0 + speed * t, static_cast<double>(n));
      block(i, t) = std::exp(-d * d / 8.0) + noise * rng.normal();
    }
  return block;
}

}  // namespace

TEST_CASE("2-D FFT magnitude equals the naive DFT", "[analysis][spectrum]") {
  Rng rng(1);
  for (Index n : {6, 5}) {
    const Index steps = 7;
    Matrix<double> block(n, steps);  // column t = ring at step t, i.e. a[t][i] = block(i, t)
    for (Index k = 0; k < block.size(); ++k) block(k) = rng.normal();
    const Matrix<double> magnitude = internal::fft2_magnitude(block);
    REQUIRE(magnitude.rows() == steps);
    REQUIRE(magnitude.cols() == n);
    for (Index p = 0; p < steps; ++p)
      for (Index q = 0; q < n; ++q) {
        std::complex<double> sum = 0;
        for (Index t = 0; t < steps; ++t)
          for (Index i = 0; i < n; ++i)
            sum += block(i, t) *
                   std::polar(1.0, -2 * pi * (double(p * t) / steps + double(q * i) / n));
        CHECK(magnitude(p, q) == Approx(std::abs(sum)).margin(1e-10).epsilon(0));
      }
  }
}

TEST_CASE("ridge power averages the larger bracketing bin along w = -v k", "[analysis][spectrum]") {
  const Index steps = 40, n = 20;
  Matrix<double> ratio = Matrix<double>::Ones(steps, n);
  // Mark the speed +1 line: p = -q * T / n = -2 q (mod 40).
  for (Index q = 1; q < n; ++q) {
    const Index signed_q = q <= n / 2 ? q : q - n;
    ratio(((-2 * signed_q) % steps + steps) % steps, q) = 5.0;
  }
  CHECK(ridge_power(ratio, 1.0) == Approx(5.0));
  // The speed -1 line crosses the marked one only at the Nyquist column q = n/2.
  CHECK(ridge_power(ratio, -1.0) == Approx((18.0 + 5.0) / 19.0));
  // Speed 1.025 puts p* between the marked bin and its neighbour: the larger one is taken.
  CHECK(ridge_power(ratio, 1.0 + 1.0 / 40.0) == Approx(5.0));
}

TEST_CASE("the spectrum of a speed +1 wave peaks on its diagonal", "[analysis][spectrum]") {
  Rng rng(2);
  for (double speed : {1.0, -1.0}) {
    for (Index n : {64, 50}) {
      const Index steps = 200;
      const Matrix<double> states = travelling_bump(n, steps, speed, 0.1, rng);
      const SpaceTimeSpectrum spectrum = compute_space_time_spectrum(states, 1, n, 0);
      REQUIRE(spectrum.steps() == steps);
      REQUIRE(spectrum.units() == n);
      // For the lowest spatial frequencies (where the bump has its power), the largest normalised
      // value in each column q lies at p = -speed * q * T / n (mod T): the diagonal.
      for (Index q = 1; q <= 4; ++q) {
        Index argmax = 0;
        spectrum.normalised.col(q).maxCoeff(&argmax);
        const double exact = -speed * double(q) * double(steps) / double(n);
        const Index expected = (static_cast<Index>(std::lround(exact)) % steps + steps) % steps;
        INFO("speed " << speed << ", n " << n << ", q " << q);
        CHECK(std::abs(argmax - expected) <= 1);
      }
      const DiagonalPower diagonal = diagonal_power(spectrum);
      const double on = speed > 0 ? diagonal.positive : diagonal.negative;
      const double off = speed > 0 ? diagonal.negative : diagonal.positive;
      CHECK(on > 3.0 * off);
      CHECK(on > 3.0 * diagonal.baseline);
      CHECK(diagonal.baseline == Approx(1.2).margin(0.6));  // a shuffled field sits near 1
    }
  }
}

TEST_CASE("white noise has no diagonal and a normalised spectrum near 1", "[analysis][spectrum]") {
  Rng rng(3);
  Matrix<double> states(64, 200);
  for (Index k = 0; k < states.size(); ++k) states(k) = rng.normal();
  const SpaceTimeSpectrum spectrum = compute_space_time_spectrum(states, 1, 64, 0);
  const DiagonalPower diagonal = diagonal_power(spectrum);
  CHECK(diagonal.best() < 2.0 * diagonal.baseline);
  CHECK(spectrum.normalised.mean() == Approx(1.0).margin(0.15));
}

TEST_CASE("spectrum is reproducible from its seed", "[analysis][spectrum]") {
  Rng rng(4);
  const Matrix<double> states = travelling_bump(32, 60, 1.0, 0.2, rng);
  SpectrumOptions options;
  options.shuffle_seed = 9;
  const SpaceTimeSpectrum a = compute_space_time_spectrum(states, 1, 32, 0, options);
  const SpaceTimeSpectrum b = compute_space_time_spectrum(states, 1, 32, 0, options);
  CHECK(a.normalised == b.normalised);
  options.shuffle_seed = 10;
  const SpaceTimeSpectrum c = compute_space_time_spectrum(states, 1, 32, 0, options);
  CHECK(a.magnitude == c.magnitude);
  CHECK(a.shuffled_magnitude != c.shuffled_magnitude);
}

TEST_CASE("fftshift_transposed puts frequency 0 in the middle, k down and w right",
          "[analysis][spectrum]") {
  Matrix<double> spectrum = Matrix<double>::Zero(4, 6);  // T = 4, n = 6
  spectrum(0, 0) = 1;                                    // w = 0, k = 0
  spectrum(1, 5) = 2;                                    // w = +1/4, k = -1/6
  const Matrix<double> shifted = fftshift_transposed(spectrum);
  REQUIRE(shifted.rows() == 6);
  REQUIRE(shifted.cols() == 4);
  CHECK(shifted(3, 2) == 1);  // row (k + 3), column (w + 2)
  CHECK(shifted(2, 3) == 2);
}

TEST_CASE("spectrum image: one panel per channel, written as PNG", "[analysis][spectrum]") {
  Rng rng(5);
  const Index n = 32, steps = 64;
  Matrix<float> states(2 * n, steps);
  states.topRows(n) = travelling_bump(n, steps, 1.0, 0.1, rng).cast<float>();
  states.bottomRows(n) = travelling_bump(n, steps, -1.0, 0.1, rng).cast<float>();
  SpectrumImageOptions options;
  options.layout.labels = false;
  options.layout.color_bar = false;
  options.layout.panels_per_row = 1;  // stacked
  options.caption = false;
  const RgbImage image = render_spectrum_image(states, 2, n, options);
  // n = 32 rows repeated 7 times (>= 200 px), T = 64 columns repeated 4 times; panels stacked.
  CHECK(image.width == 2 * options.layout.margin + 64 * 4);
  CHECK(image.height == 2 * options.layout.margin + 2 * 32 * 7 + options.layout.gap);
  // Normalised spectra use the diverging map: the strong diagonal is red somewhere.
  bool has_dark_red = false;
  for (Index y = 0; y < image.height; ++y)
    for (Index x = 0; x < image.width; ++x) has_dark_red |= image.at(x, y) == Rgb{0x67, 0x00, 0x1f};
  CHECK(has_dark_red);
  const std::string path = "test_analysis_spectrum.png";
  write_spectrum_png(path, states, 2, n);
  std::FILE* file = std::fopen(path.c_str(), "rb");
  REQUIRE(file != nullptr);
  unsigned char magic[8] = {};
  CHECK(std::fread(magic, 1, 8, file) == 8);
  std::fclose(file);
  CHECK(magic[1] == 'P');
  CHECK(magic[2] == 'N');
  CHECK(magic[3] == 'G');
  std::remove(path.c_str());
  CHECK_THROWS_AS(compute_space_time_spectrum(states, 2, n, 2), ValueError);
}

}  // namespace test_analysis_spectrum
