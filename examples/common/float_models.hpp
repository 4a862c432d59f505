// The models the programs train, SequenceModel<Cell> of float for the wave, LocoCell, iRNN, LSTM
// and GRU cells and seq_image's FlatClassifier<float>, compiled once (float_models.cpp, the target
// wrnn_float_models) for every program and for the tests that link it. A translation unit that
// includes this header declares their explicit instantiation and so leaves the models' forward and
// reverse sweeps, and the cells' kernels and the readouts' products under them, to that one unit:
// each program then compiles only its own code.
#pragma once

#include "wrnn/wrnn.hpp"

namespace wrnn {

extern template class SequenceModel<WaveCell<float>>;
extern template class SequenceModel<LocoCell<float>>;
extern template class SequenceModel<DenseCell<float>>;
extern template class SequenceModel<LSTMCell<float>>;
extern template class SequenceModel<GRUCell<float>>;
extern template class FlatClassifier<float>;

}  // namespace wrnn
