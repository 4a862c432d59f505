// Every parameter's BPTT gradient against central finite differences, in double precision, for
// each cell x activation x readout kind x readout mode x loss, with one and several batch chunks.
#include <catch2/catch.hpp>

#include "wrnn/wrnn.hpp"

namespace {

using wrnn::Index;

template <class SequenceModelType>
double loss_of(SequenceModelType& model, const wrnn::Sequence<double>& x,
               const wrnn::Targets<double>& targets, wrnn::LossKind kind) {
  wrnn::Matrix<double> unused;
  return wrnn::compute_loss(kind, model.forward(x), targets, unused);
}

// Returns the largest normwise relative error ||fd - analytic|| / max(||fd||, ||analytic||)
// over all parameters, and checks every parameter got a non-trivial gradient somewhere.
template <class SequenceModelType>
double max_gradient_error(SequenceModelType& model, const wrnn::Sequence<double>& x,
                          const wrnn::Targets<double>& targets, wrnn::LossKind kind) {
  wrnn::Matrix<double> grad_outputs;
  wrnn::compute_loss(kind, model.forward(x), targets, grad_outputs);
  wrnn::zero_gradients(model.parameters());
  model.backward(grad_outputs);
  const double step = 1e-6;
  double worst = 0.0;
  for (const auto& named : model.parameters()) {
    auto& p = *named.parameter;
    wrnn::Vector<double> numeric(p.size());
    for (Index i = 0; i < p.size(); ++i) {
      const double saved = p.value[i];
      p.value[i] = saved + step;
      const double plus = loss_of(model, x, targets, kind);
      p.value[i] = saved - step;
      const double minus = loss_of(model, x, targets, kind);
      p.value[i] = saved;
      numeric[i] = (plus - minus) / (2 * step);
    }
    const double scale = std::max(numeric.norm(), p.grad.norm());
    INFO(named.name << ": |numeric| = " << numeric.norm() << ", |analytic| = " << p.grad.norm());
    CHECK(scale > 0.0);
    if (scale > 0.0) {
      const double error = (numeric - p.grad).norm() / scale;
      INFO(named.name << " relative error " << error);
      CHECK(error <= 1e-6);
      worst = std::max(worst, error);
    }
  }
  return worst;
}

template <class Cell>
void check_all_configurations(const typename Cell::Options& base_options, const char* label) {
  const Index T = 5, B = 5, d = base_options.input_size, classes = 4;
  for (auto activation :
       {wrnn::Activation::relu, wrnn::Activation::tanh, wrnn::Activation::identity})
    for (auto kind : {wrnn::ReadoutKind::linear, wrnn::ReadoutKind::mlp})
      for (auto mode : {wrnn::ReadoutMode::every_step, wrnn::ReadoutMode::last_step})
        for (auto loss : {wrnn::LossKind::cross_entropy, wrnn::LossKind::mse})
          for (Index chunk : {Index{32}, Index{2}}) {
            auto options = base_options;
            options.activation = activation;
            options.recurrent_init = wrnn::RecurrentInit::random;
            options.input_init = wrnn::InputInit::normal;
            wrnn::ReadoutOptions readout{classes, kind, mode, 7};
            wrnn::SequenceModel<Cell> model(options, readout, wrnn::ModelOptions{chunk});
            wrnn::Rng rng(42);
            model.init(rng);
            // Input weights ~N(0, 0.001^2) would make their gradients vanish into rounding;
            // give them a scale where finite differences are informative.
            for (auto& named : model.parameters())
              for (Index i = 0; i < named.parameter->size(); ++i)
                named.parameter->value[i] = rng.uniform(-0.6, 0.6);
            wrnn::Sequence<double> x(T, B, d);
            for (Index i = 0; i < T * B * d; ++i) x.data()[i] = rng.uniform(-1.0, 1.0);
            wrnn::Targets<double> targets;
            const Index columns = (mode == wrnn::ReadoutMode::every_step ? T : 1) * B;
            for (Index m = 0; m < columns; ++m)
              targets.classes.push_back(static_cast<int>(rng.uniform_int(0, classes)));
            targets.values = wrnn::Matrix<double>::Random(classes, columns);
            INFO(label << " activation " << wrnn::to_string(activation) << ", readout "
                       << wrnn::to_string(kind) << " " << wrnn::to_string(mode) << ", loss "
                       << wrnn::to_string(loss) << ", batch chunk " << chunk);
            max_gradient_error(model, x, targets, loss);
          }
}

}  // namespace

TEST_CASE("wave cell gradients match finite differences", "[gradients][wave]") {
  wrnn::WaveCellOptions options;
  options.input_size = 3;
  options.channels = 2;
  options.ring_size = 5;
  options.kernel_size = 3;
  check_all_configurations<wrnn::WaveCell<double>>(options, "wave C=2 n=5 k=3");
  options.kernel_size = 5;
  options.channels = 3;
  options.ring_size = 4;
  check_all_configurations<wrnn::WaveCell<double>>(options, "wave C=3 n=4 k=5");
}

TEST_CASE("dense cell gradients match finite differences", "[gradients][dense]") {
  wrnn::DenseCellOptions options;
  options.input_size = 3;
  options.hidden_size = 6;
  check_all_configurations<wrnn::DenseCell<double>>(options, "dense N=6");
}
