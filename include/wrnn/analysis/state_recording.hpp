/// \file
/// Getting the hidden states of one sample into the form every analysis function takes.
///
/// The analysis input convention: the states of ONE sample over time as a matrix with
///
///     rows = channels * ring_size units, channel-major (unit i of channel c is row c*n + i),
///     cols = time steps (column t is the state after step t).
///
/// A batched forward pass keeps its states as a (C*n) x ((T+1)*B) column-major buffer in which
/// column t*B + b is sample b after step t (t = 0 is the start state); `extract_sample_states`
/// gathers one sample from it. A streaming loop (one sample, one step at a time) fills a
/// `StateRecorder`, which owns a preallocated matrix and never allocates per step.
#pragma once

#include <Eigen/Core>

#include <cmath>

#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"

/// Recording hidden states and looking at them: space-time images, GIF animations, 2-D spectra,
/// wave speed and the wave verdict. The wrnn::analysis CMake target,
/// <wrnn/analysis/analysis.hpp>; every function takes one sample's states as state_recording.hpp
/// describes.
namespace wrnn::analysis {

/// Checks the (channels, ring_size) description against a states matrix.
/// \throws ValueError when channels or ring_size is below 1.
/// \throws ShapeError when states has not channels * ring_size rows or fewer than min_steps
///         columns.
template <class Derived>
void require_states_shape(const char* what, const Eigen::DenseBase<Derived>& states, Index channels,
                          Index ring_size, Index min_steps = 1) {
  if (channels < 1 || ring_size < 1)
    throw ValueError(detail::concat(what, ": expected channels >= 1 and ring_size >= 1, received ",
                                    channels, " and ", ring_size));
  if (states.rows() != channels * ring_size)
    throw ShapeError(detail::concat(what, ": expected ", channels * ring_size, " rows (channels ",
                                    channels, " x ring_size ", ring_size, "), received ",
                                    states.rows()));
  if (states.cols() < min_steps)
    throw ShapeError(detail::concat(what, ": expected at least ", min_steps,
                                    " time steps (columns), received ", states.cols()));
}

/// Throws NumericalError naming the first NaN or infinity (channel, unit, step): pictures and
/// measures of a diverged model would otherwise be silent garbage.
template <class Derived>
void require_finite_states(const char* what, const Eigen::DenseBase<Derived>& states,
                           Index ring_size) {
  if (states.derived().allFinite()) return;
  for (Index t = 0; t < states.cols(); ++t)
    for (Index r = 0; r < states.rows(); ++r)
      if (!std::isfinite(static_cast<double>(states(r, t))))
        throw NumericalError(detail::concat(what, ": expected finite states, received ",
                                            static_cast<double>(states(r, t)), " at channel ",
                                            r / ring_size, ", unit ", r % ring_size, ", step ", t));
}

namespace internal {

// The channels a function works on: `requested` in its order, or all of them when it is empty;
// throws ValueError for an index outside [0, channels).
inline std::vector<Index> selected_channels(const std::vector<Index>& requested, Index channels,
                                            const char* what) {
  std::vector<Index> list = requested;
  if (list.empty())
    for (Index c = 0; c < channels; ++c) list.push_back(c);
  for (Index c : list)
    if (c < 0 || c >= channels)
      throw ValueError(
          detail::concat(what, ": expected channel indices in [0, ", channels, "), received ", c));
  return list;
}

}  // namespace internal

/// The states of sample `sample` from a batched buffer whose column t*batch + b holds sample b
/// after step t. Returns a (state_size) x (columns / batch) matrix: column t is that sample after
/// step t.
/// \throws ValueError unless batch >= 1 and 0 <= sample < batch.
/// \throws ShapeError when the buffer's columns are not a multiple of batch.
template <class Scalar>
Matrix<Scalar> extract_sample_states(const Matrix<Scalar>& all_states, Index batch, Index sample) {
  if (batch < 1)
    throw ValueError(
        detail::concat("extract_sample_states: expected batch >= 1, received ", batch));
  if (sample < 0 || sample >= batch)
    throw ValueError(detail::concat("extract_sample_states: expected sample in [0, ", batch,
                                    "), received ", sample));
  if (all_states.cols() % batch != 0)
    throw ShapeError(
        detail::concat("extract_sample_states: expected a number of columns divisible "
                       "by the batch size ",
                       batch, ", received ", all_states.cols()));
  const Index steps = all_states.cols() / batch;
  Matrix<Scalar> states(all_states.rows(), steps);
  for (Index t = 0; t < steps; ++t) states.col(t) = all_states.col(t * batch + sample);
  return states;
}

/// Records the state of one sample step by step into a matrix allocated once.
///
/// \code
/// StateRecorder<float> recorder(C * n, T + 1);
/// recorder.record(h);              // h_0
/// for (...) { cell.step(x, h); recorder.record(h); }
/// write_space_time_png("waves.png", recorder.states(), C, n);
/// \endcode
///
/// record() copies into the next column and never allocates; recording more than `capacity`
/// steps throws ValueError rather than growing.
template <class Scalar>
class StateRecorder {
 public:
  /// A recorder of up to `capacity` states of `state_size` values (the one allocation).
  /// \throws ValueError unless both are >= 1.
  StateRecorder(Index state_size, Index capacity) : buffer_(state_size, capacity) {
    if (state_size < 1 || capacity < 1)
      throw ValueError(
          detail::concat("StateRecorder: expected state_size >= 1 and capacity >= 1, "
                         "received ",
                         state_size, " and ", capacity));
  }

  /// Copies `state` (state_size values, any vector expression) into the next column.
  /// \throws ShapeError when it has another size. \throws ValueError when the recorder is full.
  template <class Derived>
  void record(const Eigen::MatrixBase<Derived>& state) {
    if (state.size() != buffer_.rows())
      throw ShapeError(detail::concat("StateRecorder::record: expected a state of ", buffer_.rows(),
                                      " values, received ", state.size()));
    if (steps_ == buffer_.cols())
      throw ValueError(detail::concat("StateRecorder::record: the recorder is full (capacity ",
                                      buffer_.cols(), " steps)"));
    // Element by element: any vector expression (a column of a batch, a Map) is read in place.
    for (Index i = 0; i < buffer_.rows(); ++i) buffer_(i, steps_) = state(i);
    ++steps_;
  }
  /// Raw-pointer overload for buffers that are not Eigen objects (`state_size` values).
  /// \throws ValueError when the recorder is full.
  void record(const Scalar* state) { record(ConstVectorMap<Scalar>(state, buffer_.rows())); }

  void clear() { steps_ = 0; }                         ///< Forgets the recorded steps.
  Index steps() const { return steps_; }               ///< Steps recorded so far.
  Index capacity() const { return buffer_.cols(); }    ///< Steps it can hold.
  Index state_size() const { return buffer_.rows(); }  ///< Values per state.

  /// The recorded steps so far (a view, no copy): state_size x steps().
  auto states() const { return buffer_.leftCols(steps_); }

 private:
  Matrix<Scalar> buffer_;
  Index steps_ = 0;
};

/// Marks the units that are alive in one sample's states (rows = units, cols = steps): a unit is
/// alive when it is non-zero at some step. `live` holds one flag per unit; the first call sizes
/// it, later calls (other samples of the same model) add to it. Returns how many are alive now.
/// A unit that stays at exactly 0 over every sequence receives no input, and under ReLU gets no
/// gradient either: a model with many such units is smaller than its size says.
template <class Derived>
Index mark_live_units(const Eigen::DenseBase<Derived>& states, std::vector<char>& live) {
  if (live.empty()) live.assign(static_cast<std::size_t>(states.rows()), 0);
  if (static_cast<Index>(live.size()) != states.rows())
    throw ShapeError(detail::concat("mark_live_units: expected ", live.size(),
                                    " units (rows) as in the earlier samples, received ",
                                    states.rows()));
  Index count = 0;
  for (Index unit = 0; unit < states.rows(); ++unit) {
    char& flag = live[static_cast<std::size_t>(unit)];
    if (!flag) flag = (states.row(unit).array() != 0).any() ? 1 : 0;
    count += flag;
  }
  return count;
}

}  // namespace wrnn::analysis
