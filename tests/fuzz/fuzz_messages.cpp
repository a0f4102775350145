// libFuzzer target: decoding what crosses the network. A worker process and the aggregator send
// each other caf::message values (control messages, and tensors as shape, dtype and raw bytes),
// which the receiving middleman decodes with a binary_deserializer against the registered types.
// Any bytes must decode to a message or to an error, never crash, hang or allocate without
// bound. A message that decodes must encode again, and that encoding must decode to the same
// message (compared by its printed form, which describes tensors by dtype and shape, and by
// the raw bytes of the second encoding against a third).
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/fuzz/property_failure.hpp"
#include "tests/fuzz/wire_context.hpp"

namespace {

using hetsgd::fuzz::fail;

std::vector<char> encode(caf::message& msg) {
  std::vector<char> buf;
  caf::binary_serializer sink{hetsgd::fuzz::wire_system(), buf};
  if (auto err = sink(msg))
    fail("a decoded message does not encode: " + hetsgd::fuzz::wire_system().render(err));
  return buf;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& sys = hetsgd::fuzz::wire_system();
  caf::message msg;
  {
    caf::binary_deserializer source{sys, reinterpret_cast<const char*>(data), size};
    if (source(msg))
      return 0;  // rejected with an error: what a receiving node does with garbage
  }
  const std::string printed = caf::to_string(msg);
  auto first = encode(msg);
  caf::message again;
  caf::binary_deserializer source{sys, first};
  if (auto err = source(again))
    fail("a re-encoded message does not decode: " + sys.render(err) + "; message " + printed);
  if (caf::to_string(again) != printed)
    fail("a message changes on its way round: " + printed + " became " + caf::to_string(again));
  if (encode(again) != first)
    fail("a message encodes differently after a round trip: " + printed);
  return 0;
}
