/// \file
/// The input projection of a chunk of samples kept in SIMD lanes (StateLayout::sample_lanes, the
/// wave cell's layout) and its gradient (LaneProjection):
///
///     p = Wx x + bx                      x: d x b, p: P x b row-major (a row is one unit's
///     samples) dWx += dp x^T,  dbx += sum over the samples of dp
#pragma once

#include <vector>

#include "wrnn/cells/column_projection.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/core/types.hpp"
#include "wrnn/kernels/lane_products.hpp"

namespace wrnn {

/// The input projection of a chunk of samples in lanes, and its gradient, for SequenceModel
/// (input_projection.hpp gives the interface it shares with ColumnProjection).
///
/// Narrow inputs (d <= narrow_input_limit): row u of p is bx[u] plus Wx[u][j] times row j of x
/// for each input j that is not zero in every sample of the chunk (column_projection.hpp says why
/// skipping pays), on the lanes kernels (lane_products.hpp); dWx goes into a column-major
/// accumulator per chunk, added to the row-major gradient once, at the end of the sweep. Wider
/// inputs: one Eigen product per step.
template <class Scalar>
class LaneProjection {
 public:
  using Map = RowMatrixMap<Scalar>;            ///< A P x b block of p or dp, samples in lanes.
  using ConstMap = ConstRowMatrixMap<Scalar>;  ///< A read-only P x b block.

  /// A chunk's scratch: x_t a row per input, the inputs in use, ones to sum over the samples, and
  /// the narrow inputs' dWx accumulator.
  class Workspace {
    friend class LaneProjection;
    RowMatrix<Scalar> input_rows;        // d x b: x_t, a row per input (narrow inputs)
    std::vector<Index> active_inputs;    // the rows of input_rows that are not all zero
    Vector<Scalar> ones;                 // b ones: dbx as a product
    Matrix<Scalar> grad_weight_columns;  // P x d: dWx column-major (narrow inputs)
  };

  /// The projection of d = `input_size` inputs onto P = `projection_size` rows.
  LaneProjection(Index input_size, Index projection_size)
      : input_size_(input_size), projection_size_(projection_size) {}

  /// Sizes a chunk's scratch for b samples.
  void plan(Workspace& w, Index b) const {
    w.ones.setOnes(b);
    if (!narrow()) return;
    w.grad_weight_columns.resize(projection_size_, input_size_);
    w.input_rows.resize(input_size_, b);
    w.active_inputs.reserve(static_cast<std::size_t>(input_size_));
  }

  /// Before a forward: nothing to prepare (the lanes kernels read Wx row-major as it is).
  void load(const Parameter<Scalar>& /*weight*/) {}

  /// p = Wx x + bx for one step of a chunk, each value of p written once.
  void forward(const Parameter<Scalar>& weight, const Parameter<Scalar>& bias,
               ConstMatrixMap<Scalar> x, Map p, Workspace& w) const {
    if (!narrow()) {
      p.colwise() = bias.value;
      p.noalias() += weight.matrix() * x;
      return;
    }
    const Index active = nonzero_input_rows(w, x);
    lanes::affine(weight.value.data(), input_size_, p.rows(), bias.value.data(),
                  w.input_rows.data(), w.active_inputs.data(), active, p.data(), x.cols());
  }

  /// As forward(), for a caller that does not call load() because Wx may change between its steps
  /// (BatchStepper; forward() needs no load() either). One sample (b = 1) goes on the columns of
  /// Wx of its non-zero inputs, as a streaming step does (project_on_columns): a wave step of one
  /// agent (C = 6, n = 100, d = 10) takes 1.0 us this way and 2.3 us on the lanes kernels, which
  /// pad the sample to a register of lanes (bench_agents, M = 1).
  void forward_current(const Parameter<Scalar>& weight, const Parameter<Scalar>& bias,
                       ConstMatrixMap<Scalar> x, Map p, Workspace& w) const {
    if (x.cols() == 1) {
      project_on_columns(weight.matrix(), bias.value, x.data(),
                         VectorMap<Scalar>(p.data(), p.rows()));
      return;
    }
    forward(weight, bias, x, p, w);
  }

  /// Before a reverse sweep: the chunk's accumulator to zero.
  void begin_backward(Workspace& w) const {
    if (narrow()) w.grad_weight_columns.setZero();
  }

  /// dWx += dp x^T into `grad_weight` (P x d row-major) and dbx += the sum of dp over the samples
  /// into `grad_bias`, for one step of a chunk; either may be null (a frozen parameter: skipped).
  /// Narrow inputs go into the chunk's accumulator instead of grad_weight: per input that is not
  /// zero in every sample, or all inputs in one pass from lanes::transposing_rows of them on.
  void add_gradients(ConstMatrixMap<Scalar> x, ConstMap grad_p, Scalar* grad_weight,
                     Scalar* grad_bias, Workspace& w) const {
    const Index P = grad_p.rows(), b = grad_p.cols();
    if (grad_bias != nullptr)
      lanes::add_sample_products(w.ones.data(), 1, grad_p.data(), P, grad_bias, P, b);
    if (grad_weight == nullptr) return;
    if (!narrow()) {
      RowMatrixMap<Scalar>(grad_weight, P, input_size_).noalias() += grad_p * x.transpose();
      return;
    }
    const Index active = nonzero_input_rows(w, x);
    if (active >= lanes::transposing_rows) {
      // Four or more inputs in use at this step: one pass over dL/dp_t for all d rows of x_t
      // (its zero rows add nothing) instead of a pass per input. At d = 10, P = 600, b = 32
      // (the copy shape, 10 symbols in use) 6.4-7.1 -> 3.2-3.6 us per chunk and step (a
      // throwaway timing loop, minimum of 50). The copy task's own inputs use one or two
      // symbols a step after the first ten: those keep the pass per input.
      lanes::add_sample_products(w.input_rows.data(), w.input_rows.rows(), grad_p.data(), P,
                                 w.grad_weight_columns.data(), P, b);
      return;
    }
    for (Index a = 0; a < active; ++a) {
      const Index j = w.active_inputs[static_cast<std::size_t>(a)];
      lanes::add_sample_products(w.input_rows.row(j).data(), 1, grad_p.data(), P,
                                 w.grad_weight_columns.col(j).data(), P, b);
    }
  }

  /// After a reverse sweep: the chunk's accumulator into `grad_weight` (null: frozen, skipped).
  void end_backward(Scalar* grad_weight, const Workspace& w) const {
    if (narrow() && grad_weight != nullptr)
      RowMatrixMap<Scalar>(grad_weight, projection_size_, input_size_) += w.grad_weight_columns;
  }

 private:
  bool narrow() const { return input_size_ <= narrow_input_limit; }

  // Copies x (d x b) into the rows of inputs and lists the inputs that are not zero in every
  // sample. Returns how many there are.
  static Index nonzero_input_rows(Workspace& w, ConstMatrixMap<Scalar> x) {
    w.input_rows = x;
    w.active_inputs.clear();
    for (Index j = 0; j < x.rows(); ++j)
      if (!w.input_rows.row(j).isZero(0)) w.active_inputs.push_back(j);
    return static_cast<Index>(w.active_inputs.size());
  }

  Index input_size_, projection_size_;
};

}  // namespace wrnn
