#include "gpu/fashion_mnist.hpp"

#include <ATen/ATen.h>
#include <zlib.h>

#include <sys/stat.h>
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

namespace hetsgd {
namespace {

constexpr uint32_t images_magic = 2051;  // 0x00000803: unsigned byte, 3 dimensions
constexpr uint32_t labels_magic = 2049;  // 0x00000801: unsigned byte, 1 dimension

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// A gzip file opened with zlib, closed on scope exit.
class gz_reader {
 public:
  explicit gz_reader(std::string path) : path_(std::move(path)) {
    if (!file_exists(path_))
      throw data_error("Fashion-MNIST not found: " + path_ +
                       " does not exist; install the Debian package dataset-fashion-mnist "
                       "(apt-get install dataset-fashion-mnist)");
    file_ = gzopen(path_.c_str(), "rb");
    if (file_ == nullptr)
      throw data_error("Fashion-MNIST: cannot open " + path_ + ": " + std::strerror(errno));
  }
  gz_reader(const gz_reader&) = delete;
  gz_reader& operator=(const gz_reader&) = delete;
  ~gz_reader() { gzclose(file_); }

  /// Reads exactly n bytes; `what` names the part of the file for the error message.
  void read(void* dst, size_t n, const char* what) {
    auto* out = static_cast<unsigned char*>(dst);
    size_t done = 0;
    while (done < n) {
      const size_t chunk = std::min<size_t>(n - done, size_t{1} << 30);
      const int got = gzread(file_, out + done, static_cast<unsigned>(chunk));
      if (got < 0) {
        int code = 0;
        const char* msg = gzerror(file_, &code);
        throw data_error("Fashion-MNIST: " + path_ + " is corrupt (reading " + what +
                         "): " + (msg != nullptr ? msg : "zlib error"));
      }
      if (got == 0)
        throw data_error("Fashion-MNIST: " + path_ + " is truncated: expected " +
                         std::to_string(n) + " bytes of " + what + ", got " + std::to_string(done));
      done += static_cast<size_t>(got);
    }
  }

  uint32_t read_be32(const char* what) {
    unsigned char b[4];
    read(b, 4, what);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }

  /// True when nothing follows the data read so far.
  bool at_end() {
    unsigned char extra = 0;
    return gzread(file_, &extra, 1) == 0;
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  gzFile file_ = nullptr;
};

void expect(gz_reader& in, bool ok, const std::string& what) {
  if (!ok)
    throw data_error("Fashion-MNIST: " + in.path() + " is not a valid IDX file: " + what);
}

at::Tensor read_images(const std::string& path, int64_t expected_count) {
  gz_reader in(path);
  const uint32_t magic = in.read_be32("the magic number");
  expect(in, magic == images_magic,
         "magic number " + std::to_string(magic) + ", expected " + std::to_string(images_magic) +
           " (images, idx3-ubyte)");
  const uint32_t count = in.read_be32("the image count");
  const uint32_t rows = in.read_be32("the row count");
  const uint32_t cols = in.read_be32("the column count");
  expect(in, count == expected_count,
         std::to_string(count) + " images, expected " + std::to_string(expected_count));
  expect(in, rows == fashion_mnist_side && cols == fashion_mnist_side,
         "images of " + std::to_string(rows) + "x" + std::to_string(cols) + ", expected 28x28");
  auto bytes =
    at::empty({static_cast<int64_t>(count), 1, fashion_mnist_side, fashion_mnist_side}, at::kByte);
  in.read(bytes.data_ptr<uint8_t>(), static_cast<size_t>(bytes.numel()), "pixel data");
  expect(in, in.at_end(), "unexpected data after " + std::to_string(count) + " images");
  auto images = bytes.to(at::kFloat).div_(255.0);
  images.sub_(fashion_mnist_mean).div_(fashion_mnist_std);
  return images;
}

at::Tensor read_labels(const std::string& path, int64_t expected_count) {
  gz_reader in(path);
  const uint32_t magic = in.read_be32("the magic number");
  expect(in, magic == labels_magic,
         "magic number " + std::to_string(magic) + ", expected " + std::to_string(labels_magic) +
           " (labels, idx1-ubyte)");
  const uint32_t count = in.read_be32("the label count");
  expect(in, count == expected_count,
         std::to_string(count) + " labels, expected " + std::to_string(expected_count));
  auto bytes = at::empty({static_cast<int64_t>(count)}, at::kByte);
  in.read(bytes.data_ptr<uint8_t>(), static_cast<size_t>(count), "label data");
  expect(in, in.at_end(), "unexpected data after " + std::to_string(count) + " labels");
  const uint8_t* p = bytes.data_ptr<uint8_t>();
  for (uint32_t i = 0; i < count; ++i)
    expect(in, p[i] < fashion_mnist_classes,
           "label " + std::to_string(p[i]) + " at index " + std::to_string(i) + ", expected 0..9");
  return bytes.to(at::kLong);
}

image_dataset read_split(const std::string& dir, const std::string& prefix, int64_t count) {
  const std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  // Check both files first, so that a missing package is reported before any decoding.
  const std::string images_path = base + prefix + "-images-idx3-ubyte.gz";
  const std::string labels_path = base + prefix + "-labels-idx1-ubyte.gz";
  for (const auto& p : {images_path, labels_path})
    if (!file_exists(p))
      throw data_error("Fashion-MNIST not found: " + p +
                       " does not exist; install the Debian package dataset-fashion-mnist "
                       "(apt-get install dataset-fashion-mnist)");
  return image_dataset{read_images(images_path, count), read_labels(labels_path, count)};
}

}  // namespace

fashion_mnist load_fashion_mnist(const std::string& dir) {
  fashion_mnist data;
  data.train = read_split(dir, "train", 60000);
  data.test = read_split(dir, "t10k", 10000);
  return data;
}

std::shared_ptr<const fashion_mnist> shared_fashion_mnist(const std::string& dir) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const fashion_mnist>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto hit = cache[dir].lock())
    return hit;
  auto loaded = std::make_shared<const fashion_mnist>(load_fashion_mnist(dir));
  cache[dir] = loaded;
  return loaded;
}

}  // namespace hetsgd
