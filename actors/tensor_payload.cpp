#include "actors/tensor_payload.hpp"

#include <ATen/ATen.h>
#include <caf/binary_deserializer.hpp>

#include <cstring>
#include <stdexcept>
#include <string>

namespace hetsgd {

namespace {

// Stable wire codes, independent of the ScalarType enum's numbering.
constexpr std::int32_t code_undefined = 0;
constexpr std::int32_t code_float = 1;
constexpr std::int32_t code_double = 2;
constexpr std::int32_t code_int64 = 3;
constexpr std::int32_t code_int32 = 4;
constexpr std::int32_t code_uint8 = 5;

std::int32_t code_of(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return code_float;
    case at::kDouble: return code_double;
    case at::kLong: return code_int64;
    case at::kInt: return code_int32;
    case at::kByte: return code_uint8;
    default:
      throw std::invalid_argument("tensor_payload: unsupported dtype " +
                                  std::string(c10::toString(t)));
  }
}

at::ScalarType type_of(std::int32_t code) {
  switch (code) {
    case code_float: return at::kFloat;
    case code_double: return at::kDouble;
    case code_int64: return at::kLong;
    case code_int32: return at::kInt;
    case code_uint8: return at::kByte;
    default:
      throw std::invalid_argument("tensor_payload: unknown dtype code " + std::to_string(code));
  }
}

}  // namespace

tensor_wire encode_tensor(const at::Tensor& t) {
  tensor_wire w;
  if (!t.defined()) {
    w.dtype = code_undefined;
    return w;
  }
  auto c = t.contiguous().cpu();
  w.shape.assign(c.sizes().begin(), c.sizes().end());
  w.dtype = code_of(c.scalar_type());
  auto n = static_cast<std::size_t>(c.numel()) * c.element_size();
  w.bytes.resize(n);
  if (n > 0)
    std::memcpy(w.bytes.data(), c.data_ptr(), n);
  return w;
}

at::Tensor decode_tensor(const tensor_wire& w) {
  if (w.dtype == code_undefined) {
    if (!w.shape.empty() || !w.bytes.empty())
      throw std::invalid_argument("tensor_payload: undefined tensor with data");
    return {};
  }
  auto type = type_of(w.dtype);
  std::int64_t numel = 1;
  for (auto d : w.shape) {
    if (d < 0 || (d > 0 && numel > (std::int64_t{1} << 40) / d))
      throw std::invalid_argument("tensor_payload: bad shape");
    numel *= d;
  }
  // Checked before allocating: a shape from a peer may ask for far more than the bytes it sent
  // (fuzz_messages: 960 GB from a 100-byte message).
  const auto expected = static_cast<std::size_t>(numel) * c10::elementSize(type);
  if (expected != w.bytes.size())
    throw std::invalid_argument("tensor_payload: " + std::to_string(w.bytes.size()) +
                                " bytes for " + std::to_string(expected) + " expected");
  auto t = at::empty(w.shape, at::TensorOptions().dtype(type));
  if (expected > 0)
    std::memcpy(t.data_ptr(), w.bytes.data(), expected);
  return t;
}

caf::error load_tensor_bytes(caf::deserializer& source, std::vector<std::uint8_t>& bytes) {
  constexpr std::size_t max_unknown_bytes = std::size_t{1} << 31;
  std::size_t n = 0;
  if (auto err = source.begin_sequence(n))
    return err;
  // The middleman decodes a message from a buffer that holds all of it: a length beyond what is
  // left there is a garbled or hostile message, never a tensor.
  const auto* buffer = dynamic_cast<const caf::binary_deserializer*>(&source);
  if (n > (buffer != nullptr ? buffer->remaining() : max_unknown_bytes))
    return caf::make_error(caf::sec::end_of_stream);
  bytes.resize(n);
  if (n > 0)
    if (auto err = source.apply_raw(n, bytes.data()))
      return err;
  return source.end_sequence();
}

std::string describe_tensor(const at::Tensor& t) {
  if (!t.defined())
    return "undefined";
  std::string s = c10::toString(t.scalar_type());
  s += "[";
  for (std::size_t i = 0; i < t.sizes().size(); ++i) {
    if (i > 0)
      s += ",";
    s += std::to_string(t.sizes()[i]);
  }
  return s + "]";
}

}  // namespace hetsgd
