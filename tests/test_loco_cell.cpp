// The locally connected cell (LocoCell): hidden states and every parameter's gradient against
// PyTorch autograd of an independently written module (tests/reference/loco_reference.py), BPTT
// through SequenceModel against finite differences, the authors' inits, the streaming step, and
// the model file round trip, and the refusal of shapes PyTorch's circular padding cannot take.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "reference/loco_reference.hpp"
#include "support/gradient_check.hpp"
#include "wrnn/cells/loco.hpp"
#include "wrnn/io/any_model.hpp"
#include "wrnn/io/model_file.hpp"
#include "wrnn/wrnn.hpp"

namespace test_loco_cell {  // see "unity groups" in tests/CMakeLists.txt

using wrnn::Index;

// What the cell computes for one reference case: h[t] (C*n x B row-major, as the cell's
// sample_lanes layout) and the four gradients, in double whatever the cell's Scalar.
struct CellRun {
  std::vector<wrnn::Matrix<double>> states;
  std::vector<wrnn::Vector<double>> grads;  // Wx.weight, Wx.bias, Wy.weight, Wy.bias
};

template <class Scalar>
void fill(wrnn::Parameter<Scalar>& parameter, const std::vector<double>& values) {
  REQUIRE(static_cast<Index>(values.size()) == parameter.size());
  for (Index i = 0; i < parameter.size(); ++i)
    parameter.value[i] = static_cast<Scalar>(values[static_cast<std::size_t>(i)]);
}

// Drives forward_step over the sequence and backward_step back through it, with dL/dh_t = G_t (the
// reference's loss L = sum_t <G_t, h_t>). The input projection p_t = Wx x_t + bx and its
// gradients are computed here, as SequenceModel would.
template <class Scalar>
CellRun run_cell(const loco_reference::Case& c) {
  using RowMatrix = wrnn::RowMatrix<Scalar>;
  wrnn::LocoCell<Scalar> cell(
      wrnn::LocoCellOptions{c.d, c.channels, c.ring, c.kernel, wrnn::parse_activation(c.activation),
                            wrnn::RecurrentInit::random, wrnn::InputInit::normal});
  REQUIRE(cell.parameters()[2]->name == "Wy.weight");
  REQUIRE(cell.parameters()[2]->shape ==
          std::vector<Index>{1, c.channels, c.channels, c.ring, c.kernel});
  REQUIRE(cell.parameters()[3]->shape == std::vector<Index>{1, c.channels, c.ring});
  fill(cell.input_weight(), c.wx);
  fill(cell.input_bias(), c.bx);
  fill(cell.recurrent_weight(), c.wy);
  fill(cell.recurrent_bias(), c.by);
  const Index S = cell.state_size(), B = c.batch, T = c.steps, d = c.d;
  auto x_at = [&](Index t, Index b, Index e) {
    return static_cast<Scalar>(c.x[static_cast<std::size_t>((t * B + b) * d + e)]);
  };
  auto g_at = [&](Index t, Index b, Index s) {
    return static_cast<Scalar>(c.g[static_cast<std::size_t>((t * B + b) * S + s)]);
  };
  std::vector<RowMatrix> h(static_cast<std::size_t>(T + 1), RowMatrix::Zero(S, B));
  RowMatrix tape(0, B);
  // The cell takes Eigen maps of row-major blocks, as SequenceModel hands them.
  auto view = [](RowMatrix& m) { return wrnn::RowMatrixMap<Scalar>(m.data(), m.rows(), m.cols()); };
  auto cview = [](const RowMatrix& m) {
    return wrnn::ConstRowMatrixMap<Scalar>(m.data(), m.rows(), m.cols());
  };
  for (Index t = 0; t < T; ++t) {
    RowMatrix projected(S, B);
    for (Index b = 0; b < B; ++b)
      for (Index s = 0; s < S; ++s) {
        Scalar p = cell.input_bias().value[s];
        for (Index e = 0; e < d; ++e) p += cell.input_weight().matrix()(s, e) * x_at(t, b, e);
        projected(s, b) = p;
      }
    const auto u = static_cast<std::size_t>(t);
    cell.forward_step(cview(projected), cview(h[u]), view(h[u + 1]), view(tape));
  }
  std::vector<wrnn::Vector<Scalar>> grads;
  std::vector<Scalar*> pointers;
  for (auto* p : cell.parameters()) grads.push_back(wrnn::Vector<Scalar>::Zero(p->size()));
  for (auto& g : grads) pointers.push_back(g.data());
  RowMatrix carried = RowMatrix::Zero(S, B), grad_projected(S, B), grad_prev(S, B);
  for (Index t = T - 1; t >= 0; --t) {
    RowMatrix grad_next = carried;
    for (Index b = 0; b < B; ++b)
      for (Index s = 0; s < S; ++s) grad_next(s, b) += g_at(t, b, s);
    const auto u = static_cast<std::size_t>(t);
    cell.backward_step(cview(h[u]), cview(h[u + 1]), cview(tape), view(grad_next),
                       view(grad_projected), view(grad_prev), pointers.data());
    for (Index b = 0; b < B; ++b)
      for (Index s = 0; s < S; ++s) {
        grads[1][s] += grad_projected(s, b);
        for (Index e = 0; e < d; ++e) grads[0][s * d + e] += grad_projected(s, b) * x_at(t, b, e);
      }
    carried = grad_prev;
  }
  CellRun run;
  for (Index t = 1; t <= T; ++t)
    run.states.push_back(h[static_cast<std::size_t>(t)].template cast<double>());
  for (auto& g : grads) run.grads.push_back(g.template cast<double>());
  return run;
}

// max |a - b| / max(1, max |b|): relative to the reference's scale, absolute near zero.
double scaled_error(const wrnn::Vector<double>& a, const std::vector<double>& b) {
  REQUIRE(static_cast<std::size_t>(a.size()) == b.size());
  double error = 0.0, scale = 1.0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    error = std::max(error, std::abs(a[static_cast<Index>(i)] - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return error / scale;
}

template <class Scalar>
void compare_with_pytorch(double tolerance) {
  for (const auto& c : loco_reference::all_cases()) {
    INFO(c.name << (sizeof(Scalar) == 4 ? " (float)" : " (double)"));
    const CellRun run = run_cell<Scalar>(c);
    const Index S = c.channels * c.ring, B = c.batch;
    for (Index t = 0; t < c.steps; ++t)
      for (Index b = 0; b < B; ++b)
        for (Index s = 0; s < S; ++s) {
          INFO("h at step " << t + 1 << ", sample " << b << ", unit " << s);
          REQUIRE(run.states[static_cast<std::size_t>(t)](s, b) ==
                  Approx(c.h[static_cast<std::size_t>((t * B + b) * S + s)])
                      .margin(tolerance)
                      .epsilon(0));
        }
    const std::vector<const std::vector<double>*> expected{&c.grad_wx, &c.grad_bx, &c.grad_wy,
                                                           &c.grad_by};
    const char* names[] = {"Wx.weight", "Wx.bias", "Wy.weight", "Wy.bias"};
    for (std::size_t p = 0; p < expected.size(); ++p) {
      INFO("gradient of " << names[p]);
      CHECK(scaled_error(run.grads[p], *expected[p]) <= tolerance);
    }
  }
}

TEST_CASE("loco cell states and gradients equal PyTorch autograd's", "[loco][pytorch]") {
  compare_with_pytorch<double>(1e-12);
  compare_with_pytorch<float>(2e-5);
}

TEST_CASE("loco cell BPTT gradients equal finite differences", "[loco][gradients]") {
  for (auto activation : {wrnn::Activation::tanh, wrnn::Activation::relu}) {
    wrnn::LocoCellOptions options{
        2, 2, 4, 3, activation, wrnn::RecurrentInit::random, wrnn::InputInit::normal};
    wrnn_test::check_gradients_all_configurations<wrnn::LocoCell<double>>(
        options, "loco d=2 C=2 n=4 k=3 " + wrnn::to_string(activation), 0.6);
  }
}

TEST_CASE("loco inits: identity holds, shift moves one unit per step, random is Xavier-uniform",
          "[loco][init]") {
  const Index n = 6, C = 2, k = 3;
  for (auto init : {wrnn::RecurrentInit::identity, wrnn::RecurrentInit::shift}) {
    wrnn::LocoCell<double> cell(
        wrnn::LocoCellOptions{1, C, n, k, wrnn::Activation::relu, init, wrnn::InputInit::solo});
    wrnn::Rng rng(3);
    cell.init(rng);
    CHECK(cell.recurrent_bias().value.isZero());  // the authors' zeros_ on the bias
    cell.input_weight().value.setZero();
    wrnn::Vector<double> state = wrnn::Vector<double>::Zero(C * n);
    state[4] = 1.0;      // channel 0, unit 4
    state[n + 1] = 2.0;  // channel 1, unit 1
    const double x = 0.0;
    for (Index t = 1; t <= 2 * n; ++t) {
      cell.step(&x, state.data());
      const Index moved = init == wrnn::RecurrentInit::identity ? 0 : t;
      for (Index i = 0; i < n; ++i) {
        REQUIRE(state[i] == (i == (((4 - moved) % n) + n) % n ? 1.0 : 0.0));
        REQUIRE(state[n + i] == (i == (((1 - moved) % n) + n) % n ? 2.0 : 0.0));
      }
    }
  }
  wrnn::LocoCell<double> cell(wrnn::LocoCellOptions{
      1, C, n, k, wrnn::Activation::tanh, wrnn::RecurrentInit::random, wrnn::InputInit::normal});
  wrnn::Rng rng(4);
  cell.init(rng);
  // xavier_uniform_ on [1, C, C, n, k]: fan_in = C * C*n*k, fan_out = 1 * C*n*k.
  const double bound = std::sqrt(6.0 / static_cast<double>(C * C * n * k + C * n * k));
  const auto& u = cell.recurrent_weight().value;
  CHECK(u.cwiseAbs().maxCoeff() <= bound);
  CHECK(u.cwiseAbs().maxCoeff() > 0.9 * bound);  // 72 draws reach near the bound
  CHECK(std::abs(u.mean()) < 0.2 * bound);
  CHECK(cell.recurrent_bias().value.isZero());
}

TEST_CASE("loco model states equal the streaming step", "[loco][forward]") {
  const Index d = 2, T = 5, B = 3;
  wrnn::LocoCellOptions options{
      d, 2, 5, 3, wrnn::Activation::tanh, wrnn::RecurrentInit::random, wrnn::InputInit::normal};
  wrnn::SequenceModel<wrnn::LocoCell<double>> model(options, wrnn::ReadoutOptions{2},
                                                    wrnn::ModelOptions{2});
  wrnn::Rng rng(9);
  model.init(rng);
  for (auto& named : model.parameters())
    for (Index i = 0; i < named.parameter->size(); ++i)
      named.parameter->value[i] = rng.uniform(-0.6, 0.6);
  wrnn::Sequence<double> x(T, B, d);
  for (Index i = 0; i < T * B * d; ++i) x.data()[i] = rng.uniform(-1.0, 1.0);
  model.forward(x);
  for (Index b = 0; b < B; ++b) {
    const wrnn::Matrix<double> states = model.sample_states(b);
    wrnn::Vector<double> streamed = wrnn::Vector<double>::Zero(model.cell().state_size());
    for (Index t = 0; t < T; ++t) {
      double input[d] = {x(t, b, 0), x(t, b, 1)};
      model.cell().step(input, streamed.data());
      for (Index s = 0; s < streamed.size(); ++s)
        REQUIRE(states(s, t + 1) == Approx(streamed[s]).margin(1e-12).epsilon(0));
    }
  }
}

TEST_CASE("a loco model file rebuilds the model from its metadata alone", "[loco][io]") {
  const wrnn::LocoCellOptions options{
      2, 2, 5, 3, wrnn::Activation::tanh, wrnn::RecurrentInit::identity, wrnn::InputInit::normal};
  const wrnn::ReadoutOptions readout{3};
  wrnn::SequenceModel<wrnn::LocoCell<double>> saved(options, readout);
  wrnn::Rng rng(11);
  for (auto& named : saved.parameters())
    for (Index i = 0; i < named.parameter->size(); ++i)
      named.parameter->value[i] = rng.normal(0.0, 0.3);
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("wrnn_test_loco_" + std::to_string(rng.uniform_int(0, 1 << 30)) + ".safetensors");
  wrnn::io::save_model(path.string(), saved);
  const wrnn::io::ModelDescription d = wrnn::io::describe_model_file(path.string());
  CHECK(d.cell == "loco");
  CHECK(d.loco.input_size == 2);
  CHECK(d.loco.channels == 2);
  CHECK(d.loco.ring_size == 5);
  CHECK(d.loco.kernel_size == 3);
  CHECK(d.loco.activation == wrnn::Activation::tanh);
  CHECK(d.loco.recurrent_init == wrnn::RecurrentInit::identity);
  CHECK(d.loco.input_init == wrnn::InputInit::normal);
  wrnn::SequenceModel<wrnn::LocoCell<double>> rebuilt(d.loco, d.readout);
  wrnn::io::load_model(path.string(), rebuilt);
  // AnyModel leaves the loco cell out (any_model.hpp says why) and says so.
  CHECK_THROWS_WITH(wrnn::io::load_model(path.string()),
                    Catch::Matchers::Contains("the file has a loco cell"));
  std::filesystem::remove(path);
  for (std::size_t p = 0; p < saved.parameters().size(); ++p) {
    INFO(saved.parameters()[p].name);
    CHECK(rebuilt.parameters()[p].name == saved.parameters()[p].name);
    CHECK(rebuilt.parameters()[p].parameter->value == saved.parameters()[p].parameter->value);
  }
  CHECK(saved.parameters()[2].name == "cell.Wy.weight");
  CHECK(saved.parameters()[3].name == "cell.Wy.bias");
}

TEST_CASE("loco cell refuses shapes circular padding cannot take", "[loco][errors]") {
  using Options = wrnn::LocoCellOptions;
  auto make = [](const Options& o) { wrnn::LocoCell<double> cell(o); };
  CHECK_THROWS_AS(make(Options{1, 1, 4, 4}), wrnn::ValueError);  // even k
  CHECK_THROWS_AS(make(Options{1, 1, 2, 7}), wrnn::ValueError);  // k/2 = 3 > n = 2
  CHECK_THROWS_AS(make(Options{0, 1, 4, 3}), wrnn::ValueError);  // d = 0
  CHECK_THROWS_AS(make(Options{1, 0, 4, 3}), wrnn::ValueError);  // C = 0
  CHECK_NOTHROW(make(Options{1, 1, 4, 9}));                      // k/2 = n: still one ring
}

}  // namespace test_loco_cell
