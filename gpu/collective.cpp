#include "gpu/collective.hpp"

#include "gpu/local_collective.hpp"
#if defined(HETSGD_HAVE_GLOO)
#include "gpu/gloo_collective.hpp"
#endif
#if defined(HETSGD_HAVE_NCCL)
#include "gpu/cuda/nccl_collective.hpp"
#endif

namespace hetsgd {

collective::~collective() = default;

const char* to_string(collective_errc e) {
  switch (e) {
    case collective_errc::timeout: return "timeout";
    case collective_errc::peer_lost: return "peer_lost";
    case collective_errc::no_device: return "no_device";
    case collective_errc::not_compiled: return "not_compiled";
    case collective_errc::invalid: return "invalid";
    case collective_errc::broken: return "broken";
  }
  return "unknown";
}

std::string compiled_collectives() {
  std::string names = "local";
#if defined(HETSGD_HAVE_GLOO)
  names += ", gloo";
#endif
#if defined(HETSGD_HAVE_NCCL)
  names += ", nccl";
#endif
  return names;
}

std::unique_ptr<collective> make_collective(const collective_setup& setup) {
  if (setup.backend == "local")
    return std::make_unique<local_collective>(setup.prefix, setup.rank, setup.size);
  if (setup.backend == "gloo") {
#if defined(HETSGD_HAVE_GLOO)
    return std::make_unique<gloo_collective>(setup);
#else
    throw collective_error(collective_errc::not_compiled,
                           "the gloo collective is not compiled in (Gloo was not found when "
                           "configuring; install libgloo-dev)");
#endif
  }
  if (setup.backend == "nccl") {
#if defined(HETSGD_HAVE_NCCL)
    return std::make_unique<nccl_collective>(setup);
#else
    throw collective_error(collective_errc::not_compiled,
                           "the nccl collective is not compiled in (CUDA and NCCL were not found "
                           "when configuring; see docs/gpu.md)");
#endif
  }
  throw collective_error(collective_errc::invalid, "unknown collective backend '" + setup.backend +
                                                     "' (this build has " + compiled_collectives() +
                                                     ")");
}

}  // namespace hetsgd
