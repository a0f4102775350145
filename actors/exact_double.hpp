#pragma once
/// Doubles inside a message, written as their 64 IEEE bits. CAF 0.17.6 writes a double with
/// caf::detail::pack754, which halves the value until it is below 2 and so never returns on
/// ±infinity (fuzz_messages found it: a diverged loss in a push would hang the sending process
/// inside CAF's serializer); the bits are exact for every value, NaN and infinity included. Each
/// message's inspect() wraps its double fields: f(..., exact(x.loss_sum), ...).

#include <caf/detail/stringification_inspector.hpp>

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace hetsgd {

struct exact_double {
  double& value;
};

struct exact_doubles {
  std::vector<double>& values;
};

inline exact_double exact(double& x) {
  return {x};
}
inline exact_doubles exact(std::vector<double>& xs) {
  return {xs};
}

inline std::uint64_t double_bits(double x) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

inline double double_from_bits(std::uint64_t bits) {
  double x = 0.0;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, exact_double& x) {
  if constexpr (std::is_same<Inspector, caf::detail::stringification_inspector>::value) {
    return f(x.value);  // logs show the number
  } else if constexpr (Inspector::reads_state) {
    auto bits = double_bits(x.value);
    return f(bits);
  } else {
    std::uint64_t bits = 0;
    auto result = f(bits);
    if (!result)
      x.value = double_from_bits(bits);
    return result;
  }
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, exact_doubles& x) {
  if constexpr (std::is_same<Inspector, caf::detail::stringification_inspector>::value) {
    return f(x.values);
  } else if constexpr (Inspector::reads_state) {
    std::vector<std::uint64_t> bits;
    bits.reserve(x.values.size());
    for (double v : x.values)
      bits.push_back(double_bits(v));
    return f(bits);
  } else {
    std::vector<std::uint64_t> bits;
    auto result = f(bits);
    if (!result) {
      x.values.clear();
      for (auto b : bits)
        x.values.push_back(double_from_bits(b));
    }
    return result;
  }
}

}  // namespace hetsgd
