// clang-format off
/// \file
/// The authors' wave measure (their sMNIST utils.Plot_FFT): per channel, the 2-D FFT magnitude of
/// the hidden state divided by that of a time-shuffled copy, and the trace of that ratio, the
/// "diagonal power" their runs log; computed as their code computes it, so that the numbers
/// compare with the paper's. wrnn's own measures (spectrum.hpp, wave_analysis.hpp) centre the
/// block, average several shuffles and follow the speed-1 line; this one does none of that.
///
/// For channel c of a recording of T steps h_1..h_T (the states after each input; not h_0) let
/// X[t][i] = h_{t+1}[c][i] (T x n) and X_s[t][i] = X[perm[t]][i], perm a random permutation of
/// the T steps (their second shuffle permutes a dimension of size 1 and changes nothing, so only
/// time is shuffled). With F the unnormalised 2-D DFT (numpy's and torch's fft2),
///
///     F(X)[p][q] = sum_t sum_i X[t][i] exp(-2 pi i (p t / T + q i / n)),
///
///     normed[q][p]  = |F(X)[p][q]| / |F(X_s)[p][q]|       (n x T: spatial bin q, temporal bin p,
///                                                         unshifted, bin 0 first, as they plot it)
///     diag_power    = trace(normed) = sum_{i < min(n, T)} |F(X)[i][i]| / |F(X_s)[i][i]|
///
/// The ratio at bin (0, 0) is 1 (the sum of X does not depend on the order of its rows), so
/// diag_power counts 1 for it; a bin where |F(X_s)| is 0 gives inf or NaN, as in their code, and
/// is reported as it is. Over the first min(C, max_channels) channels (their max_c = 16): the
/// mean, the population standard deviation (numpy's np.std), max, min and range (max - min) of
/// diag_power. Computed in double (their states are float32; the ratios agree to float rounding).
///
/// Their permutation comes from torch.randperm; here each channel draws its own from a wrnn::Rng
/// seeded with shuffle_seed, or the caller gives the permutations. A single shuffle makes
/// diag_power a random variable: two seeds give different values, as two of their runs would.
// clang-format on
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "wrnn/analysis/spectrum.hpp"
#include "wrnn/analysis/state_recording.hpp"
#include "wrnn/core/rng.hpp"

namespace wrnn::analysis {

/// How authors_fft_measure() shuffles and how many channels it reads.
struct AuthorsFftOptions {
  std::uint64_t shuffle_seed = 0;  ///< seeds each channel's time permutation
  Index max_channels = 16;         ///< their max_c: channels 0..min(C, max_channels) - 1
};

/// One channel of the authors' measure.
struct AuthorsChannelFft {
  Matrix<double> normed;    ///< n x T: |F(X)| / |F(X_s)|, transposed, unshifted
  double diag_power = 0.0;  ///< trace(normed)
};

/// The authors' measure over the channels read, and their summary of diag_power.
struct AuthorsFftMeasure {
  std::vector<AuthorsChannelFft> channels;  ///< channels 0, 1, ... in order
  double mean = 0.0;                        ///< their _diag_power_mean
  double std = 0.0;                         ///< their _diag_power_std (population, np.std)
  double max = 0.0;                         ///< their _diag_power_max
  double min = 0.0;                         ///< their _diag_power_min
  double range = 0.0;                       ///< their _diag_power_range: max - min
};

/// Channel `channel` of `states` ((C*n) x T, column t = h_{t+1}) with its steps reordered by
/// `time_order` (X_s[t] = X[time_order[t]]).
/// \throws ShapeError, ValueError for a shape that is not (channels, ring_size) with at least 2
///         steps, n < 2 (their squeeze() would then drop the spatial axis), a channel out of
///         range, or a time_order that is not a permutation of the T steps; NumericalError for a
///         state that is not finite.
template <class Derived>
AuthorsChannelFft authors_channel_fft(const Eigen::MatrixBase<Derived>& states, Index channels,
                                      Index ring_size, Index channel,
                                      const std::vector<Index>& time_order) {
  const char* what = "authors_channel_fft";
  require_states_shape(what, states, channels, ring_size, 2);
  require_finite_states(what, states, ring_size);
  if (ring_size < 2)
    throw ValueError(detail::concat(what, ": expected ring_size >= 2, received ", ring_size));
  if (channel < 0 || channel >= channels)
    throw ValueError(
        detail::concat(what, ": expected channel in [0, ", channels, "), received ", channel));
  const Index steps = states.cols();
  std::vector<Index> sorted = time_order;
  std::sort(sorted.begin(), sorted.end());
  bool permutation = static_cast<Index>(sorted.size()) == steps;
  for (Index t = 0; permutation && t < steps; ++t)
    permutation = sorted[static_cast<std::size_t>(t)] == t;
  if (!permutation)
    throw ValueError(detail::concat(what, ": expected time_order to be a permutation of the ",
                                    steps, " steps, received ", time_order.size(), " indices"));
  // The n x T column-major block is the row-major T x n array X that fft2_magnitude transforms.
  const Matrix<double> block =
      states.block(channel * ring_size, 0, ring_size, steps).template cast<double>();
  const Matrix<double> magnitude = internal::fft2_magnitude(block);  // T x n
  const Matrix<double> shuffled =
      internal::fft2_magnitude(internal::shuffle_time(block, time_order));
  AuthorsChannelFft result;
  result.normed = (magnitude.array() / shuffled.array()).matrix().transpose();
  result.diag_power = result.normed.diagonal().sum();
  return result;
}

/// The authors' measure with the given permutations, one per channel read (time_orders[c] for
/// channel c; their count sets how many channels are read).
/// \throws as authors_channel_fft(), and ValueError when time_orders is empty or longer than the
///         channels.
template <class Derived>
AuthorsFftMeasure authors_fft_measure(const Eigen::MatrixBase<Derived>& states, Index channels,
                                      Index ring_size,
                                      const std::vector<std::vector<Index>>& time_orders) {
  if (time_orders.empty() || static_cast<Index>(time_orders.size()) > channels)
    throw ValueError(detail::concat("authors_fft_measure: expected 1 to ", channels,
                                    " permutations (one per channel), received ",
                                    time_orders.size()));
  AuthorsFftMeasure measure;
  for (std::size_t c = 0; c < time_orders.size(); ++c)
    measure.channels.push_back(
        authors_channel_fft(states, channels, ring_size, static_cast<Index>(c), time_orders[c]));
  std::vector<double> powers;
  for (const auto& channel : measure.channels) powers.push_back(channel.diag_power);
  const double count = static_cast<double>(powers.size());
  for (double p : powers) measure.mean += p / count;
  double squares = 0.0;
  for (double p : powers) squares += (p - measure.mean) * (p - measure.mean);
  measure.std = std::sqrt(squares / count);
  measure.max = *std::max_element(powers.begin(), powers.end());
  measure.min = *std::min_element(powers.begin(), powers.end());
  measure.range = measure.max - measure.min;
  return measure;
}

/// The authors' measure of the first min(C, max_channels) channels, each shuffled by its own
/// permutation drawn from a wrnn::Rng seeded with options.shuffle_seed.
/// \throws as the overload above, and ValueError when max_channels < 1.
template <class Derived>
AuthorsFftMeasure authors_fft_measure(const Eigen::MatrixBase<Derived>& states, Index channels,
                                      Index ring_size, const AuthorsFftOptions& options = {}) {
  if (options.max_channels < 1)
    throw ValueError(detail::concat("authors_fft_measure: expected max_channels >= 1, received ",
                                    options.max_channels));
  require_states_shape("authors_fft_measure", states, channels, ring_size, 2);
  Rng rng(options.shuffle_seed);
  std::vector<std::vector<Index>> orders;
  for (Index c = 0; c < std::min(channels, options.max_channels); ++c)
    orders.push_back(internal::random_permutation(states.cols(), rng));
  return authors_fft_measure(states, channels, ring_size, orders);
}

}  // namespace wrnn::analysis
