#include "gateway/pipeline/ingest_status.h"

#include "gtest/gtest.h"

namespace chaukas::pipeline {
namespace {

TEST(IngestStatusTest, OverloadIsResourceExhaustedAndRecognizable) {
  const absl::Status status = OverloadError("queue full");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(IsOverload(status));
  EXPECT_FALSE(RateLimitOf(status).has_value());
}

TEST(IngestStatusTest, RateLimitCarriesRetryDelayAndTheLimit) {
  const absl::Status status =
      RateLimitedError("slow down", {absl::Milliseconds(1500), 100, 2.5, absl::Milliseconds(9750)});
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(IsOverload(status));
  const std::optional<RateLimitInfo> info = RateLimitOf(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->retry_after, absl::Milliseconds(1500));
  EXPECT_EQ(info->limit, 100);
  EXPECT_EQ(info->remaining, 2.5);
  EXPECT_EQ(info->reset, absl::Milliseconds(9750));
}

TEST(IngestStatusTest, PlainErrorsHaveNeither) {
  EXPECT_FALSE(IsOverload(absl::ResourceExhaustedError("x")));
  EXPECT_FALSE(RateLimitOf(absl::InvalidArgumentError("x")).has_value());
}

}  // namespace
}  // namespace chaukas::pipeline
