// The embedding API, for programs that run a model inside a simulation: readout outputs that
// cannot be lost in a temporary, SequenceModel moved and returned from a factory, the one-sample
// model.step against infer, and models sharing one thread pool.
#include <unistd.h>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/allocation_counter.hpp"
#include "wrnn/io/any_model.hpp"
#include "wrnn/model/batch_stepper.hpp"
#include "wrnn/wrnn.hpp"

namespace test_embedding {  // see "unity groups" in tests/CMakeLists.txt

using wrnn::Index;

namespace {

// Whether readout.forward(inputs, Out, Out) compiles.
template <class Out, class = void>
struct ForwardAccepts : std::false_type {};
template <class Out>
struct ForwardAccepts<Out, std::void_t<decltype(std::declval<const wrnn::Readout<float>&>().forward(
                               std::declval<const wrnn::Matrix<float>&>(), std::declval<Out>(),
                               std::declval<Out>()))>> : std::true_type {};

wrnn::WaveCellOptions small_wave() {
  wrnn::WaveCellOptions wave;
  wave.input_size = 3;
  wave.channels = 2;
  wave.ring_size = 11;
  wave.recurrent_init = wrnn::RecurrentInit::random;  // every tap matters
  return wave;
}

wrnn::Sequence<float> random_inputs(Index T, Index B, Index d, wrnn::Rng& rng) {
  wrnn::Sequence<float> x(T, B, d);
  for (Index i = 0; i < T * B * d; ++i) x.data()[i] = static_cast<float>(rng.uniform(-1, 1));
  return x;
}

}  // namespace

TEST_CASE("Readout::forward writes into an Eigen matrix it is given, and refuses a temporary",
          "[embedding]") {
  // A plain Eigen matrix as the outputs: bound by reference, so the result lands in it.
  static_assert(ForwardAccepts<wrnn::Matrix<float>&>::value);
  static_assert(ForwardAccepts<wrnn::MatrixMap<float>>::value);
  // A temporary matrix would take the result away with it: it does not compile.
  static_assert(!ForwardAccepts<wrnn::Matrix<float>>::value);
  static_assert(!ForwardAccepts<const wrnn::Matrix<float>&>::value);

  for (auto kind : {wrnn::ReadoutKind::linear, wrnn::ReadoutKind::mlp}) {
    wrnn::SequenceModel<wrnn::DenseCell<float>> model(wrnn::DenseCellOptions{3, 8},
                                                      {4, kind, wrnn::ReadoutMode::every_step, 5});
    wrnn::Rng rng(2);
    model.init(rng);
    // The simulation loop of the issue: a cell step, then the readout into Eigen matrices.
    wrnn::Matrix<float> hidden(model.readout().hidden_size(), 1),
        out = wrnn::Matrix<float>::Zero(4, 1);
    wrnn::Matrix<float> h = wrnn::Matrix<float>::Zero(8, 1);
    const std::vector<float> x{0.5f, -1.0f, 2.0f};
    model.cell().step(x.data(), h.data());
    model.readout().forward(h, hidden, out);

    // Oracle: the readout's formulas written out with Eigen on the model's parameters.
    const auto& params = model.readout().options().kind == wrnn::ReadoutKind::linear
                             ? std::vector<std::string>{"readout.weight", "readout.bias"}
                             : std::vector<std::string>{"readout.0.weight", "readout.0.bias",
                                                        "readout.2.weight", "readout.2.bias"};
    wrnn::Matrix<float> want;
    if (params.size() == 2) {
      want = model.parameter(params[0]).matrix() * h + model.parameter(params[1]).value;
    } else {
      const wrnn::Matrix<float> r =
          (model.parameter(params[0]).matrix() * h + model.parameter(params[1]).value)
              .cwiseMax(0.0f);
      want = model.parameter(params[2]).matrix() * r + model.parameter(params[3]).value;
    }
    CHECK(out.cwiseAbs().maxCoeff() > 0.0f);
    CHECK((out - want).cwiseAbs().maxCoeff() <= 1e-5f);
  }
}

namespace {

using WaveModel = wrnn::SequenceModel<wrnn::WaveCell<float>>;

WaveModel make_wave_model(std::uint64_t seed) {
  WaveModel model(small_wave(), {4, wrnn::ReadoutKind::mlp, wrnn::ReadoutMode::every_step, 6},
                  wrnn::ModelOptions{5, 2});
  wrnn::Rng rng(seed);
  model.init(rng);
  return model;  // a model returned from a factory: moved
}

struct TrainResult {
  wrnn::Matrix<float> outputs, inferred;
  std::vector<wrnn::Vector<float>> gradients;
};

// forward, backward from fixed output gradients, then infer.
TrainResult train_step(WaveModel& model, const wrnn::Sequence<float>& x) {
  TrainResult result;
  result.outputs = model.forward(x);
  wrnn::Matrix<float> grad =
      wrnn::Matrix<float>::Zero(result.outputs.rows(), result.outputs.cols());
  for (Index i = 0; i < grad.size(); ++i) grad.data()[i] = static_cast<float>(i % 7) - 3.0f;
  wrnn::zero_gradients(model.parameters());
  model.backward(grad);
  for (const auto& named : model.parameters()) result.gradients.push_back(named.parameter->grad);
  result.inferred = model.infer(x);
  return result;
}

void check_same(const TrainResult& a, const TrainResult& b) {
  CHECK(a.outputs == b.outputs);  // bit for bit
  CHECK(a.inferred == b.inferred);
  REQUIRE(a.gradients.size() == b.gradients.size());
  for (std::size_t p = 0; p < a.gradients.size(); ++p) CHECK(a.gradients[p] == b.gradients[p]);
}

// The parameter list points into the model's own cell and readout.
void check_parameters_point_into(WaveModel& model) {
  const auto& list = model.parameters();
  const auto cell = model.cell().parameters();
  const auto readout = model.readout().parameters();
  REQUIRE(list.size() == cell.size() + readout.size());
  for (std::size_t p = 0; p < cell.size(); ++p) CHECK(list[p].parameter == cell[p]);
  for (std::size_t p = 0; p < readout.size(); ++p)
    CHECK(list[cell.size() + p].parameter == readout[p]);
}

}  // namespace

TEST_CASE("a SequenceModel moves, and the moved model trains and infers as the unmoved one",
          "[embedding]") {
  wrnn::Rng rng(7);
  const wrnn::Sequence<float> x = random_inputs(6, 13, 3, rng);
  WaveModel reference(small_wave(), {4, wrnn::ReadoutKind::mlp, wrnn::ReadoutMode::every_step, 6},
                      wrnn::ModelOptions{5, 2});
  wrnn::Rng init(31);
  reference.init(init);
  const TrainResult expected = train_step(reference, x);

  // Returned from a factory.
  WaveModel made = make_wave_model(31);
  check_parameters_point_into(made);
  check_same(train_step(made, x), expected);

  // Moved after a forward: the tape comes along, and backward runs on it.
  WaveModel source = make_wave_model(31);
  const wrnn::Matrix<float> outputs = source.forward(x);
  WaveModel moved(std::move(source));
  check_parameters_point_into(moved);
  wrnn::Matrix<float> grad = wrnn::Matrix<float>::Zero(outputs.rows(), outputs.cols());
  for (Index i = 0; i < grad.size(); ++i) grad.data()[i] = static_cast<float>(i % 7) - 3.0f;
  wrnn::zero_gradients(moved.parameters());
  moved.backward(grad);
  for (std::size_t p = 0; p < expected.gradients.size(); ++p)
    CHECK(moved.parameters()[p].parameter->grad == expected.gradients[p]);

  // Move-assigned over a model of another shape, which it replaces whole.
  wrnn::WaveCellOptions other = small_wave();
  other.ring_size = 5;
  WaveModel assigned(other, {2});
  assigned = make_wave_model(31);
  check_parameters_point_into(assigned);
  check_same(train_step(assigned, x), expected);

  // A weight changed through the parameter list is the weight the moved model runs with.
  assigned.parameter("cell.Wy.bias").value.setConstant(0.25f);
  reference.parameter("cell.Wy.bias").value.setConstant(0.25f);
  CHECK(assigned.infer(x) == reference.infer(x));
}

namespace {

// A model of each cell saved, then loaded without naming its type.
template <class Cell>
void check_load_any(const typename Cell::Options& options, const std::string& kind,
                    wrnn::ReadoutOptions readout) {
  CAPTURE(kind);
  // The same chunks as the loaded model's below: bit-identical outputs need the same cut.
  wrnn::SequenceModel<Cell> saved(options, readout, wrnn::ModelOptions{2});
  wrnn::Rng rng(23);
  saved.init(rng);
  for (const auto& named : saved.parameters())  // nothing left zero or structured by the init
    for (Index i = 0; i < named.parameter->size(); ++i)
      named.parameter->value[i] = static_cast<float>(rng.normal(0.0, 0.3));
  const std::filesystem::path directory = std::filesystem::temp_directory_path() /
                                          ("wrnn_test_embedding_" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory);
  const std::string path = (directory / (kind + ".safetensors")).string();
  wrnn::io::save_model(path, saved);

  wrnn::ModelOptions options_given;  // a non-const lvalue: the type-erased load, not the typed
  options_given.batch_chunk = 2;
  wrnn::AnyModel loaded = wrnn::io::load_model(path, options_given);
  CHECK(loaded.cell_kind() == kind);
  REQUIRE(loaded.get_if<Cell>() != nullptr);
  CHECK(loaded.get_if<Cell>()->model_options().batch_chunk == 2);
  CHECK(loaded.input_size() == options.input_size);
  CHECK(loaded.state_size() == saved.cell().state_size());
  CHECK(loaded.output_size() == readout.output_size);
  CHECK(loaded.readout_options().kind == readout.kind);
  CHECK(loaded.readout_options().mode == readout.mode);
  REQUIRE(loaded.parameters().size() == saved.parameters().size());
  for (std::size_t p = 0; p < saved.parameters().size(); ++p) {
    CHECK(loaded.parameters()[p].name == saved.parameters()[p].name);
    CHECK(loaded.parameters()[p].parameter->value == saved.parameters()[p].parameter->value);
  }

  const wrnn::Sequence<float> x = random_inputs(5, 3, options.input_size, rng);
  const wrnn::Matrix<float> want = saved.infer(x);
  CHECK(loaded.infer(x) == want);  // the same weights and arithmetic: bit for bit
  wrnn::Vector<float> state = wrnn::Vector<float>::Zero(loaded.state_size()), saved_state = state,
                      output(loaded.output_size()), saved_output(loaded.output_size());
  for (Index t = 0; t < 5; ++t) {
    const wrnn::Vector<float> input = x.step(t).col(1);
    loaded.step(input, state, output);
    saved.step(input, saved_state, saved_output);
    CHECK(output == saved_output);
    CHECK(state == saved_state);
  }

  // Saved again from the type-erased model, and loaded once more.
  const std::string bias = loaded.parameters().back().name;  // the readout's last bias
  loaded.parameter(bias).value.setConstant(0.5f);
  const std::string again = (directory / (kind + "_again.safetensors")).string();
  loaded.save(again, {{"note", "saved by AnyModel"}});
  wrnn::AnyModel reloaded = wrnn::io::load_model(again, wrnn::ModelOptions{2});
  CHECK(wrnn::io::describe_model_file(again).metadata.at("note") == "saved by AnyModel");
  CHECK(reloaded.infer(x) == loaded.infer(x));
  CHECK(reloaded.parameter(bias).value == loaded.parameter(bias).value);
  std::filesystem::remove_all(directory);
}

// model.step over every sample of x, each from a zero state, against infer: outputs within float
// rounding at every step (every-step readout) or at the last (last-step readout).
template <class Cell>
void check_step_matches_infer(const typename Cell::Options& options, wrnn::ReadoutKind kind,
                              wrnn::ReadoutMode mode) {
  const Index T = 8, B = 3, o = 4;
  wrnn::SequenceModel<Cell> model(options, {o, kind, mode, 6});
  wrnn::Rng rng(17);
  model.init(rng);
  const wrnn::Sequence<float> x = random_inputs(T, B, options.input_size, rng);
  const wrnn::Matrix<float> inferred = model.infer(x);
  for (Index b = 0; b < B; ++b) {
    wrnn::Vector<float> state = wrnn::Vector<float>::Zero(model.cell().state_size());
    wrnn::Vector<float> output(o);
    for (Index t = 0; t < T; ++t) {
      const wrnn::Vector<float> input = x.step(t).col(b);
      model.step(input, state, output);
      const bool compared = mode == wrnn::ReadoutMode::every_step || t == T - 1;
      if (!compared) continue;
      const Index column = mode == wrnn::ReadoutMode::every_step ? t * B + b : b;
      const wrnn::Vector<float> want = inferred.col(column);
      CAPTURE(b, t);
      CHECK((output - want).cwiseAbs().maxCoeff() <=
            1e-5f * std::max(1.0f, want.cwiseAbs().maxCoeff()));
    }
  }
}

template <class Cell>
void check_step_does_not_allocate(const typename Cell::Options& options, wrnn::ReadoutKind kind) {
  wrnn::SequenceModel<Cell> model(options, {10, kind, wrnn::ReadoutMode::every_step, 100});
  wrnn::Rng rng(3);
  model.init(rng);
  std::vector<float> input(static_cast<std::size_t>(options.input_size), 0.0f);
  std::vector<float> state(static_cast<std::size_t>(model.cell().state_size()), 0.0f), output(10);
  const long allocations = wrnn_test::count_allocations([&] {
    for (int t = 0; t < 20; ++t) {
      input[static_cast<std::size_t>(t) % input.size()] = 1.0f;
      model.step(input.data(), state.data(), output.data());
      input[static_cast<std::size_t>(t) % input.size()] = 0.0f;
    }
  });
  CHECK(allocations == 0);
}

}  // namespace

TEST_CASE("model.step gives infer's outputs, for every cell and readout", "[embedding]") {
  for (auto kind : {wrnn::ReadoutKind::linear, wrnn::ReadoutKind::mlp}) {
    for (auto mode : {wrnn::ReadoutMode::every_step, wrnn::ReadoutMode::last_step}) {
      CAPTURE(wrnn::to_string(kind), wrnn::to_string(mode));
      check_step_matches_infer<wrnn::WaveCell<float>>(small_wave(), kind, mode);
      check_step_matches_infer<wrnn::DenseCell<float>>(wrnn::DenseCellOptions{3, 13}, kind, mode);
      check_step_matches_infer<wrnn::LSTMCell<float>>(wrnn::LSTMCellOptions{3, 7}, kind, mode);
      check_step_matches_infer<wrnn::GRUCell<float>>(wrnn::GRUCellOptions{3, 7}, kind, mode);
    }
  }
}

TEST_CASE("io::load_model(path) loads a model of any cell without naming its type",
          "[embedding][io]") {
  wrnn::WaveCellOptions wave = small_wave();
  wave.activation = wrnn::Activation::tanh;
  check_load_any<wrnn::WaveCell<float>>(
      wave, "wave", {4, wrnn::ReadoutKind::mlp, wrnn::ReadoutMode::every_step, 5});
  check_load_any<wrnn::DenseCell<float>>(
      wrnn::DenseCellOptions{3, 9}, "dense",
      {2, wrnn::ReadoutKind::linear, wrnn::ReadoutMode::last_step});
  check_load_any<wrnn::LSTMCell<float>>(
      wrnn::LSTMCellOptions{3, 6}, "lstm",
      {3, wrnn::ReadoutKind::linear, wrnn::ReadoutMode::every_step});
  check_load_any<wrnn::GRUCell<float>>(
      wrnn::GRUCellOptions{3, 6}, "gru",
      {3, wrnn::ReadoutKind::mlp, wrnn::ReadoutMode::last_step, 4});
}

TEST_CASE("model.step checks the sizes of Eigen vectors", "[embedding]") {
  wrnn::SequenceModel<wrnn::GRUCell<float>> model(wrnn::GRUCellOptions{3, 7}, {2});
  wrnn::Vector<float> input(3), state(7), output(2), longer(8);
  CHECK_THROWS_WITH(model.step(input, longer, output),
                    Catch::Matchers::Contains("state size: expected 7, received 8"));
  CHECK_THROWS_AS(model.step(longer, state, output), wrnn::ShapeError);
  CHECK_THROWS_AS(model.step(input, state, longer), wrnn::ShapeError);
}

TEST_CASE("model.step never allocates", "[embedding]") {
  if (!wrnn_test::kCanCountAllocations) {
    WARN("heap allocations cannot be counted in this build (sanitizer or not glibc); skipped");
    return;
  }
  CHECK(wrnn_test::count_allocations([] { std::vector<double> v(100); }) > 0);
  wrnn::WaveCellOptions wave;  // the copy task's shape
  wave.input_size = 10;
  wave.channels = 6;
  wave.ring_size = 100;
  for (auto kind : {wrnn::ReadoutKind::linear, wrnn::ReadoutKind::mlp}) {
    check_step_does_not_allocate<wrnn::WaveCell<float>>(wave, kind);
    check_step_does_not_allocate<wrnn::DenseCell<float>>(wrnn::DenseCellOptions{10, 100}, kind);
    check_step_does_not_allocate<wrnn::LSTMCell<float>>(wrnn::LSTMCellOptions{10, 100}, kind);
    check_step_does_not_allocate<wrnn::GRUCell<float>>(wrnn::GRUCellOptions{10, 100}, kind);
  }
}

namespace {

// A BatchStepper of M agents against M single-sample model.step calls, step by step: outputs
// and states within float rounding. Some inputs are zero in every agent (the narrow projections
// skip those), some agents are reset or given a state mid-way, and the input weights change
// between two steps (as training would change them): the next step must use the new ones.
template <class Cell>
void check_batch_matches_single_steps(const typename Cell::Options& options, wrnn::ReadoutKind kind,
                                      Index threads, Index chunk = 5) {
  const Index M = 13, o = 3, T = 6;
  wrnn::ModelOptions model_options;
  model_options.batch_chunk = chunk;  // 5: chunks of 5, 5 and 3 agents; 1: one agent each
  model_options.threads = threads;
  wrnn::SequenceModel<Cell> model(options, {o, kind, wrnn::ReadoutMode::every_step, 6},
                                  model_options);
  wrnn::Rng rng(41);
  model.init(rng);
  wrnn::BatchStepper<Cell> agents(model, M);
  REQUIRE(agents.agents() == M);
  const Index S = model.cell().state_size(), d = options.input_size;
  std::vector<wrnn::Vector<float>> states(static_cast<std::size_t>(M),
                                          wrnn::Vector<float>::Zero(S));
  wrnn::Matrix<float> inputs(d, M), outputs(o, M);
  wrnn::Vector<float> output(o), batch_state(S);
  for (Index t = 0; t < T; ++t) {
    for (Index i = 0; i < inputs.size(); ++i)
      inputs.data()[i] = static_cast<float>(rng.uniform(-1, 1));
    if (t % 2 == 1) inputs.row(0).setZero();
    if (t == 3) {
      agents.reset(7);
      states[7].setZero();
      for (Index i = 0; i < S; ++i) states[2][i] = static_cast<float>(rng.uniform(-0.5, 0.5));
      agents.write_state(2, states[2].data());
    }
    if (t == 4) model.cell().input_weight().value *= 0.5f;
    agents.step(inputs, outputs);
    for (Index m = 0; m < M; ++m) {
      auto& state = states[static_cast<std::size_t>(m)];
      model.step(wrnn::Vector<float>(inputs.col(m)), state, output);
      agents.read_state(m, batch_state.data());
      CAPTURE(t, m);
      CHECK((outputs.col(m) - output).cwiseAbs().maxCoeff() <=
            1e-5f * std::max(1.0f, output.cwiseAbs().maxCoeff()));
      CHECK((batch_state - state).cwiseAbs().maxCoeff() <=
            1e-5f * std::max(1.0f, state.cwiseAbs().maxCoeff()));
    }
  }
  agents.reset();
  agents.read_state(12, batch_state.data());
  CHECK(batch_state.isZero(0));
  CHECK_THROWS_AS(agents.read_state(M, batch_state.data()), wrnn::ValueError);
  wrnn::Matrix<float> wrong(d, M + 1);
  CHECK_THROWS_AS(agents.step(wrong, outputs), wrnn::ShapeError);
}

template <class Cell>
void check_batch_step_does_not_allocate(const typename Cell::Options& options, Index agents_count) {
  wrnn::SequenceModel<Cell> model(options, {10, wrnn::ReadoutKind::mlp});
  CAPTURE(agents_count, model.cell().state_size(), model.cell().projection_size());
  wrnn::Rng rng(3);
  model.init(rng);
  wrnn::BatchStepper<Cell> agents(model, agents_count);
  wrnn::Matrix<float> inputs = wrnn::Matrix<float>::Zero(options.input_size, agents_count);
  wrnn::Matrix<float> outputs(10, agents_count);
  const long allocations = wrnn_test::count_allocations([&] {
    for (Index t = 0; t < 5; ++t) {
      inputs.row(t % options.input_size).setOnes();
      agents.step(inputs, outputs);
      inputs.row(t % options.input_size).setZero();
    }
  });
  CHECK(allocations == 0);
}

}  // namespace

TEST_CASE("BatchStepper steps M agents as M single-sample steps", "[embedding][batch]") {
  for (Index threads : {1, 3}) {
    for (auto kind : {wrnn::ReadoutKind::linear, wrnn::ReadoutKind::mlp}) {
      CAPTURE(threads, wrnn::to_string(kind));
      check_batch_matches_single_steps<wrnn::WaveCell<float>>(small_wave(), kind, threads);
      // Chunks of one agent: the wave cell's single-sample kernel.
      check_batch_matches_single_steps<wrnn::WaveCell<float>>(small_wave(), kind, threads, 1);
      check_batch_matches_single_steps<wrnn::DenseCell<float>>(wrnn::DenseCellOptions{3, 13}, kind,
                                                               threads);
      check_batch_matches_single_steps<wrnn::LSTMCell<float>>(wrnn::LSTMCellOptions{3, 7}, kind,
                                                              threads);
      check_batch_matches_single_steps<wrnn::GRUCell<float>>(wrnn::GRUCellOptions{3, 7}, kind,
                                                             threads);
      // More inputs than narrow_input_limit: the projections' one product per step.
      wrnn::WaveCellOptions wide_wave = small_wave();
      wide_wave.input_size = wrnn::narrow_input_limit + 4;
      check_batch_matches_single_steps<wrnn::WaveCell<float>>(wide_wave, kind, threads);
      check_batch_matches_single_steps<wrnn::WaveCell<float>>(wide_wave, kind, threads, 1);
      check_batch_matches_single_steps<wrnn::DenseCell<float>>(
          wrnn::DenseCellOptions{wrnn::narrow_input_limit + 4, 13}, kind, threads);
    }
  }
}

TEST_CASE("BatchStepper::step never allocates", "[embedding][batch]") {
  if (!wrnn_test::kCanCountAllocations) {
    WARN("heap allocations cannot be counted in this build (sanitizer or not glibc); skipped");
    return;
  }
  wrnn::WaveCellOptions wave;  // the copy task's shape
  wave.input_size = 10;
  wave.channels = 6;
  wave.ring_size = 100;
  for (Index M : {1, 64}) {
    check_batch_step_does_not_allocate<wrnn::WaveCell<float>>(wave, M);
    check_batch_step_does_not_allocate<wrnn::DenseCell<float>>(wrnn::DenseCellOptions{10, 100}, M);
    check_batch_step_does_not_allocate<wrnn::LSTMCell<float>>(wrnn::LSTMCellOptions{10, 100}, M);
    check_batch_step_does_not_allocate<wrnn::GRUCell<float>>(wrnn::GRUCellOptions{10, 100}, M);
  }
}

namespace {

// The threads of this process, from /proc/self/task (Linux); -1 where it cannot be read.
Index process_thread_count() {
  std::error_code error;
  Index count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/task", error), end; !error && it != end;
       it.increment(error))
    ++count;
  return error || count == 0 ? -1 : count;
}

// Sets an environment variable for one scope, and puts the old value back.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value, 1);
  }
  ~ScopedEnvironment() {
    if (had_)
      ::setenv(name_, old_.c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

}  // namespace

TEST_CASE("ModelOptions::threads 0 takes WRNN_NUM_THREADS", "[embedding][threads]") {
  {
    ScopedEnvironment threads("WRNN_NUM_THREADS", "3");
    wrnn::ModelOptions options;
    options.threads = 0;
    WaveModel model(small_wave(), {2}, options);
    CHECK(model.model_options().threads == 3);
    CHECK(model.thread_pool().thread_count() == 3);
  }
  {
    ScopedEnvironment threads("WRNN_NUM_THREADS", "two");
    wrnn::ModelOptions options;
    options.threads = 0;
    CHECK_THROWS_WITH(
        WaveModel(small_wave(), {2}, options),
        Catch::Matchers::Contains("WRNN_NUM_THREADS") && Catch::Matchers::Contains("'two'"));
    options.threads = 2;  // a count given: the variable is not read
    CHECK(WaveModel(small_wave(), {2}, options).model_options().threads == 2);
  }
  wrnn::ModelOptions negative;
  negative.threads = -1;
  CHECK_THROWS_AS(WaveModel(small_wave(), {2}, negative), wrnn::ValueError);
}

TEST_CASE("models sharing one thread pool run on its threads, with the same results",
          "[embedding][threads]") {
  wrnn::Rng rng(9);
  const wrnn::Sequence<float> x = random_inputs(5, 23, 3, rng);
  auto build = [](wrnn::ModelOptions options) {
    options.batch_chunk = 4;
    auto model = std::make_unique<WaveModel>(
        small_wave(), wrnn::ReadoutOptions{3, wrnn::ReadoutKind::linear}, std::move(options));
    wrnn::Rng init(12);
    model->init(init);
    return model;
  };
  wrnn::ModelOptions alone;
  alone.threads = 1;
  const TrainResult expected = train_step(*build(alone), x);

  const Index before = process_thread_count();
  wrnn::ModelOptions shared;
  shared.pool = std::make_shared<wrnn::ThreadPool>(3);
  shared.threads = 7;  // not used: the pool is given
  auto first = build(shared);
  auto second = build(shared);
  CHECK(&first->thread_pool() == shared.pool.get());
  CHECK(&second->thread_pool() == shared.pool.get());
  CHECK(first->model_options().threads == 3);
  if (before > 0) CHECK(process_thread_count() == before + 2);  // the pool's two workers, no more
  check_same(train_step(*first, x), expected);
  check_same(train_step(*second, x), expected);

  // The models keep the pool alive; the last one to go stops it.
  shared.pool.reset();
  first.reset();
  CHECK(second->thread_pool().thread_count() == 3);
  check_same(train_step(*second, x), expected);
  second.reset();
  if (before > 0) CHECK(process_thread_count() == before);
}

}  // namespace test_embedding
