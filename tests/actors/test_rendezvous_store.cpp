// The aggregator's rendezvous store: values reach gets that came first or later, a get for a key
// nobody sets fails at its deadline naming the key, a peer's oversized input is refused, and two
// actor systems joined over CAF's middleman build a Gloo group through it.
#include <ATen/ATen.h>  // torch before Catch (glog's CHECK)

#include <catch2/catch.hpp>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <future>
#include <string>
#include <vector>

#include "actors/network_config.hpp"
#include "actors/rendezvous_store.hpp"
#include "gpu/collective.hpp"

using namespace hetsgd;
using namespace std::chrono_literals;

namespace {

/// A config for an actor system that talks to other processes, as hetsgd's own roles build it.
struct networked_config : caf::actor_system_config {
  networked_config() { configure_cluster_node(*this); }
};

std::vector<char> bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

}  // namespace

CATCH_TEST_CASE("rendezvous store answers gets before and after the set", "[rendezvous]") {
  networked_config cfg;
  caf::actor_system sys{cfg};
  auto store = spawn_rendezvous_store(sys);
  rendezvous_client client{sys, store};
  // One get starts before the set (it waits in the store), one after.
  auto early = std::async(std::launch::async, [&] { return client.get("a/0", 10s); });
  client.set("a/0", bytes("addr-0"));
  CATCH_CHECK(early.get() == bytes("addr-0"));
  CATCH_CHECK(client.get("a/0", 1s) == bytes("addr-0"));
  client.set("a/0", bytes("addr-0b"));  // a second set overwrites
  CATCH_CHECK(client.get("a/0", 1s) == bytes("addr-0b"));
  anon_send_exit(store, caf::exit_reason::user_shutdown);
}

CATCH_TEST_CASE("rendezvous store: a key nobody sets times out by name, bad input is refused",
                "[rendezvous]") {
  networked_config cfg;
  caf::actor_system sys{cfg};
  rendezvous_limits limits;
  limits.max_value_bytes = 16;
  limits.max_keys = 2;
  auto store = spawn_rendezvous_store(sys, limits);
  rendezvous_client client{sys, store};
  try {
    client.get("never/set", 100ms);
    CATCH_FAIL("get did not time out");
  } catch (const collective_error& e) {
    CATCH_CHECK(e.code() == collective_errc::timeout);
    CATCH_CHECK(std::string(e.what()).find("never/set") != std::string::npos);
  }
  try {
    client.set("big", std::vector<char>(17, 'x'));
    CATCH_FAIL("oversized value accepted");
  } catch (const collective_error& e) {
    CATCH_CHECK(e.code() == collective_errc::invalid);
    CATCH_CHECK(std::string(e.what()).find("17 bytes") != std::string::npos);
  }
  CATCH_CHECK_THROWS_AS(client.set("", bytes("x")), collective_error);
  client.set("k1", bytes("1"));
  client.set("k2", bytes("2"));
  CATCH_CHECK_THROWS_AS(client.set("k3", bytes("3")), collective_error);  // max_keys
  client.set("k1", bytes("one"));  // overwriting an existing key stays allowed
  CATCH_CHECK(client.get("k1", 1s) == bytes("one"));
  anon_send_exit(store, caf::exit_reason::user_shutdown);
}

#if defined(HETSGD_HAVE_GLOO)
CATCH_TEST_CASE("two actor systems build a Gloo group through a published rendezvous store",
                "[rendezvous]") {
  networked_config cfg_a;
  networked_config cfg_b;
  caf::actor_system host{cfg_a};
  caf::actor_system peer{cfg_b};
  auto store = spawn_rendezvous_store(host);
  auto port = host.middleman().publish(store, 0, "127.0.0.1", true);
  CATCH_REQUIRE(port);
  auto remote = peer.middleman().remote_actor("127.0.0.1", *port);
  CATCH_REQUIRE(remote);
  rendezvous_client local_client{host, store};
  rendezvous_client remote_client{peer, *remote};
  auto reduce = [](kv_store& kv, int rank) {
    collective_setup s;
    s.backend = "gloo";
    s.store = &kv;
    s.prefix = "epoch-1/";
    s.rank = rank;
    s.size = 2;
    s.timeout = 10s;
    auto c = make_collective(s);
    std::vector<float> x(5000, static_cast<float>(rank + 1));
    c->all_reduce(x.data(), x.size(), 0.5f, 10s);
    return x;
  };
  auto r0 = std::async(std::launch::async, [&] { return reduce(local_client, 0); });
  auto r1 = std::async(std::launch::async, [&] { return reduce(remote_client, 1); });
  CATCH_CHECK(r0.get() == std::vector<float>(5000, 1.5f));
  CATCH_CHECK(r1.get() == std::vector<float>(5000, 1.5f));
  anon_send_exit(store, caf::exit_reason::user_shutdown);
}
#endif
