// The fake aggregator must itself catch contract violations, or the policy tests that rely on it
// prove nothing. These tests drive it with deliberately broken policies.

#include <catch2/catch.hpp>

#include "fake_aggregator.hpp"

using namespace hetsgd;
using namespace hetsgd::test;

namespace {

/// A configurable, misbehaving policy: applies every arrival immediately, and optionally
/// applies it a second time on the next event, invents an id, or keeps everything pending.
class broken_policy final : public round_policy {
 public:
  enum class fault {
    none,
    apply_twice,
    apply_and_drop,
    unknown_id,
    never_resolve,
    empty_close,
    apply_without_close,
    release_non_member
  };
  explicit broken_policy(fault f) : fault_(f) { traits_.name = "broken"; }

  const policy_traits& traits() const override { return traits_; }
  round_decision on_start(const policy_context& ctx) override {
    round_decision d;
    d.release = ctx.members->live;
    return d;
  }
  round_decision on_arrival(const contribution_meta& c, const policy_context& ctx) override {
    round_decision d;
    switch (fault_) {
      case fault::never_resolve: return d;
      case fault::empty_close:
        d.close = true;
        d.drop.push_back({c.id, drop_reason::late});
        return d;
      case fault::apply_without_close: d.apply.push_back({c.id, 1.0}); return d;
      case fault::release_non_member:
        d.release.push_back(999);
        d.drop.push_back({c.id, drop_reason::late});
        return d;
      default: break;
    }
    d.close = true;
    d.reason = close_reason::immediate;
    d.apply.push_back({c.id, 1.0});
    if (fault_ == fault::apply_and_drop)
      d.drop.push_back({c.id, drop_reason::stale});
    if (fault_ == fault::unknown_id)
      d.apply.push_back({c.id + 1000, 1.0});
    if (fault_ == fault::apply_twice && last_ != 0)
      d.apply.push_back({last_, 1.0});
    last_ = c.id;
    d.release.push_back(c.worker);
    return d;
  }
  round_decision on_timer(const policy_context&) override { return {}; }
  round_decision on_membership_change(const policy_context&) override { return {}; }

 private:
  fault fault_;
  policy_traits traits_;
  contribution_id last_ = 0;
};

}  // namespace

CATCH_TEST_CASE("fake_aggregator: a well-behaved policy passes the contract check",
                "[policies][harness]") {
  broken_policy p(broken_policy::fault::none);
  fake_aggregator agg(p, {0, 1});
  agg.start();
  CATCH_CHECK(agg.ever_released(0));
  CATCH_CHECK(agg.ever_released(1));
  agg.push(0);
  agg.push(1);
  agg.push(0);
  CATCH_CHECK(agg.violations().empty());
  CATCH_CHECK(agg.contract_held());
  CATCH_CHECK(agg.version() == 3);
  CATCH_CHECK(agg.applied_count() == 3);
  CATCH_CHECK(agg.pending_ids().empty());
  // Released onto the version after its own update.
  CATCH_CHECK(agg.job_version(0) == 3);
  CATCH_CHECK(agg.job_version(1) == 2);
  CATCH_CHECK(agg.rounds().size() == 3);
  CATCH_CHECK(agg.rounds()[2].from_version == 2);
}

CATCH_TEST_CASE("fake_aggregator: catches every kind of contract violation",
                "[policies][harness]") {
  CATCH_SECTION("an id applied twice") {
    broken_policy p(broken_policy::fault::apply_twice);
    fake_aggregator agg(p, {0});
    agg.start();
    agg.push(0);
    CATCH_CHECK(agg.violations().empty());
    agg.push(0);
    CATCH_REQUIRE(agg.violations().size() == 1);
    CATCH_CHECK(agg.violations()[0].find("already applied") != std::string::npos);
    CATCH_CHECK_FALSE(agg.contract_held());
  }
  CATCH_SECTION("an id both applied and dropped") {
    broken_policy p(broken_policy::fault::apply_and_drop);
    fake_aggregator agg(p, {0});
    agg.push(0);
    CATCH_CHECK(agg.violations().size() == 1);
    CATCH_CHECK_FALSE(agg.contract_held());
  }
  CATCH_SECTION("an unknown id") {
    broken_policy p(broken_policy::fault::unknown_id);
    fake_aggregator agg(p, {0});
    agg.push(0);
    CATCH_REQUIRE(agg.violations().size() == 1);
    CATCH_CHECK(agg.violations()[0].find("unknown") != std::string::npos);
  }
  CATCH_SECTION("a close that applies nothing") {
    broken_policy p(broken_policy::fault::empty_close);
    fake_aggregator agg(p, {0});
    agg.push(0);
    CATCH_CHECK(agg.violations().size() == 1);
  }
  CATCH_SECTION("an apply list without a close") {
    broken_policy p(broken_policy::fault::apply_without_close);
    fake_aggregator agg(p, {0});
    agg.push(0);
    CATCH_CHECK(agg.violations().size() == 1);
    CATCH_CHECK(agg.version() == 0);
  }
  CATCH_SECTION("releasing a worker that is not a member") {
    broken_policy p(broken_policy::fault::release_non_member);
    fake_aggregator agg(p, {0});
    agg.push(0);
    CATCH_CHECK(agg.violations().size() == 1);
  }
  CATCH_SECTION("unresolved contributions are reported as pending, not as violations") {
    broken_policy p(broken_policy::fault::never_resolve);
    fake_aggregator agg(p, {0, 1});
    agg.push(0);
    agg.push(1);
    CATCH_CHECK(agg.violations().empty());
    CATCH_CHECK(agg.contract_held());
    CATCH_CHECK(agg.pending_ids() == std::vector<contribution_id>{1, 2});
  }
}

CATCH_TEST_CASE("fake_aggregator: feeding the same id twice is flagged", "[policies][harness]") {
  broken_policy p(broken_policy::fault::never_resolve);
  fake_aggregator agg(p, {0});
  contribution_meta c;
  c.id = 7;
  agg.arrive(c);
  CATCH_CHECK(agg.violations().empty());
  agg.arrive(c);
  CATCH_CHECK(agg.violations().size() == 1);
  CATCH_CHECK(agg.next_id() == 8);
}
