#pragma once
/// \file
/// Fashion-MNIST (Zalando): 70,000 grayscale 28x28 images of clothing in 10 classes, read from the
/// gzip IDX files of the Debian package dataset-fashion-mnist.

#include "gpu/data_error.hpp"
#include "gpu/image_dataset.hpp"

#include <memory>
#include <string>

namespace hetsgd {

/// Where the Debian package dataset-fashion-mnist installs the files.
inline constexpr const char* default_fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";

/// Normalization constants of the Fashion-MNIST training set (mean and standard deviation of the
/// pixel values scaled to [0, 1]).
inline constexpr double fashion_mnist_mean = 0.2860;
inline constexpr double fashion_mnist_std = 0.3530;

/// Image side in pixels and number of classes.
inline constexpr int64_t fashion_mnist_side = 28;
inline constexpr int64_t fashion_mnist_classes = 10;

/// The two standard splits: 60,000 training and 10,000 test images.
using fashion_mnist = labeled_data;

/// Reads `dir`/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz with zlib, checks magic numbers
/// (2051 for images, 2049 for labels), dimensions (28x28), counts (60,000 / 10,000, images and
/// labels agreeing) and label range, and returns normalized float images (see image_dataset).
/// Throws data_error naming the file and what was expected; a missing file names the Debian
/// package to install. Takes about a second; load once per process and share the result.
fashion_mnist load_fashion_mnist(const std::string& dir = default_fashion_mnist_dir);

/// Like load_fashion_mnist, but loads each directory at most once per process while a previous
/// result is still alive (thread-safe): every caller gets the same read-only tensors.
std::shared_ptr<const fashion_mnist> shared_fashion_mnist(
  const std::string& dir = default_fashion_mnist_dir);

}  // namespace hetsgd
