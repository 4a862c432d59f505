// Reads the real Fashion-MNIST files of Debian's dataset-fashion-mnist package when they are
// installed. The expected values (sizes, label balance, first labels, pixel sums) were computed
// independently with Python's gzip and numpy from the same files.
#include <catch2/catch.hpp>

#include <filesystem>
#include <numeric>

#include "wrnn/data/idx.hpp"
#include "wrnn/data/sequential_image.hpp"

namespace test_data_fashion_mnist {  // see "unity groups" in tests/CMakeLists.txt

namespace {

bool fashion_mnist_installed() {
  std::error_code error;
  return std::filesystem::is_regular_file(
      std::string(wrnn::data::kDebianFashionMnistDirectory) + "/t10k-labels-idx1-ubyte.gz", error);
}

std::uint64_t pixel_sum(const wrnn::data::ImageDataset& dataset, wrnn::Index first,
                        wrnn::Index last) {
  return std::accumulate(dataset.pixels.begin() + first * 784, dataset.pixels.begin() + last * 784,
                         std::uint64_t{0});
}

}  // namespace

TEST_CASE("real Fashion-MNIST from /usr/share/datasets/fashion-mnist", "[data][fashion]") {
  if (!fashion_mnist_installed()) {
    WARN(
        "skipped: Debian's dataset-fashion-mnist is not installed (apt-get install "
        "dataset-fashion-mnist); nothing checked");
    return;
  }
  const std::string directory = wrnn::data::kDebianFashionMnistDirectory;
  struct Half {
    bool train;
    wrnn::Index count;
    std::vector<int> first_labels;
    std::uint64_t first_image_sum, total_sum;
  };
  for (const Half& half :
       {Half{true, 60000, {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, 76247, 3431114169ULL},
        Half{false, 10000, {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, 33456, 573469082ULL}}) {
    CAPTURE(half.train);
    const wrnn::data::ImageDataset dataset =
        wrnn::data::load_mnist_directory(directory, half.train);
    CHECK(dataset.count == half.count);
    CHECK(dataset.rows == 28);
    CHECK(dataset.cols == 28);
    CHECK(dataset.channels == 1);
    REQUIRE(dataset.labels.size() == static_cast<std::size_t>(half.count));
    std::vector<wrnn::Index> per_class(10, 0);
    for (std::uint8_t label : dataset.labels) {
      REQUIRE(label < 10);
      ++per_class[label];
    }
    CHECK(per_class == std::vector<wrnn::Index>(10, half.count / 10));  // balanced classes
    CHECK(std::vector<int>(dataset.labels.begin(), dataset.labels.begin() + 10) ==
          half.first_labels);
    CHECK(pixel_sum(dataset, 0, 1) == half.first_image_sum);
    CHECK(pixel_sum(dataset, 0, half.count) == half.total_sum);
  }
  // Row 14 of the first training image, as the sMNIST view presents it (steps 392..419).
  const wrnn::data::ImageDataset train = wrnn::data::load_mnist_directory(directory, true);
  const std::vector<int> row14 = {0,   0,   1,   4,   6,   7,   2,   0,   0,   0,
                                  0,   0,   237, 226, 217, 223, 222, 219, 222, 221,
                                  216, 223, 229, 215, 218, 255, 77,  0};
  wrnn::Sequence<float> x;
  std::vector<int> labels;
  wrnn::data::SequentialImageView::sequential_pixels().fill(train, {0}, x, labels);
  CHECK(labels == std::vector<int>{9});
  for (int c = 0; c < 28; ++c) CHECK(x(14 * 28 + c, 0, 0) == static_cast<float>(row14[c]) / 255.0f);
}

}  // namespace test_data_fashion_mnist
