#include "gateway/upstream/delivery_tracker.h"

#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chaukas::upstream {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(DeliveryTrackerTest, ReportsOnceEveryEventIsResolved) {
  int reports = 0;
  DeliveryReport last;
  DeliveryTracker tracker(3, [&](DeliveryReport report) {
    ++reports;
    last = std::move(report);
  });
  tracker.Accept(0);
  tracker.Reject(2, "refused by upstream");
  EXPECT_EQ(reports, 0);
  tracker.Accept(1);
  EXPECT_EQ(reports, 1);
  EXPECT_TRUE(last.status.ok());
  EXPECT_THAT(last.rejected, ElementsAre(Pair(2, "refused by upstream")));
}

TEST(DeliveryTrackerTest, FailReportsAtOnceAndLaterVerdictsAreIgnored) {
  int reports = 0;
  DeliveryReport last;
  DeliveryTracker tracker(2, [&](DeliveryReport report) {
    ++reports;
    last = std::move(report);
  });
  tracker.Reject(0, "bad");
  tracker.Fail(absl::DeadlineExceededError("no verdict"));
  tracker.Accept(1);
  tracker.Reject(1, "late");
  tracker.Fail(absl::UnavailableError("again"));
  EXPECT_EQ(reports, 1);
  EXPECT_EQ(last.status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(last.rejected, ElementsAre(Pair(0, "bad")));
}

TEST(DeliveryTrackerTest, ConcurrentVerdictsReportExactlyOnce) {
  std::atomic<int> reports{0};
  constexpr size_t kEvents = 1000;
  DeliveryTracker tracker(kEvents, [&](DeliveryReport report) {
    ++reports;
    EXPECT_EQ(report.rejected.size(), kEvents / 2);
  });
  std::thread accepter([&] {
    for (size_t i = 0; i < kEvents; i += 2) tracker.Accept(i);
  });
  std::thread rejecter([&] {
    for (size_t i = 1; i < kEvents; i += 2) tracker.Reject(i, "no");
  });
  accepter.join();
  rejecter.join();
  EXPECT_EQ(reports.load(), 1);
}

}  // namespace
}  // namespace chaukas::upstream
