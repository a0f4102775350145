#pragma once
/// \file
/// CUDA kernels of the GPU data plane, with a plain C++ interface (no CUDA types), compiled only
/// when the CUDA toolkit was found (HETSGD_HAVE_CUDA). Pointers are DEVICE pointers (e.g. from
/// device_buffer); Debian's LibTorch has no CUDA, so hetsgd owns its device memory.
///
/// Every function returns an error string: empty on success, else the CUDA runtime's error name
/// and text (e.g. when there is no device). They never throw.

#include <cstdint>
#include <string>

namespace hetsgd {
namespace cuda {

/// Counts the NaN and infinite elements among n floats at `device_data`, writing the count to
/// *count (host memory). Synchronous: waits for the count on `stream` (a cudaStream_t; nullptr is
/// the default stream).
std::string count_non_finite(const float* device_data, int64_t n, int64_t* count,
                             void* stream = nullptr);

/// dst[i] += alpha * src[i] for i < n (device memory; dst and src may not partially overlap).
/// Asynchronous on `stream`: only launch errors are reported here; synchronize the stream to
/// see execution errors.
std::string scale_accumulate(float* device_dst, const float* device_src, float alpha, int64_t n,
                             void* stream = nullptr);

/// data[i] *= alpha for i < n (device memory): the 1/N of a mean after an all-reduce sum.
/// Asynchronous on `stream`, like scale_accumulate.
std::string scale(float* device_data, float alpha, int64_t n, void* stream = nullptr);

}  // namespace cuda
}  // namespace hetsgd
