// wrnn::data from an installed wrnn: two 2x3 images and their labels written as an MNIST-style
// directory (images raw, labels gzip-compressed through zlib, which wrnn::data brings) and read
// back, pixel for pixel, then turned into a sequential-image batch. Usage: consumer_data DIRECTORY
#include <wrnn/data/data.hpp>

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
    return 2;
  }
  const std::string directory = argv[1];
  const std::vector<std::uint8_t> pixels = {0, 10, 20, 30, 40, 50, 255, 254, 253, 252, 251, 250};
  const std::vector<std::uint8_t> labels = {7, 3};
  // IDX: 0, 0, element type 0x08 (bytes), dimension count, then big-endian 32-bit sizes.
  const std::vector<std::uint8_t> image_header = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3};
  const std::vector<std::uint8_t> label_header = {0, 0, 8, 1, 0, 0, 0, 2};

  std::ofstream images(directory + "/train-images-idx3-ubyte", std::ios::binary);
  for (const auto* part : {&image_header, &pixels})
    images.write(reinterpret_cast<const char*>(part->data()),
                 static_cast<std::streamsize>(part->size()));
  images.close();
  gzFile gz = gzopen((directory + "/train-labels-idx1-ubyte.gz").c_str(), "wb");
  if (!gz) return 1;
  for (const auto* part : {&label_header, &labels})
    gzwrite(gz, part->data(), static_cast<unsigned>(part->size()));
  gzclose(gz);

  const wrnn::data::ImageDataset dataset = wrnn::data::load_mnist_directory(directory, true);
  const auto view = wrnn::data::SequentialImageView::sequential_pixels(2, 3);
  wrnn::Sequence<float> x;
  std::vector<int> batch_labels;
  view.fill(dataset, {1, 0}, x, batch_labels);
  const bool same = dataset.count == 2 && dataset.rows == 2 && dataset.cols == 3 &&
                    dataset.pixels == pixels && dataset.labels == labels && x.steps() == 6 &&
                    batch_labels == std::vector<int>{3, 7} && x(0, 0, 0) == 1.0f &&
                    x(5, 1, 0) == 50.0f / 255.0f;
  std::printf("data: %lld images %lldx%lld read back %s\n", static_cast<long long>(dataset.count),
              static_cast<long long>(dataset.rows), static_cast<long long>(dataset.cols),
              same ? "unchanged" : "CHANGED");
  return same ? 0 : 1;
}
