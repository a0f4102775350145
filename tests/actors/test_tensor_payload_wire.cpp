// The remote path of tensors: tensor_payload (and a job_msg carrying one, inside a caf::message)
// through CAF's binary_serializer / binary_deserializer, as the middleman would send them.

#include <ATen/ATen.h>  // torch before Catch: glog's CHECK must not meet Catch's

#include <caf/all.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "actors/tensor_payload.hpp"

using namespace hetsgd;

namespace {

/// A system only as serialization context (type registry); the test scheduler starts no threads.
struct wire_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys;

  wire_fixture() : sys(configure(cfg)) {}

  static caf::actor_system_config& configure(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    c.set("logger.file-verbosity", caf::atom("quiet"));
    register_message_types(c);
    return c;
  }

  template <class... Ts>
  std::vector<char> serialize(Ts&... xs) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    auto err = sink(xs...);
    CATCH_REQUIRE_FALSE(err);
    return buf;
  }

  /// The error text of deserializing `buf` into x ("" on success).
  template <class T>
  std::string deserialize(const std::vector<char>& buf, T& x) {
    caf::binary_deserializer source{sys, buf};
    auto err = source(x);
    return err ? sys.render(err) : std::string{};
  }

  at::Tensor round_trip(const at::Tensor& t) {
    tensor_payload in{t};
    auto buf = serialize(in);
    tensor_payload out;
    auto err = deserialize(buf, out);
    CATCH_REQUIRE(err.empty());
    return out.value;
  }
};

}  // namespace

CATCH_TEST_CASE_METHOD(wire_fixture, "tensor_payload round-trips: shape, dtype and values",
                       "[wire]") {
  std::vector<at::Tensor> cases{
    at::tensor({1.0f, 2.0f, 3.0f}),
    at::arange(6, at::kDouble).reshape({2, 3}) * 0.25,
    at::tensor({std::int64_t{-5}, std::int64_t{7}, std::int64_t{1} << 40}),
    at::tensor({-3, 4}, at::kInt),
    at::tensor({0, 200, 255}, at::kByte),
    at::empty({0}, at::kFloat),
    at::scalar_tensor(2.5, at::kFloat),  // 0-d
  };
  for (auto& t : cases) {
    CATCH_INFO(describe_tensor(t));
    auto back = round_trip(t);
    CATCH_REQUIRE(back.defined());
    CATCH_CHECK(back.sizes() == t.sizes());
    CATCH_CHECK(back.scalar_type() == t.scalar_type());
    CATCH_CHECK(at::equal(back, t));
    if (t.numel() > 0)
      CATCH_CHECK(back.data_ptr() != t.data_ptr());  // the remote side owns a copy
  }
}

CATCH_TEST_CASE_METHOD(wire_fixture, "a non-contiguous tensor is sent by its values", "[wire]") {
  auto t = at::arange(6, at::kFloat).reshape({2, 3}).t();  // 3x2 view, strides (1, 3)
  CATCH_REQUIRE_FALSE(t.is_contiguous());
  auto back = round_trip(t);
  CATCH_CHECK(back.sizes() == t.sizes());
  CATCH_CHECK(back.is_contiguous());
  CATCH_CHECK(at::equal(back, t));
}

CATCH_TEST_CASE_METHOD(wire_fixture, "an undefined tensor round-trips as undefined", "[wire]") {
  auto back = round_trip(at::Tensor{});
  CATCH_CHECK_FALSE(back.defined());
}

CATCH_TEST_CASE_METHOD(wire_fixture, "bytes that do not match shape and dtype fail to load",
                       "[wire]") {
  // The wire layout of tensor_payload is (shape, dtype code, bytes); dtype code 1 = float.
  std::vector<std::int64_t> shape{3};
  std::int32_t code_float = 1;
  std::vector<std::uint8_t> exact(12, 0);
  std::vector<std::uint8_t> short_by_4(8, 0);

  // Control: the hand-built layout with the right count loads, so the failures below are
  // caused by the count (or code, or shape) alone.
  {
    auto buf = serialize(shape, code_float, exact);
    tensor_payload p;
    CATCH_REQUIRE(deserialize(buf, p).empty());
    CATCH_CHECK(p.value.sizes() == at::IntArrayRef{3});
  }
  {
    auto buf = serialize(shape, code_float, short_by_4);
    tensor_payload p;
    CATCH_CHECK_FALSE(deserialize(buf, p).empty());
  }
  {
    std::int32_t unknown = 99;
    auto buf = serialize(shape, unknown, exact);
    tensor_payload p;
    CATCH_CHECK_FALSE(deserialize(buf, p).empty());
  }
  {
    std::vector<std::int64_t> negative{-3};
    auto buf = serialize(negative, code_float, exact);
    tensor_payload p;
    CATCH_CHECK_FALSE(deserialize(buf, p).empty());
  }
  {
    // Truncated stream: the last 4 bytes of a valid encoding are missing.
    tensor_payload in{at::tensor({1.0f, 2.0f, 3.0f})};
    auto buf = serialize(in);
    buf.resize(buf.size() - 4);
    tensor_payload p;
    CATCH_CHECK_FALSE(deserialize(buf, p).empty());
  }
}

CATCH_TEST_CASE_METHOD(wire_fixture, "a job_msg inside a caf::message survives serialization",
                       "[wire]") {
  job_msg j;
  j.version = 42;
  j.weights.value = at::tensor({0.875f, 2.0f, 2.875f});
  j.batch = 64;
  j.share_begin = 0.25;
  j.share_end = 0.5;
  j.membership_epoch = 3;
  j.restart = true;
  j.sent_at_s = 1.5;
  auto msg = caf::make_message(j);
  auto buf = serialize(msg);
  caf::message back;
  CATCH_REQUIRE(deserialize(buf, back).empty());
  CATCH_REQUIRE(back.match_elements<job_msg>());
  auto& k = back.get_as<job_msg>(0);
  CATCH_CHECK(k.version == 42);
  CATCH_CHECK(k.batch == 64);
  CATCH_CHECK(k.share_begin == 0.25);
  CATCH_CHECK(k.share_end == 0.5);
  CATCH_CHECK(k.membership_epoch == 3);
  CATCH_CHECK(k.restart);
  CATCH_CHECK_FALSE(k.stop);
  CATCH_CHECK(k.sent_at_s == 1.5);
  CATCH_REQUIRE(k.weights.value.defined());
  CATCH_CHECK(at::equal(k.weights.value, j.weights.value));
}

CATCH_TEST_CASE_METHOD(wire_fixture, "an unsupported dtype is refused, not sent as garbage",
                       "[wire]") {
  // Half is not in the wire format. Today encode_tensor throws std::invalid_argument out of the
  // serializer (see the report: returning a caf::error would be kinder to the middleman); either
  // way the serialization must not succeed.
  tensor_payload p{at::ones({2}, at::kHalf)};
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  bool refused = false;
  try {
    refused = static_cast<bool>(sink(p));
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  CATCH_CHECK(refused);
}

CATCH_TEST_CASE("logging a tensor_payload prints its shape, not its data", "[wire]") {
  tensor_payload p{at::full({3}, 123.5f)};
  auto s = caf::deep_to_string(p);
  CATCH_INFO(s);
  CATCH_CHECK(s.find("[3]") != std::string::npos);
  CATCH_CHECK(s.find("123.5") == std::string::npos);
}
