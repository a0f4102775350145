#include "actors/rendezvous_store.hpp"

#include <caf/all.hpp>

#include <map>
#include <string>
#include <vector>

#include "actors/atoms.hpp"
#include "gpu/collective.hpp"

namespace hetsgd {

namespace {

struct store_state {
  rendezvous_limits limits;
  std::map<std::string, std::vector<char>> values;
  std::multimap<std::string, caf::response_promise> waiting;  ///< gets before their set
  static inline const char* name = "hetsgd.rendezvous_store";
};

caf::error reject(const std::string& why) {
  return caf::make_error(caf::sec::invalid_argument, "rendezvous store: " + why);
}

caf::behavior store_behavior(caf::stateful_actor<store_state>* self,
                             const rendezvous_limits& limits) {
  self->state.limits = limits;
  return {
    [=](kv_set_atom, const std::string& key, const std::vector<char>& value) -> caf::result<void> {
      auto& st = self->state;
      if (key.empty() || key.size() > st.limits.max_key_bytes)
        return reject("key of " + std::to_string(key.size()) + " bytes (limit " +
                      std::to_string(st.limits.max_key_bytes) + ")");
      if (value.size() > st.limits.max_value_bytes)
        return reject("value of " + std::to_string(value.size()) + " bytes for key '" + key +
                      "' (limit " + std::to_string(st.limits.max_value_bytes) + ")");
      if (st.values.count(key) == 0 && st.values.size() >= st.limits.max_keys)
        return reject("more than " + std::to_string(st.limits.max_keys) + " keys");
      st.values[key] = value;
      auto [first, last] = st.waiting.equal_range(key);
      for (auto it = first; it != last; ++it)
        it->second.deliver(value);
      st.waiting.erase(first, last);
      return caf::unit;
    },
    [=](kv_get_atom, const std::string& key) -> caf::result<std::vector<char>> {
      auto& st = self->state;
      if (auto it = st.values.find(key); it != st.values.end())
        return it->second;
      if (key.empty() || key.size() > st.limits.max_key_bytes)
        return reject("key of " + std::to_string(key.size()) + " bytes (limit " +
                      std::to_string(st.limits.max_key_bytes) + ")");
      if (st.waiting.size() >= st.limits.max_pending_gets)
        return reject("more than " + std::to_string(st.limits.max_pending_gets) + " gets waiting");
      auto promise = self->make_response_promise();
      st.waiting.emplace(key, promise);
      return promise;
    },
  };
}

/// A timeout is the peers' fault, a rejected key or value ours, anything else a lost store.
collective_errc code_of(const caf::error& e) {
  if (e == caf::sec::request_timeout)
    return collective_errc::timeout;
  if (e == caf::sec::invalid_argument)
    return collective_errc::invalid;
  return collective_errc::peer_lost;
}

}  // namespace

caf::actor spawn_rendezvous_store(caf::actor_system& sys, rendezvous_limits limits) {
  // Its own thread: ranks connect while the aggregator blocks in an all-reduce, and a machine
  // with one scheduler thread must still answer them.
  return sys.spawn<caf::detached>(store_behavior, limits);
}

void rendezvous_client::set(const std::string& key, const std::vector<char>& value) {
  caf::scoped_actor self{sys_};
  caf::error failure;
  bool acknowledged = false;
  self->request(store_, set_timeout, kv_set_atom::value, key, value)
    .receive([&] { acknowledged = true; }, [&](caf::error& e) { failure = std::move(e); });
  if (!acknowledged)
    throw collective_error(code_of(failure),
                           "rendezvous: setting key '" + key + "' failed: " + sys_.render(failure));
}

std::vector<char> rendezvous_client::get(const std::string& key,
                                         std::chrono::milliseconds timeout) {
  caf::scoped_actor self{sys_};
  std::vector<char> value;
  caf::error failure;
  bool answered = false;
  self->request(store_, timeout, kv_get_atom::value, key)
    .receive(
      [&](std::vector<char>& v) {
        value = std::move(v);
        answered = true;
      },
      [&](caf::error& e) { failure = std::move(e); });
  if (!answered) {
    if (failure == caf::sec::request_timeout)
      throw collective_error(collective_errc::timeout, "rendezvous: key '" + key +
                                                         "' was not set within " +
                                                         std::to_string(timeout.count()) + " ms");
    throw collective_error(code_of(failure),
                           "rendezvous: getting key '" + key + "' failed: " + sys_.render(failure));
  }
  return value;
}

}  // namespace hetsgd
