// The copy and adding generators: shapes, value ranges, marker positions, targets equal to the
// formula of docs/model.md, and reproducibility from the seed.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

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

// The authors' get_batch (copy/utils.py), restated with Python's indexing for one sequence:
//     X = zeros(T + m); X[:m] = digits; X[-(m + 1)] = 9; Y = zeros(T + m); Y[-m:] = X[:m]
// A negative index counts from the end, as in Python.
struct AuthorsCopySequence {
  std::vector<int> x, y;
};

AuthorsCopySequence authors_copy_sequence(Index T, const std::vector<int>& digits) {
  const Index m = static_cast<Index>(digits.size()), length = T + m;
  auto at = [length](Index python_index) {
    const Index i = python_index < 0 ? length + python_index : python_index;
    REQUIRE((i >= 0 && i < length));  // numpy raises IndexError otherwise
    return static_cast<std::size_t>(i);
  };
  AuthorsCopySequence s{std::vector<int>(static_cast<std::size_t>(length), 0),
                        std::vector<int>(static_cast<std::size_t>(length), 0)};
  for (Index i = 0; i < m; ++i) s.x[at(i)] = digits[static_cast<std::size_t>(i)];
  s.x[at(-(m + 1))] = 9;
  for (Index i = 0; i < m; ++i) s.y[at(-m + i)] = s.x[at(i)];
  return s;
}

TEST_CASE("copy task batches match the authors' get_batch at every gap", "[tasks][copy]") {
  struct Case {
    Index gap, memory;
  };
  for (const Case c :
       {Case{1, 10}, Case{5, 10}, Case{9, 10}, Case{10, 10}, Case{11, 10}, Case{30, 10}, Case{1, 3},
        Case{2, 3}, Case{3, 3}, Case{4, 3}, Case{30, 3}, Case{1, 1}, Case{7, 1}}) {
    INFO("T = " << c.gap << ", mem_len = " << c.memory);
    const Index B = 6, L = c.gap + c.memory;
    for (const auto scored : {wrnn::CopyLoss::every_step, wrnn::CopyLoss::recall_only}) {
      const wrnn::CopyTask task(c.gap, c.memory, scored);
      CHECK(task.sequence_length() == L);
      CHECK(task.memory_length() == c.memory);
      wrnn::Rng rng(11), digits_rng(11);
      const auto batch = task.generate<double>(B, rng);
      REQUIRE(batch.inputs.steps() == L);
      REQUIRE(batch.targets.classes.size() == static_cast<std::size_t>(L * B));
      CHECK(batch.targets.first_scored_column ==
            (scored == wrnn::CopyLoss::recall_only ? c.gap * B : 0));
      for (Index b = 0; b < B; ++b) {
        // The digits, drawn in the generator's order: m per sequence from {1..8}.
        std::vector<int> digits;
        for (Index i = 0; i < c.memory; ++i)
          digits.push_back(static_cast<int>(digits_rng.uniform_int(1, 9)));
        const AuthorsCopySequence expected = authors_copy_sequence(c.gap, digits);
        for (Index t = 0; t < L; ++t) {
          const auto at = static_cast<std::size_t>(t);
          for (Index e = 0; e < 10; ++e)
            REQUIRE(batch.inputs(t, b, e) == (e == expected.x[at] ? 1.0 : 0.0));
          REQUIRE(batch.targets.classes[static_cast<std::size_t>(t * B + b)] == expected.y[at]);
        }
        // Where the delimiter replaces digit T - 1 (T <= m), the target recalls it at step 2T - 1.
        if (c.gap <= c.memory)
          CHECK(batch.targets.classes[static_cast<std::size_t>((2 * c.gap - 1) * B + b)] == 9);
      }
    }
  }
}

TEST_CASE("copy task refuses what the authors' get_batch cannot run", "[tasks][copy]") {
  for (Index gap : {Index{0}, Index{-3}}) {
    try {
      wrnn::CopyTask task(gap);
      FAIL("accepted T = " << gap);
    } catch (const wrnn::ValueError& e) {
      CHECK_THAT(e.what(), Catch::Contains("T: expected >= 1") &&
                               Catch::Contains("received " + std::to_string(gap)));
    }
  }
  try {
    wrnn::CopyTask task(5, 0);
    FAIL("accepted memory length 0");
  } catch (const wrnn::ValueError& e) {
    CHECK_THAT(e.what(),
               Catch::Contains("memory length: expected >= 1") && Catch::Contains("received 0"));
  }
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
