#include "filters/rate_limit/local_backend.h"

#include <atomic>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/manual_clock.h"

namespace chaukas::filters::rate_limit {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class LocalBackendTest : public ::testing::Test {
 protected:
  // How many of `attempts` calls of `cost` on `key` are allowed, the clock standing still.
  int CountAllowed(std::string_view key, const BucketLimit& limit, double cost, int attempts) {
    int allowed = 0;
    for (int i = 0; i < attempts; ++i) allowed += backend_.TryAcquire(key, limit, cost).allowed;
    return allowed;
  }

  // What the bucket holds now, read by a call that takes nothing.
  double Remaining(std::string_view key, const BucketLimit& limit) {
    return backend_.TryAcquire(key, limit, 0).remaining;
  }

  testing::ManualClock clock_;
  LocalBackend backend_{clock_, absl::Seconds(60)};
};

TEST_F(LocalBackendTest, AllowsBurstThenRefillsAtRate) {
  const BucketLimit limit{.rate_per_second = 2, .burst = 5};
  EXPECT_EQ(CountAllowed("tenant-a", limit, 1, 10), 5);

  clock_.Advance(absl::Milliseconds(500));
  EXPECT_EQ(CountAllowed("tenant-a", limit, 1, 10), 1);

  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(CountAllowed("tenant-a", limit, 1, 10), 4);

  // However long it rests, the bucket holds no more than burst.
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(CountAllowed("tenant-a", limit, 1, 10), 5);
}

TEST_F(LocalBackendTest, KeepsEachKeyInItsOwnBucket) {
  const BucketLimit limit{.rate_per_second = 1, .burst = 3};
  EXPECT_EQ(CountAllowed("tenant-a", limit, 1, 10), 3);
  EXPECT_EQ(CountAllowed("tenant-b", limit, 1, 10), 3);
  EXPECT_EQ(backend_.key_count(), 2u);
}

TEST_F(LocalBackendTest, TakesAllOrNothing) {
  const BucketLimit limit{.rate_per_second = 1, .burst = 5};
  EXPECT_TRUE(backend_.TryAcquire("k", limit, 3).allowed);

  const AcquireResult refused = backend_.TryAcquire("k", limit, 3);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 2);

  const AcquireResult fits = backend_.TryAcquire("k", limit, 2);
  EXPECT_TRUE(fits.allowed);
  EXPECT_EQ(fits.remaining, 0);
}

TEST_F(LocalBackendTest, ReportsRetryAfterAndReset) {
  const BucketLimit limit{.rate_per_second = 2, .burst = 10};
  const AcquireResult first = backend_.TryAcquire("k", limit, 4);
  EXPECT_TRUE(first.allowed);
  EXPECT_EQ(first.remaining, 6);
  EXPECT_EQ(first.retry_after, absl::ZeroDuration());
  EXPECT_EQ(first.reset, absl::Seconds(2));  // 4 missing at 2 per second

  EXPECT_TRUE(backend_.TryAcquire("k", limit, 6).allowed);
  const AcquireResult refused = backend_.TryAcquire("k", limit, 3);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after, absl::Milliseconds(1500));
  EXPECT_EQ(refused.reset, absl::Seconds(5));

  clock_.Advance(absl::Seconds(1));
  const AcquireResult later = backend_.TryAcquire("k", limit, 3);
  EXPECT_FALSE(later.allowed);
  EXPECT_EQ(later.remaining, 2);
  EXPECT_EQ(later.retry_after, absl::Milliseconds(500));
  EXPECT_EQ(later.reset, absl::Seconds(4));

  // Waiting exactly retry_after is enough.
  clock_.Advance(later.retry_after);
  EXPECT_TRUE(backend_.TryAcquire("k", limit, 3).allowed);
}

TEST_F(LocalBackendTest, RefusesCostAboveBurstForeverWithTimeToFillTheBucket) {
  const BucketLimit limit{.rate_per_second = 2, .burst = 10};
  EXPECT_TRUE(backend_.TryAcquire("k", limit, 4).allowed);

  const AcquireResult refused = backend_.TryAcquire("k", limit, 25);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 6);
  EXPECT_EQ(refused.retry_after, absl::Seconds(2));  // 6 -> 10, not 6 -> 25

  clock_.Advance(absl::Hours(24));
  EXPECT_FALSE(backend_.TryAcquire("k", limit, 25).allowed);
  EXPECT_EQ(Remaining("k", limit), 10);
}

TEST_F(LocalBackendTest, RefundGivesTokensBackButNeverPastBurst) {
  const BucketLimit limit{.rate_per_second = 1, .burst = 5};
  EXPECT_TRUE(backend_.TryAcquire("k", limit, 3).allowed);
  backend_.Refund("k", limit, 1);
  EXPECT_EQ(Remaining("k", limit), 3);

  backend_.Refund("k", limit, 100);
  EXPECT_EQ(Remaining("k", limit), 5);

  // Refill and refund together still stop at burst.
  EXPECT_TRUE(backend_.TryAcquire("k", limit, 2).allowed);
  clock_.Advance(absl::Seconds(1));
  backend_.Refund("k", limit, 2);
  EXPECT_EQ(Remaining("k", limit), 5);
}

TEST_F(LocalBackendTest, RefundOfAnUnknownKeyCreatesNoBucket) {
  backend_.Refund("never-seen", {.rate_per_second = 1, .burst = 5}, 3);
  EXPECT_EQ(backend_.key_count(), 0u);
}

TEST_F(LocalBackendTest, TakesFractionalCostsWithoutLosingTheLastOneToRounding) {
  // In floating point 0.3 - 0.1 - 0.1 is 0.0999…98, less than the third 0.1.
  const BucketLimit small{.rate_per_second = 0, .burst = 0.3};
  EXPECT_EQ(CountAllowed("llm", small, 0.1, 10), 3);

  // A dollar budget spent in 1.25 cent calls: plain subtraction would refuse the 40th.
  const BucketLimit dollars{.rate_per_second = 0, .burst = 0.5};
  EXPECT_EQ(CountAllowed("usd", dollars, 0.0125, 100), 40);
  EXPECT_FALSE(backend_.TryAcquire("usd", dollars, 0.0001).allowed);
}

TEST_F(LocalBackendTest, RateZeroIsABudgetThatNeverRefills) {
  const BucketLimit budget{.rate_per_second = 0, .burst = 100};
  EXPECT_EQ(CountAllowed("k", budget, 10, 20), 10);

  clock_.Advance(absl::Hours(24 * 365));
  const AcquireResult refused = backend_.TryAcquire("k", budget, 1);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, absl::InfiniteDuration());
  EXPECT_EQ(refused.reset, absl::InfiniteDuration());

  // A spent budget is never forgotten: forgetting it would grant a new one.
  EXPECT_EQ(backend_.ExpireIdle(), 0u);
  EXPECT_FALSE(backend_.TryAcquire("k", budget, 1).allowed);

  // An untouched budget is full, so forgetting it changes nothing.
  EXPECT_TRUE(backend_.TryAcquire("unused", budget, 0).allowed);
  clock_.Advance(absl::Seconds(60));
  EXPECT_EQ(backend_.ExpireIdle(), 1u);
  EXPECT_EQ(backend_.key_count(), 1u);
}

TEST_F(LocalBackendTest, ExpireIdleForgetsOnlyBucketsThatWouldBeFullByNow) {
  const BucketLimit fast{.rate_per_second = 1, .burst = 10};     // full again after 1 s
  const BucketLimit slow{.rate_per_second = 0.01, .burst = 10};  // full again after 1000 s
  EXPECT_TRUE(backend_.TryAcquire("fast", fast, 1).allowed);
  EXPECT_EQ(CountAllowed("slow", slow, 1, 10), 10);

  // Full, but not idle long enough.
  clock_.Advance(absl::Seconds(59));
  EXPECT_EQ(backend_.ExpireIdle(), 0u);

  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(backend_.ExpireIdle(), 1u);
  EXPECT_EQ(backend_.key_count(), 1u);

  // The drained key kept its debt: 0.6 tokens after 60 s, not a fresh bucket of 10.
  const AcquireResult slow_now = backend_.TryAcquire("slow", slow, 1);
  EXPECT_FALSE(slow_now.allowed);
  EXPECT_NEAR(slow_now.remaining, 0.6, 1e-9);

  // That call counts as activity; once refilled and idle, it goes too.
  clock_.Advance(absl::Seconds(995));
  EXPECT_EQ(backend_.ExpireIdle(), 1u);
  EXPECT_EQ(backend_.key_count(), 0u);
}

TEST_F(LocalBackendTest, ForgottenKeyStartsWithTheFullBucketItWouldHaveHad) {
  const BucketLimit limit{.rate_per_second = 1, .burst = 5};
  EXPECT_EQ(CountAllowed("k", limit, 1, 10), 5);
  clock_.Advance(absl::Seconds(60));
  EXPECT_EQ(backend_.ExpireIdle(), 1u);
  EXPECT_EQ(CountAllowed("k", limit, 1, 10), 5);
}

TEST_F(LocalBackendTest, TracksManyKeysAndThenExpiresThemAll) {
  constexpr int kKeys = 100'000;
  const BucketLimit limit{.rate_per_second = 1, .burst = 2};
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(backend_.TryAcquire(absl::StrCat("tenant-", i), limit, 2).allowed) << i;
  }
  EXPECT_EQ(backend_.key_count(), static_cast<size_t>(kKeys));
  // Each one is drained; none was handed another's bucket.
  EXPECT_FALSE(backend_.TryAcquire("tenant-0", limit, 1).allowed);
  EXPECT_FALSE(backend_.TryAcquire(absl::StrCat("tenant-", kKeys - 1), limit, 1).allowed);

  clock_.Advance(absl::Seconds(60));
  EXPECT_EQ(backend_.ExpireIdle(), static_cast<size_t>(kKeys));
  EXPECT_EQ(backend_.key_count(), 0u);
}

// A clock that never moves and, unlike ManualClock, takes no lock: ManualClock's mutex would
// space out the threads and hide a race on the bucket.
class FrozenClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::FromUnixSeconds(1'700'000'000); }
};

TEST(LocalBackendConcurrencyTest, ThreadsSharingOneKeyNeverTakeMoreThanBurst) {
  constexpr int kThreads = 4;
  constexpr int kBurst = 20'000;
  const FrozenClock clock;
  LocalBackend backend(clock, absl::Seconds(60));
  const BucketLimit limit{.rate_per_second = 1000, .burst = kBurst};
  // Created before the threads start, so they all race on taking, not on creating.
  ASSERT_TRUE(backend.TryAcquire("shared", limit, 0).allowed);

  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kBurst / 2; ++i) {
        if (backend.TryAcquire("shared", limit, 1).allowed) ++allowed;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), kBurst);
}

TEST_F(LocalBackendTest, ExpiryRunningAlongsideAcquiresNeverRefillsABudget) {
  // idle_timeout 0: anything full may go at once, so only the full-by-now rule protects them.
  LocalBackend backend(clock_, absl::ZeroDuration());
  constexpr int kThreads = 3;
  constexpr int kKeys = 8;
  const BucketLimit budget{.rate_per_second = 0, .burst = 50};
  std::atomic<bool> done{false};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; !done.load(); ++i) {
        if (backend.TryAcquire(absl::StrCat("key-", i % kKeys), budget, 1).allowed) ++allowed;
      }
    });
  }
  for (int pass = 0; pass < 500; ++pass) backend.ExpireIdle();
  done = true;
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), kKeys * 50);
}

TEST_F(LocalBackendTest, ClockSteppingBackRefillsNothingThenRefillsFromTheNewNow) {
  const BucketLimit limit{.rate_per_second = 1, .burst = 5};
  EXPECT_EQ(CountAllowed("k", limit, 1, 10), 5);
  clock_.Advance(-absl::Hours(1));
  EXPECT_EQ(CountAllowed("k", limit, 1, 10), 0);
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(CountAllowed("k", limit, 1, 10), 2);
}

TEST_F(LocalBackendTest, LoweredBurstCapsWhatTheBucketHolds) {
  EXPECT_TRUE(backend_.TryAcquire("k", {.rate_per_second = 1, .burst = 100}, 1).allowed);
  EXPECT_EQ(Remaining("k", {.rate_per_second = 1, .burst = 10}), 10);
}

TEST_F(LocalBackendTest, GivesBadNumbersASafeMeaning) {
  const BucketLimit limit{.rate_per_second = 1, .burst = 5};

  // A cost that is not a number never passes, and takes nothing.
  const AcquireResult nan_cost = backend_.TryAcquire("k", limit, kNaN);
  EXPECT_FALSE(nan_cost.allowed);
  EXPECT_EQ(nan_cost.remaining, 5);
  EXPECT_FALSE(backend_.TryAcquire("k", limit, kInfinity).allowed);

  // A negative cost takes nothing and adds nothing.
  EXPECT_TRUE(backend_.TryAcquire("k", limit, 3).allowed);
  const AcquireResult negative = backend_.TryAcquire("k", limit, -10);
  EXPECT_TRUE(negative.allowed);
  EXPECT_EQ(negative.remaining, 2);

  // Refunds of nonsense give nothing back.
  backend_.Refund("k", limit, kNaN);
  backend_.Refund("k", limit, -10);
  EXPECT_EQ(Remaining("k", limit), 2);

  // A negative or NaN rate does not refill; a negative or NaN burst lets nothing pass.
  const BucketLimit no_refill{.rate_per_second = kNaN, .burst = 1};
  EXPECT_TRUE(backend_.TryAcquire("r", no_refill, 1).allowed);
  clock_.Advance(absl::Hours(1));
  EXPECT_FALSE(backend_.TryAcquire("r", {.rate_per_second = -1, .burst = 1}, 1).allowed);
  EXPECT_FALSE(backend_.TryAcquire("b", {.rate_per_second = 1, .burst = -1}, 1).allowed);
  EXPECT_FALSE(backend_.TryAcquire("n", {.rate_per_second = 1, .burst = kNaN}, 1).allowed);

  // An infinite burst is unlimited, except for an infinite cost.
  const BucketLimit unlimited{.rate_per_second = 0, .burst = kInfinity};
  EXPECT_TRUE(backend_.TryAcquire("u", unlimited, 1e300).allowed);
  EXPECT_FALSE(backend_.TryAcquire("u", unlimited, kInfinity).allowed);
  EXPECT_EQ(Remaining("u", unlimited), kInfinity);
}

}  // namespace
}  // namespace chaukas::filters::rate_limit
