#include "gpu/gloo_collective.hpp"

#include <gloo/allreduce.h>
#include <gloo/common/error.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/store.h>
#include <gloo/transport/tcp/device.h>

#include <cmath>
#include <csignal>
#include <mutex>

#include "gpu/kv_store.hpp"

namespace hetsgd {

namespace {

/// Gloo's rendezvous reads and writes through its own Store interface; this forwards to ours
/// under the group's prefix, so a rebuilt group (new prefix) never sees an old address.
class store_bridge final : public gloo::rendezvous::Store {
 public:
  store_bridge(kv_store& store, std::string prefix, std::chrono::milliseconds timeout)
      : store_(store), prefix_(std::move(prefix)), timeout_(timeout) {}

  void set(const std::string& key, const std::vector<char>& data) override {
    store_.set(prefix_ + key, data);
  }
  std::vector<char> get(const std::string& key) override {
    return store_.get(prefix_ + key, timeout_);
  }
  void wait(const std::vector<std::string>& keys) override { wait(keys, timeout_); }
  void wait(const std::vector<std::string>& keys,
            const std::chrono::milliseconds& timeout) override {
    for (const auto& key : keys)
      store_.get(prefix_ + key, timeout);
  }

 private:
  kv_store& store_;
  std::string prefix_;
  std::chrono::milliseconds timeout_;
};

/// Gloo reports a missed deadline and a closed socket both as IoException; its text says which.
collective_errc classify(const gloo::Exception& e) {
  const std::string what = e.what();
  return what.find("Timed out") != std::string::npos || what.find("timed out") != std::string::npos
           ? collective_errc::timeout
           : collective_errc::peer_lost;
}

/// Gloo writes to its sockets with plain write(2): a peer that died would kill this process
/// with SIGPIPE instead of failing the operation with EPIPE. Ignored once, process-wide.
void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace

gloo_collective::gloo_collective(const collective_setup& setup)
    : rank_(setup.rank), size_(setup.size), count_non_finite_(setup.count_non_finite) {
  ignore_sigpipe();
  if (setup.store == nullptr)
    throw collective_error(collective_errc::invalid, "gloo collective: no rendezvous store");
  if (size_ < 1 || rank_ < 0 || rank_ >= size_)
    throw collective_error(collective_errc::invalid, "gloo collective: rank " +
                                                       std::to_string(rank_) + " is not in [0, " +
                                                       std::to_string(size_) + ")");
  try {
    gloo::transport::tcp::attr attr;
    attr.hostname = setup.host;
    auto device = gloo::transport::tcp::CreateDevice(attr);
    auto context = std::make_shared<gloo::rendezvous::Context>(rank_, size_);
    context->setTimeout(setup.timeout);
    store_bridge bridge{*setup.store, setup.prefix, setup.timeout};
    context->connectFullMesh(bridge, device);
    context_ = std::move(context);
  } catch (const collective_error& e) {
    throw collective_error(e.code(), "gloo collective: rank " + std::to_string(rank_) + " of " +
                                       std::to_string(size_) + ": " + e.what());
  } catch (const gloo::Exception& e) {
    throw collective_error(classify(e), "gloo collective: rank " + std::to_string(rank_) +
                                          " could not connect to its peers: " + e.what());
  }
}

gloo_collective::~gloo_collective() = default;

reduce_result gloo_collective::all_reduce(float* data, std::size_t n, float scale,
                                          std::chrono::milliseconds timeout) {
  if (broken_)
    throw collective_error(collective_errc::broken,
                           "gloo collective: an earlier operation failed; rebuild the group");
  if (n > 0 && size_ > 1) {
    gloo::AllreduceOptions opts(context_);
    opts.setOutput(data, n);  // in place: the output doubles as the input
    opts.setReduceFunction(
      static_cast<void (*)(void*, const void*, const void*, std::size_t)>(&gloo::sum<float>));
    opts.setTag(next_tag_++);
    opts.setTimeout(timeout);
    try {
      gloo::allreduce(opts);
    } catch (const gloo::Exception& e) {
      broken_ = true;
      throw collective_error(classify(e), "gloo all-reduce of " + std::to_string(n) +
                                            " floats, rank " + std::to_string(rank_) + ": " +
                                            e.what());
    }
  }
  reduce_result result;
  if (scale != 1.0f)
    for (std::size_t i = 0; i < n; ++i)
      data[i] *= scale;
  if (count_non_finite_)
    for (std::size_t i = 0; i < n; ++i)
      result.non_finite += std::isfinite(data[i]) ? 0 : 1;
  return result;
}

}  // namespace hetsgd
