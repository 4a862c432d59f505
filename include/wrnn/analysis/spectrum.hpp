/// \file
/// The 2-D Fourier spectrum of a channel's (time x units) hidden-state block, normalised by that of
/// time-shuffled copies, the "diagonal power" wave score, and the spectrum picture.
///
/// Definitions. For channel c let a[t][i] (t < T steps, i < n units) be its block, with each unit's
/// temporal mean and then each step's ring mean removed (internal::channel_block says why). Its 2-D
/// DFT is
///
///     F(p, q) = sum_t sum_i a[t][i] exp(-2 pi i (p t / T + q i / n)),
///
/// p the temporal bin (frequency w = p / T cycles per step), q the spatial bin (k = q / n cycles
/// per unit), both taken as signed in [-1/2, 1/2). A wave of constant speed v (units per step,
/// positive toward higher unit index), a[t][i] = f(i - v t), has all its power on the line
///
///     w = -v k   (mod 1),
///
/// so speed +1 is the line w = -k and speed -1 the line w = +k: the two diagonals of the spectrum
/// drawn over [-1/2, 1/2) x [-1/2, 1/2). As the authors do, |F| is divided by |F_s|, the spectrum
/// of copies whose time steps (rows) were shuffled with a seeded wrnn::Rng: shuffling keeps every
/// snapshot (hence the spatial content) but destroys temporal order, so the ratio
///
///     N(p, q) = (|F(p, q)| + eps) / (|F_s(p, q)| + eps),   eps = 1e-9 * max |F_s|,
///
/// is about 1 where nothing moves coherently and large (about sqrt(T) for a clean wave) on a wave's
/// line. |F_s| is the mean of |F| over `shuffles` (8) independently shuffled copies: the magnitude
/// of one shuffled copy is Rayleigh-like and now and then nearly 0, and dividing by it makes N
/// heavy-tailed; the mean of several is not. For a reference level the same ratio is formed for one
/// more independently shuffled copy s':
///
///     B(p, q) = (|F_s'(p, q)| + eps) / (|F_s(p, q)| + eps)   (the "shuffled baseline", about 1).
///
/// Ridge power at speed v: the mean over the spatial bins q != 0 of N on the line w = -v k, taking
/// at each q the larger of the two temporal bins that bracket p = -v q T / n (mod T):
///
///     ridge(N, v) = 1/(n-1) * sum_{q != 0} max(N(floor(p*), q), N(floor(p*) + 1, q)).
///
/// The authors' diagonal power is the ridge power at speed 1: reported for both diagonals,
/// diagonal_power_positive = ridge(N, +1), diagonal_power_negative = ridge(N, -1), together with
/// diagonal_power_baseline = max(ridge(B, +1), ridge(B, -1)). (The authors sum along the diagonal;
/// we average, i.e. divide that sum by n - 1, so that scores compare across ring sizes.)
///
/// Ridge contrast at speed v (what the wave verdict uses): the mean of N weights every spatial bin
/// alike, so a narrow-band wave (a sinusoid occupies one or two bins q) is drowned by the bins
/// where it has no power. The contrast weights bins by magnitude instead - a ratio of sums along
/// the line:
///
///     contrast(v) = sum_{q != 0} |F(p_q, q)| / sum_{q != 0} |F_s(p_q, q)|,
///
/// p_q being whichever of the two bracketing bins has the larger |F|. Its shuffled baseline is the
/// same ratio with |F_s'| in place of |F| (about 1); a clean wave reaches about sqrt(T).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "wrnn/analysis/fftw.hpp"
#include "wrnn/analysis/panels.hpp"
#include "wrnn/analysis/space_time_image.hpp"
#include "wrnn/analysis/state_recording.hpp"
#include "wrnn/core/rng.hpp"

namespace wrnn::analysis {

/// How a channel's spectrum is computed.
struct SpectrumOptions {
  std::uint64_t shuffle_seed = 0;  ///< seeds the time shuffles (reproducible scores)
  Index shuffles = 8;              ///< shuffled copies averaged into |F_s|
  bool remove_unit_mean = true;    ///< subtract each unit's temporal mean first
  bool remove_step_mean = true;    ///< then each step's ring mean
};

/// All matrices are T x n, rows = temporal bin p, columns = spatial bin q, unshifted (bin 0 first).
struct SpaceTimeSpectrum {
  Matrix<double> magnitude;                         ///< |F|
  Matrix<double> shuffled_magnitude;                ///< |F_s|, mean over the shuffled copies
  Matrix<double> normalised;                        ///< N
  Matrix<double> baseline;                          ///< B
  Matrix<double> baseline_magnitude;                ///< |F_s\'|, one more shuffled copy
  Index steps() const { return magnitude.rows(); }  ///< T, the temporal bins.
  Index units() const { return magnitude.cols(); }  ///< n, the spatial bins.
};

/// The authors' diagonal power (see the file's comment), both diagonals and the baseline.
struct DiagonalPower {
  double positive = 0.0;  ///< ridge power on the speed +1 line
  double negative = 0.0;  ///< ridge power on the speed -1 line
  double baseline = 0.0;  ///< the same score on the shuffled baseline (larger diagonal)
  /// The larger of the two diagonals.
  double best() const { return std::max(positive, negative); }
};

namespace internal {

// Channel c's block as an n x T column-major matrix (column t = ring at step t), in double. Its
// memory is the row-major T x n array a[t][i]. Optionally centred twice:
// * each unit's temporal mean removed (the static part of the state carries no motion); a unit
//   that never changes becomes exactly 0 (the mean of T equal values need not round back to that
//   value, and the residue would otherwise look like a signal of size 1e-16);
// * then each step's ring mean removed (activity rising or falling on the whole ring at once -
//   a bias accumulating, a global gain - looks the same at every shift and says nothing about
//   motion around the ring).
template <class Derived>
Matrix<double> channel_block(const Eigen::MatrixBase<Derived>& states, Index channel,
                             Index ring_size, bool remove_unit_mean, bool remove_step_mean) {
  Matrix<double> block =
      states.block(channel * ring_size, 0, ring_size, states.cols()).template cast<double>();
  if (remove_unit_mean) {
    const Vector<double> range = block.rowwise().maxCoeff() - block.rowwise().minCoeff();
    block.colwise() -= block.rowwise().mean();
    for (Index i = 0; i < block.rows(); ++i)
      if (range(i) == 0.0) block.row(i).setZero();
  }
  if (remove_step_mean) {
    const Vector<double> range =
        (block.colwise().maxCoeff() - block.colwise().minCoeff()).transpose();
    block.rowwise() -= block.colwise().mean();
    for (Index t = 0; t < block.cols(); ++t)
      if (range(t) == 0.0) block.col(t).setZero();
  }
  return block;
}

// Fisher-Yates permutation of 0..count-1 from rng.
inline std::vector<Index> random_permutation(Index count, Rng& rng) {
  std::vector<Index> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), Index{0});
  for (Index i = count - 1; i > 0; --i)
    std::swap(order[static_cast<std::size_t>(i)],
              order[static_cast<std::size_t>(rng.uniform_int(0, i + 1))]);
  return order;
}

inline Matrix<double> shuffle_time(const Matrix<double>& block, const std::vector<Index>& order) {
  Matrix<double> shuffled(block.rows(), block.cols());
  for (Index t = 0; t < block.cols(); ++t)
    shuffled.col(t) = block.col(order[static_cast<std::size_t>(t)]);
  return shuffled;
}

// |2-D DFT| of the T x n array stored as the n x T column-major `block`, as a T x n matrix.
inline Matrix<double> fft2_magnitude(const Matrix<double>& block) {
  const Index n = block.rows(), steps = block.cols();
  const Index half = n / 2 + 1;
  fftw::Buffer<double> in(static_cast<std::size_t>(n * steps));
  fftw::Buffer<fftw::Complex> out(static_cast<std::size_t>(steps * half));
  fftw::Plan plan([&] {
    return fftw_plan_dft_r2c_2d(static_cast<int>(steps), static_cast<int>(n), in.data(),
                                fftw::as_fftw(out.data()), FFTW_ESTIMATE);
  });
  std::copy(block.data(), block.data() + n * steps, in.data());
  plan.execute();
  Matrix<double> magnitude(steps, n);
  for (Index p = 0; p < steps; ++p)
    for (Index q = 0; q < n; ++q) {
      // r2c keeps q <= n/2; the rest follows from F(p, q) = conj F(-p, -q) for real input.
      const bool stored = q < half;
      const Index row = stored ? p : (steps - p) % steps;
      const Index col = stored ? q : n - q;
      magnitude(p, q) = std::abs(out[static_cast<std::size_t>(row * half + col)]);
    }
  return magnitude;
}

}  // namespace internal

/// The spectrum of channel `channel` (needs at least 2 steps).
/// \throws ShapeError, ValueError when states does not match (channels, ring_size), has fewer
///         than 2 steps, or `channel` is out of range. \throws NumericalError when a state is not
///         finite.
template <class Derived>
SpaceTimeSpectrum compute_space_time_spectrum(const Eigen::MatrixBase<Derived>& states,
                                              Index channels, Index ring_size, Index channel,
                                              const SpectrumOptions& options = {}) {
  require_states_shape("compute_space_time_spectrum", states, channels, ring_size, 2);
  require_finite_states("compute_space_time_spectrum", states, ring_size);
  if (channel < 0 || channel >= channels)
    throw ValueError(detail::concat("compute_space_time_spectrum: expected channel in [0, ",
                                    channels, "), received ", channel));
  const Matrix<double> block = internal::channel_block(
      states, channel, ring_size, options.remove_unit_mean, options.remove_step_mean);
  if (options.shuffles < 1)
    throw ValueError(detail::concat(
        "compute_space_time_spectrum: expected shuffles >= 1, received ", options.shuffles));
  Rng rng(options.shuffle_seed);
  SpaceTimeSpectrum spectrum;
  spectrum.magnitude = internal::fft2_magnitude(block);
  spectrum.shuffled_magnitude = Matrix<double>::Zero(block.cols(), block.rows());
  for (Index k = 0; k < options.shuffles; ++k)
    spectrum.shuffled_magnitude += internal::fft2_magnitude(
        internal::shuffle_time(block, internal::random_permutation(block.cols(), rng)));
  spectrum.shuffled_magnitude /= static_cast<double>(options.shuffles);
  spectrum.baseline_magnitude = internal::fft2_magnitude(
      internal::shuffle_time(block, internal::random_permutation(block.cols(), rng)));
  const double eps = 1e-9 * std::max(spectrum.shuffled_magnitude.maxCoeff(), 1e-300);
  const auto denominator = spectrum.shuffled_magnitude.array() + eps;
  spectrum.normalised = (spectrum.magnitude.array() + eps) / denominator;
  spectrum.baseline = (spectrum.baseline_magnitude.array() + eps) / denominator;
  return spectrum;
}

/// Mean of `ratio` (T x n, unshifted) along the line w = -speed * k; see the header comment.
inline double ridge_power(const Matrix<double>& ratio, double speed) {
  const Index steps = ratio.rows(), n = ratio.cols();
  if (n < 2 || steps < 1) return 0.0;
  double sum = 0.0;
  for (Index q = 1; q < n; ++q) {
    const double signed_q = q <= n / 2 ? static_cast<double>(q) : static_cast<double>(q - n);
    const double p_exact = -speed * signed_q * static_cast<double>(steps) / static_cast<double>(n);
    const double p_floor = std::floor(p_exact);
    auto wrap = [steps](double p) {
      const auto bin = static_cast<Index>(std::fmod(p, static_cast<double>(steps)));
      return bin < 0 ? bin + steps : bin;
    };
    sum += std::max(ratio(wrap(p_floor), q), ratio(wrap(p_floor + 1.0), q));
  }
  return sum / static_cast<double>(n - 1);
}

/// sum |numerator| / sum |reference| along the line w = -speed * k (q != 0), taking at each q the
/// bracketing temporal bin where `numerator` is larger; see the header comment.
inline double ridge_contrast(const Matrix<double>& numerator, const Matrix<double>& reference,
                             double speed) {
  const Index steps = numerator.rows(), n = numerator.cols();
  if (n < 2 || steps < 1) return 0.0;
  double on_line = 0.0, reference_sum = 0.0;
  for (Index q = 1; q < n; ++q) {
    const double signed_q = q <= n / 2 ? static_cast<double>(q) : static_cast<double>(q - n);
    const double p_floor =
        std::floor(-speed * signed_q * static_cast<double>(steps) / static_cast<double>(n));
    auto wrap = [steps](double p) {
      const auto bin = static_cast<Index>(std::fmod(p, static_cast<double>(steps)));
      return bin < 0 ? bin + steps : bin;
    };
    const Index a = wrap(p_floor), b = wrap(p_floor + 1.0);
    const Index p = numerator(a, q) >= numerator(b, q) ? a : b;
    on_line += numerator(p, q);
    reference_sum += reference(p, q);
  }
  return reference_sum > 0.0 ? on_line / reference_sum : (on_line > 0.0 ? HUGE_VAL : 1.0);
}

/// The diagonal power of a spectrum: the ridge power of N at speeds +1 and -1, and of B.
inline DiagonalPower diagonal_power(const SpaceTimeSpectrum& spectrum) {
  DiagonalPower power;
  power.positive = ridge_power(spectrum.normalised, +1.0);
  power.negative = ridge_power(spectrum.normalised, -1.0);
  power.baseline =
      std::max(ridge_power(spectrum.baseline, +1.0), ridge_power(spectrum.baseline, -1.0));
  return power;
}

/// Moves bin 0 to the middle: row r of the result is temporal frequency (r - floor(T/2)) / T,
/// column c spatial frequency (c - floor(n/2)) / n. Returned transposed (n x T) so that, like the
/// space-time image, the spatial axis is vertical: row = k from -1/2 (top) to +1/2 (bottom),
/// column = w from -1/2 (left) to +1/2 (right). On this picture speed +1 is the diagonal from the
/// top right to the bottom left, speed -1 the one from the top left to the bottom right.
inline Matrix<double> fftshift_transposed(const Matrix<double>& spectrum) {
  const Index steps = spectrum.rows(), n = spectrum.cols();
  Matrix<double> shifted(n, steps);
  for (Index p = 0; p < steps; ++p)
    for (Index q = 0; q < n; ++q)
      shifted((q + n / 2) % n, (p + steps / 2) % steps) = spectrum(p, q);
  return shifted;
}

/// What a spectrum picture shows.
enum class SpectrumQuantity {
  normalised,  ///< log10 N (diverging map, 0 = no different from shuffled)
  magnitude,   ///< log10 |F| (viridis)
};

/// How a spectrum picture is drawn.
struct SpectrumImageOptions {
  SpectrumOptions spectrum;                                  ///< how the spectra are computed
  SpectrumQuantity quantity = SpectrumQuantity::normalised;  ///< N or |F|
  std::vector<Index> channels;                               ///< channels to draw; empty draws all
  /// @{
  /// Colour range in log10 units; default: [-max, max] of the normalised spectrum's log, the data
  /// range of the magnitude's log.
  std::optional<double> value_min;
  std::optional<double> value_max;
  /// @}
  PanelLayout layout;   ///< panel size and arrangement
  bool caption = true;  ///< the axes line under the panels
};

/// One panel per channel, fftshifted and in log10 scale (see fftshift_transposed for the axes).
/// \throws as compute_space_time_spectrum() does.
template <class Derived>
RgbImage render_spectrum_image(const Eigen::MatrixBase<Derived>& states, Index channels,
                               Index ring_size, const SpectrumImageOptions& options = {}) {
  require_states_shape("render_spectrum_image", states, channels, ring_size, 2);
  const auto drawn =
      internal::selected_channels(options.channels, channels, "render_spectrum_image");
  std::vector<Matrix<double>> panels;
  std::vector<std::string> labels;
  double data_min = std::numeric_limits<double>::infinity(), data_max = -data_min;
  for (Index c : drawn) {
    const SpaceTimeSpectrum spectrum =
        compute_space_time_spectrum(states, channels, ring_size, c, options.spectrum);
    const Matrix<double>& source =
        options.quantity == SpectrumQuantity::normalised ? spectrum.normalised : spectrum.magnitude;
    const double floor_value = std::max(source.maxCoeff(), 1e-300) * 1e-12;
    panels.push_back(fftshift_transposed(source.array().max(floor_value).log10().matrix()));
    const DiagonalPower diagonal = diagonal_power(spectrum);
    labels.push_back(detail::concat("channel ", c, "  diag +1: ", format_number(diagonal.positive),
                                    "  -1: ", format_number(diagonal.negative)));
    data_min = std::min(data_min, panels.back().minCoeff());
    data_max = std::max(data_max, panels.back().maxCoeff());
  }
  const ColorMap map =
      options.quantity == SpectrumQuantity::normalised ? ColorMap::diverging : ColorMap::viridis;
  // The normalised spectrum's interest is its excess over 1 (log > 0); deep minima where |F| is
  // tiny would otherwise set the symmetric range, so by default the range is [-max, max].
  std::optional<double> low = options.value_min, high = options.value_max;
  if (options.quantity == SpectrumQuantity::normalised && data_max > 0.0) {
    if (!low) low = -data_max;
    if (!high) high = data_max;
  }
  const ColorScale scale = choose_color_scale(data_min, data_max, map, low, high);
  const std::string caption =
      options.caption
          ? std::string(options.quantity == SpectrumQuantity::normalised ? "log10 |F|/|F shuffled|"
                                                                         : "log10 |F|") +
                ": k -1/2..1/2 (down) x w -1/2..1/2 (right)"
          : std::string();
  return render_panels(panels, labels, scale, options.layout, caption);
}

/// Writes the spectrum picture as a PNG file.
/// \throws FormatError when the file cannot be written; else as render_spectrum_image().
template <class Derived>
void write_spectrum_png(const std::string& path, const Eigen::MatrixBase<Derived>& states,
                        Index channels, Index ring_size, const SpectrumImageOptions& options = {}) {
  write_png(path, render_spectrum_image(states, channels, ring_size, options));
}

}  // namespace wrnn::analysis
