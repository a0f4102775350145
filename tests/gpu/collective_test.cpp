// The collective interface's contract, run against every backend this build has that works
// without a GPU (local: threads sharing a buffer; gloo: threads talking TCP over loopback):
// sums are exact, scale and the non-finite count are applied, a missing or vanished peer ends
// in a collective_error before the deadline, and a rebuilt group works again.
#include "gpu/collective.hpp"
#include "gpu/memory_kv_store.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <future>
#include <limits>
#include <string>
#include <thread>
#include <vector>

using namespace hetsgd;
using namespace std::chrono_literals;

namespace {

collective_setup setup_for(const std::string& backend, kv_store& store, const std::string& prefix,
                           int rank, int size) {
  collective_setup s;
  s.backend = backend;
  s.store = &store;
  s.prefix = prefix;
  s.rank = rank;
  s.size = size;
  s.timeout = 10s;
  return s;
}

/// Runs `body(rank)` on `size` threads and returns what each threw ("" when nothing).
std::vector<std::string> on_ranks(int size, const std::function<void(int)>& body) {
  std::vector<std::future<std::string>> results;
  for (int r = 0; r < size; ++r)
    results.push_back(std::async(std::launch::async, [&body, r]() -> std::string {
      try {
        body(r);
        return {};
      } catch (const std::exception& e) {
        return e.what();
      }
    }));
  std::vector<std::string> errors;
  for (auto& f : results)
    errors.push_back(f.get());
  return errors;
}

std::vector<std::string> cpu_backends() {
  std::vector<std::string> names{"local"};
#if defined(HETSGD_HAVE_GLOO)
  names.push_back("gloo");
#endif
  return names;
}

}  // namespace

CATCH_TEST_CASE("all-reduce sums exactly, scales and counts non-finite results", "[collective]") {
  for (const auto& backend : cpu_backends()) {
    CATCH_SECTION(backend) {
      memory_kv_store store;
      const int size = 3;
      // Odd lengths and one above Gloo's 1 MiB segment, so the ring splits it unevenly.
      const std::vector<std::size_t> lengths{1, 1000, 300007};
      std::vector<std::vector<std::vector<float>>> out(size);
      const auto errors = on_ranks(size, [&](int rank) {
        auto c = make_collective(setup_for(backend, store, "sum-" + backend, rank, size));
        // Catch's assertions are not thread-safe: ranks report by throwing.
        if (c->backend() != backend || c->size() != size || c->rank() != rank)
          throw std::runtime_error("rank, size or backend name wrong");
        for (const auto n : lengths) {
          std::vector<float> data(n);
          for (std::size_t i = 0; i < n; ++i)
            data[i] = static_cast<float>((rank + 1) * static_cast<int>(i % 13 + 1));
          const auto r = c->all_reduce(data.data(), n, 1.0f, 5s);
          if (r.non_finite != 0)
            throw std::runtime_error("unexpected non-finite count");
          out[rank].push_back(std::move(data));
        }
        // A mean with one rank sending a NaN: every rank sees it counted.
        std::vector<float> mean{static_cast<float>(rank), 6.0f};
        if (rank == 1)
          mean[1] = std::numeric_limits<float>::quiet_NaN();
        const auto r = c->all_reduce(mean.data(), mean.size(), 1.0f / size, 5s);
        if (r.non_finite != 1 || mean[0] != 1.0f || !std::isnan(mean[1]))
          throw std::runtime_error("mean of rank ids or NaN count wrong on rank " +
                                   std::to_string(rank));
      });
      for (const auto& e : errors)
        CATCH_CHECK(e == "");
      for (int rank = 0; rank < size; ++rank) {
        CATCH_REQUIRE(out[rank].size() == lengths.size());
        for (std::size_t k = 0; k < lengths.size(); ++k) {
          std::size_t wrong = 0;
          for (std::size_t i = 0; i < lengths[k]; ++i)
            wrong += out[rank][k][i] != static_cast<float>(6 * (i % 13 + 1)) ? 1 : 0;
          CATCH_CHECK(wrong == 0);
        }
      }
    }
  }
}

CATCH_TEST_CASE(
  "a rank that never takes part ends the operation at its deadline, and a "
  "rebuilt group works",
  "[collective]") {
  for (const auto& backend : cpu_backends()) {
    CATCH_SECTION(backend) {
      memory_kv_store store;
      std::promise<void> rank0_done;
      auto rank0_finished = rank0_done.get_future().share();
      std::string first_error, second_error;
      collective_errc first_code{}, second_code{};
      const auto errors = on_ranks(2, [&](int rank) {
        auto c = make_collective(setup_for(backend, store, "late-" + backend, rank, 2));
        if (rank == 1) {
          // Stay connected but never reduce, until rank 0 has given up.
          rank0_finished.wait();
          return;
        }
        std::vector<float> data(1000, 1.0f);
        const auto start = std::chrono::steady_clock::now();
        try {
          c->all_reduce(data.data(), data.size(), 1.0f, 300ms);
        } catch (const collective_error& e) {
          first_code = e.code();
          first_error = e.what();
        }
        const auto waited = std::chrono::steady_clock::now() - start;
        try {
          c->all_reduce(data.data(), data.size(), 1.0f, 300ms);
        } catch (const collective_error& e) {
          second_code = e.code();
          second_error = e.what();
        }
        rank0_done.set_value();
        if (waited > 5s)
          throw std::runtime_error("the deadline was not kept");
      });
      CATCH_CHECK(errors[0] == "");
      CATCH_CHECK(errors[1] == "");
      CATCH_CHECK(first_code == collective_errc::timeout);
      CATCH_CHECK(!first_error.empty());
      CATCH_CHECK(second_code == collective_errc::broken);

      // Both ranks build a new group under a new prefix: it reduces again.
      std::vector<float> sums(2, 0.0f);
      const auto again = on_ranks(2, [&](int rank) {
        auto c = make_collective(setup_for(backend, store, "late2-" + backend, rank, 2));
        float x = static_cast<float>(rank + 1);
        c->all_reduce(&x, 1, 1.0f, 5s);
        sums[rank] = x;
      });
      CATCH_CHECK(again[0] == "");
      CATCH_CHECK(again[1] == "");
      CATCH_CHECK(sums == std::vector<float>{3.0f, 3.0f});
    }
  }
}

#if defined(HETSGD_HAVE_GLOO)
CATCH_TEST_CASE("gloo: a peer that closes its connections fails the others' all-reduce",
                "[collective]") {
  memory_kv_store store;
  std::promise<void> connected;
  auto all_connected = connected.get_future().share();
  std::atomic<int> ready{0};
  std::vector<collective_errc> codes(3, collective_errc::invalid);
  const auto errors = on_ranks(3, [&](int rank) {
    auto c = make_collective(setup_for("gloo", store, "vanish", rank, 3));
    if (++ready == 3)
      connected.set_value();
    all_connected.wait();
    if (rank == 2) {
      c.reset();  // closes its sockets: a crashed worker process looks like this to its peers
      return;
    }
    std::vector<float> data(100000, 1.0f);
    try {
      c->all_reduce(data.data(), data.size(), 1.0f, 10s);
    } catch (const collective_error& e) {
      codes[rank] = e.code();
    }
  });
  for (const auto& e : errors)
    CATCH_CHECK(e == "");
  // Either the broken connection is seen, or (if the close races the first send) the deadline.
  for (int rank = 0; rank < 2; ++rank)
    CATCH_CHECK(
      (codes[rank] == collective_errc::peer_lost || codes[rank] == collective_errc::timeout));
}

CATCH_TEST_CASE("gloo: a rank whose peers never arrive fails setup naming the store key",
                "[collective]") {
  memory_kv_store store;
  auto s = setup_for("gloo", store, "alone/", 0, 2);
  s.timeout = 200ms;
  try {
    make_collective(s);
    CATCH_FAIL("setup did not fail");
  } catch (const collective_error& e) {
    CATCH_CHECK(e.code() == collective_errc::timeout);
    CATCH_CHECK(std::string(e.what()).find("alone/") != std::string::npos);
  }
}
#endif

CATCH_TEST_CASE("collective setup rejects bad input by name", "[collective]") {
  memory_kv_store store;
  auto s = setup_for("mpi", store, "x", 0, 2);
  try {
    make_collective(s);
    CATCH_FAIL("unknown backend accepted");
  } catch (const collective_error& e) {
    CATCH_CHECK(e.code() == collective_errc::invalid);
    CATCH_CHECK(std::string(e.what()).find("'mpi'") != std::string::npos);
    CATCH_CHECK(std::string(e.what()).find("local") != std::string::npos);
  }
  s.backend = "local";
  s.rank = 2;
  CATCH_CHECK_THROWS_AS(make_collective(s), collective_error);
  s.rank = 0;
  auto a = make_collective(s);
  CATCH_CHECK_THROWS_AS(make_collective(s), collective_error);  // rank 0 twice
}

CATCH_TEST_CASE("nccl: without a CUDA device setup says so, and no other error",
                "[collective][nccl]") {
  memory_kv_store store;
  auto s = setup_for("nccl", store, "gpu", 0, 1);
  s.timeout = 200ms;
#if defined(HETSGD_HAVE_NCCL)
  try {
    auto c = make_collective(s);
    // A machine with a GPU: one rank reduces to itself.
    std::vector<float> data{1.0f, 2.0f};
    c->all_reduce(data.data(), data.size(), 0.5f, 5s);
    CATCH_CHECK(data == std::vector<float>{0.5f, 1.0f});
  } catch (const collective_error& e) {
    CATCH_CHECK(e.code() == collective_errc::no_device);
    CATCH_CHECK(std::string(e.what()).find("no CUDA device") != std::string::npos);
    CATCH_WARN("nccl collective skipped: " << e.what());
  }
#else
  try {
    make_collective(s);
    CATCH_FAIL("nccl made without NCCL");
  } catch (const collective_error& e) {
    CATCH_CHECK(e.code() == collective_errc::not_compiled);
  }
#endif
}
