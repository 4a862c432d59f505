// The one unit that compiles the programs' models (float_models.hpp says why).
#include "common/float_models.hpp"

namespace wrnn {

template class SequenceModel<WaveCell<float>>;
template class SequenceModel<LocoCell<float>>;
template class SequenceModel<DenseCell<float>>;
template class SequenceModel<LSTMCell<float>>;
template class SequenceModel<GRUCell<float>>;
template class FlatClassifier<float>;

}  // namespace wrnn
