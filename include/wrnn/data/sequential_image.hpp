/// \file
/// Images read as sequences: the sMNIST, psMNIST and noisy sequential CIFAR-10 tasks
/// (SequentialImageView).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/core/sequence.hpp"
#include "wrnn/core/types.hpp"
#include "wrnn/data/image_dataset.hpp"
#include "wrnn/data/shuffle.hpp"

namespace wrnn {
namespace data {

/// Which sequential-image task a SequentialImageView builds.
enum class SequentialImageKind {
  pixels,           ///< sMNIST
  permuted_pixels,  ///< psMNIST
  noisy_rows        ///< noisy sequential CIFAR-10
};

// clang-format off
/// Images read as sequences: the sMNIST, psMNIST and noisy sequential CIFAR-10 tasks of
/// Keller et al. (ICLR 2024), built exactly as the authors' code builds them (docs/data.md).
///
///     sMNIST     T = rows*cols = 784, d = 1:  x[t][b][0] = image_b[t / cols][t % cols] / 255
///                (pixels in row-major order, scaled to [0, 1] like torchvision's ToTensor()).
///     psMNIST    T = 784, d = 1:  x[t][b][0] = image_b[pi[t] / cols][pi[t] % cols] / 255 for one
///                fixed permutation pi of the 784 pixel positions (the authors' images[perm]).
///                pi = random_permutation(784, seed), a Fisher-Yates shuffle (shuffle.hpp).
///     nsCIFAR-10 T = 1000, d = channels*cols = 96. Steps t < 32 are image row t with the row's
///                values channel by channel: x[t][b][c*32 + col] = image_b[c][t][col] / 255
///                (the authors' images.permute(0,2,1,3).reshape(-1,32,96): all 32 red values of the
///                row, then the 32 green, then the 32 blue). Steps 32..999 are Gaussian noise rows
///                N(0, 1), drawn once from Rng(seed) and the same for every sample, every batch and
///                the training, validation and test sets.
///
/// No mean/std normalisation: the authors use transforms.ToTensor() alone for both datasets.
// clang-format on
class SequentialImageView {
 public:
  /// sMNIST: one pixel per step in row-major order.
  /// \throws ValueError when rows or cols is not positive.
  static SequentialImageView sequential_pixels(Index rows = 28, Index cols = 28) {
    SequentialImageView view(SequentialImageKind::pixels, rows, cols, 1, rows * cols, 1, 0);
    view.permutation_ = identity(rows * cols);
    return view;
  }

  /// psMNIST: one pixel per step, in the order of random_permutation(rows*cols, seed).
  /// \throws ValueError when rows or cols is not positive.
  static SequentialImageView permuted_pixels(std::uint64_t seed, Index rows = 28, Index cols = 28) {
    SequentialImageView view(SequentialImageKind::permuted_pixels, rows, cols, 1, rows * cols, 1,
                             seed);
    view.permutation_ = random_permutation(rows * cols, seed);
    return view;
  }

  /// psMNIST with a permutation saved earlier (for example with a model); step t reads pixel
  /// permutation[t] (row-major position). `seed` is only recorded.
  /// \throws ValueError when `permutation` is not a permutation of 0..rows*cols-1.
  static SequentialImageView permuted_pixels(std::vector<Index> permutation, std::uint64_t seed,
                                             Index rows = 28, Index cols = 28) {
    if (!is_permutation_of_range(permutation, rows * cols))
      throw ValueError(wrnn::detail::concat(
          "permuted_pixels: expected a permutation of 0..", rows * cols - 1, " (", rows * cols,
          " distinct positions), received ", permutation.size(), " values that are not one"));
    SequentialImageView view(SequentialImageKind::permuted_pixels, rows, cols, 1, rows * cols, 1,
                             seed);
    view.permutation_ = std::move(permutation);
    return view;
  }

  /// Noisy sequential CIFAR-10: one image row (all channels) per step, then noise rows up to
  /// total_steps. Noise value (s, e) of noise row s = 0..total_steps-rows-1 is the
  /// (s*features + e)-th draw of Rng(seed).normal().
  /// \throws ValueError when total_steps < rows or a size is not positive.
  static SequentialImageView noisy_rows(std::uint64_t seed, Index total_steps = 1000,
                                        Index rows = 32, Index cols = 32, Index channels = 3) {
    if (total_steps < rows)
      throw ValueError(wrnn::detail::concat("noisy_rows: expected at least ", rows,
                                            " steps (one per image row), received ", total_steps));
    SequentialImageView view(SequentialImageKind::noisy_rows, rows, cols, channels, total_steps,
                             channels * cols, seed);
    Rng rng(seed);
    view.noise_.resize(static_cast<std::size_t>((total_steps - rows) * channels * cols));
    for (double& value : view.noise_) value = rng.normal();
    return view;
  }

  /// The view of a task named as on command lines: "smnist", "psmnist", "nscifar10".
  /// \throws ValueError for any other name.
  static SequentialImageView for_task(const std::string& task, std::uint64_t seed) {
    if (task == "smnist") return sequential_pixels();
    if (task == "psmnist") return permuted_pixels(seed);
    if (task == "nscifar10") return noisy_rows(seed);
    throw ValueError(wrnn::detail::concat(
        "sequential image task: expected smnist, psmnist or nscifar10, received '", task, "'"));
  }

  SequentialImageKind kind() const { return kind_; }  ///< The task.
  Index steps() const { return steps_; }              ///< T
  Index features() const { return features_; }        ///< d
  Index rows() const { return rows_; }                ///< The images' rows.
  Index cols() const { return cols_; }                ///< The images' columns.
  Index channels() const { return channels_; }        ///< The images' channels.
  std::uint64_t seed() const { return seed_; }        ///< The seed of the permutation or noise.
  /// Pixel views: step t reads row-major pixel position permutation()[t] (identity for sMNIST).
  const std::vector<Index>& permutation() const { return permutation_; }
  /// Noisy rows: the (steps - rows) x features noise block, row-major (empty for pixel views).
  const std::vector<double>& noise() const { return noise_; }

  /// Fills x (resized to steps x examples.size() x features when its shape differs) with the
  /// sequences of dataset images `examples`, and labels[b] with the class of examples[b].
  /// \throws ShapeError when the dataset's images are not the view's shape or its pixel or label
  ///         count does not match its image count.
  /// \throws ValueError when `examples` is empty or holds an index outside the dataset.
  template <class Scalar>
  void fill(const ImageDataset& dataset, const std::vector<Index>& examples, Sequence<Scalar>& x,
            std::vector<int>& labels) const {
    check_dataset(dataset);
    const Index batch = static_cast<Index>(examples.size());
    if (batch == 0)
      throw ValueError("SequentialImageView::fill: expected at least one example, received none");
    for (Index b = 0; b < batch; ++b)
      if (examples[static_cast<std::size_t>(b)] < 0 ||
          examples[static_cast<std::size_t>(b)] >= dataset.count)
        throw ValueError(
            wrnn::detail::concat("SequentialImageView::fill: expected example "
                                 "indices in [0, ",
                                 dataset.count, "), received ",
                                 examples[static_cast<std::size_t>(b)], " at batch position ", b));
    if (x.steps() != steps_ || x.batch() != batch || x.features() != features_)
      x.resize(steps_, batch, features_);
    labels.resize(static_cast<std::size_t>(batch));
    for (Index b = 0; b < batch; ++b)
      labels[static_cast<std::size_t>(b)] =
          dataset.labels[static_cast<std::size_t>(examples[static_cast<std::size_t>(b)])];

    // Byte v becomes Scalar(v) / Scalar(255), the same rounding as ToTensor's float division.
    Scalar scaled[256];
    for (int v = 0; v < 256; ++v) scaled[v] = static_cast<Scalar>(v) / static_cast<Scalar>(255);

    if (kind_ == SequentialImageKind::noisy_rows) {
      const Index plane = rows_ * cols_;
      for (Index t = 0; t < rows_; ++t)
        for (Index b = 0; b < batch; ++b) {
          const std::uint8_t* image = dataset.image(examples[static_cast<std::size_t>(b)]);
          for (Index c = 0; c < channels_; ++c)
            for (Index col = 0; col < cols_; ++col)
              x(t, b, c * cols_ + col) = scaled[image[c * plane + t * cols_ + col]];
        }
      for (Index t = rows_; t < steps_; ++t) {
        const double* noise_row = noise_.data() + (t - rows_) * features_;
        for (Index b = 0; b < batch; ++b)
          for (Index e = 0; e < features_; ++e) x(t, b, e) = static_cast<Scalar>(noise_row[e]);
      }
    } else {
      for (Index t = 0; t < steps_; ++t) {
        const Index position = permutation_[static_cast<std::size_t>(t)];
        for (Index b = 0; b < batch; ++b)
          x(t, b, 0) = scaled[dataset.image(examples[static_cast<std::size_t>(b)])[position]];
      }
    }
  }

 private:
  SequentialImageView(SequentialImageKind kind, Index rows, Index cols, Index channels, Index steps,
                      Index features, std::uint64_t seed)
      : kind_(kind),
        rows_(rows),
        cols_(cols),
        channels_(channels),
        steps_(steps),
        features_(features),
        seed_(seed) {
    if (rows <= 0 || cols <= 0 || channels <= 0)
      throw ValueError(wrnn::detail::concat(
          "SequentialImageView: expected positive image sizes, received channels=", channels,
          ", rows=", rows, ", cols=", cols));
  }

  static std::vector<Index> identity(Index n) {
    std::vector<Index> order(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
    return order;
  }

  void check_dataset(const ImageDataset& dataset) const {
    if (dataset.rows != rows_ || dataset.cols != cols_ || dataset.channels != channels_)
      throw ShapeError(wrnn::detail::concat(
          "SequentialImageView: expected images of channels x rows x cols = ", channels_, " x ",
          rows_, " x ", cols_, ", received ", dataset.channels, " x ", dataset.rows, " x ",
          dataset.cols));
    require_size("SequentialImageView: dataset pixel count", dataset.count * dataset.image_size(),
                 static_cast<Index>(dataset.pixels.size()));
    require_size("SequentialImageView: dataset label count (one per image)", dataset.count,
                 static_cast<Index>(dataset.labels.size()));
  }

  SequentialImageKind kind_;
  Index rows_, cols_, channels_, steps_, features_;
  std::uint64_t seed_;
  std::vector<Index> permutation_;
  std::vector<double> noise_;
};

}  // namespace data
}  // namespace wrnn
