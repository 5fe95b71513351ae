#include "filters/rate_limit/redis/wakeup_event.h"

#include <atomic>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace chaukas::filters::rate_limit {
namespace {

using ::chaukas::testing::IsOk;

std::unique_ptr<WakeupEvent> MakeEvent() {
  absl::StatusOr<std::unique_ptr<WakeupEvent>> event = WakeupEvent::Create();
  EXPECT_THAT(event, IsOk());
  return event.ok() ? *std::move(event) : nullptr;
}

TEST(WakeupEventTest, WaitTimesOutWithoutANotify) {
  std::unique_ptr<WakeupEvent> event = MakeEvent();
  ASSERT_NE(event, nullptr);
  const absl::Time start = absl::Now();
  EXPECT_FALSE(event->Wait(absl::Milliseconds(30)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(29));
}

TEST(WakeupEventTest, ANotifyBeforeTheWaitEndsItAtOnceAndOnlyOnce) {
  std::unique_ptr<WakeupEvent> event = MakeEvent();
  ASSERT_NE(event, nullptr);
  event->Notify();
  event->Notify();
  EXPECT_TRUE(event->Wait(absl::Seconds(10)));
  EXPECT_FALSE(event->Wait(absl::ZeroDuration()));
}

TEST(WakeupEventTest, ANotifyFromAnotherThreadEndsAWait) {
  std::unique_ptr<WakeupEvent> event = MakeEvent();
  ASSERT_NE(event, nullptr);
  std::thread notifier([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    event->Notify();
  });
  const absl::Time start = absl::Now();
  EXPECT_TRUE(event->Wait(absl::Seconds(10)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  notifier.join();
}

// Each notifier publishes a number, then notifies; the waiter must see every number after
// the Wait that the last Notify ended: no wake-up is lost between clearing and notifying.
TEST(WakeupEventTest, NoNotificationIsLostUnderConcurrentNotifiers) {
  std::unique_ptr<WakeupEvent> event = MakeEvent();
  ASSERT_NE(event, nullptr);
  constexpr int kPerThread = 20000;
  std::atomic<int> published{0};
  std::vector<std::thread> notifiers;
  for (int t = 0; t < 2; ++t) {
    notifiers.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        published.fetch_add(1, std::memory_order_release);
        event->Notify();
      }
    });
  }
  int seen = 0;
  while (seen < 2 * kPerThread) {
    ASSERT_TRUE(event->Wait(absl::Seconds(10))) << "lost a wake-up at " << seen;
    seen = published.load(std::memory_order_acquire);
  }
  for (std::thread& notifier : notifiers) notifier.join();
}

}  // namespace
}  // namespace chaukas::filters::rate_limit
