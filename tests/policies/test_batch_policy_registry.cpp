// Fixed batch policy, the policy registry, and to_string of the policy vocabulary.

#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>
#include <string>

#include "policies/policy_registry.hpp"

using namespace hetsgd;

CATCH_TEST_CASE("fixed batch policy: equal batches, shares sum to 1", "[policies][batch]") {
  for (std::size_t n : {1u, 2u, 3u, 4u, 7u, 10u}) {
    fixed_batch_policy p(64);
    auto a = p.initial(n);
    CATCH_REQUIRE(a.size() == n);
    double sum = 0.0;
    for (auto& x : a) {
      CATCH_CHECK(x.batch == 64);
      CATCH_CHECK(x.share > 0.0);
      CATCH_CHECK(x.share <= 1.0);
      CATCH_CHECK(x.share == a[0].share);
      sum += x.share;
    }
    CATCH_INFO("workers = " << n);
    CATCH_CHECK(sum == Approx(1.0).epsilon(1e-12));
  }
  fixed_batch_policy p(1);
  CATCH_CHECK(p.name() == "fixed");
  CATCH_CHECK(p.initial(3)[2].batch == 1);
  CATCH_CHECK(p.initial(0).empty());
  // Fixed forever: reports change nothing.
  CATCH_CHECK_FALSE(p.on_report({0, 1000, 0.5}).has_value());
}

CATCH_TEST_CASE("fixed batch policy: batch < 1 throws", "[policies][batch]") {
  CATCH_CHECK_THROWS_AS(fixed_batch_policy(0), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(fixed_batch_policy(-5), std::invalid_argument);
  CATCH_CHECK_NOTHROW(fixed_batch_policy(1));
}

CATCH_TEST_CASE("registry: round policies by name with the right traits", "[policies][registry]") {
  round_policy_options opts;
  auto ssgd = make_round_policy("ssgd", opts);
  CATCH_REQUIRE(ssgd != nullptr);
  CATCH_CHECK(ssgd->traits().name == "ssgd");
  CATCH_CHECK(ssgd->traits().payload == payload_kind::gradient_sum);
  CATCH_CHECK(ssgd->traits().transfer == transfer_kind::all_reduce);
  CATCH_CHECK(ssgd->traits().mode == worker_mode::push_and_wait);

  auto asgd = make_round_policy("asgd", opts);
  CATCH_REQUIRE(asgd != nullptr);
  CATCH_CHECK(asgd->traits().name == "asgd");
  CATCH_CHECK(asgd->traits().payload == payload_kind::gradient_sum);
  CATCH_CHECK(asgd->traits().transfer == transfer_kind::point_to_point);
  CATCH_CHECK(asgd->traits().mode == worker_mode::push_and_wait);

  for (const char* bad : {"", "SSGD", "ssgd ", "nope", "abs_sgd_typo"})
    CATCH_CHECK(make_round_policy(bad, opts) == nullptr);
}

CATCH_TEST_CASE("registry: options reach the policy", "[policies][registry]") {
  round_policy_options opts;
  opts.ssgd.round_timeout_s = 2.5;
  auto ssgd = make_round_policy("ssgd", opts);
  membership_view m;
  m.live = {0, 1};
  policy_context ctx;
  ctx.members = &m;
  ctx.now_s = 10.0;
  auto d = ssgd->on_start(ctx);
  CATCH_REQUIRE(d.has_timer());
  CATCH_CHECK(d.wake_at_s == Approx(12.5));

  opts.asgd.max_staleness = 1;
  auto asgd = make_round_policy("asgd", opts);
  asgd->on_start(ctx);
  ctx.version = 5;
  contribution_meta c;
  c.id = 1;
  c.worker = 0;
  c.version = 3;  // staleness 2 > 1
  auto a = asgd->on_arrival(c, ctx);
  CATCH_CHECK_FALSE(a.close);
  CATCH_REQUIRE(a.drop.size() == 1);
  CATCH_CHECK(a.drop[0].reason == drop_reason::stale);
}

CATCH_TEST_CASE("registry: implemented_round_policies lists exactly the constructible ones",
                "[policies][registry]") {
  auto names = implemented_round_policies();
  CATCH_REQUIRE_FALSE(names.empty());
  std::set<std::string> unique(names.begin(), names.end());
  CATCH_CHECK(unique.size() == names.size());
  CATCH_CHECK(unique.count("ssgd") == 1);
  CATCH_CHECK(unique.count("asgd") == 1);
  round_policy_options opts;
  for (auto& n : names) {
    auto p = make_round_policy(n, opts);
    CATCH_INFO(n);
    CATCH_REQUIRE(p != nullptr);
    CATCH_CHECK(p->traits().name == n);  // the name in config is the name in the log
  }
  // Every policy named in the docs that is constructible is listed.
  for (const char* n : {"ssgd", "asgd", "ssp", "backup", "local_sgd", "abs", "abs_sgd", "od_sgd",
                        "wp_sgd", "dbs"}) {
    CATCH_INFO(n);
    CATCH_CHECK((make_round_policy(n, opts) != nullptr) == (unique.count(n) == 1));
  }
}

CATCH_TEST_CASE("registry: batch policies by name", "[policies][registry][batch]") {
  auto f = make_batch_policy("fixed", 32);
  CATCH_REQUIRE(f != nullptr);
  CATCH_CHECK(f->name() == "fixed");
  CATCH_CHECK(f->initial(2)[1].batch == 32);
  CATCH_CHECK(make_batch_policy("nope", 32) == nullptr);
  CATCH_CHECK_THROWS_AS(make_batch_policy("fixed", 0), std::invalid_argument);
}

CATCH_TEST_CASE("to_string: every enum value is distinct and known", "[policies][types]") {
  std::set<std::string> seen;
  std::size_t total = 0;
  auto add = [&](const char* s) {
    CATCH_INFO(s);
    CATCH_REQUIRE(s != nullptr);
    CATCH_CHECK(std::string(s) != "unknown");
    CATCH_CHECK_FALSE(std::string(s).empty());
    seen.insert(s);
    ++total;
  };
  // Within each enum the names must be distinct (across enums "model"-like overlaps would be
  // tolerable, but there are none today, so check globally too).
  std::set<std::string> per_enum;
  auto distinct_within = [&](std::initializer_list<const char*> names) {
    per_enum.clear();
    for (auto n : names) {
      add(n);
      per_enum.insert(n);
    }
    CATCH_CHECK(per_enum.size() == names.size());
  };
  distinct_within({to_string(close_reason::all_arrived), to_string(close_reason::k_arrived),
                   to_string(close_reason::immediate), to_string(close_reason::timeout),
                   to_string(close_reason::period), to_string(close_reason::sample_target),
                   to_string(close_reason::membership)});
  distinct_within({to_string(drop_reason::stale), to_string(drop_reason::crashed),
                   to_string(drop_reason::non_finite), to_string(drop_reason::late),
                   to_string(drop_reason::restarted)});
  distinct_within({to_string(payload_kind::gradient_sum), to_string(payload_kind::model_delta),
                   to_string(payload_kind::model)});
  distinct_within({to_string(transfer_kind::all_reduce), to_string(transfer_kind::point_to_point)});
  distinct_within({to_string(worker_mode::push_and_wait), to_string(worker_mode::local_steps),
                   to_string(worker_mode::continuous), to_string(worker_mode::delayed_local)});
  CATCH_CHECK(total == 21);
  CATCH_CHECK(seen.size() == total);
  // Spot-check the spelling used in events.jsonl.
  CATCH_CHECK(std::string(to_string(close_reason::all_arrived)) == "all_arrived");
  CATCH_CHECK(std::string(to_string(drop_reason::late)) == "late");
  CATCH_CHECK(std::string(to_string(transfer_kind::point_to_point)) == "point_to_point");
  // Out-of-range values fall back to "unknown" rather than crashing.
  CATCH_CHECK(std::string(to_string(static_cast<close_reason>(99))) == "unknown");
}

CATCH_TEST_CASE("membership_view::contains and round_decision::has_timer", "[policies][types]") {
  membership_view m;
  m.live = {1, 3, 7};
  CATCH_CHECK(m.contains(1));
  CATCH_CHECK(m.contains(7));
  CATCH_CHECK_FALSE(m.contains(0));
  CATCH_CHECK_FALSE(m.contains(4));
  CATCH_CHECK(m.size() == 3);
  round_decision d;
  CATCH_CHECK_FALSE(d.has_timer());
  d.wake_at_s = 0.0;
  CATCH_CHECK(d.has_timer());
}

CATCH_TEST_CASE("membership helpers: joiners are released never restarted, asked sets shrink",
                "[policies][types]") {
  round_decision d;
  d.release = {0};
  d.restart = {1, 2};
  release_joiners(d, {0, 2, 3});
  CATCH_CHECK(d.release == std::vector<worker_id>{0, 2, 3});  // 0 once
  CATCH_CHECK(d.restart == std::vector<worker_id>{1});        // 2 joined: no job to discard

  membership_view m;
  m.live = {0, 2};
  std::vector<worker_id> asked{0, 1, 2, 3};
  keep_members(asked, m);
  CATCH_CHECK(asked == std::vector<worker_id>{0, 2});
  CATCH_CHECK(m.joined_since({0}) == std::vector<worker_id>{2});
}
