#include "gateway/upstream/fair_queue.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chaukas::upstream {
namespace {

using ::testing::ElementsAre;

QueuedEvent Event(const std::string& id, size_t bytes = 10,
                  absl::Time enqueued = absl::UnixEpoch()) {
  QueuedEvent event;
  event.bytes = std::string(bytes, 'x');
  event.event_id = id;
  event.enqueued = enqueued;
  return event;
}

std::vector<std::string> Ids(const UpstreamBatch& batch) {
  std::vector<std::string> ids;
  for (const QueuedEvent& event : batch.events) ids.push_back(event.event_id);
  return ids;
}

TEST(FairQueueTest, BatchesHoldOneTenantInArrivalOrderUpToTheLimits) {
  FairQueue queue(/*max_events_per_batch=*/2, /*max_bytes_per_batch=*/1000, {});
  EXPECT_FALSE(queue.Push("acme", Event("a1")));
  EXPECT_TRUE(queue.Push("acme", Event("a2")));  // two events: a full batch
  queue.Push("acme", Event("a3"));
  EXPECT_EQ(queue.events(), 3u);
  EXPECT_EQ(queue.bytes(), 30);
  const UpstreamBatch first = queue.PopBatch();
  EXPECT_EQ(first.tenant, "acme");
  EXPECT_THAT(Ids(first), ElementsAre("a1", "a2"));
  EXPECT_EQ(first.bytes, 20);
  EXPECT_FALSE(queue.HasFullBatch());
  EXPECT_THAT(Ids(queue.PopBatch()), ElementsAre("a3"));
  EXPECT_TRUE(queue.empty());
}

TEST(FairQueueTest, ByteLimitCutsABatchButNeverBelowOneEvent) {
  FairQueue queue(100, 25, {});
  queue.Push("t", Event("big", 40));
  EXPECT_TRUE(queue.HasFullBatch());
  queue.Push("t", Event("small1"));
  queue.Push("t", Event("small2"));
  EXPECT_THAT(Ids(queue.PopBatch()), ElementsAre("big"));
  EXPECT_THAT(Ids(queue.PopBatch()), ElementsAre("small1", "small2"));
}

TEST(FairQueueTest, ABacklogDoesNotStarveOtherTenants) {
  FairQueue queue(1, 1000, {});
  for (int i = 0; i < 5; ++i) queue.Push("backlog", Event("b" + std::to_string(i)));
  queue.Push("small", Event("s0"));
  queue.Push("other", Event("o0"));
  std::vector<std::string> order;
  while (!queue.empty()) order.push_back(queue.PopBatch().tenant);
  EXPECT_THAT(order,
              ElementsAre("backlog", "small", "other", "backlog", "backlog", "backlog", "backlog"));
}

TEST(FairQueueTest, WeightsGiveATenantMoreBatchesPerTurn) {
  FairQueue queue(1, 1000, {{"gold", 3}});
  for (int i = 0; i < 6; ++i) {
    queue.Push("gold", Event("g" + std::to_string(i)));
    queue.Push("plain", Event("p" + std::to_string(i)));
  }
  std::vector<std::string> order;
  for (int i = 0; i < 8; ++i) order.push_back(queue.PopBatch().tenant);
  EXPECT_THAT(order, ElementsAre("gold", "gold", "gold", "plain", "gold", "gold", "gold", "plain"));
}

TEST(FairQueueTest, TracksTheOldestQueuedEvent) {
  FairQueue queue(10, 1000, {});
  EXPECT_EQ(queue.OldestEnqueued(), absl::InfiniteFuture());
  queue.Push("b", Event("late", 10, absl::FromUnixSeconds(20)));
  queue.Push("a", Event("early", 10, absl::FromUnixSeconds(10)));
  EXPECT_EQ(queue.OldestEnqueued(), absl::FromUnixSeconds(10));
  queue.PopBatch();  // tenant "b", first in turn
  EXPECT_EQ(queue.OldestEnqueued(), absl::FromUnixSeconds(10));
  queue.PopBatch();
  EXPECT_EQ(queue.OldestEnqueued(), absl::InfiniteFuture());
}

}  // namespace
}  // namespace chaukas::upstream
