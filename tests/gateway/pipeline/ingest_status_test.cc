#include "gateway/pipeline/ingest_status.h"

#include "gtest/gtest.h"

namespace chaukas::pipeline {
namespace {

TEST(IngestStatusTest, OverloadIsResourceExhaustedAndRecognizable) {
  const absl::Status status = OverloadError("queue full");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(IsOverload(status));
  EXPECT_FALSE(RetryAfter(status).has_value());
}

TEST(IngestStatusTest, RateLimitCarriesRetryDelay) {
  const absl::Status status = RateLimitedError("slow down", absl::Milliseconds(1500));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(IsOverload(status));
  ASSERT_TRUE(RetryAfter(status).has_value());
  EXPECT_EQ(*RetryAfter(status), absl::Milliseconds(1500));
}

TEST(IngestStatusTest, PlainErrorsHaveNeither) {
  EXPECT_FALSE(IsOverload(absl::ResourceExhaustedError("x")));
  EXPECT_FALSE(RetryAfter(absl::InvalidArgumentError("x")).has_value());
}

}  // namespace
}  // namespace chaukas::pipeline
