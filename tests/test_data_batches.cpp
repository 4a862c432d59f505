// Train/validation split and per-epoch batches: sizes, coverage, reproducibility from the seed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <set>

#include "wrnn/data/epoch_batches.hpp"
#include "wrnn/data/split.hpp"

namespace test_data_batches {  // see "unity groups" in tests/CMakeLists.txt

using wrnn::Index;
using wrnn::data::EpochBatches;
using wrnn::data::split_train_validation;

namespace {
std::vector<Index> sorted(std::vector<Index> values) {
  std::sort(values.begin(), values.end());
  return values;
}
std::vector<Index> range(Index n) {
  std::vector<Index> values(static_cast<std::size_t>(n));
  std::iota(values.begin(), values.end(), Index{0});
  return values;
}
}  // namespace

TEST_CASE("train/validation split: 57k/3k and 47k/3k, disjoint, covering, seeded",
          "[data][split]") {
  for (Index count : {Index{60000}, Index{50000}}) {
    CAPTURE(count);
    const auto split = split_train_validation(count, wrnn::data::kImageValidationCount, 42);
    CHECK(static_cast<Index>(split.train.size()) == count - 3000);
    CHECK(split.validation.size() == 3000);
    std::vector<Index> all = split.train;
    all.insert(all.end(), split.validation.begin(), split.validation.end());
    CHECK(sorted(all) == range(count));  // disjoint and covering
    // The held-out examples are spread over the set, not a block at one end.
    const std::vector<Index> held_out = sorted(split.validation);
    CHECK(held_out.front() < count / 10);
    CHECK(held_out.back() > count - count / 10);

    const auto again = split_train_validation(count, 3000, 42);
    CHECK(again.train == split.train);
    CHECK(again.validation == split.validation);
    CHECK(split_train_validation(count, 3000, 43).validation != split.validation);
    // The split is the seeded permutation sliced in order, like torch's random_split.
    const std::vector<Index> order = wrnn::data::random_permutation(count, 42);
    CHECK(std::equal(split.validation.begin(), split.validation.end(), order.end() - 3000));
  }
  CHECK_THROWS_AS(split_train_validation(100, 100, 0), wrnn::ValueError);
  CHECK_THROWS_AS(split_train_validation(100, -1, 0), wrnn::ValueError);
  CHECK(split_train_validation(100, 0, 0).train.size() == 100);
}

TEST_CASE("shuffled epoch batches: drop_last or keep the remainder", "[data][batches]") {
  std::vector<Index> examples;
  for (Index i = 0; i < 10; ++i) examples.push_back(100 + 3 * i);  // arbitrary example ids

  const EpochBatches dropping = EpochBatches::shuffled(examples, 4, true, 7, 0);
  REQUIRE(dropping.size() == 2);
  CHECK(dropping[0].size() == 4);
  CHECK(dropping[1].size() == 4);
  CHECK(sorted(dropping.order()) == examples);  // a permutation of the given ids
  std::vector<Index> used = dropping[0];
  const std::vector<Index> second = dropping[1];
  used.insert(used.end(), second.begin(), second.end());
  CHECK(std::set<Index>(used.begin(), used.end()).size() == 8);

  const EpochBatches keeping = EpochBatches::shuffled(examples, 4, false, 7, 0);
  REQUIRE(keeping.size() == 3);
  CHECK(keeping[2].size() == 2);
  CHECK(keeping.order() == dropping.order());  // drop_last changes the cut, not the order
  std::vector<Index> all;
  for (Index b = 0; b < keeping.size(); ++b) {
    const std::vector<Index> batch = keeping[b];
    all.insert(all.end(), batch.begin(), batch.end());
  }
  CHECK(all == keeping.order());

  CHECK_THROWS_AS(keeping[3], wrnn::ValueError);
  CHECK_THROWS_AS(keeping[-1], wrnn::ValueError);
  CHECK_THROWS_AS(EpochBatches::shuffled(examples, 0, true, 7, 0), wrnn::ValueError);
  CHECK(EpochBatches::shuffled(examples, 20, true, 7, 0).size() == 0);
  CHECK(EpochBatches::shuffled(examples, 20, false, 7, 0).size() == 1);
}

TEST_CASE("each epoch's order is a function of (seed, epoch) alone", "[data][batches]") {
  const std::vector<Index> examples = range(1000);
  const EpochBatches epoch3 = EpochBatches::shuffled(examples, 128, true, 11, 3);
  // Same seed and epoch: same order, as a resumed run needs.
  CHECK(EpochBatches::shuffled(examples, 128, true, 11, 3).order() == epoch3.order());
  // Another epoch, another seed: other orders; and a real shuffle.
  CHECK(EpochBatches::shuffled(examples, 128, true, 11, 4).order() != epoch3.order());
  CHECK(EpochBatches::shuffled(examples, 128, true, 12, 3).order() != epoch3.order());
  CHECK(epoch3.order() != examples);
  CHECK(wrnn::data::epoch_seed(11, 3) != wrnn::data::epoch_seed(11, 4));
  CHECK(wrnn::data::epoch_seed(11, 3) != wrnn::data::epoch_seed(12, 3));
}

TEST_CASE("evaluation batches keep the given order and every example", "[data][batches]") {
  const std::vector<Index> examples = {9, 3, 7, 1, 5};
  const EpochBatches batches = EpochBatches::in_order(examples, 2);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0] == std::vector<Index>{9, 3});
  CHECK(batches[1] == std::vector<Index>{7, 1});
  CHECK(batches[2] == std::vector<Index>{5});
}

}  // namespace test_data_batches
