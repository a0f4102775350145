// Runs a libFuzzer target's entry point over files, without libFuzzer: every file under the
// directories (and every file) given on the command line, in sorted order. ctest runs it over
// the checked-in seed corpus and the regression inputs of past crashes with the project's
// ordinary compiler, and under the sanitizers in make test-asan; a broken property aborts.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

// make fuzz stops an input that takes more than 2 GiB (-rss_limit_mb, -malloc_limit_mb); the
// replay does the same for one allocation, so that an input that once made a 100-byte message
// allocate 4 GiB (regressions/messages) fails here too instead of passing on a machine that has
// the memory. Only these replay programs replace the global operator new.
namespace {
constexpr std::size_t max_one_allocation = std::size_t{1} << 31;
}

void* operator new(std::size_t n) {
  if (n > max_one_allocation) {
    std::fprintf(stderr, "replay: one allocation of %zu bytes (limit %zu): an unbounded size\n", n,
                 max_one_allocation);
    std::abort();
  }
  if (void* p = std::malloc(n > 0 ? n : 1))
    return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace fs = std::filesystem;

namespace {

// libFuzzer gives one input 10 s (-timeout=10, tools/fuzz.sh); the replay gives it 60 s (it may
// run under a sanitizer on a busy machine) and then fails naming it: an input that once hung
// must fail here, not wait for ctest's timeout.
constexpr unsigned input_deadline_s = 60;
const char* current_input = "";

extern "C" void on_input_deadline(int) {
  // Only async-signal-safe calls here.
  const char head[] = "replay: an input took longer than the deadline: ";
  (void)!write(STDERR_FILENO, head, sizeof head - 1);
  (void)!write(STDERR_FILENO, current_input, std::strlen(current_input));
  (void)!write(STDERR_FILENO, "\n", 1);
  std::_Exit(3);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path p = argv[i];
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file())
          inputs.push_back(e.path());
    } else if (fs::is_regular_file(p, ec)) {
      inputs.push_back(p);
    } else {
      std::fprintf(stderr, "replay: %s: no such file or directory\n", p.c_str());
      return 2;
    }
  }
  // A replay of nothing would pass without checking anything.
  if (inputs.empty()) {
    std::fprintf(stderr, "replay: no inputs under the paths given\n");
    return 2;
  }
  std::sort(inputs.begin(), inputs.end());
  std::signal(SIGALRM, on_input_deadline);
  for (const auto& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "replay: %s: cannot read\n", p.c_str());
      return 2;
    }
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                  std::istreambuf_iterator<char>()};
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", p.c_str(), bytes.size());
    current_input = p.c_str();
    alarm(input_deadline_s);
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    alarm(0);
  }
  std::printf("replay: %zu inputs, no property broken\n", inputs.size());
  return 0;
}
