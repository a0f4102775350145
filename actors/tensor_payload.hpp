#pragma once
/// A tensor inside a CAF message. In one process the message holds a refcounted handle, so a
/// send is zero-copy (same data pointer); receivers must treat it as immutable and clone before
/// mutating. Across processes, inspect() writes shape, dtype and the raw bytes as one byte
/// sequence (CAF serializes byte vectors in bulk; element by element is about 10× slower).

#include <ATen/core/Tensor.h>
#include <caf/deserializer.hpp>
#include <caf/detail/stringification_inspector.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>

#include <cstdint>
#include <type_traits>
#include <vector>

namespace hetsgd {

struct tensor_payload {
  at::Tensor value;
};

/// Wire form of a tensor: shape, a dtype code and the contiguous bytes.
struct tensor_wire {
  std::vector<std::int64_t> shape;
  std::int32_t dtype = 0;
  std::vector<std::uint8_t> bytes;
};

tensor_wire encode_tensor(const at::Tensor& t);
/// Throws std::invalid_argument when the bytes do not match shape and dtype.
at::Tensor decode_tensor(const tensor_wire& w);
/// "Float[21840]" or "undefined", for logs.
std::string describe_tensor(const at::Tensor& t);
/// Reads the byte sequence of a tensor_wire as CAF writes a byte vector (a length, then the raw
/// bytes), refusing a length larger than what `source` still holds (or than 2 GiB where that is
/// unknown) with sec::end_of_stream before it allocates.
caf::error load_tensor_bytes(caf::deserializer& source, std::vector<std::uint8_t>& bytes);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tensor_payload& x) {
  if constexpr (std::is_same<Inspector, caf::detail::stringification_inspector>::value) {
    // Logging a message must not print megabytes of tensor data.
    auto desc = describe_tensor(x.value);
    return f(caf::meta::type_name("tensor"), desc);
  } else if constexpr (Inspector::reads_state) {
    tensor_wire w;
    try {
      w = encode_tensor(x.value);
    } catch (const std::exception&) {
      // An unsupported dtype must not throw through CAF's serializer (it may run on the
      // network thread): report it as an error of this message.
      return caf::make_error(caf::sec::runtime_error);
    }
    return f(caf::meta::type_name("tensor"), w.shape, w.dtype, w.bytes);
  } else {
    // The same bytes as written above, but the byte count comes from the peer: CAF's own load of
    // a byte vector resizes to it before reading anything (fuzz_messages made a 100-byte message
    // allocate 4 GiB), so load_tensor_bytes checks it against what the message holds first.
    tensor_wire w;
    if (auto err = f(caf::meta::type_name("tensor"), w.shape, w.dtype))
      return err;
    if (auto err = load_tensor_bytes(f, w.bytes))
      return err;
    try {
      x.value = decode_tensor(w);
    } catch (const std::exception&) {
      return caf::make_error(caf::sec::runtime_error);
    }
    return caf::none;
  }
}

}  // namespace hetsgd
