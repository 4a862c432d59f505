// CIFAR-10 binary reader: records written here in the real layout (label byte, then the red, green
// and blue 32x32 planes) are read back exactly; bad sizes and labels are FormatErrors.
#include <catch2/catch.hpp>

#include <filesystem>

#include "data_test_files.hpp"
#include "wrnn/data/cifar10.hpp"

namespace test_data_cifar10 {  // see "unity groups" in tests/CMakeLists.txt

using Catch::Matchers::Contains;
using data_test::Bytes;
using data_test::format_error_of;
using data_test::ScratchDirectory;

namespace {

// Record `id`: label id % 10, pixel (c, r, x) = pattern(c*1024 + r*32 + x, id).
Bytes record(std::size_t id) {
  Bytes bytes = {static_cast<std::uint8_t>(id % 10)};
  for (std::size_t i = 0; i < 3072; ++i) bytes.push_back(data_test::pattern(i, id));
  return bytes;
}

Bytes records(std::size_t first, std::size_t count) {
  Bytes bytes;
  for (std::size_t id = first; id < first + count; ++id) {
    const Bytes one = record(id);
    bytes.insert(bytes.end(), one.begin(), one.end());
  }
  return bytes;
}

// Checks image i of the dataset is record `id`, reading pixel by pixel through the documented
// channel-row-column layout.
void check_image_is_record(const wrnn::data::ImageDataset& dataset, wrnn::Index i, std::size_t id) {
  CHECK(dataset.labels[i] == id % 10);
  bool all_equal = true;
  for (int c = 0; c < 3; ++c)
    for (int r = 0; r < 32; ++r)
      for (int x = 0; x < 32; ++x)
        all_equal =
            all_equal && dataset.pixel(i, c, r, x) == data_test::pattern(c * 1024 + r * 32 + x, id);
  CHECK(all_equal);
}

// Writes data_batch_1..5.bin with 2, 1, 3, 1, 2 records (ids 0..8) and test_batch.bin (ids 100,
// 101).
void write_directory(const std::string& directory) {
  const std::size_t sizes[5] = {2, 1, 3, 1, 2};
  std::size_t id = 0;
  for (int b = 0; b < 5; ++b) {
    data_test::write_raw(directory + "/data_batch_" + std::to_string(b + 1) + ".bin",
                         records(id, sizes[b]));
    id += sizes[b];
  }
  data_test::write_raw(directory + "/test_batch.bin", records(100, 2));
}

}  // namespace

TEST_CASE("CIFAR-10 records round-trip in channel x row x column order", "[data][cifar]") {
  ScratchDirectory dir;
  data_test::write_raw(dir.file("one.bin"), records(0, 3));
  const wrnn::data::ImageDataset dataset = wrnn::data::load_cifar10_files({dir.file("one.bin")});
  REQUIRE(dataset.count == 3);
  CHECK(dataset.channels == 3);
  CHECK(dataset.rows == 32);
  CHECK(dataset.cols == 32);
  REQUIRE(dataset.pixels.size() == 3 * 3072);
  REQUIRE(dataset.labels.size() == 3);
  for (int i = 0; i < 3; ++i) check_image_is_record(dataset, i, i);
  // Red of the top-left pixel is the byte right after the label; blue of the bottom-right is last.
  CHECK(dataset.pixel(1, 0, 0, 0) == records(1, 1)[1]);
  CHECK(dataset.pixel(1, 2, 31, 31) == records(1, 1)[3072]);
}

TEST_CASE("load_cifar10_directory reads the five training batches in order, and the test batch",
          "[data][cifar]") {
  ScratchDirectory dir;
  std::string root = dir.path();
  SECTION("files directly in the directory") {}
  SECTION("files in cifar-10-batches-bin below it") {
    root = dir.file("cifar-10-batches-bin");
    std::filesystem::create_directory(root);
  }
  write_directory(root);
  const wrnn::data::ImageDataset train = wrnn::data::load_cifar10_directory(dir.path(), true);
  REQUIRE(train.count == 9);
  for (int i = 0; i < 9; ++i) check_image_is_record(train, i, i);
  const wrnn::data::ImageDataset test = wrnn::data::load_cifar10_directory(dir.path(), false);
  REQUIRE(test.count == 2);
  check_image_is_record(test, 0, 100);
  check_image_is_record(test, 1, 101);
}

TEST_CASE("a gzip-compressed CIFAR-10 file is inflated", "[data][cifar]") {
  ScratchDirectory dir;
  data_test::write_gzip(dir.file("batch.bin.gz"), records(5, 2));
  const wrnn::data::ImageDataset dataset =
      wrnn::data::load_cifar10_files({dir.file("batch.bin.gz")});
  REQUIRE(dataset.count == 2);
  check_image_is_record(dataset, 0, 5);
  check_image_is_record(dataset, 1, 6);
}

TEST_CASE("corrupt CIFAR-10 files are FormatErrors naming file, expected and received",
          "[data][cifar]") {
  ScratchDirectory dir;
  const std::string path = dir.file("bad.bin");
  const auto error_for = [&](const Bytes& bytes) {
    data_test::write_raw(path, bytes);
    return format_error_of([&] { wrnn::data::load_cifar10_files({path}); });
  };
  SECTION("size not a multiple of 3073") {
    Bytes bytes = records(0, 2);
    bytes.resize(bytes.size() + 5, 0);
    CHECK_THAT(error_for(bytes), Contains(path) &&
                                     Contains("expected a positive multiple of 3073 bytes") &&
                                     Contains("received 6151 bytes") &&
                                     Contains("2 whole records and 5 bytes left over"));
  }
  SECTION("a truncated last record") {
    Bytes bytes = records(0, 2);
    bytes.pop_back();
    CHECK_THAT(error_for(bytes), Contains(path) && Contains("received 6145 bytes"));
  }
  SECTION("empty file") {
    CHECK_THAT(error_for({}), Contains(path) && Contains("received 0 bytes"));
  }
  SECTION("label out of range") {
    Bytes bytes = records(0, 3);
    bytes[2 * 3073] = 10;
    CHECK_THAT(error_for(bytes),
               Contains(path) && Contains("record 2") && Contains("byte offset 6146") &&
                   Contains("expected a class in [0, 10)") && Contains("received 10"));
  }
  SECTION("a missing training batch") {
    write_directory(dir.path());
    std::filesystem::remove(dir.file("data_batch_4.bin"));
    CHECK_THAT(format_error_of([&] { wrnn::data::load_cifar10_directory(dir.path(), true); }),
               Contains(dir.path()) && Contains("data_batch_4.bin"));
    // The test half is still complete.
    CHECK(wrnn::data::load_cifar10_directory(dir.path(), false).count == 2);
  }
}

TEST_CASE("appending CIFAR-10 records to an MNIST-shaped dataset is a ShapeError",
          "[data][cifar]") {
  ScratchDirectory dir;
  data_test::write_raw(dir.file("one.bin"), records(0, 1));
  wrnn::data::ImageDataset mnist_like;
  mnist_like.count = 1;
  mnist_like.rows = mnist_like.cols = 28;
  mnist_like.channels = 1;
  mnist_like.pixels.assign(784, 0);
  mnist_like.labels.assign(1, 0);
  CHECK_THROWS_AS(wrnn::data::append_cifar10_file(dir.file("one.bin"), mnist_like),
                  wrnn::ShapeError);
}

}  // namespace test_data_cifar10
