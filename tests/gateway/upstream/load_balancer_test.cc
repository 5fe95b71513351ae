#include "gateway/upstream/load_balancer.h"

#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "gateway/common/stable_hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chaukas::upstream {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::Ge;

// Returns the values it was given, in order.
class ScriptedRandom final : public RandomSource {
 public:
  // Makes the next draw of a uniform index below `bound` (multiply-shift) give `index`.
  void DrawIndex(size_t index, size_t bound) {
    values_.push_back(static_cast<uint64_t>(((absl::uint128(index) << 64) + bound - 1) / bound));
  }
  void Push(uint64_t value) { values_.push_back(value); }
  bool exhausted() const { return values_.empty(); }

  uint64_t NextUint64() override {
    if (values_.empty()) {
      ADD_FAILURE() << "unexpected random draw";
      return 0;
    }
    const uint64_t value = values_.front();
    values_.pop_front();
    return value;
  }

 private:
  std::deque<uint64_t> values_;
};

class SeededRandom final : public RandomSource {
 public:
  uint64_t NextUint64() override { return generator_(); }

 private:
  std::mt19937_64 generator_{42};
};

HostSet MakeHosts(int count) {
  std::vector<std::string> addresses;
  for (int i = 0; i < count; ++i) addresses.push_back("10.0.0." + std::to_string(i) + ":4317");
  return HostSet(std::move(addresses), config::HealthCheckConfig(),
                 config::OutlierDetectionConfig());
}

std::vector<size_t> Pick(LoadBalancer& balancer, const HostSet& hosts,
                         const std::vector<size_t>& candidates, int times) {
  std::vector<size_t> picks;
  for (int i = 0; i < times; ++i) picks.push_back(balancer.Pick(hosts, candidates, 0));
  return picks;
}

std::unique_ptr<LoadBalancer> RoundRobinStartingAt(uint64_t start, ScriptedRandom& random) {
  random.Push(start);
  return CreateLoadBalancer(config::LoadBalancing::kRoundRobin, random);
}

TEST(RoundRobinTest, CyclesThroughTheCandidatesInOrder) {
  ScriptedRandom random;
  const auto balancer = RoundRobinStartingAt(0, random);
  const HostSet hosts = MakeHosts(3);
  EXPECT_THAT(Pick(*balancer, hosts, {0, 1, 2}, 7), ElementsAre(0, 1, 2, 0, 1, 2, 0));
}

TEST(RoundRobinTest, StartsItsFirstCycleAtARandomEndpoint) {
  ScriptedRandom random;
  const auto balancer = RoundRobinStartingAt(7, random);
  const HostSet hosts = MakeHosts(3);
  EXPECT_THAT(Pick(*balancer, hosts, {0, 1, 2}, 4), ElementsAre(1, 2, 0, 1));
}

TEST(RoundRobinTest, GivesAReturningEndpointItsTurnThenCyclesAgain) {
  ScriptedRandom random;
  const auto balancer = RoundRobinStartingAt(0, random);
  const HostSet hosts = MakeHosts(3);
  EXPECT_THAT(Pick(*balancer, hosts, {0, 1, 2}, 2), ElementsAre(0, 1));
  EXPECT_THAT(Pick(*balancer, hosts, {0, 2}, 3), ElementsAre(2, 0, 2));
  EXPECT_THAT(Pick(*balancer, hosts, {0, 1, 2}, 6), ElementsAre(1, 0, 2, 1, 0, 2));
}

// A counter modulo the number of candidates would send 4 of every 6 calls to endpoint 1 here.
TEST(RoundRobinTest, StaysEvenWhenTheCandidatesAlternate) {
  ScriptedRandom random;
  const auto balancer = RoundRobinStartingAt(0, random);
  const HostSet hosts = MakeHosts(3);
  std::map<size_t, int> picks;
  for (int i = 0; i < 300; ++i) {
    ++picks[balancer->Pick(hosts, std::vector<size_t>{0, 1, 2}, 0)];
    ++picks[balancer->Pick(hosts, std::vector<size_t>{0, 1}, 0)];
  }
  EXPECT_EQ(picks[0], picks[1]);
  EXPECT_GE(picks[2], 100);  // a third of the calls it was a candidate for, at least
}

// However the candidates change, while they stay the same each of them is picked once in every
// run of (number of candidates) picks.
TEST(RoundRobinTest, NeverRepeatsAnEndpointBeforeEveryCandidateHadItsTurn) {
  ScriptedRandom random;
  const auto balancer = RoundRobinStartingAt(0, random);
  const HostSet hosts = MakeHosts(6);
  std::mt19937 generator(7);
  for (int change = 0; change < 500; ++change) {
    std::vector<size_t> candidates;
    while (candidates.empty()) {
      for (size_t i = 0; i < hosts.size(); ++i) {
        if (generator() % 2 == 0) candidates.push_back(i);
      }
    }
    const int calls = static_cast<int>(generator() % 12) + 1;
    const std::vector<size_t> picks = Pick(*balancer, hosts, candidates, calls);
    for (size_t i = 0; i < picks.size(); ++i) {
      for (size_t j = i + 1; j < picks.size() && j < i + candidates.size(); ++j) {
        ASSERT_NE(picks[i], picks[j]) << "change " << change << " picks " << i << ", " << j;
      }
    }
  }
}

TEST(LeastRequestTest, PicksTheLessLoadedOfTwoRandomCandidates) {
  ScriptedRandom random;
  const auto balancer = CreateLoadBalancer(config::LoadBalancing::kLeastRequest, random);
  HostSet hosts = MakeHosts(4);
  for (const size_t endpoint : {0, 0, 0, 1, 2, 2}) hosts.OnCallStarted(endpoint);
  const std::vector<size_t> candidates = {0, 1, 2, 3};
  random.DrawIndex(0, 4);  // endpoint 0, 3 calls
  random.DrawIndex(1, 3);  // the second of the others: endpoint 2, 2 calls
  EXPECT_EQ(balancer->Pick(hosts, candidates, 0), 2u);
  random.DrawIndex(1, 4);  // endpoint 1, 1 call
  random.DrawIndex(2, 3);  // the third of the others: endpoint 3, 0 calls
  EXPECT_EQ(balancer->Pick(hosts, candidates, 0), 3u);
  random.DrawIndex(3, 4);  // endpoint 3, 0 calls
  random.DrawIndex(0, 3);  // endpoint 0, 3 calls
  EXPECT_EQ(balancer->Pick(hosts, candidates, 0), 3u);
  EXPECT_TRUE(random.exhausted());
}

TEST(LeastRequestTest, NeverDrawsTheSameCandidateTwice) {
  ScriptedRandom random;
  const auto balancer = CreateLoadBalancer(config::LoadBalancing::kLeastRequest, random);
  HostSet hosts = MakeHosts(2);
  hosts.OnCallStarted(1);
  random.DrawIndex(1, 2);
  random.DrawIndex(0, 1);  // the only other one: endpoint 0
  EXPECT_EQ(balancer->Pick(hosts, std::vector<size_t>{0, 1}, 0), 0u);
}

TEST(LeastRequestTest, PicksTheOnlyCandidateWithoutDrawing) {
  ScriptedRandom random;
  const auto balancer = CreateLoadBalancer(config::LoadBalancing::kLeastRequest, random);
  const HostSet hosts = MakeHosts(3);
  EXPECT_EQ(balancer->Pick(hosts, std::vector<size_t>{2}, 0), 2u);
  EXPECT_TRUE(random.exhausted());
}

// Endpoint i has i calls in flight. Two distinct candidates of four: the least loaded wins
// whenever it is drawn (1/2 of the picks), the most loaded never.
TEST(LeastRequestTest, SendsMostCallsToTheLeastLoadedAndNoneToTheMostLoaded) {
  SeededRandom random;
  const auto balancer = CreateLoadBalancer(config::LoadBalancing::kLeastRequest, random);
  HostSet hosts = MakeHosts(4);
  for (size_t endpoint = 0; endpoint < 4; ++endpoint) {
    for (size_t call = 0; call < endpoint; ++call) hosts.OnCallStarted(endpoint);
  }
  std::vector<int> picks(4);
  for (int i = 0; i < 12'000; ++i)
    ++picks[balancer->Pick(hosts, std::vector<size_t>{0, 1, 2, 3}, 0)];
  EXPECT_NEAR(picks[0], 6000, 300);  // 1/2
  EXPECT_NEAR(picks[1], 4000, 300);  // 1/3
  EXPECT_NEAR(picks[2], 2000, 300);  // 1/6
  EXPECT_EQ(picks[3], 0);
}

class SessionHashTest : public ::testing::Test {
 protected:
  static constexpr int kSessions = 10'000;

  // The endpoint of every session when `candidates` are available.
  std::vector<size_t> PlaceSessions(const HostSet& hosts, const std::vector<size_t>& candidates) {
    std::vector<size_t> placement;
    for (int session = 0; session < kSessions; ++session) {
      const uint64_t session_hash = StableHash64("session-" + std::to_string(session));
      placement.push_back(balancer_->Pick(hosts, candidates, session_hash));
    }
    return placement;
  }

  ScriptedRandom random_;
  std::unique_ptr<LoadBalancer> balancer_ =
      CreateLoadBalancer(config::LoadBalancing::kSessionHash, random_);
};

TEST_F(SessionHashTest, PicksTheCandidateWithTheHighestScore) {
  const HostSet hosts = MakeHosts(4);
  const uint64_t session_hash = StableHash64("a session");
  size_t best = 0;
  for (size_t i = 1; i < hosts.size(); ++i) {
    if (MixHash64(hosts.address_hash(i), session_hash) >
        MixHash64(hosts.address_hash(best), session_hash)) {
      best = i;
    }
  }
  EXPECT_EQ(balancer_->Pick(hosts, std::vector<size_t>{0, 1, 2, 3}, session_hash), best);
}

TEST_F(SessionHashTest, SendsASessionToTheSameEndpointOnEveryReplica) {
  const HostSet hosts = MakeHosts(4);
  const std::vector<size_t> placement = PlaceSessions(hosts, {0, 1, 2, 3});
  EXPECT_EQ(PlaceSessions(hosts, {0, 1, 2, 3}), placement);
  ScriptedRandom other_random;
  balancer_ = CreateLoadBalancer(config::LoadBalancing::kSessionHash, other_random);
  EXPECT_EQ(PlaceSessions(MakeHosts(4), {0, 1, 2, 3}), placement);
  EXPECT_TRUE(random_.exhausted());
}

TEST_F(SessionHashTest, SpreadsSessionsEvenly) {
  const HostSet hosts = MakeHosts(4);
  std::vector<int> sessions(4);
  for (const size_t endpoint : PlaceSessions(hosts, {0, 1, 2, 3})) ++sessions[endpoint];
  // 2500 expected per endpoint, standard deviation about 43.
  EXPECT_THAT(sessions, Each(::testing::AllOf(Ge(2250), ::testing::Le(2750))));
}

TEST_F(SessionHashTest, MovesOnlyTheSessionsOfAnEndpointThatLeaves) {
  const HostSet hosts = MakeHosts(4);
  const std::vector<size_t> before = PlaceSessions(hosts, {0, 1, 2, 3});
  const std::vector<size_t> after = PlaceSessions(hosts, {0, 1, 3});
  int moved = 0;
  for (int session = 0; session < kSessions; ++session) {
    if (before[session] == 2) {
      EXPECT_NE(after[session], 2u);
      ++moved;
    } else {
      EXPECT_EQ(after[session], before[session]) << "session " << session;
    }
  }
  EXPECT_NEAR(moved, kSessions / 4, kSessions / 40);
  // And back where they were when it returns.
  EXPECT_EQ(PlaceSessions(hosts, {0, 1, 2, 3}), before);
}

TEST_F(SessionHashTest, MovesAboutAFifthOfTheSessionsAllToAFifthEndpointThatJoins) {
  const std::vector<size_t> before = PlaceSessions(MakeHosts(4), {0, 1, 2, 3});
  const std::vector<size_t> after = PlaceSessions(MakeHosts(5), {0, 1, 2, 3, 4});
  int moved = 0;
  for (int session = 0; session < kSessions; ++session) {
    if (after[session] != before[session]) {
      EXPECT_EQ(after[session], 4u) << "session " << session;
      ++moved;
    }
  }
  EXPECT_NEAR(moved, kSessions / 5, kSessions / 50);
}

}  // namespace
}  // namespace chaukas::upstream
