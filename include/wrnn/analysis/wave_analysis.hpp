/// \file
/// Wave / no-wave verdict per channel and over all channels of a recorded hidden state.
///
/// A channel is called a travelling wave when ALL of these hold (thresholds in WaveVerdictRule):
///
/// 1. peak_correlation >= min_peak_correlation (0.25): the ring, shifted by the estimated
///    displacement, matches itself `lag` steps later - a coherent moving pattern carries at least a
///    quarter of the variance - and peak_correlation * sqrt(n (T - lag)) >= min_significance (6):
///    for white noise the correlation at any one shift has standard deviation 1 / sqrt(n (T -
///    lag)), so short or small recordings need a higher correlation;
/// 2. correlation_gain >= min_correlation_gain (0.2): at some lag examined, shifting by the
///    displacement explains clearly more than staying in place (peak minus shift-0 correlation) -
///    the pattern moved rather than stood still;
/// 3. |speed| >= min_speed (0.05 units per step): it moves at a speed worth the name;
/// 4. ridge_contrast >= min_ridge_ratio (2) * ridge_baseline: in the 2-D spectrum the line w =
///    -speed * k carries at least twice the magnitude, relative to time-shuffled copies, that a
///    shuffled copy itself does (spectrum.hpp, "ridge contrast") - the motion is there in the
///    frequency domain too, sustained over the recording, not an artefact of a few steps.
///
/// A stationary pattern fails 2 and 3 (or, once its temporal mean is removed, 1); white noise fails
/// 1 and 4. The first failed condition is named in `reason`. Over channels: the verdict is "wave"
/// when at least `min_wave_fraction` (half) of the channels are waves; the speed summary is the
/// energy-weighted mean over the wave channels (channels with more activity count more), with the
/// mean |speed| alongside because channels may travel in opposite directions.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "wrnn/analysis/spectrum.hpp"
#include "wrnn/analysis/wave_speed.hpp"

namespace wrnn::analysis {

/// The thresholds of the wave verdict (conditions 1 to 4 of the file's comment).
struct WaveVerdictRule {
  double min_peak_correlation = 0.25;  ///< 1: the peak correlation's least value
  double min_significance = 6.0;       ///< 1: peak correlation * sqrt(n (T - lag)), least value
  double min_correlation_gain = 0.2;   ///< 2: the gain of moving over staying, least value
  double min_speed = 0.05;             ///< 3: the least |speed|, units per step
  double min_ridge_ratio = 2.0;        ///< 4: ridge contrast over its shuffled baseline
};

/// How the wave analysis measures and decides.
struct WaveAnalysisOptions {
  WaveSpeedOptions speed;          ///< the speed estimate's options
  SpectrumOptions spectrum;        ///< the spectrum's options
  WaveVerdictRule rule;            ///< the thresholds
  double min_wave_fraction = 0.5;  ///< fraction of channels that must be waves for "wave"
  std::vector<Index> channels;     ///< channels to analyse; empty analyses all
};

/// One channel's measurements and verdict.
struct ChannelWaveAnalysis {
  Index channel = 0;            ///< the channel's index
  WaveSpeedEstimate speed;      ///< speed.speed in units per step, > 0 toward higher indices
  double ridge_contrast = 0.0;  ///< ridge contrast of |F| at the estimated speed
  double ridge_baseline = 0.0;  ///< the same for a shuffled copy (about 1)
  DiagonalPower diagonal;       ///< the authors' speed-1 score, both diagonals, and its baseline
  bool is_wave = false;         ///< whether all four conditions hold
  std::string reason;           ///< "wave" or the first failed condition
};

/// The verdict over all analysed channels of one sample's states.
struct WaveAnalysis {
  std::vector<ChannelWaveAnalysis> channels;  ///< one per analysed channel, in order
  Index wave_channels = 0;                    ///< how many are waves
  double wave_fraction = 0.0;                 ///< wave_channels / channels.size()
  /// @{
  /// Energy-weighted mean speed and mean |speed| over the wave channels (NaN when there are
  /// none).
  double mean_speed = std::numeric_limits<double>::quiet_NaN();
  double mean_abs_speed = std::numeric_limits<double>::quiet_NaN();
  /// @}
  double mean_diagonal_power = 0.0;     ///< mean over channels of max(positive, negative)
  double mean_diagonal_baseline = 0.0;  ///< mean over channels of the diagonal power's baseline
  bool is_wave = false;  ///< at least one wave channel and wave_fraction >= min_wave_fraction
};

/// Applies the rule to measured numbers; returns "wave" or the first failed condition.
/// `pairs` is n * (T - lag), the number of unit pairs behind the peak correlation.
inline std::string wave_verdict_reason(const WaveSpeedEstimate& speed, double pairs,
                                       double ridge_contrast, double ridge_baseline,
                                       const WaveVerdictRule& rule) {
  if (!(speed.energy > 0.0)) return "no temporal variation";
  if (!(speed.peak_correlation >= rule.min_peak_correlation))
    return detail::concat("peak correlation ", format_number(speed.peak_correlation), " < ",
                          rule.min_peak_correlation);
  if (!(speed.peak_correlation * std::sqrt(pairs) >= rule.min_significance))
    return detail::concat("peak correlation ", format_number(speed.peak_correlation), " is only ",
                          format_number(speed.peak_correlation * std::sqrt(pairs)),
                          " noise standard deviations (< ", rule.min_significance, ")");
  if (!(speed.correlation_gain >= rule.min_correlation_gain))
    return detail::concat("correlation gain over shift 0 is ",
                          format_number(speed.correlation_gain), " < ", rule.min_correlation_gain);
  if (!(std::abs(speed.speed) >= rule.min_speed))
    return detail::concat("|speed| ", format_number(std::abs(speed.speed)), " < ", rule.min_speed);
  if (!(ridge_contrast >= rule.min_ridge_ratio * ridge_baseline))
    return detail::concat("ridge contrast ", format_number(ridge_contrast), " < ",
                          rule.min_ridge_ratio, " x shuffled baseline ",
                          format_number(ridge_baseline));
  return "wave";
}

/// Measures one channel (speed, spectrum, diagonal power) and applies the rule.
/// \throws as estimate_wave_speed() and compute_space_time_spectrum() do.
template <class Derived>
ChannelWaveAnalysis analyze_channel_wave(const Eigen::MatrixBase<Derived>& states, Index channels,
                                         Index ring_size, Index channel,
                                         const WaveAnalysisOptions& options = {}) {
  ChannelWaveAnalysis result;
  result.channel = channel;
  result.speed = estimate_wave_speed(states, channels, ring_size, channel, options.speed);
  const SpaceTimeSpectrum spectrum =
      compute_space_time_spectrum(states, channels, ring_size, channel, options.spectrum);
  result.ridge_contrast =
      ridge_contrast(spectrum.magnitude, spectrum.shuffled_magnitude, result.speed.speed);
  result.ridge_baseline =
      ridge_contrast(spectrum.baseline_magnitude, spectrum.shuffled_magnitude, result.speed.speed);
  result.diagonal = diagonal_power(spectrum);
  const double pairs = static_cast<double>(ring_size * (states.cols() - result.speed.lag));
  result.reason = wave_verdict_reason(result.speed, pairs, result.ridge_contrast,
                                      result.ridge_baseline, options.rule);
  result.is_wave = result.reason == "wave";
  return result;
}

/// Analyses every (chosen) channel of one sample's states and aggregates the verdicts.
/// \throws ValueError for a chosen channel out of range or min_wave_fraction outside [0, 1];
///         else as analyze_channel_wave().
template <class Derived>
WaveAnalysis analyze_waves(const Eigen::MatrixBase<Derived>& states, Index channels,
                           Index ring_size, const WaveAnalysisOptions& options = {}) {
  require_states_shape("analyze_waves", states, channels, ring_size, 3);
  require_finite_states("analyze_waves", states, ring_size);
  if (!(options.min_wave_fraction >= 0.0 && options.min_wave_fraction <= 1.0))
    throw ValueError(
        detail::concat("analyze_waves: expected min_wave_fraction in [0, 1], received ",
                       options.min_wave_fraction));
  WaveAnalysis analysis;
  double weight_sum = 0.0, speed_sum = 0.0, abs_speed_sum = 0.0;
  for (Index c : internal::selected_channels(options.channels, channels, "analyze_waves")) {
    analysis.channels.push_back(analyze_channel_wave(states, channels, ring_size, c, options));
    const ChannelWaveAnalysis& channel = analysis.channels.back();
    analysis.mean_diagonal_power += channel.diagonal.best();
    analysis.mean_diagonal_baseline += channel.diagonal.baseline;
    if (!channel.is_wave) continue;
    ++analysis.wave_channels;
    weight_sum += channel.speed.energy;
    speed_sum += channel.speed.energy * channel.speed.speed;
    abs_speed_sum += channel.speed.energy * std::abs(channel.speed.speed);
  }
  const auto count = static_cast<double>(analysis.channels.size());
  analysis.mean_diagonal_power /= count;
  analysis.mean_diagonal_baseline /= count;
  analysis.wave_fraction = static_cast<double>(analysis.wave_channels) / count;
  if (weight_sum > 0.0) {
    analysis.mean_speed = speed_sum / weight_sum;
    analysis.mean_abs_speed = abs_speed_sum / weight_sum;
  }
  analysis.is_wave =
      analysis.wave_channels > 0 && analysis.wave_fraction >= options.min_wave_fraction;
  return analysis;
}

}  // namespace wrnn::analysis
