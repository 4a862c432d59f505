// The dense (iRNN) cell's forward pass: identity and shift inits, a naive evaluation of
// h_t = act(U h_{t-1} + b_U + V x_t + b_V), and the streaming step.
#include <catch2/catch.hpp>

#include "wrnn/wrnn.hpp"

namespace test_dense_cell {  // see "unity groups" in tests/CMakeLists.txt

using wrnn::Index;

TEST_CASE("dense identity init holds a state, shift init rotates it by one unit", "[dense][init]") {
  const Index N = 6;
  for (auto init : {wrnn::RecurrentInit::identity, wrnn::RecurrentInit::shift}) {
    wrnn::DenseCell<double> cell(
        wrnn::DenseCellOptions{1, N, wrnn::Activation::relu, init, wrnn::InputInit::solo});
    wrnn::Rng rng(5);
    cell.init(rng);
    CHECK(cell.recurrent_bias().value.isZero());  // the iRNN starts with b_U = 0
    cell.input_weight().value.setZero();
    wrnn::Vector<double> state = wrnn::Vector<double>::Zero(N);
    state[4] = 1.0;
    const double x = 0.0;
    for (Index t = 1; t <= 2 * N; ++t) {
      cell.step(&x, state.data());
      const Index expected = init == wrnn::RecurrentInit::identity ? 4 : (((4 - t) % N) + N) % N;
      for (Index i = 0; i < N; ++i) REQUIRE(state[i] == (i == expected ? 1.0 : 0.0));
    }
  }
}

TEST_CASE("dense forward equals a naive evaluation and the streaming step", "[dense][forward]") {
  for (auto activation :
       {wrnn::Activation::relu, wrnn::Activation::tanh, wrnn::Activation::identity}) {
    const Index N = 5, d = 3, T = 4, B = 3;
    wrnn::SequenceModel<wrnn::DenseCell<double>> model(
        wrnn::DenseCellOptions{d, N, activation, wrnn::RecurrentInit::random,
                               wrnn::InputInit::normal},
        wrnn::ReadoutOptions{2}, wrnn::ModelOptions{2});
    wrnn::Rng rng(8);
    model.init(rng);
    for (auto& named : model.parameters())
      for (Index i = 0; i < named.parameter->size(); ++i)
        named.parameter->value[i] = rng.uniform(-0.7, 0.7);
    wrnn::Sequence<double> x(T, B, d);
    for (Index i = 0; i < T * B * d; ++i) x.data()[i] = rng.uniform(-1.0, 1.0);
    model.forward(x);
    const auto& cell = model.cell();
    const auto U = cell.recurrent_weight().matrix();
    const auto V = cell.input_weight().matrix();
    for (Index b = 0; b < B; ++b) {
      const wrnn::Matrix<double> states = model.sample_states(b);
      std::vector<double> h(N, 0.0), next(N);
      wrnn::Vector<double> streamed = wrnn::Vector<double>::Zero(N);
      for (Index t = 0; t < T; ++t) {
        for (Index i = 0; i < N; ++i) {
          double z = cell.recurrent_bias().value[i] + cell.input_bias().value[i];
          for (Index j = 0; j < N; ++j) z += U(i, j) * h[static_cast<std::size_t>(j)];
          for (Index e = 0; e < d; ++e) z += V(i, e) * x(t, b, e);
          if (activation == wrnn::Activation::relu) z = std::max(z, 0.0);
          if (activation == wrnn::Activation::tanh) z = std::tanh(z);
          next[static_cast<std::size_t>(i)] = z;
        }
        h = next;
        double input[d];
        for (Index e = 0; e < d; ++e) input[e] = x(t, b, e);
        model.cell().step(input, streamed.data());
        for (Index i = 0; i < N; ++i) {
          REQUIRE(states(i, t + 1) ==
                  Approx(h[static_cast<std::size_t>(i)]).margin(1e-12).epsilon(0));
          REQUIRE(streamed[i] == Approx(h[static_cast<std::size_t>(i)]).margin(1e-12).epsilon(0));
        }
      }
    }
  }
}

}  // namespace test_dense_cell
