/// \file
/// The dominant wave speed of a channel, in units per step with its direction, measured directly
/// from the space-time cross-correlation of the ring with itself `lag` steps later.
///
/// Sign convention: speed > 0 means activity moves toward HIGHER unit indices, a[t + 1][i] ~ a[t][i
/// - v]. (The paper's shift initialisation, (u * h)[i] = h[i + 1], moves activity toward lower
/// indices: it shows as speed -1 here.)
///
/// Method. With a[t] the ring at step t (each unit's temporal mean, then each step's ring mean
/// removed; see internal::channel_block), the normalised circular cross-correlation at lag L and
/// shift s is
///
///     rho_L(s) = sum_{t=0}^{T-1-L} sum_i a[t + L][i] a[t][i - s]
///                / sqrt( sum_{t<T-L} |a[t]|^2 * sum_{t>=L} |a[t]|^2 ),
///
/// which is 1 at s = v L for a noise-free wave of speed v. It is computed for all s at once with
/// FFTs along the ring (FFTW): with A_t(q) the DFT of a[t], the cross-spectrum is C_L(q) = sum_t
/// A_{t+L}(q) conj(A_t(q)) and rho_L is its inverse DFT. Zero-padding C_L to `upsample` * n bins
/// before the inverse DFT evaluates rho_L on a grid of 1/upsample units by band-limited
/// interpolation, and a parabola through the best grid point and its two neighbours refines the
/// peak further. The candidates at each lag are the local maxima of rho_L within 5% of its maximum:
/// one for a single bump, one per wavelength for a periodic pattern (for which v and v + wavelength
/// look alike).
///
/// 1. Lag 1: the candidate with the smallest |shift| gives a first speed v (the slowest consistent
///    speed).
/// 2. The lag is doubled (2, 4, 8, ...) while |v| L stays within `max_displacement_fraction` of the
///    ring, L <= max_lag and L <= (T - 1) / 2, and the peak keeps at least half the previous lag's
///    correlation; at each lag the candidate nearest the predicted displacement v L is taken and v
///    = displacement / L. A displacement of many units divides the sub-unit error of the peak
///    position by L.
///
/// The estimate reports the lag it ended at, rho at its peak and at shift 0 there, and the largest
/// gain of the peak over shift 0 among the lags examined (how much better "it moved" explains the
/// data than "it stayed").
#pragma once

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "wrnn/analysis/fftw.hpp"
#include "wrnn/analysis/spectrum.hpp"
#include "wrnn/analysis/state_recording.hpp"

namespace wrnn::analysis {

/// How a wave speed is estimated (see the file's comment, "Method").
struct WaveSpeedOptions {
  bool remove_unit_mean = true;  ///< subtract each unit's temporal mean first
  bool remove_step_mean = true;  ///< then each step's ring mean (see internal::channel_block)
  Index upsample = 16;           ///< correlation grid: 1 / upsample units
  Index max_lag = 32;            ///< the largest lag the doubling goes to
  double max_displacement_fraction = 0.25;  ///< of the ring size
};

/// A channel's estimated wave speed and the correlations behind it.
struct WaveSpeedEstimate {
  double speed = 0.0;                   ///< units per step, > 0 toward higher unit indices
  Index lag = 0;                        ///< lag of the final estimate
  double peak_correlation = 0.0;        ///< rho_lag at the best shift
  double zero_shift_correlation = 0.0;  ///< rho_lag at shift 0
  /// max over the lags examined of (rho at the best shift - rho at shift 0): how much better moving
  /// explains the later state than staying put. (At the final lag alone a periodic pattern may have
  /// moved by a whole wavelength, where shift 0 fits as well.)
  double correlation_gain = 0.0;
  double lag1_peak_correlation = 0.0;  ///< rho_1 at its best shift
  double energy = 0.0;                 ///< mean square of the mean-removed block
};

namespace internal {

// The cross-correlation machinery for one n x T block (column t = ring at step t).
class RingCorrelation {
 public:
  RingCorrelation(const Matrix<double>& block, Index upsample)
      : n_(block.rows()),
        steps_(block.cols()),
        half_(block.rows() / 2 + 1),
        fine_(upsample * block.rows()),
        spectra_(static_cast<std::size_t>(block.cols() * half_)),
        padded_(static_cast<std::size_t>(fine_ / 2 + 1)),
        correlation_(static_cast<std::size_t>(fine_)),
        energies_(block.colwise().squaredNorm().transpose()),
        inverse_([&] {
          return fftw_plan_dft_c2r_1d(static_cast<int>(fine_), fftw::as_fftw(padded_.data()),
                                      correlation_.data(), FFTW_ESTIMATE);
        }) {
    fftw::Buffer<double> rings(static_cast<std::size_t>(n_ * steps_));
    const int size = static_cast<int>(n_);
    fftw::Plan forward([&] {
      return fftw_plan_many_dft_r2c(1, &size, static_cast<int>(steps_), rings.data(), nullptr, 1,
                                    size, fftw::as_fftw(spectra_.data()), nullptr, 1,
                                    static_cast<int>(half_), FFTW_ESTIMATE);
    });
    std::copy(block.data(), block.data() + n_ * steps_, rings.data());
    forward.execute();
  }

  Index ring_size() const { return n_; }
  Index upsample() const { return fine_ / n_; }
  Index fine_size() const { return fine_; }

  // Fills the fine grid rho_L(j / upsample), j = 0 .. fine_size - 1 (shift j/upsample mod n).
  void compute(Index lag) {
    std::fill(padded_.data(), padded_.data() + padded_.size(), fftw::Complex{});
    for (Index t = 0; t + lag < steps_; ++t) {
      const fftw::Complex* later = spectra_.data() + (t + lag) * half_;
      const fftw::Complex* earlier = spectra_.data() + t * half_;
      for (Index q = 0; q < half_; ++q)
        padded_[static_cast<std::size_t>(q)] += later[q] * std::conj(earlier[q]);
    }
    // An even ring's Nyquist bin stands for +n/2 and -n/2 at once: split it between the two (the
    // c2r transform mirrors it) so that the interpolation is real and symmetric.
    // (With no padding the Nyquist bin is c2r's own last bin and must stay whole.)
    if (n_ % 2 == 0 && fine_ > n_) padded_[static_cast<std::size_t>(n_ / 2)] *= 0.5;
    inverse_.execute();
    const double earlier_energy = energies_.head(steps_ - lag).sum();
    const double later_energy = energies_.tail(steps_ - lag).sum();
    const double norm = std::sqrt(earlier_energy * later_energy);
    const double scale = norm > 0.0 ? 1.0 / (static_cast<double>(n_) * norm) : 0.0;
    for (std::size_t j = 0; j < correlation_.size(); ++j) correlation_[j] *= scale;
  }

  double at(Index j) const {
    const Index wrapped = ((j % fine_) + fine_) % fine_;
    return correlation_[static_cast<std::size_t>(wrapped)];
  }
  // Shift in units of fine index j, in (-n/2, n/2].
  double shift_of(double j) const {
    double s = j / static_cast<double>(upsample());
    const double n = static_cast<double>(n_);
    s = std::fmod(s, n);
    if (s > n / 2) s -= n;
    if (s <= -n / 2) s += n;
    return s;
  }
  // Parabolic refinement around fine index j: returns the fractional index offset in [-0.5, 0.5].
  double parabolic_offset(Index j) const {
    const double left = at(j - 1), centre = at(j), right = at(j + 1);
    const double curvature = left - 2.0 * centre + right;
    if (!(curvature < 0.0)) return 0.0;
    return std::clamp(0.5 * (left - right) / curvature, -0.5, 0.5);
  }

 private:
  Index n_, steps_, half_, fine_;
  fftw::Buffer<fftw::Complex> spectra_;  // T rows of n/2 + 1 bins
  fftw::Buffer<fftw::Complex> padded_;
  fftw::Buffer<double> correlation_;
  Vector<double> energies_;
  fftw::Plan inverse_;
};

}  // namespace internal

/// Estimates the wave speed of an n x T block (column t = ring at step t) already in double.
inline WaveSpeedEstimate estimate_block_wave_speed(const Matrix<double>& block,
                                                   const WaveSpeedOptions& options = {}) {
  const Index n = block.rows(), steps = block.cols();
  if (n < 2 || steps < 3)
    throw ShapeError(
        detail::concat("estimate_wave_speed: expected a ring of >= 2 units and >= 3 "
                       "steps, received ",
                       n, " units and ", steps, " steps"));
  if (!block.allFinite())
    throw NumericalError("estimate_wave_speed: expected finite states, received NaN or infinity");
  // Displacements are read on the ring as shifts in (-n/2, n/2]: half the ring is the most a lag
  // may be allowed to move.
  if (options.upsample < 1 || options.max_lag < 1 || !(options.max_displacement_fraction > 0.0) ||
      options.max_displacement_fraction > 0.5)
    throw ValueError(detail::concat(
        "estimate_wave_speed: expected upsample >= 1, max_lag >= 1 and "
        "max_displacement_fraction in (0, 0.5], received ",
        options.upsample, ", ", options.max_lag, ", ", options.max_displacement_fraction));
  WaveSpeedEstimate estimate;
  estimate.energy = block.squaredNorm() / static_cast<double>(block.size());
  if (!(estimate.energy > 0.0)) return estimate;  // nothing varies: speed 0, correlation 0

  internal::RingCorrelation correlation(block, options.upsample);
  const Index fine = correlation.fine_size();

  // The peaks of rho_L within 5% of its maximum (near-equal alternatives; one for a single bump,
  // one per wavelength for a periodic pattern), as fine indices.
  auto candidate_peaks = [&correlation, fine]() {
    double best = -std::numeric_limits<double>::infinity();
    for (Index j = 0; j < fine; ++j) best = std::max(best, correlation.at(j));
    const double tolerance = 0.05 * std::abs(best);
    std::vector<Index> peaks;
    for (Index j = 0; j < fine; ++j) {
      const double value = correlation.at(j);
      if (value >= best - tolerance && value >= correlation.at(j - 1) &&
          value > correlation.at(j + 1))
        peaks.push_back(j);
    }
    return peaks;
  };
  // The candidate whose displacement is closest to `predicted` (units), refined by the parabola.
  auto nearest_peak = [&](double predicted) {
    double best_distance = std::numeric_limits<double>::infinity();
    double best_displacement = 0.0;
    Index best_j = 0;
    for (Index j : candidate_peaks()) {
      const double displacement =
          correlation.shift_of(static_cast<double>(j) + correlation.parabolic_offset(j));
      if (std::abs(displacement - predicted) < best_distance) {
        best_distance = std::abs(displacement - predicted);
        best_displacement = displacement;
        best_j = j;
      }
    }
    return std::make_pair(best_j, best_displacement);
  };

  // 1. Lag 1: among near-equal peaks the smallest shift (the slowest consistent speed).
  correlation.compute(1);
  auto [peak, displacement] = nearest_peak(0.0);
  estimate.speed = displacement;
  estimate.lag = 1;
  estimate.peak_correlation = estimate.lag1_peak_correlation = correlation.at(peak);
  estimate.zero_shift_correlation = correlation.at(0);
  estimate.correlation_gain = estimate.peak_correlation - estimate.zero_shift_correlation;

  // 2. Double the lag while the displacement stays a modest part of the ring, each time taking the
  //    near-maximal peak closest to the displacement the current speed predicts.
  const Index lag_limit = std::min(options.max_lag, (steps - 1) / 2);
  const double max_displacement = options.max_displacement_fraction * static_cast<double>(n);
  for (Index lag = 2; lag <= lag_limit; lag *= 2) {
    const double predicted = estimate.speed * static_cast<double>(lag);
    if (std::abs(predicted) > max_displacement) break;
    correlation.compute(lag);
    std::tie(peak, displacement) = nearest_peak(predicted);
    // A pattern that decorrelates (a decaying or irregular wave) is measured at the last lag at
    // which it still held together.
    if (correlation.at(peak) < 0.5 * estimate.peak_correlation) break;
    estimate.speed = displacement / static_cast<double>(lag);
    estimate.lag = lag;
    estimate.peak_correlation = correlation.at(peak);
    estimate.zero_shift_correlation = correlation.at(0);
    estimate.correlation_gain = std::max(
        estimate.correlation_gain, estimate.peak_correlation - estimate.zero_shift_correlation);
  }
  return estimate;
}

/// The wave speed of channel `channel` of `states` (input convention of state_recording.hpp).
/// \throws ShapeError, ValueError when states does not match (channels, ring_size), has fewer
///         than 3 steps or `channel` is out of range. \throws NumericalError when a state is not
///         finite.
template <class Derived>
WaveSpeedEstimate estimate_wave_speed(const Eigen::MatrixBase<Derived>& states, Index channels,
                                      Index ring_size, Index channel,
                                      const WaveSpeedOptions& options = {}) {
  require_states_shape("estimate_wave_speed", states, channels, ring_size, 3);
  require_finite_states("estimate_wave_speed", states, ring_size);
  if (channel < 0 || channel >= channels)
    throw ValueError(detail::concat("estimate_wave_speed: expected channel in [0, ", channels,
                                    "), received ", channel));
  return estimate_block_wave_speed(
      internal::channel_block(states, channel, ring_size, options.remove_unit_mean,
                              options.remove_step_mean),
      options);
}

}  // namespace wrnn::analysis
