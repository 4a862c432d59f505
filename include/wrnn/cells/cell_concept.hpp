/// \file
/// The cell concept: the small surface every recurrent cell (wave, dense, LSTM, GRU) offers, so
/// that SequenceModel, the trainer, the benchmarks and the weight I/O treat all cells alike.
///
/// A Cell type provides:
/// \verbatim
///   using Scalar;  using Options;            float for speed, double for gradient checks
///   static constexpr StateLayout state_layout
///                           how the model lays out a batch's states and the matrices shaped
///                           like them (state_layout.hpp): sample_columns, where the maps below
///                           are column-major (MatrixMap), or sample_lanes, row-major
///                           (RowMatrixMap); "MatrixMap" below means the layout's map
///   explicit Cell(const Options&);          validates sizes, throws wrnn::ValueError
///   Index input_size()      d
///   Index state_size()      S: values per sample in the recurrent state (LSTM: [h; c] = 2H)
///   Index output_size()     the leading rows of the state that the readout sees (LSTM: H)
///   Index projection_size() P: rows of the input projection p_t = Wx x_t + bx (LSTM: 4H)
///   Index tape_size()       extra values per sample and step that backward needs beyond the
///                           states h_{t-1}, h_t (LSTM: its gate activations); 0 if none
///   Parameter<Scalar>& input_weight(), input_bias()
///                           Wx [P, d] and bx [P]; they MUST be parameters()[0] and [1]: the
///                           model computes p_t itself, step by step before forward_step, and
///                           their gradients from dL/dp_t during the reverse sweep
///   std::vector<Parameter<Scalar>*> parameters()
///                           names relative to the cell, PyTorch's ("Wx.weight", "weight_ih_l0");
///                           wrnn's cells get these and the accessors from CellParameters
///                           (cell_parameters.hpp)
///   void init(Rng&)
///   void forward_step(ConstMatrixMap projected /*P x b*/, ConstMatrixMap state_prev /*S x b*/,
///                     MatrixMap state_next /*S x b*/, MatrixMap tape /*tape_size x b*/) const
///                           when P == S the model writes p_t into state_next's memory and
///                           passes projected aliasing state_next: the cell must allow that
///   void backward_step(ConstMatrixMap state_prev, ConstMatrixMap state_next, ConstMatrixMap tape,
///                      MatrixMap grad_state_next /*in: dL/dstate_t; then scratch*/,
///                      MatrixMap grad_projected /*out: dL/dp_t*/,
///                      MatrixMap grad_state_prev /*out: dL/dstate_{t-1}, overwritten*/,
///                      Scalar* const* grads /*one pointer per parameter, parameters() order*/)
///                           const; adds the gradients of every parameter except Wx, bx,
///                           skipping a parameter whose pointer is null (frozen:
///                           Parameter::frozen)
///   void step(const Scalar* x, Scalar* state)
///                           streaming: one sample, one step, in place; never allocates
/// \endverbatim
///
/// forward_step and backward_step are const and touch only their arguments, so the model can run
/// disjoint slices of a batch at the same time.
#pragma once
