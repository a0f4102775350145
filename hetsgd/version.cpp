#include "hetsgd/hetsgd.hpp"

namespace hetsgd {

const char* version() {
  return HETSGD_VERSION;
}

}  // namespace hetsgd
