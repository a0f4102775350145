#pragma once
/// How a fuzz target reports a broken property: a message, then abort(), which libFuzzer counts
/// as a crash (saving the input) and the replay programs as a failed test.

#include <cstdio>
#include <cstdlib>
#include <string>

namespace hetsgd::fuzz {

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz property broken: %s\n", what.c_str());
  std::abort();
}

}  // namespace hetsgd::fuzz
