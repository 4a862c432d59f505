// IDX reader: files written here in the real format (raw and gzip) are read back exactly, and every
// kind of corruption is a FormatError naming the file, what was expected and what was received.
#include <catch2/catch.hpp>

#include "data_test_files.hpp"
#include "wrnn/data/idx.hpp"

namespace test_data_idx {  // see "unity groups" in tests/CMakeLists.txt

using Catch::Matchers::Contains;
using data_test::Bytes;
using data_test::format_error_of;
using data_test::idx_file;
using data_test::ScratchDirectory;

namespace {

constexpr std::uint32_t kCount = 5, kRows = 3, kCols = 4;

Bytes image_payload() {
  Bytes pixels(kCount * kRows * kCols);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = data_test::pattern(i);
  return pixels;
}
Bytes label_payload() {
  return {3, 0, 9, 1, 7};
}

Bytes images_file() {
  return idx_file(0x08, {kCount, kRows, kCols}, image_payload());
}
Bytes labels_file() {
  return idx_file(0x08, {kCount}, label_payload());
}

void check_images(const wrnn::data::ImageDataset& dataset) {
  CHECK(dataset.count == kCount);
  CHECK(dataset.rows == kRows);
  CHECK(dataset.cols == kCols);
  CHECK(dataset.channels == 1);
  const Bytes expected = image_payload();
  REQUIRE(dataset.pixels == expected);
  // Pixel (i, r, c) of the file is pixel(i, 0, r, c) of the dataset.
  CHECK(dataset.pixel(2, 0, 1, 3) == expected[2 * kRows * kCols + 1 * kCols + 3]);
}

}  // namespace

TEST_CASE("IDX images and labels round-trip, raw and gzip-compressed", "[data][idx]") {
  ScratchDirectory dir;
  for (bool gzip : {false, true}) {
    CAPTURE(gzip);
    const std::string images = dir.file(gzip ? "im.gz" : "im"),
                      labels = dir.file(gzip ? "lb.gz" : "lb");
    (gzip ? data_test::write_gzip : data_test::write_raw)(images, images_file());
    (gzip ? data_test::write_gzip : data_test::write_raw)(labels, labels_file());
    if (gzip) {  // really compressed: starts with the gzip magic, not the IDX one
      const Bytes on_disk = data_test::read_raw(images);
      REQUIRE(on_disk.size() >= 2);
      CHECK(on_disk[0] == 0x1f);
      CHECK(on_disk[1] == 0x8b);
    }
    check_images(wrnn::data::load_idx_images(images));
    CHECK(wrnn::data::load_idx_labels(labels) == label_payload());
    const wrnn::data::ImageDataset pair = wrnn::data::load_idx_pair(images, labels);
    check_images(pair);
    CHECK(pair.labels == label_payload());
  }
}

TEST_CASE("load_mnist_directory finds raw, gzip and dotted file names", "[data][idx]") {
  ScratchDirectory dir;
  const Bytes test_images = idx_file(0x08, {2, kRows, kCols}, Bytes(2 * kRows * kCols, 200));
  const Bytes test_labels = idx_file(0x08, {2}, {4, 5});
  SECTION("gzip names, as in Debian's dataset-fashion-mnist") {
    data_test::write_gzip(dir.file("train-images-idx3-ubyte.gz"), images_file());
    data_test::write_gzip(dir.file("train-labels-idx1-ubyte.gz"), labels_file());
    data_test::write_gzip(dir.file("t10k-images-idx3-ubyte.gz"), test_images);
    data_test::write_gzip(dir.file("t10k-labels-idx1-ubyte.gz"), test_labels);
  }
  SECTION("raw names, as in torchvision's raw folder") {
    data_test::write_raw(dir.file("train-images-idx3-ubyte"), images_file());
    data_test::write_raw(dir.file("train-labels-idx1-ubyte"), labels_file());
    data_test::write_raw(dir.file("t10k-images-idx3-ubyte"), test_images);
    data_test::write_raw(dir.file("t10k-labels-idx1-ubyte"), test_labels);
  }
  SECTION("dotted names") {
    data_test::write_raw(dir.file("train-images.idx3-ubyte"), images_file());
    data_test::write_gzip(dir.file("train-labels.idx1-ubyte.gz"), labels_file());
    data_test::write_raw(dir.file("t10k-images.idx3-ubyte"), test_images);
    data_test::write_raw(dir.file("t10k-labels.idx1-ubyte"), test_labels);
  }
  const wrnn::data::ImageDataset train = wrnn::data::load_mnist_directory(dir.path(), true);
  check_images(train);
  CHECK(train.labels == label_payload());
  const wrnn::data::ImageDataset test = wrnn::data::load_mnist_directory(dir.path(), false);
  CHECK(test.count == 2);
  CHECK(test.pixels == Bytes(2 * kRows * kCols, 200));
  CHECK(test.labels == Bytes{4, 5});
}

TEST_CASE("a directory without the files names the directory and the names tried", "[data][idx]") {
  ScratchDirectory dir;
  data_test::write_raw(dir.file("train-images-idx3-ubyte"), images_file());
  const std::string message =
      format_error_of([&] { wrnn::data::load_mnist_directory(dir.path(), true); });
  CHECK_THAT(message, Contains(dir.path()) && Contains("train-labels-idx1-ubyte.gz") &&
                          Contains("found none"));
}

TEST_CASE("corrupt IDX files are FormatErrors naming file, expected and received", "[data][idx]") {
  ScratchDirectory dir;
  const std::string path = dir.file("bad-idx");
  const auto images_error = [&](const Bytes& bytes, bool gzip = false) {
    (gzip ? data_test::write_gzip : data_test::write_raw)(path, bytes);
    return format_error_of([&] { wrnn::data::load_idx_images(path); });
  };
  const auto labels_error = [&](const Bytes& bytes, int classes = 10) {
    data_test::write_raw(path, bytes);
    return format_error_of([&] { wrnn::data::load_idx_labels(path, classes); });
  };
  // 16-byte header + 5 x 3 x 4 pixels.
  const std::size_t full_size = 16 + kCount * kRows * kCols;

  SECTION("bad magic") {
    Bytes bytes = images_file();
    bytes[0] = 0x12;
    bytes[1] = 0x34;
    CHECK_THAT(images_error(bytes), Contains(path) && Contains("bad magic") &&
                                        Contains("expected magic 0x00000803") &&
                                        Contains("received 0x12340803"));
  }
  SECTION("unsupported element type") {
    Bytes bytes = images_file();
    bytes[2] = 0x0D;
    CHECK_THAT(images_error(bytes), Contains(path) && Contains("expected 0x08 (unsigned byte") &&
                                        Contains("received 0x0D (float32"));
  }
  SECTION("a label file read as images: wrong dimension count") {
    CHECK_THAT(images_error(labels_file()),
               Contains(path) && Contains("expected magic 0x00000803") &&
                   Contains("received magic 0x00000801 (1 dimension)"));
  }
  SECTION("an image file read as labels") {
    CHECK_THAT(labels_error(images_file()),
               Contains(path) && Contains("expected magic 0x00000801") &&
                   Contains("received magic 0x00000803 (3 dimensions)"));
  }
  SECTION("file shorter than the magic") {
    CHECK_THAT(images_error({0, 0}), Contains(path) && Contains("4-byte header") &&
                                         Contains("received a file of 2 bytes"));
  }
  SECTION("header cut inside the dimension sizes") {
    Bytes bytes = images_file();
    bytes.resize(10);
    CHECK_THAT(images_error(bytes), Contains(path) && Contains("truncated header") &&
                                        Contains("expected 16 bytes") &&
                                        Contains("received 10 bytes"));
  }
  SECTION("truncated pixel data, raw and gzip") {
    for (bool gzip : {false, true}) {
      CAPTURE(gzip);
      Bytes bytes = images_file();
      bytes.resize(full_size - 6);
      const std::string message = images_error(bytes, gzip);
      CHECK_THAT(message, Contains(path) && Contains("truncated") &&
                              Contains("expected " + std::to_string(full_size) + " bytes") &&
                              Contains("60 bytes for 5 images x 3 x 4 pixels") &&
                              Contains("received " + std::to_string(full_size - 6) + " bytes"));
      CHECK((message.find("gzip") != std::string::npos) == gzip);
    }
  }
  SECTION("trailing bytes after the data") {
    Bytes bytes = images_file();
    bytes.push_back(0);
    bytes.push_back(0);
    CHECK_THAT(images_error(bytes),
               Contains(path) && Contains("trailing bytes") &&
                   Contains("expected " + std::to_string(full_size) + " bytes") &&
                   Contains("received " + std::to_string(full_size + 2) + " bytes"));
  }
  SECTION("a gzip stream cut short") {
    data_test::write_gzip(path, images_file());
    Bytes compressed = data_test::read_raw(path);
    compressed.resize(compressed.size() - 12);  // drops the CRC and length trailer and some data
    data_test::write_raw(path, compressed);
    CHECK_THAT(format_error_of([&] { wrnn::data::load_idx_images(path); }),
               Contains(path) && Contains("expected a complete gzip stream"));
  }
  SECTION("label out of range") {
    const Bytes bytes = idx_file(0x08, {4}, {1, 2, 10, 3});
    CHECK_THAT(labels_error(bytes), Contains(path) && Contains("at example 2") &&
                                        Contains("expected a class in [0, 10)") &&
                                        Contains("received 10"));
    // The same file is valid for 11 classes, and a 3-class reader rejects label 3 first.
    CHECK(wrnn::data::load_idx_labels(path, 11) == Bytes{1, 2, 10, 3});
    CHECK_THAT(labels_error(bytes, 3), Contains("at example 2") && Contains("[0, 3)"));
  }
  SECTION("image and label counts differ") {
    const std::string images = dir.file("images"), labels = dir.file("labels");
    data_test::write_raw(images, images_file());
    data_test::write_raw(labels, idx_file(0x08, {4}, {1, 2, 3, 4}));
    CHECK_THAT(format_error_of([&] { wrnn::data::load_idx_pair(images, labels); }),
               Contains(images) && Contains(labels) && Contains("has 4 labels") &&
                   Contains("has 5 images"));
  }
  SECTION("missing file") {
    CHECK_THAT(format_error_of([&] { wrnn::data::load_idx_images(dir.file("absent")); }),
               Contains(dir.file("absent")) && Contains("cannot open"));
  }
}

TEST_CASE("an invalid class count is a ValueError", "[data][idx]") {
  CHECK_THROWS_AS(wrnn::data::load_idx_labels("unused", 0), wrnn::ValueError);
}

}  // namespace test_data_idx
