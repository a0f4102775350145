#pragma once
/// \file
/// The error type of the data plane: a data set that is missing, truncated or corrupt.

#include <stdexcept>
#include <string>

namespace hetsgd {

/// Thrown when a data set cannot be loaded. This is an expected failure (a package not installed,
/// a damaged file), so the message says which file, what was expected and how to fix it.
class data_error : public std::runtime_error {
 public:
  explicit data_error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace hetsgd
