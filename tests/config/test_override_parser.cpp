#include <catch2/catch.hpp>

#include "config/override_parser.hpp"

using hetsgd::parse_override;

CATCH_TEST_CASE("parse_override reads the value as a TOML value", "[config][override]") {
  CATCH_SECTION("integer") {
    auto o = parse_override("train.max_samples=20000");
    CATCH_REQUIRE(o.has_value());
    CATCH_CHECK(o->key == "train.max_samples");
    CATCH_CHECK(o->value().value<std::int64_t>() == std::optional<std::int64_t>(20000));
    CATCH_CHECK_FALSE(o->bare_word);
  }
  CATCH_SECTION("float") {
    auto o = parse_override("train.lr=1e-3");
    CATCH_REQUIRE(o.has_value());
    CATCH_REQUIRE(o->value().is_floating_point());
    CATCH_CHECK(*o->value().value<double>() == 1e-3);
  }
  CATCH_SECTION("boolean") {
    auto o = parse_override("output.plots=false");
    CATCH_REQUIRE(o.has_value());
    CATCH_CHECK(o->value().value<bool>() == std::optional<bool>(false));
  }
  CATCH_SECTION("array") {
    auto o = parse_override("cluster.speeds=[1.0,0.5]");
    CATCH_REQUIRE(o.has_value());
    const auto* arr = o->value().as_array();
    CATCH_REQUIRE(arr != nullptr);
    CATCH_CHECK(arr->size() == 2);
  }
  CATCH_SECTION("quoted string") {
    auto o = parse_override("run.name=\"a b\"");
    CATCH_REQUIRE(o.has_value());
    CATCH_CHECK(o->value().value<std::string>() == std::optional<std::string>("a b"));
    CATCH_CHECK_FALSE(o->bare_word);
  }
  CATCH_SECTION("inline table") {
    auto o = parse_override("faults=[{kind=\"crash\", worker=1}]");
    CATCH_REQUIRE(o.has_value());
    CATCH_REQUIRE(o->value().is_array());
    CATCH_CHECK(o->value().as_array()->get(0)->is_table());
  }
}

CATCH_TEST_CASE("parse_override takes a bare word as a string", "[config][override]") {
  for (const std::string value : {"abs_sgd", "/tmp/run dir", "[1,2", "fast", ""}) {
    CATCH_CAPTURE(value);
    auto o = parse_override("k=" + value);
    CATCH_REQUIRE(o.has_value());
    CATCH_CHECK(o->bare_word);
    CATCH_CHECK(o->value().value<std::string>() == std::optional<std::string>(value));
  }
  // A newline cannot smuggle a second key in.
  auto o = parse_override("k=1\nother=2");
  CATCH_REQUIRE(o.has_value());
  CATCH_CHECK(o->bare_word);
}

CATCH_TEST_CASE("parse_override splits at the first '=' and trims", "[config][override]") {
  auto o = parse_override("  run.name = a=b  ");
  CATCH_REQUIRE(o.has_value());
  CATCH_CHECK(o->key == "run.name");
  CATCH_CHECK(o->raw_value == "a=b");
  CATCH_CHECK(o->text == "  run.name = a=b  ");
  CATCH_CHECK_FALSE(parse_override("train.lr").has_value());
  CATCH_CHECK_FALSE(parse_override("=5").has_value());
  CATCH_CHECK_FALSE(parse_override("").has_value());
}
