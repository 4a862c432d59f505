// Sequential-image task views (docs/model.md, "Tasks", the authors' code as read in docs/data.md):
// each value of the produced x[T][B][d] is checked against the image pixel the task definition
// says belongs there.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>

#include "wrnn/core/rng.hpp"
#include "wrnn/data/sequential_image.hpp"

namespace test_data_sequential_image {  // see "unity groups" in tests/CMakeLists.txt

using wrnn::Index;
using wrnn::data::ImageDataset;
using wrnn::data::SequentialImageKind;
using wrnn::data::SequentialImageView;

namespace {

ImageDataset random_images(Index count, Index channels, Index rows, Index cols,
                           std::uint64_t seed) {
  wrnn::Rng rng(seed);
  ImageDataset dataset;
  dataset.count = count;
  dataset.channels = channels;
  dataset.rows = rows;
  dataset.cols = cols;
  for (Index i = 0; i < count * channels * rows * cols; ++i)
    dataset.pixels.push_back(static_cast<std::uint8_t>(rng.uniform_int(0, 256)));
  for (Index i = 0; i < count; ++i) dataset.labels.push_back(static_cast<std::uint8_t>(i % 10));
  return dataset;
}

// The documented recipe of random_permutation(n, seed), written out independently.
std::vector<Index> fisher_yates_by_hand(Index n, std::uint64_t seed) {
  std::vector<Index> order;
  for (Index i = 0; i < n; ++i) order.push_back(i);
  wrnn::Rng rng(seed);
  for (Index i = n - 1; i >= 1; --i) {
    const Index j = rng.uniform_int(0, i + 1);
    std::swap(order[i], order[j]);
  }
  return order;
}

}  // namespace

TEST_CASE("sMNIST: pixel (r, c) is step r*28 + c, scaled by 1/255", "[data][sequence]") {
  const ImageDataset images = random_images(4, 1, 28, 28, 1);
  const SequentialImageView view = SequentialImageView::sequential_pixels();
  CHECK(view.kind() == SequentialImageKind::pixels);
  CHECK(view.steps() == 784);
  CHECK(view.features() == 1);
  wrnn::Sequence<float> x;
  std::vector<int> labels;
  const std::vector<Index> examples = {2, 0, 3};
  view.fill(images, examples, x, labels);
  REQUIRE(x.steps() == 784);
  REQUIRE(x.batch() == 3);
  REQUIRE(x.features() == 1);
  CHECK(labels == std::vector<int>{2, 0, 3});
  int mismatches = 0;
  for (Index b = 0; b < 3; ++b)
    for (Index r = 0; r < 28; ++r)
      for (Index c = 0; c < 28; ++c) {
        const float expected = static_cast<float>(images.pixel(examples[b], 0, r, c)) / 255.0f;
        if (x(r * 28 + c, b, 0) != expected) ++mismatches;
      }
  CHECK(mismatches == 0);
  // Known extremes: byte 0 -> 0, byte 255 -> exactly 1.
  ImageDataset extremes = random_images(1, 1, 28, 28, 2);
  extremes.pixels[0] = 0;
  extremes.pixels[28 * 5 + 7] = 255;
  view.fill(extremes, {0}, x, labels);
  CHECK(x(0, 0, 0) == 0.0f);
  CHECK(x(5 * 28 + 7, 0, 0) == 1.0f);
}

TEST_CASE("sMNIST in double precision matches v/255 in double", "[data][sequence]") {
  const ImageDataset images = random_images(2, 1, 28, 28, 3);
  wrnn::Sequence<double> x;
  std::vector<int> labels;
  SequentialImageView::sequential_pixels().fill(images, {1}, x, labels);
  CHECK(x(100, 0, 0) == static_cast<double>(images.pixel(1, 0, 100 / 28, 100 % 28)) / 255.0);
}

TEST_CASE("psMNIST: one fixed, seeded permutation of the 784 pixels", "[data][sequence]") {
  const SequentialImageView view = SequentialImageView::permuted_pixels(1234);
  CHECK(view.kind() == SequentialImageKind::permuted_pixels);
  CHECK(view.steps() == 784);
  CHECK(view.features() == 1);
  CHECK(view.seed() == 1234);
  const std::vector<Index>& permutation = view.permutation();
  REQUIRE(permutation.size() == 784);
  CHECK(std::set<Index>(permutation.begin(), permutation.end()).size() == 784);
  CHECK(*std::min_element(permutation.begin(), permutation.end()) == 0);
  CHECK(*std::max_element(permutation.begin(), permutation.end()) == 783);
  Index fixed_points = 0;
  for (Index t = 0; t < 784; ++t) fixed_points += permutation[t] == t;
  CHECK(fixed_points < 10);  // a shuffle, not the identity (expected number of fixed points: 1)

  CHECK(SequentialImageView::permuted_pixels(1234).permutation() == permutation);
  CHECK(SequentialImageView::permuted_pixels(1235).permutation() != permutation);
  CHECK(permutation == fisher_yates_by_hand(784, 1234));

  const ImageDataset images = random_images(3, 1, 28, 28, 4);
  wrnn::Sequence<float> x;
  std::vector<int> labels;
  view.fill(images, {1, 2}, x, labels);
  int mismatches = 0;
  for (Index b = 0; b < 2; ++b)
    for (Index t = 0; t < 784; ++t) {
      const Index p = permutation[t];
      if (x(t, b, 0) != static_cast<float>(images.pixel(1 + b, 0, p / 28, p % 28)) / 255.0f)
        ++mismatches;
    }
  CHECK(mismatches == 0);

  // A saved permutation rebuilds the same view; a non-permutation is refused.
  const SequentialImageView restored =
      SequentialImageView::permuted_pixels(permutation, view.seed());
  wrnn::Sequence<float> x_restored;
  restored.fill(images, {1, 2}, x_restored, labels);
  CHECK(x_restored.all() == x.all());
  std::vector<Index> broken = permutation;
  broken[5] = broken[6];
  CHECK_THROWS_AS(SequentialImageView::permuted_pixels(broken, 0), wrnn::ValueError);
  CHECK_THROWS_AS(SequentialImageView::permuted_pixels(std::vector<Index>(783, 0), 0),
                  wrnn::ValueError);
}

TEST_CASE("the Fisher-Yates shuffle draws every order equally often", "[data][sequence]") {
  // 3 elements, 60000 shuffles from one stream: each of the 6 orders expected 10000 times
  // (standard deviation about 91). An off-by-one in the draw range skews this by thousands.
  wrnn::Rng rng(99);
  std::map<std::vector<int>, int> counts;
  for (int trial = 0; trial < 60000; ++trial) {
    std::vector<int> order = {0, 1, 2};
    wrnn::data::fisher_yates_shuffle(order, rng);
    ++counts[order];
  }
  REQUIRE(counts.size() == 6);
  for (const auto& entry : counts) CHECK(std::abs(entry.second - 10000) < 500);
}

TEST_CASE("noisy sequential CIFAR-10: rows of 96 values, then noise rows shared by all samples",
          "[data][sequence]") {
  const ImageDataset images = random_images(5, 3, 32, 32, 5);
  const SequentialImageView view = SequentialImageView::noisy_rows(77);
  CHECK(view.kind() == SequentialImageKind::noisy_rows);
  CHECK(view.steps() == 1000);
  CHECK(view.features() == 96);
  REQUIRE(view.noise().size() == std::size_t{968} * 96);

  wrnn::Sequence<float> x;
  std::vector<int> labels;
  const std::vector<Index> examples = {4, 1, 3};
  view.fill(images, examples, x, labels);
  REQUIRE(x.steps() == 1000);
  REQUIRE(x.batch() == 3);
  REQUIRE(x.features() == 96);
  CHECK(labels == std::vector<int>{4, 1, 3});

  // Image part: x[r][b][c*32 + col] = pixel(c, r, col) / 255 (the authors'
  // images.permute(0,2,1,3).reshape(-1,32,96): red row, green row, blue row).
  int mismatches = 0;
  for (Index b = 0; b < 3; ++b)
    for (Index r = 0; r < 32; ++r)
      for (Index c = 0; c < 3; ++c)
        for (Index col = 0; col < 32; ++col)
          if (x(r, b, c * 32 + col) !=
              static_cast<float>(images.pixel(examples[b], c, r, col)) / 255.0f)
            ++mismatches;
  CHECK(mismatches == 0);

  // Noise part: the stream of Rng(77).normal(), row by row, identical for every sample.
  wrnn::Rng rng(77);
  int noise_mismatches = 0;
  double sum = 0, sum_squares = 0;
  for (Index t = 32; t < 1000; ++t)
    for (Index e = 0; e < 96; ++e) {
      const double draw = rng.normal();
      sum += draw;
      sum_squares += draw * draw;
      for (Index b = 0; b < 3; ++b)
        if (x(t, b, e) != static_cast<float>(draw)) ++noise_mismatches;
    }
  CHECK(noise_mismatches == 0);
  // Standard normal: 92928 draws, so mean and variance are within 0.02 of 0 and 1.
  CHECK(std::abs(sum / 92928) < 0.02);
  CHECK(std::abs(sum_squares / 92928 - 1.0) < 0.02);

  // Another batch (different size and images) sees the same noise; another seed does not.
  wrnn::Sequence<float> other;
  view.fill(images, {0}, other, labels);
  CHECK(other(500, 0, 17) == x(500, 2, 17));
  CHECK(other(999, 0, 95) == x(999, 0, 95));
  CHECK(SequentialImageView::noisy_rows(77).noise() == view.noise());
  CHECK(SequentialImageView::noisy_rows(78).noise() != view.noise());
}

TEST_CASE("task names, shape checks and bad indices", "[data][sequence]") {
  CHECK(SequentialImageView::for_task("smnist", 0).kind() == SequentialImageKind::pixels);
  CHECK(SequentialImageView::for_task("psmnist", 5).permutation() ==
        SequentialImageView::permuted_pixels(5).permutation());
  CHECK(SequentialImageView::for_task("nscifar10", 6).noise() ==
        SequentialImageView::noisy_rows(6).noise());
  CHECK_THROWS_AS(SequentialImageView::for_task("cifar", 0), wrnn::ValueError);
  CHECK_THROWS_AS(SequentialImageView::noisy_rows(0, 31), wrnn::ValueError);

  wrnn::Sequence<float> x;
  std::vector<int> labels;
  const ImageDataset cifar = random_images(2, 3, 32, 32, 6);
  const ImageDataset mnist = random_images(2, 1, 28, 28, 7);
  CHECK_THROWS_AS(SequentialImageView::sequential_pixels().fill(cifar, {0}, x, labels),
                  wrnn::ShapeError);
  CHECK_THROWS_AS(SequentialImageView::noisy_rows(1).fill(mnist, {0}, x, labels), wrnn::ShapeError);
  CHECK_THROWS_AS(SequentialImageView::sequential_pixels().fill(mnist, {2}, x, labels),
                  wrnn::ValueError);
  CHECK_THROWS_AS(SequentialImageView::sequential_pixels().fill(mnist, {}, x, labels),
                  wrnn::ValueError);
  ImageDataset unlabelled = mnist;
  unlabelled.labels.clear();
  CHECK_THROWS_AS(SequentialImageView::sequential_pixels().fill(unlabelled, {0}, x, labels),
                  wrnn::ShapeError);

  // A sequence of the wrong shape is resized; one of the right shape is reused as is.
  wrnn::Sequence<float> wrong(3, 3, 3);
  SequentialImageView::sequential_pixels().fill(mnist, {0, 1}, wrong, labels);
  CHECK(wrong.steps() == 784);
  CHECK(wrong.batch() == 2);
  const float* storage = wrong.data();
  SequentialImageView::sequential_pixels().fill(mnist, {1, 0}, wrong, labels);
  CHECK(wrong.data() == storage);
}

}  // namespace test_data_sequential_image
