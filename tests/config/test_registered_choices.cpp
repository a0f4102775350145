/// model.name takes the names a program registered (register_choice); other keys do not.
#include <catch2/catch.hpp>

#include "config/registered_choices.hpp"
#include "config_test_util.hpp"

using hetsgd::test::load_error;
using hetsgd::test::load_ok;

CATCH_TEST_CASE("a registered model name becomes valid for model.name only",
                "[config][registered]") {
  const std::string unregistered = "[model]\nname = \"tiny_net\"\n";
  CATCH_CHECK(load_error(unregistered) ==
              "bad.toml:2:8: model.name: must be one of mlp, cnn; got \"tiny_net\"");

  hetsgd::register_choice("model.name", "tiny_net");
  hetsgd::register_choice("model.name", "tiny_net");  // twice: listed once
  CATCH_CHECK(hetsgd::registered_choices("model.name") == std::vector<std::string>{"tiny_net"});
  CATCH_CHECK(load_ok(unregistered).cfg.model.name == "tiny_net");
  CATCH_CHECK(load_ok("", {"model.name=\"tiny_net\""}).cfg.model.name == "tiny_net");
  // The message lists the registered names with the built-in ones.
  CATCH_CHECK(load_error("[model]\nname = \"other\"\n") ==
              "bad.toml:2:8: model.name: must be one of mlp, cnn, tiny_net; got \"other\"");

  // A key with fixed choices is not opened by registering a value under its name.
  hetsgd::register_choice("cluster.mode", "tiny_net");
  CATCH_CHECK(load_error("[cluster]\nmode = \"tiny_net\"\n") ==
              "bad.toml:2:8: cluster.mode: must be one of threads, processes; got \"tiny_net\"");
}
