/// \file
/// M independent agents stepped together through one model's cell and readout, sharing its
/// weights (BatchStepper).
#pragma once

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "wrnn/cells/input_projection.hpp"
#include "wrnn/core/error.hpp"
#include "wrnn/core/state_layout.hpp"
#include "wrnn/kernels/circular_conv.hpp"
#include "wrnn/model/sequence_model.hpp"

namespace wrnn {

/// M independent agents (a simulation's creatures, a batch of streams) stepped together, one
/// input each per step, through one model's cell and readout: the model's weights are shared,
/// each agent has its own state. A step is what SequenceModel::step does for each agent, on the
/// batch kernels the model trains with: the input projection of the cell's state layout
/// (input_projection.hpp), the wave cell's samples-in-lanes convolution
/// (circular_conv_lanes.hpp), and one matrix product per step for the dense, LSTM and GRU cells.
///
/// \code
/// wrnn::BatchStepper<wrnn::WaveCell<float>> agents(model, 1024);
/// wrnn::Matrix<float> inputs(d, 1024), outputs(o, 1024);     // column m: agent m
/// for (...) { /* fill inputs */ agents.step(inputs, outputs); }
/// \endcode
///
/// The agents are cut into chunks of ModelOptions::batch_chunk (as a model cuts a batch), which
/// run on the model's thread pool; each agent's result does not depend on the thread count.
/// Steppers hold their own states and workspace and read the model's weights at every step
/// (training between steps is seen at the next one), so several may share one model, from
/// different threads too. The model must outlive the stepper and stay where it is (not moved).
///
/// step() does not allocate once every thread that runs chunks has run one (the constructor
/// runs one on the calling thread; a model of one thread runs every chunk there).
template <class Cell>
class BatchStepper {
 public:
  using Scalar = typename Cell::Scalar;  ///< The cell's scalar type.

  /// `agents` agents of `model`, every state zero.
  /// \throws ValueError when agents is not positive.
  BatchStepper(const SequenceModel<Cell>& model, Index agents)
      : model_(&model),
        agents_(agents),
        projection_(model.cell().input_size(), model.cell().projection_size()) {
    require_positive("BatchStepper agents", agents);
    const Cell& cell = model.cell();
    const Readout<Scalar>& readout = model.readout();
    const Index chunk_size = std::min(agents, model.model_options().batch_chunk);
    for (Index first = 0; first < agents; first += chunk_size) {
      Chunk chunk;
      chunk.first = first;
      chunk.size = std::min(chunk_size, agents - first);
      const Index b = chunk.size;
      for (auto& states : chunk.states) states = Matrix<Scalar>::Zero(cell.state_size(), b);
      if (!projects_into_states()) chunk.projected.resize(cell.projection_size(), b);
      chunk.inputs.resize(cell.input_size(), b);
      projection_.plan(chunk.projection, b);
      chunk.tape.resize(cell.tape_size(), b);
      chunk.hidden.resize(readout.hidden_size(), b);
      chunk.outputs.resize(readout.output_size(), b);
      if constexpr (state_layout == StateLayout::sample_lanes) {
        if (b == 1) chunk.scratch.reserve(circular_conv_scratch_size<Scalar>(cell.conv_shape()));
      }
      chunks_.push_back(std::move(chunk));
    }
    // One step on zero inputs, then zero states again: the kernels' per-thread scratch is sized
    // here, not in the first step().
    Matrix<Scalar> inputs = Matrix<Scalar>::Zero(cell.input_size(), agents);
    Matrix<Scalar> outputs(readout.output_size(), agents);
    for (Chunk& chunk : chunks_) step_chunk(chunk, inputs, outputs);
    reset();
  }

  Index agents() const { return agents_; }  ///< M.
  /// The values of one agent's state, as SequenceModel::step lays them out.
  Index state_size() const { return model_->cell().state_size(); }

  /// Every agent's state back to zero (the start of a sequence).
  void reset() {
    for (Chunk& chunk : chunks_) chunk.states[current_].setZero();
  }
  /// One agent's state back to zero. \throws ValueError when agent is not in [0, M).
  void reset(Index agent) {
    const auto [chunk, column] = locate(agent);
    Scalar* states = chunks_[chunk].states[current_].data();
    for (Index i = 0; i < state_size(); ++i) states[state_offset(chunk, column, i)] = Scalar(0);
  }
  /// Copies one agent's state (state_size() values) to `state`.
  /// \throws ValueError when agent is not in [0, M).
  void read_state(Index agent, Scalar* state) const {
    const auto [chunk, column] = locate(agent);
    const Scalar* states = chunks_[chunk].states[current_].data();
    for (Index i = 0; i < state_size(); ++i) state[i] = states[state_offset(chunk, column, i)];
  }
  /// Sets one agent's state from `state` (state_size() values).
  /// \throws ValueError when agent is not in [0, M).
  void write_state(Index agent, const Scalar* state) {
    const auto [chunk, column] = locate(agent);
    Scalar* states = chunks_[chunk].states[current_].data();
    for (Index i = 0; i < state_size(); ++i) states[state_offset(chunk, column, i)] = state[i];
  }

  /// One step of every agent: column m of `inputs` (d x M) is agent m's input, column m of
  /// `outputs` (o x M) receives the readout of its new state.
  /// \throws ShapeError when inputs is not d x M or outputs not o x M.
  void step(const Eigen::Ref<const Matrix<Scalar>>& inputs, Eigen::Ref<Matrix<Scalar>> outputs) {
    require_size("BatchStepper::step input rows d", model_->cell().input_size(), inputs.rows());
    require_size("BatchStepper::step input columns M", agents_, inputs.cols());
    require_size("BatchStepper::step output rows o", model_->readout().output_size(),
                 outputs.rows());
    require_size("BatchStepper::step output columns M", agents_, outputs.cols());
    model_->thread_pool().parallel_for(static_cast<Index>(chunks_.size()), [&](Index c) {
      step_chunk(chunks_[static_cast<std::size_t>(c)], inputs, outputs);
    });
    current_ ^= 1;
  }

 private:
  static constexpr StateLayout state_layout = Cell::state_layout;
  using StateMap = typename LayoutMaps<Scalar, state_layout>::Map;
  using ConstStateMap = typename LayoutMaps<Scalar, state_layout>::ConstMap;
  using Projection = InputProjection<Scalar, state_layout>;

  // A slice of the agents, its matrices in the cell's state layout (state_layout.hpp).
  struct Chunk {
    Index first = 0, size = 0;  // agents [first, first + size)
    std::array<Matrix<Scalar>, 2>
        states;                // S x b: h_t in states[current_], then h_{t+1} in the other
    Matrix<Scalar> projected;  // P x b: p_t (unless P == S: then in the new state's place)
    Matrix<Scalar> inputs;     // d x b: the chunk's x_t, contiguous
    typename Projection::Workspace projection;  // the input projection's scratch
    Matrix<Scalar> tape;                        // the cell's tape x b, unused after the step
    Matrix<Scalar> hidden, outputs;             // the readout's hidden layer and outputs, x b
    ScratchBuffer<Scalar> scratch;  // the single-sample wave kernel's (a chunk of one agent)
  };

  static StateMap block(Matrix<Scalar>& m) { return {m.data(), m.rows(), m.cols()}; }
  static ConstStateMap const_block(const Matrix<Scalar>& m) {
    return {m.data(), m.rows(), m.cols()};
  }

  bool projects_into_states() const {
    return model_->cell().projection_size() == model_->cell().state_size();
  }

  // The chunk of an agent (every chunk but the last has the first one's size) and its column.
  std::pair<std::size_t, Index> locate(Index agent) const {
    if (agent < 0 || agent >= agents_)
      throw ValueError(detail::concat("BatchStepper: expected an agent in [0, ", agents_,
                                      "), received ", agent));
    const Index chunk_size = chunks_.front().size;
    return {static_cast<std::size_t>(agent / chunk_size), agent % chunk_size};
  }

  // Where value i of the state of the agent in `column` of a chunk is, in the chunk's states.
  Index state_offset(std::size_t chunk, Index column, Index i) const {
    return state_layout == StateLayout::sample_lanes ? i * chunks_[chunk].size + column
                                                     : column * state_size() + i;
  }

  // The same step as SequenceModel's forward over one chunk, from states[current_] into the other.
  template <class Inputs, class Outputs>
  void step_chunk(Chunk& chunk, const Inputs& all_inputs, Outputs& all_outputs) const {
    const Cell& cell = model_->cell();
    const Index b = chunk.size;
    chunk.inputs = all_inputs.middleCols(chunk.first, b);
    Matrix<Scalar>& next = chunk.states[current_ ^ 1];
    StateMap projected = projects_into_states() ? block(next) : block(chunk.projected);
    const ConstMatrixMap<Scalar> x(chunk.inputs.data(), chunk.inputs.rows(), b);
    projection_.forward_current(cell.input_weight(), cell.input_bias(), x, projected,
                                chunk.projection);
    // One agent in the lanes layout: its state is one column, as WaveCell::step keeps it.
    const bool one_lanes_sample = state_layout == StateLayout::sample_lanes && b == 1;
    if (!one_lanes_sample) {
      cell.forward_step(ConstStateMap(projected.data(), projected.rows(), b),
                        const_block(chunk.states[current_]), block(next), block(chunk.tape));
    } else if constexpr (state_layout == StateLayout::sample_lanes) {
      // One agent: the single-sample kernel WaveCell::step runs, as the readout's column kernels
      // below (the lanes kernels pad a sample to a register of lanes). p_t is in h_{t+1}'s
      // place, which the kernel turns into it.
      circular_conv_forward_activation(cell.conv_shape(), cell.recurrent_weight().value.data(),
                                       cell.recurrent_bias().value.data(),
                                       chunk.states[current_].data(), next.data(), Index{1},
                                       cell.options().activation, chunk.scratch);
    }
    const Readout<Scalar>& readout = model_->readout();
    if (one_lanes_sample) {  // one sample: the same memory
      readout.forward(ConstMatrixMap<Scalar>(next.data(), cell.output_size(), 1),
                      MatrixMap<Scalar>(chunk.hidden.data(), chunk.hidden.rows(), 1),
                      MatrixMap<Scalar>(chunk.outputs.data(), chunk.outputs.rows(), 1));
      all_outputs.col(chunk.first) = chunk.outputs.col(0);
      return;
    }
    readout.forward(
        LayoutMaps<Scalar, state_layout>::leading_rows(static_cast<const Scalar*>(next.data()),
                                                       next.rows(), cell.output_size(), b),
        block(chunk.hidden), block(chunk.outputs));
    all_outputs.middleCols(chunk.first, b) = const_block(chunk.outputs);
  }

  const SequenceModel<Cell>* model_;
  Index agents_;
  Projection projection_;  // the model's input projection, on Wx as it is at each step
  std::vector<Chunk> chunks_;
  std::size_t current_ = 0;  // which of each chunk's two state matrices holds the agents' states
};

}  // namespace wrnn
