#include "gpu/cuda/device_buffer.hpp"

#include <cuda_runtime_api.h>

#include <utility>

namespace hetsgd {
namespace cuda {
namespace {

std::string error_text(cudaError_t err) {
  return std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
}

std::string range_error(const char* op, int64_t n, int64_t size) {
  return std::string("device_buffer::") + op + ": " + std::to_string(n) +
         " floats requested, buffer holds " + std::to_string(size);
}

}  // namespace

device_buffer::~device_buffer() {
  reset();
}

device_buffer::device_buffer(device_buffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

device_buffer& device_buffer::operator=(device_buffer&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void device_buffer::reset() {
  if (data_ != nullptr)
    cudaFree(data_);
  data_ = nullptr;
  size_ = 0;
}

std::string device_buffer::allocate(int64_t n) {
  reset();
  if (n < 0)
    return "device_buffer::allocate: negative size " + std::to_string(n);
  if (n == 0)
    return {};
  void* p = nullptr;
  const cudaError_t err = cudaMalloc(&p, static_cast<size_t>(n) * sizeof(float));
  if (err != cudaSuccess)
    return error_text(err);
  data_ = static_cast<float*>(p);
  size_ = n;
  return {};
}

std::string device_buffer::upload(const float* host, int64_t n) {
  if (n < 0 || n > size_)
    return range_error("upload", n, size_);
  if (n == 0)
    return {};
  const cudaError_t err =
    cudaMemcpy(data_, host, static_cast<size_t>(n) * sizeof(float), cudaMemcpyHostToDevice);
  return err == cudaSuccess ? std::string() : error_text(err);
}

std::string device_buffer::download(float* host, int64_t n) const {
  if (n < 0 || n > size_)
    return range_error("download", n, size_);
  if (n == 0)
    return {};
  const cudaError_t err =
    cudaMemcpy(host, data_, static_cast<size_t>(n) * sizeof(float), cudaMemcpyDeviceToHost);
  return err == cudaSuccess ? std::string() : error_text(err);
}

}  // namespace cuda
}  // namespace hetsgd
