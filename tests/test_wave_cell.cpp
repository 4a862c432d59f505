// The wave cell's forward pass: the shift and identity inits move a one-hot state exactly as the
// paper says, the batch forward equals a naive evaluation of the formula of docs/model.md, and the
// streaming step equals the batch step.
#include <catch2/catch.hpp>

#include "support/naive_wave_step.hpp"
#include "wrnn/wrnn.hpp"

namespace test_wave_cell {  // see "unity groups" in tests/CMakeLists.txt

namespace {

using wrnn::Index;

wrnn::WaveCellOptions options_for(Index channels, Index ring_size, Index kernel_size,
                                  wrnn::RecurrentInit init, wrnn::Activation activation) {
  wrnn::WaveCellOptions options;
  options.input_size = 2;
  options.channels = channels;
  options.ring_size = ring_size;
  options.kernel_size = kernel_size;
  options.recurrent_init = init;
  options.activation = activation;
  return options;
}

using wrnn_test::naive_wave_step;

}  // namespace

TEST_CASE("shift init moves a one-hot state one unit per step around each ring", "[wave][init]") {
  for (Index k : {Index{3}, Index{5}}) {
    const Index C = 3, n = 7;
    wrnn::WaveCell<double> cell(
        options_for(C, n, k, wrnn::RecurrentInit::shift, wrnn::Activation::identity));
    wrnn::Rng rng(1);
    cell.init(rng);
    cell.recurrent_bias().value.setZero();  // b_u keeps PyTorch's random init; remove it here
    cell.input_weight().value.setZero();
    cell.input_bias().value.setZero();
    // Channel c starts with a single 1 at unit 2c.
    wrnn::Vector<double> state = wrnn::Vector<double>::Zero(C * n);
    for (Index c = 0; c < C; ++c) state[c * n + 2 * c] = 1.0;
    const double x[2] = {0.0, 0.0};
    for (Index t = 1; t <= 2 * n; ++t) {
      cell.step(x, state.data());
      for (Index c = 0; c < C; ++c) {
        // (u (*) h)[i] = h[i + 1]: the bump moves to lower indices, wrapping from 0 to n - 1.
        const Index expected = (((2 * c - t) % n) + n) % n;
        for (Index i = 0; i < n; ++i) REQUIRE(state[c * n + i] == (i == expected ? 1.0 : 0.0));
      }
    }
  }
}

TEST_CASE("identity init holds a one-hot state still", "[wave][init]") {
  const Index C = 2, n = 5;
  wrnn::WaveCell<double> cell(
      options_for(C, n, 3, wrnn::RecurrentInit::identity, wrnn::Activation::relu));
  wrnn::Rng rng(2);
  cell.init(rng);
  cell.recurrent_bias().value.setZero();
  cell.input_weight().value.setZero();
  wrnn::Vector<double> state = wrnn::Vector<double>::Zero(C * n);
  state[3] = 1.0;
  state[n + 1] = 1.0;
  const wrnn::Vector<double> start = state;
  const double x[2] = {0.0, 0.0};
  for (int t = 0; t < 9; ++t) cell.step(x, state.data());
  CHECK(state == start);
}

TEST_CASE("solo input init feeds unit 0 of every channel", "[wave][init]") {
  wrnn::WaveCell<double> cell(
      options_for(3, 4, 3, wrnn::RecurrentInit::shift, wrnn::Activation::relu));
  wrnn::Rng rng(3);
  cell.init(rng);
  const auto V = cell.input_weight().matrix();
  for (Index row = 0; row < V.rows(); ++row)
    for (Index e = 0; e < V.cols(); ++e) CHECK(V(row, e) == (row % 4 == 0 ? 1.0 : 0.0));
  CHECK(cell.input_bias().value.isZero());
  // The recurrent kernel of a shift init is [0, 0, 1] on the channel diagonal, 0 across channels.
  const auto& u = cell.recurrent_weight().value;
  for (Index c = 0; c < 3; ++c)
    for (Index ci = 0; ci < 3; ++ci)
      for (Index j = 0; j < 3; ++j)
        CHECK(u[(c * 3 + ci) * 3 + j] == (c == ci && j == 2 ? 1.0 : 0.0));
}

TEST_CASE("wave forward equals a naive evaluation of the formula", "[wave][forward]") {
  struct Shape {
    Index channels, ring_size, kernel_size;
  };
  for (Shape shape :
       {Shape{1, 6, 3}, Shape{3, 5, 5}, Shape{2, 9, 7}, Shape{4, 3, 5}, Shape{2, 4, 1}})
    for (auto activation :
         {wrnn::Activation::relu, wrnn::Activation::tanh, wrnn::Activation::identity}) {
      INFO("C=" << shape.channels << " n=" << shape.ring_size << " k=" << shape.kernel_size
                << " act=" << wrnn::to_string(activation));
      auto options = options_for(shape.channels, shape.ring_size, shape.kernel_size,
                                 wrnn::RecurrentInit::random, activation);
      options.input_init = wrnn::InputInit::normal;
      wrnn::SequenceModel<wrnn::WaveCell<double>> model(options, wrnn::ReadoutOptions{1},
                                                        wrnn::ModelOptions{2});
      wrnn::Rng rng(11);
      model.init(rng);
      // Random weights everywhere, including every cross-channel tap.
      for (auto& named : model.parameters())
        for (Index i = 0; i < named.parameter->size(); ++i)
          named.parameter->value[i] = rng.uniform(-0.7, 0.7);
      const Index T = 4, B = 3, N = shape.channels * shape.ring_size;
      wrnn::Sequence<double> x(T, B, 2);
      // Every third input zero: the projections skip zero inputs (column_projection.hpp), so
      // steps with one and with two non-zero inputs both occur.
      for (Index i = 0; i < T * B * 2; ++i) x.data()[i] = i % 3 == 1 ? 0.0 : rng.uniform(-1.0, 1.0);
      model.forward(x);
      for (Index b = 0; b < B; ++b) {
        const wrnn::Matrix<double> states = model.sample_states(b);
        std::vector<double> h(static_cast<std::size_t>(N), 0.0);
        for (Index t = 0; t < T; ++t) {
          h = naive_wave_step(model.cell(), h, {x(t, b, 0), x(t, b, 1)});
          for (Index i = 0; i < N; ++i)
            REQUIRE(states(i, t + 1) ==
                    Approx(h[static_cast<std::size_t>(i)]).margin(1e-12).epsilon(0));
        }
      }
      // The streaming step walks the same trajectory for sample 1.
      wrnn::Vector<double> state = wrnn::Vector<double>::Zero(N);
      const wrnn::Matrix<double> states = model.sample_states(1);
      for (Index t = 0; t < T; ++t) {
        const double input[2] = {x(t, 1, 0), x(t, 1, 1)};
        model.cell().step(input, state.data());
        REQUIRE((state - states.col(t + 1)).norm() <= 1e-12);
      }
    }
}

}  // namespace test_wave_cell
