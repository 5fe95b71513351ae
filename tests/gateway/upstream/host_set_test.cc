#include "gateway/upstream/host_set.h"

#include <string>
#include <vector>

#include "gateway/common/stable_hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chaukas::upstream {
namespace {

using ::testing::ElementsAre;

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

std::vector<std::string> Addresses(int count) {
  std::vector<std::string> addresses;
  for (int i = 0; i < count; ++i) addresses.push_back("10.0.0." + std::to_string(i) + ":4317");
  return addresses;
}

config::HealthCheckConfig Health(int64_t unhealthy_threshold, int64_t healthy_threshold) {
  config::HealthCheckConfig health;
  health.unhealthy_threshold = unhealthy_threshold;
  health.healthy_threshold = healthy_threshold;
  return health;
}

config::OutlierDetectionConfig Outlier(int64_t consecutive_failures, int64_t base_ejection_ms,
                                       int64_t max_ejection_ms, int64_t max_ejection_percent) {
  config::OutlierDetectionConfig outlier;
  outlier.consecutive_failures = consecutive_failures;
  outlier.base_ejection_ms = base_ejection_ms;
  outlier.max_ejection_ms = max_ejection_ms;
  outlier.max_ejection_percent = max_ejection_percent;
  return outlier;
}

HostSet MakeHosts(int count, const config::OutlierDetectionConfig& outlier) {
  return HostSet(Addresses(count), Health(3, 2), outlier);
}

// Fails `endpoint`'s calls `times` times at `now`; returns whether the last one ejected it.
bool FailCalls(HostSet& hosts, size_t endpoint, int times, absl::Time now) {
  bool ejected = false;
  for (int i = 0; i < times; ++i) ejected = hosts.OnCallResult(endpoint, false, now);
  return ejected;
}

TEST(HostSetTest, StartsWithEveryEndpointHealthyAndAvailable) {
  const HostSet hosts = MakeHosts(3, Outlier(5, 30'000, 300'000, 50));
  ASSERT_EQ(hosts.size(), 3u);
  EXPECT_EQ(hosts.address(1), "10.0.0.1:4317");
  EXPECT_EQ(hosts.address_hash(1), StableHash64("10.0.0.1:4317"));
  bool panic = true;
  EXPECT_THAT(hosts.Available(kStart, &panic), ElementsAre(0, 1, 2));
  EXPECT_FALSE(panic);
  for (size_t i = 0; i < hosts.size(); ++i) {
    EXPECT_TRUE(hosts.healthy(i));
    EXPECT_FALSE(hosts.ejected(i, kStart));
    EXPECT_EQ(hosts.ejected_until(i), absl::InfinitePast());
    EXPECT_EQ(hosts.times_ejected(i), 0u);
    EXPECT_EQ(hosts.in_flight(i), 0);
  }
}

TEST(HostSetTest, BecomesUnhealthyAfterUnhealthyThresholdConsecutiveFailedChecks) {
  HostSet hosts(Addresses(2), Health(3, 2), Outlier(5, 30'000, 300'000, 50));
  EXPECT_FALSE(hosts.OnHealthCheck(0, false));
  EXPECT_FALSE(hosts.OnHealthCheck(0, false));
  EXPECT_FALSE(hosts.OnHealthCheck(0, true));  // starts the count again
  EXPECT_FALSE(hosts.OnHealthCheck(0, false));
  EXPECT_FALSE(hosts.OnHealthCheck(0, false));
  EXPECT_TRUE(hosts.healthy(0));
  EXPECT_TRUE(hosts.OnHealthCheck(0, false));
  EXPECT_FALSE(hosts.healthy(0));
  EXPECT_FALSE(hosts.OnHealthCheck(0, false));  // no change
  EXPECT_THAT(hosts.Available(kStart), ElementsAre(1));
}

TEST(HostSetTest, BecomesHealthyAgainAfterHealthyThresholdConsecutivePassedChecks) {
  HostSet hosts(Addresses(2), Health(1, 3), Outlier(5, 30'000, 300'000, 50));
  ASSERT_TRUE(hosts.OnHealthCheck(0, false));
  EXPECT_FALSE(hosts.OnHealthCheck(0, true));
  EXPECT_FALSE(hosts.OnHealthCheck(0, true));
  EXPECT_FALSE(hosts.OnHealthCheck(0, false));  // starts the count again
  EXPECT_FALSE(hosts.OnHealthCheck(0, true));
  EXPECT_FALSE(hosts.OnHealthCheck(0, true));
  EXPECT_FALSE(hosts.healthy(0));
  EXPECT_TRUE(hosts.OnHealthCheck(0, true));
  EXPECT_TRUE(hosts.healthy(0));
  EXPECT_FALSE(hosts.OnHealthCheck(0, true));  // no change
  EXPECT_THAT(hosts.Available(kStart), ElementsAre(0, 1));
}

TEST(HostSetTest, EjectsAfterConsecutiveFailedCalls) {
  HostSet hosts = MakeHosts(4, Outlier(3, 10'000, 300'000, 50));
  EXPECT_FALSE(FailCalls(hosts, 2, 2, kStart));
  EXPECT_FALSE(hosts.ejected(2, kStart));
  EXPECT_TRUE(hosts.OnCallResult(2, false, kStart));
  EXPECT_TRUE(hosts.ejected(2, kStart));
  EXPECT_EQ(hosts.times_ejected(2), 1u);
  EXPECT_EQ(hosts.ejected_until(2), kStart + absl::Seconds(10));
  EXPECT_TRUE(hosts.healthy(2));  // passive and active health are separate
  EXPECT_THAT(hosts.Available(kStart), ElementsAre(0, 1, 3));
}

TEST(HostSetTest, SuccessfulCallResetsTheFailureCount) {
  HostSet hosts = MakeHosts(4, Outlier(3, 10'000, 300'000, 50));
  EXPECT_FALSE(FailCalls(hosts, 0, 2, kStart));
  EXPECT_FALSE(hosts.OnCallResult(0, true, kStart));
  EXPECT_FALSE(FailCalls(hosts, 0, 2, kStart));
  EXPECT_FALSE(hosts.ejected(0, kStart));
  EXPECT_TRUE(hosts.OnCallResult(0, false, kStart));
}

TEST(HostSetTest, EjectedEndpointReturnsWhenItsEjectionIsOver) {
  HostSet hosts = MakeHosts(4, Outlier(1, 10'000, 300'000, 50));
  ASSERT_TRUE(hosts.OnCallResult(1, false, kStart));
  const absl::Time end = kStart + absl::Seconds(10);
  EXPECT_TRUE(hosts.ejected(1, end - absl::Nanoseconds(1)));
  EXPECT_THAT(hosts.Available(end - absl::Nanoseconds(1)), ElementsAre(0, 2, 3));
  EXPECT_FALSE(hosts.ejected(1, end));
  EXPECT_THAT(hosts.Available(end), ElementsAre(0, 1, 2, 3));
}

TEST(HostSetTest, EjectionsGrowLongerAndStopAtMaxEjection) {
  HostSet hosts = MakeHosts(4, Outlier(2, 10'000, 35'000, 50));
  absl::Time now = kStart;
  for (const int64_t expected_seconds : {10, 20, 30, 35, 35}) {
    ASSERT_TRUE(FailCalls(hosts, 0, 2, now));
    EXPECT_EQ(hosts.ejected_until(0) - now, absl::Seconds(expected_seconds));
    now = hosts.ejected_until(0);
  }
  EXPECT_EQ(hosts.times_ejected(0), 5u);
}

TEST(HostSetTest, DoesNotCountFailuresOfCallsToAnEjectedEndpoint) {
  HostSet hosts = MakeHosts(4, Outlier(2, 10'000, 300'000, 50));
  ASSERT_TRUE(FailCalls(hosts, 0, 2, kStart));
  EXPECT_FALSE(FailCalls(hosts, 0, 5, kStart + absl::Seconds(1)));
  EXPECT_EQ(hosts.ejected_until(0), kStart + absl::Seconds(10));
  EXPECT_EQ(hosts.times_ejected(0), 1u);
  // Back with a count of zero: one failure is not enough.
  const absl::Time back = kStart + absl::Seconds(10);
  EXPECT_FALSE(hosts.OnCallResult(0, false, back));
  EXPECT_TRUE(hosts.OnCallResult(0, false, back));
}

TEST(HostSetTest, NeverEjectsMoreThanMaxEjectionPercent) {
  HostSet hosts = MakeHosts(4, Outlier(1, 10'000, 300'000, 50));
  EXPECT_TRUE(hosts.OnCallResult(0, false, kStart));
  EXPECT_TRUE(hosts.OnCallResult(1, false, kStart + absl::Seconds(5)));
  EXPECT_FALSE(hosts.OnCallResult(2, false, kStart + absl::Seconds(6)));
  EXPECT_FALSE(hosts.ejected(2, kStart + absl::Seconds(6)));
  EXPECT_THAT(hosts.Available(kStart + absl::Seconds(6)), ElementsAre(2, 3));
  // Once endpoint 0 is back, the next failure of endpoint 2 ejects it.
  const absl::Time later = kStart + absl::Seconds(10);
  EXPECT_TRUE(hosts.OnCallResult(2, false, later));
  EXPECT_THAT(hosts.Available(later), ElementsAre(0, 3));
}

TEST(HostSetTest, EjectsOneEndpointEvenWhenThatIsOverMaxEjectionPercent) {
  HostSet hosts = MakeHosts(4, Outlier(1, 10'000, 300'000, 10));
  EXPECT_TRUE(hosts.OnCallResult(0, false, kStart));
  EXPECT_FALSE(hosts.OnCallResult(1, false, kStart));
  EXPECT_THAT(hosts.Available(kStart), ElementsAre(1, 2, 3));
}

TEST(HostSetTest, ZeroMaxEjectionPercentTurnsEjectionOff) {
  HostSet hosts = MakeHosts(4, Outlier(1, 10'000, 300'000, 0));
  EXPECT_FALSE(FailCalls(hosts, 0, 10, kStart));
  EXPECT_FALSE(hosts.ejected(0, kStart));
  EXPECT_EQ(hosts.times_ejected(0), 0u);
}

TEST(HostSetTest, OffersEveryEndpointInPanicWhenNoneIsAvailable) {
  HostSet hosts(Addresses(3), Health(1, 1), Outlier(1, 10'000, 300'000, 100));
  ASSERT_TRUE(hosts.OnHealthCheck(0, false));
  ASSERT_TRUE(hosts.OnCallResult(1, false, kStart));
  bool panic = true;
  EXPECT_THAT(hosts.Available(kStart, &panic), ElementsAre(2));
  EXPECT_FALSE(panic);
  ASSERT_TRUE(hosts.OnHealthCheck(2, false));
  EXPECT_THAT(hosts.Available(kStart, &panic), ElementsAre(0, 1, 2));
  EXPECT_TRUE(panic);
  // And out of panic as soon as one is back.
  EXPECT_THAT(hosts.Available(kStart + absl::Seconds(10), &panic), ElementsAre(1));
  EXPECT_FALSE(panic);
}

TEST(HostSetTest, EjectsASingleEndpointWhichPanicModeStillOffers) {
  HostSet hosts = MakeHosts(1, Outlier(2, 10'000, 300'000, 50));
  EXPECT_TRUE(FailCalls(hosts, 0, 2, kStart));
  EXPECT_TRUE(hosts.ejected(0, kStart));
  bool panic = false;
  EXPECT_THAT(hosts.Available(kStart, &panic), ElementsAre(0));
  EXPECT_TRUE(panic);
}

TEST(HostSetTest, CountsCallsInFlightPerEndpoint) {
  HostSet hosts = MakeHosts(2, Outlier(5, 30'000, 300'000, 50));
  hosts.OnCallStarted(1);
  hosts.OnCallStarted(1);
  hosts.OnCallStarted(0);
  hosts.OnCallFinished(1);
  EXPECT_EQ(hosts.in_flight(0), 1);
  EXPECT_EQ(hosts.in_flight(1), 1);
}

}  // namespace
}  // namespace chaukas::upstream
