/// \file
/// Everything of wrnn's data part: IDX and CIFAR-10 readers, splits, batches, sequential-image
/// tasks. Link wrnn::data (it brings zlib).
#pragma once

#include "wrnn/data/cifar10.hpp"
#include "wrnn/data/epoch_batches.hpp"
#include "wrnn/data/file_bytes.hpp"
#include "wrnn/data/idx.hpp"
#include "wrnn/data/image_dataset.hpp"
#include "wrnn/data/sequential_image.hpp"
#include "wrnn/data/shuffle.hpp"
#include "wrnn/data/split.hpp"
