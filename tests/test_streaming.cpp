// The single-sample streaming step never allocates (wave and dense cells; the gated cells are
// covered in their own tests), after construction and from the very first call.
#include <catch2/catch.hpp>

#include "support/allocation_counter.hpp"
#include "wrnn/wrnn.hpp"

using wrnn::Index;

namespace {

template <class Cell>
void check_no_allocation(Cell& cell) {
  wrnn::Rng rng(3);
  cell.init(rng);
  std::vector<typename Cell::Scalar> input(static_cast<std::size_t>(cell.input_size()), 0);
  std::vector<typename Cell::Scalar> state(static_cast<std::size_t>(cell.state_size()), 0);
  const long allocations = wrnn_test::count_allocations([&] {
    for (int t = 0; t < 50; ++t) {
      input[static_cast<std::size_t>(t) % input.size()] = 1;
      cell.step(input.data(), state.data());
      input[static_cast<std::size_t>(t) % input.size()] = 0;
    }
  });
  CHECK(allocations == 0);
}

}  // namespace

TEST_CASE("the streaming step of the wave and dense cells never allocates", "[streaming]") {
  if (!wrnn_test::kCanCountAllocations) {
    WARN("heap allocations cannot be counted in this build (sanitizer or not glibc); skipped");
    return;
  }
  // The counter does see allocations (otherwise "0 allocations" would prove nothing).
  CHECK(wrnn_test::count_allocations([] { std::vector<double> v(100); }) > 0);

  for (auto activation : {wrnn::Activation::relu, wrnn::Activation::tanh}) {
    wrnn::WaveCellOptions options;
    options.input_size = 10;
    options.channels = 6;
    options.ring_size = 100;
    options.activation = activation;
    wrnn::WaveCell<float> wave_float(options);
    check_no_allocation(wave_float);
    options.channels = 3;
    options.ring_size = 37;
    options.kernel_size = 5;
    wrnn::WaveCell<double> wave_double(options);
    check_no_allocation(wave_double);
  }
  wrnn::DenseCell<float> dense(wrnn::DenseCellOptions{10, 100});
  check_no_allocation(dense);
}
