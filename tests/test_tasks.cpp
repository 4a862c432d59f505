// The copy and adding generators: shapes, value ranges, marker positions, targets equal to the
// formula of docs/model.md, and reproducibility from the seed.
#include <catch2/catch.hpp>
#include <set>

#include "wrnn/wrnn.hpp"

namespace test_tasks {  // see "unity groups" in tests/CMakeLists.txt

using wrnn::Index;

TEST_CASE("copy task batches follow the definition", "[tasks][copy]") {
  const Index T = 15, B = 9, L = T + 10;
  wrnn::CopyTask task(T);
  CHECK(task.sequence_length() == L);
  wrnn::Rng rng(3);
  const auto batch = task.generate<float>(B, rng);
  REQUIRE(batch.inputs.steps() == L);
  REQUIRE(batch.inputs.batch() == B);
  REQUIRE(batch.inputs.features() == 10);
  REQUIRE(batch.targets.classes.size() == static_cast<std::size_t>(L * B));
  std::set<int> digits_seen;
  for (Index b = 0; b < B; ++b)
    for (Index t = 0; t < L; ++t) {
      // Exactly one-hot.
      int hot = -1;
      float sum = 0;
      for (Index e = 0; e < 10; ++e) {
        const float v = batch.inputs(t, b, e);
        REQUIRE((v == 0.0f || v == 1.0f));
        sum += v;
        if (v == 1.0f) hot = static_cast<int>(e);
      }
      REQUIRE(sum == 1.0f);
      const int target = batch.targets.classes[static_cast<std::size_t>(t * B + b)];
      if (t < 10) {
        REQUIRE((hot >= 1 && hot <= 8));
        digits_seen.insert(hot);
      } else if (t == L - 11) {
        REQUIRE(hot == 9);  // the delimiter
      } else {
        REQUIRE(hot == 0);
      }
      if (t >= L - 10) {
        // Target: the digit shown at step t - (L - 10).
        int shown = -1;
        for (Index e = 0; e < 10; ++e)
          if (batch.inputs(t - (L - 10), b, e) == 1.0f) shown = static_cast<int>(e);
        REQUIRE(target == shown);
      } else {
        REQUIRE(target == 0);
      }
    }
  CHECK(digits_seen.size() == 8);  // 90 draws from 8 digits: all appear

  wrnn::Rng same(3), other(4);
  const auto again = task.generate<float>(B, same);
  const auto different = task.generate<float>(B, other);
  CHECK(again.targets.classes == batch.targets.classes);
  CHECK(different.targets.classes != batch.targets.classes);
}

TEST_CASE("adding task batches follow the definition", "[tasks][adding]") {
  for (Index T : {Index{2}, Index{7}, Index{100}}) {
    const Index B = 50;
    wrnn::AddingTask task(T);
    wrnn::Rng rng(5);
    const auto batch = task.generate<double>(B, rng);
    REQUIRE(batch.inputs.steps() == T);
    REQUIRE(batch.inputs.features() == 2);
    REQUIRE(batch.targets.values.rows() == 1);
    REQUIRE(batch.targets.values.cols() == B);
    for (Index b = 0; b < B; ++b) {
      std::vector<Index> marks;
      for (Index t = 0; t < T; ++t) {
        const double value = batch.inputs(t, b, 0), marker = batch.inputs(t, b, 1);
        REQUIRE((value >= 0.0 && value < 1.0));
        REQUIRE((marker == 0.0 || marker == 1.0));
        if (marker == 1.0) marks.push_back(t);
      }
      REQUIRE(marks.size() == 2);
      CHECK(marks[0] < T / 2);
      CHECK(marks[1] >= T / 2);
      CHECK(batch.targets.values(0, b) ==
            batch.inputs(marks[0], b, 0) + batch.inputs(marks[1], b, 0));
    }
  }
}

}  // namespace test_tasks
