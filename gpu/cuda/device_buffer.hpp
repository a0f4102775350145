#pragma once
/// \file
/// An owned array of floats in CUDA device memory, with a plain C++ interface (no CUDA types).
/// Compiled only when the CUDA toolkit was found (HETSGD_HAVE_CUDA).

#include <cstdint>
#include <string>

namespace hetsgd {
namespace cuda {

/// Device memory for `size()` floats on the current device, freed on destruction. Move-only.
/// Operations return an error string: empty on success, else the CUDA runtime's error text.
class device_buffer {
 public:
  device_buffer() = default;
  ~device_buffer();
  device_buffer(device_buffer&& other) noexcept;
  device_buffer& operator=(device_buffer&& other) noexcept;
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;

  /// Frees any previous memory and allocates n floats (uninitialized).
  std::string allocate(int64_t n);
  /// Copies n floats from host memory to the start of the buffer (synchronous); n <= size().
  std::string upload(const float* host, int64_t n);
  /// Copies n floats from the start of the buffer to host memory (synchronous); n <= size().
  std::string download(float* host, int64_t n) const;
  /// Frees the memory (size() becomes 0).
  void reset();

  float* data() { return data_; }
  const float* data() const { return data_; }
  int64_t size() const { return size_; }

 private:
  float* data_ = nullptr;
  int64_t size_ = 0;
};

}  // namespace cuda
}  // namespace hetsgd
