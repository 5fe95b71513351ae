// The sampling filter in a real gateway: whole sessions kept or dropped, the rate on kept
// events, errors and the rest of their sessions always kept, and dropped events answered as
// accepted, never as errors.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/integration/integration_support.h"
#include "tests/support/http_test_client.h"

namespace chaukas::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kSessions = 60;
constexpr int kEventsPerSession = 4;
constexpr int kSessionsWithAnError = 10;  // sessions 0..9: the second event is an ERROR

std::string SessionBatch(int session) {
  std::string json = R"({"events":[)";
  for (int i = 0; i < kEventsPerSession; ++i) {
    const bool error = session < kSessionsWithAnError && i == 1;
    std::string event;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(
                    MakeEvent(absl::StrCat("s", session, "-e", i), absl::StrCat("s", session),
                              error ? v1::EVENT_TYPE_ERROR : v1::EVENT_TYPE_TOOL_CALL_END),
                    &event)
                    .ok());
    json += (i > 0 ? "," : "") + event;
  }
  return json + "]}";
}

TEST(SamplingTest, KeepsWholeSessionsMarksTheirRateAndKeepsEverythingAfterAnError) {
  absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway = GatewayProcess::Start(
      ReplaceOnce(DefaultTestConfig(), "  - name: validate\n", R"(  - name: validate
  - name: sampling
    config:
      default_rate: 0.5
      seed: 42
      keep_sessions_after_error: {enabled: true, max_sessions: 1000}
)"));
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  HttpTestClient http("127.0.0.1", (*gateway)->http_port());
  for (int s = 0; s < kSessions; ++s) {
    absl::StatusOr<HttpTestResponse> response = http.Post("/v1/events/batch", SessionBatch(s));
    ASSERT_TRUE(response.ok()) << response.status();
    // Sampled-out events are accepted, not errors.
    EXPECT_EQ(response->status, 202) << response->body;
    EXPECT_THAT(response->body, HasSubstr(absl::StrCat("\"accepted_count\":", kEventsPerSession)));
  }
  EXPECT_THAT(AdminGet(**gateway, "/stats"), HasSubstr("dropped"));

  std::map<std::string, std::vector<v1::Event>> by_session;
  for (v1::Event& event : StopAndReadSink(**gateway)) {
    by_session[event.session_id()].push_back(std::move(event));
  }
  int kept_sessions = 0;
  for (int s = kSessionsWithAnError; s < kSessions; ++s) {
    const auto found = by_session.find(absl::StrCat("s", s));
    if (found == by_session.end()) continue;
    ++kept_sessions;
    // All or nothing, each kept event telling its rate.
    ASSERT_EQ(found->second.size(), static_cast<size_t>(kEventsPerSession)) << found->first;
    for (const v1::Event& event : found->second) {
      EXPECT_EQ(event.metadata().fields().at("chaukas.sampling.rate").number_value(), 0.5);
    }
  }
  const int sampled_sessions = kSessions - kSessionsWithAnError;
  EXPECT_GT(kept_sessions, sampled_sessions / 4);
  EXPECT_LT(kept_sessions, sampled_sessions * 3 / 4);
  for (int s = 0; s < kSessionsWithAnError; ++s) {
    // The event before the error follows the session's rate; the error and what follows stay.
    const std::vector<v1::Event>& events = by_session[absl::StrCat("s", s)];
    ASSERT_GE(events.size(), 3u) << "s" << s;
    EXPECT_EQ(events[events.size() - 3].type(), v1::EVENT_TYPE_ERROR);
  }
}

}  // namespace
}  // namespace chaukas::testing
