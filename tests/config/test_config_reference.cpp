#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/config_reference.hpp"
#include "config/key_registry.hpp"

CATCH_TEST_CASE("the reference lists every key", "[config][reference]") {
  const std::string doc = hetsgd::render_config_reference();
  for (const auto& key : hetsgd::key_registry()) {
    CATCH_CAPTURE(key.name);
    CATCH_CHECK(doc.find("| `" + key.name + "` |") != std::string::npos);
  }
  CATCH_CHECK(doc.find("\n## [train]\n") != std::string::npos);
  CATCH_CHECK(doc.find("\n## [policy.ssgd]\n") != std::string::npos);
  CATCH_CHECK(doc.find("\n## [[faults]]\n") != std::string::npos);
  CATCH_CHECK(doc.find("| `train.lr` | float | `0.05` |  | > 0 |") != std::string::npos);
}

CATCH_TEST_CASE("docs/config.md is up to date with the key registry", "[config][reference]") {
  const std::string path = std::string(HETSGD_SOURCE_DIR) + "/docs/config.md";
  const std::string expected = hetsgd::render_config_reference();
  // HETSGD_UPDATE_DOCS=1 rewrites the file instead of comparing (until `hetsgd config-doc`).
  if (const char* update = std::getenv("HETSGD_UPDATE_DOCS");
      update && std::string(update) == "1") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << expected;
    CATCH_REQUIRE(out.good());
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream actual;
  actual << in.rdbuf();
  if (actual.str() != expected) {
    CATCH_FAIL(path << " is out of date with the key registry. Regenerate it: "
                       "`build/hetsgd config-doc > docs/config.md`, or run test_config with "
                       "HETSGD_UPDATE_DOCS=1.");
  }
}
