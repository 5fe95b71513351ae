#include "gateway/ingest/status_mapping.h"

#include "gateway/pipeline/ingest_status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chaukas::ingest {
namespace {

namespace beast_http = boost::beast::http;
using ::testing::HasSubstr;

http::Response HttpAnswer(const absl::Status& status) {
  http::Response response;
  SetHttpError(status, response);
  return response;
}

TEST(StatusMappingTest, OverloadIs503WithTheTextTheSdkLooksFor) {
  const http::Response response = HttpAnswer(pipeline::OverloadError("queue full"));
  EXPECT_EQ(response.result(), beast_http::status::service_unavailable);
  EXPECT_THAT(response.body(), HasSubstr("high memory usage: queue full"));
  EXPECT_EQ(ToGrpcStatus(pipeline::OverloadError("x")).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST(StatusMappingTest, RateLimitIs429WithRetryAfterAndRateLimitHeadersInWholeSeconds) {
  const http::Response response = HttpAnswer(pipeline::RateLimitedError(
      "over limit", {absl::Milliseconds(1200), 500, 3.7, absl::Milliseconds(4001)}));
  EXPECT_EQ(response.result(), beast_http::status::too_many_requests);
  EXPECT_EQ(response[beast_http::field::retry_after], "2");
  EXPECT_EQ(response["x-ratelimit-limit"], "500");
  EXPECT_EQ(response["x-ratelimit-remaining"], "3");
  EXPECT_EQ(response["x-ratelimit-reset"], "5");
}

TEST(StatusMappingTest, RateLimitTrailersCarryTheSameFacts) {
  const auto trailers = RateLimitTrailers(pipeline::RateLimitedError(
      "over limit", {absl::Milliseconds(1200), 500, 3.7, absl::Milliseconds(4001)}));
  EXPECT_THAT(trailers, ::testing::ElementsAre(::testing::Pair("retry-after", "2"),
                                               ::testing::Pair("retry-after-ms", "1200"),
                                               ::testing::Pair("x-ratelimit-limit", "500"),
                                               ::testing::Pair("x-ratelimit-remaining", "3"),
                                               ::testing::Pair("x-ratelimit-reset", "5")));
  EXPECT_TRUE(RateLimitTrailers(absl::InternalError("x")).empty());
}

TEST(StatusMappingTest, UnauthenticatedAsksForBearer) {
  const http::Response response = HttpAnswer(absl::UnauthenticatedError("no key"));
  EXPECT_EQ(response.result(), beast_http::status::unauthorized);
  EXPECT_EQ(response[beast_http::field::www_authenticate], "Bearer");
}

TEST(StatusMappingTest, MapsTheRemainingCodes) {
  EXPECT_EQ(HttpAnswer(absl::InvalidArgumentError("x")).result(), beast_http::status::bad_request);
  EXPECT_EQ(HttpAnswer(absl::PermissionDeniedError("x")).result(), beast_http::status::forbidden);
  EXPECT_EQ(HttpAnswer(absl::UnavailableError("x")).result(),
            beast_http::status::service_unavailable);
  EXPECT_EQ(HttpAnswer(absl::UnimplementedError("x")).result(),
            beast_http::status::not_implemented);
  EXPECT_EQ(HttpAnswer(absl::InternalError("x")).result(),
            beast_http::status::internal_server_error);
  const grpc::Status grpc_status = ToGrpcStatus(absl::PermissionDeniedError("tenant"));
  EXPECT_EQ(grpc_status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(grpc_status.error_message(), "tenant");
}

TEST(StatusMappingTest, ErrorBodyIsJsonWithCodeAndMessage) {
  const http::Response response = HttpAnswer(absl::InvalidArgumentError("events[0].type: bad"));
  EXPECT_EQ(response.body(), R"({"error":{"code":400,"message":"events[0].type: bad"}})");
  EXPECT_EQ(response[beast_http::field::content_type], "application/json");
}

}  // namespace
}  // namespace chaukas::ingest
