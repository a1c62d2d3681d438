// The per-client negotiate limits (src/signalr/negotiate_limiter.hpp) and the pending tokens
// that carry them (pending_negotiations.hpp), with time injected: no sleeps.
#include "signalr/negotiate_limiter.hpp"
#include "signalr/pending_negotiations.hpp"

#include <gtest/gtest.h>

#include <string>

namespace scanhub::signalr {
namespace {

using namespace std::chrono_literals;
using Clock = NegotiateLimiter::Clock;
using Verdict = NegotiateLimiter::Verdict;
using Reason = PendingNegotiations::Refusal::Reason;

ClientKey key(const char* address) { return client_key(boost::asio::ip::make_address(address)); }

const Clock::time_point t0 = Clock::time_point{} + 1000h;

TEST(ClientKey, Ipv4AndItsMappedFormAreOneClientAndIpv6IsCutToItsSlash64) {
  EXPECT_EQ(key("10.1.2.3"), key("::ffff:10.1.2.3"));
  EXPECT_NE(key("10.1.2.3"), key("10.1.2.4"));
  EXPECT_EQ(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  EXPECT_NE(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
  EXPECT_NE(key("::ffff:10.1.2.3"), key("::ffff:10.1.2.4"));  // not one /64 for all of IPv4
}

TEST(NegotiateLimiter, TheBucketAllowsItsBurstThenRefillsAtItsRate) {
  NegotiateLimiter limiter({.max_pending = 0, .rate_per_second = 10, .burst = 5});
  const auto a = key("127.0.0.1");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.admit(a, t0).verdict, Verdict::kAdmitted) << i;
  const auto refused = limiter.admit(a, t0);
  EXPECT_EQ(refused.verdict, Verdict::kRateLimited);
  EXPECT_EQ(refused.retry_after, 1s);  // 0.1 s to the next token, rounded up to whole seconds
  EXPECT_EQ(limiter.admit(a, t0 + 50ms).verdict, Verdict::kRateLimited);
  EXPECT_EQ(limiter.admit(a, t0 + 100ms).verdict, Verdict::kAdmitted);
  EXPECT_EQ(limiter.admit(a, t0 + 100ms).verdict, Verdict::kRateLimited);
  // Another client has a bucket of its own.
  EXPECT_EQ(limiter.admit(key("127.0.0.2"), t0).verdict, Verdict::kAdmitted);
  // Refilled to the burst, never beyond it.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.admit(a, t0 + 1h).verdict, Verdict::kAdmitted);
  EXPECT_EQ(limiter.admit(a, t0 + 1h).verdict, Verdict::kRateLimited);
}

TEST(NegotiateLimiter, RetryAfterIsTheWaitForTheNextToken) {
  NegotiateLimiter limiter({.max_pending = 0, .rate_per_second = 0.25, .burst = 1});
  const auto a = key("127.0.0.1");
  EXPECT_EQ(limiter.admit(a, t0).verdict, Verdict::kAdmitted);
  EXPECT_EQ(limiter.admit(a, t0).retry_after, 4s);
  EXPECT_EQ(limiter.admit(a, t0 + 1500ms).retry_after, 3s);  // 2.5 s, rounded up
  EXPECT_EQ(limiter.admit(a, t0 + 4s).verdict, Verdict::kAdmitted);
}

TEST(NegotiateLimiter, PendingTokensAreCappedPerClientAndReleasedOneByOne) {
  NegotiateLimiter limiter({.max_pending = 3, .rate_per_second = 0, .burst = 1});
  const auto a = key("127.0.0.1");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.admit(a, t0).tracked);
  const auto refused = limiter.admit(a, t0);
  EXPECT_EQ(refused.verdict, Verdict::kTooManyPending);
  EXPECT_GE(refused.retry_after, 1s);
  EXPECT_EQ(limiter.admit(key("127.0.0.2"), t0).verdict, Verdict::kAdmitted);
  EXPECT_EQ(limiter.pending(a), 3u);
  limiter.release(a, t0);
  EXPECT_EQ(limiter.pending(a), 2u);
  EXPECT_EQ(limiter.admit(a, t0).verdict, Verdict::kAdmitted);
  EXPECT_EQ(limiter.admit(a, t0).verdict, Verdict::kTooManyPending);
}

TEST(NegotiateLimiter, AnIdleClientIsForgottenAndTheTableIsBounded) {
  NegotiateLimiter limiter(
      {.max_pending = 10, .rate_per_second = 1, .burst = 2, .max_clients = 3});
  const auto a = key("10.0.0.1");
  EXPECT_TRUE(limiter.admit(a, t0).tracked);
  EXPECT_TRUE(limiter.admit(key("10.0.0.2"), t0).tracked);
  EXPECT_TRUE(limiter.admit(key("10.0.0.3"), t0).tracked);
  EXPECT_EQ(limiter.tracked_clients(), 3u);
  // Full: a fourth client is admitted without being tracked (left to the hub's global cap).
  const auto untracked = limiter.admit(key("10.0.0.4"), t0);
  EXPECT_EQ(untracked.verdict, Verdict::kAdmitted);
  EXPECT_FALSE(untracked.tracked);
  EXPECT_EQ(limiter.tracked_clients(), 3u);
  // Its last pending token released and its bucket full again, a client is forgotten at once.
  limiter.release(a, t0 + 2s);
  EXPECT_EQ(limiter.tracked_clients(), 2u);
  // One whose token is released before its bucket refilled goes at a later sweep.
  limiter.release(key("10.0.0.2"), t0);
  EXPECT_EQ(limiter.tracked_clients(), 2u);
  EXPECT_TRUE(limiter.admit(key("10.0.0.5"), t0 + 2s).tracked);  // sweeps 10.0.0.2 first
  EXPECT_EQ(limiter.tracked_clients(), 2u);  // 10.0.0.3 (pending) and 10.0.0.5
  EXPECT_EQ(limiter.pending(key("10.0.0.2")), 0u);
}

PendingNegotiations::Negotiated negotiated(std::string id) { return {std::move(id), false}; }

TEST(PendingNegotiations, ATokenThatExpiresOrIsClaimedFreesItsClientsSlot) {
  PendingNegotiations pending(100, 30s, {.max_pending = 2, .rate_per_second = 0, .burst = 1});
  const auto a = key("127.0.0.1");
  ASSERT_TRUE(pending.add("t1", negotiated("c1"), a, t0));
  ASSERT_TRUE(pending.add("t2", negotiated("c2"), a, t0 + 10s));
  auto refused = pending.add("t3", negotiated("c3"), a, t0 + 29s);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, Reason::kTooManyPending);
  // t1's 30 s are up: it is dropped and its slot taken by t3.
  ASSERT_TRUE(pending.add("t3", negotiated("c3"), a, t0 + 30s));
  EXPECT_FALSE(pending.contains("t1"));
  EXPECT_FALSE(pending.take("t1", t0 + 30s));
  // Claiming t2 frees its slot at once.
  auto claimed = pending.take("t2", t0 + 31s);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->connection_id, "c2");
  EXPECT_FALSE(pending.take("t2", t0 + 31s));
  EXPECT_TRUE(pending.add("t4", negotiated("c4"), a, t0 + 31s));
  EXPECT_EQ(pending.limiter().pending(a), 2u);
  // An expired token cannot be claimed, and claiming it frees the slot too.
  EXPECT_FALSE(pending.take("t3", t0 + 60s));
  EXPECT_EQ(pending.limiter().pending(a), 1u);
  EXPECT_EQ(pending.size(), 1u);
}

TEST(PendingNegotiations, TheGlobalCapRefusesWithTheWaitForTheOldestToken) {
  PendingNegotiations pending(2, 30s, {.max_pending = 0, .rate_per_second = 0, .burst = 1});
  ASSERT_TRUE(pending.add("t1", negotiated("c1"), key("10.0.0.1"), t0));
  ASSERT_TRUE(pending.add("t2", negotiated("c2"), key("10.0.0.2"), t0 + 5s));
  auto refused = pending.add("t3", negotiated("c3"), key("10.0.0.3"), t0 + 20s);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, Reason::kFull);
  EXPECT_EQ(refused.error().retry_after, 10s);
  ASSERT_TRUE(pending.add("t3", negotiated("c3"), key("10.0.0.3"), t0 + 30s));
  EXPECT_EQ(pending.size(), 2u);
}

TEST(PendingNegotiations, ARateLimitedClientGetsARefusalAndOthersDoNot) {
  PendingNegotiations pending(100, 30s, {.max_pending = 0, .rate_per_second = 1, .burst = 1});
  ASSERT_TRUE(pending.add("t1", negotiated("c1"), key("10.0.0.1"), t0));
  auto refused = pending.add("t2", negotiated("c2"), key("10.0.0.1"), t0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, Reason::kRateLimited);
  EXPECT_EQ(refused.error().retry_after, 1s);
  EXPECT_TRUE(pending.add("t2", negotiated("c2"), key("10.0.0.2"), t0));
  pending.clear();
  EXPECT_EQ(pending.size(), 0u);
  EXPECT_EQ(pending.limiter().tracked_clients(), 0u);
}

}  // namespace
}  // namespace scanhub::signalr
