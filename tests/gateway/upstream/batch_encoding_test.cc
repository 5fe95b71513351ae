#include "gateway/upstream/batch_encoding.h"

#include "chaukas/spec/client/v1/client.pb.h"
#include "chaukas/spec/server/v1/server.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace chaukas::upstream {
namespace {

namespace v1 = chaukas::spec::common::v1;
using google::protobuf::util::MessageDifferencer;

std::vector<v1::Event> SampleEvents() {
  std::vector<v1::Event> events(3);
  for (size_t i = 0; i < events.size(); ++i) {
    events[i].set_event_id("evt-" + std::to_string(i));
    events[i].set_session_id("sess");
    events[i].set_type(v1::EVENT_TYPE_TOOL_CALL_START);
    events[i].mutable_tool_call()->set_name("search");
    events[i].mutable_timestamp()->set_seconds(1'764'000'000 + static_cast<int64_t>(i));
  }
  return events;
}

std::vector<QueuedEvent> Queued(const std::vector<v1::Event>& events) {
  std::vector<QueuedEvent> queued;
  for (const v1::Event& event : events) {
    queued.push_back({event.SerializeAsString(), event.event_id(), 0, absl::Now(), nullptr, 0});
  }
  return queued;
}

TEST(BatchEncodingTest, ProtobufRequestParsesAsBothPackagesRequests) {
  const std::vector<v1::Event> events = SampleEvents();
  const absl::Time now = absl::FromUnixSeconds(1'764'000'100) + absl::Milliseconds(250);
  const std::string bytes = EncodeBatchRequest("batch-9", now, Queued(events));

  chaukas::spec::server::v1::IngestEventBatchRequest server_request;
  ASSERT_TRUE(server_request.ParseFromString(bytes));
  const v1::EventBatch& batch = server_request.event_batch();
  EXPECT_EQ(batch.batch_id(), "batch-9");
  EXPECT_EQ(batch.timestamp().seconds(), 1'764'000'100);
  EXPECT_EQ(batch.timestamp().nanos(), 250'000'000);
  ASSERT_EQ(batch.events_size(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(MessageDifferencer::Equals(batch.events(i), events[i]));

  chaukas::spec::client::v1::IngestEventBatchRequest client_request;
  ASSERT_TRUE(client_request.ParseFromString(bytes));
  EXPECT_TRUE(MessageDifferencer::Equals(client_request.event_batch(), batch));
  // Byte for byte what protobuf itself would have written.
  EXPECT_EQ(bytes, server_request.SerializeAsString());
}

TEST(BatchEncodingTest, JsonBodyIsACanonicalEventBatch) {
  const std::vector<v1::Event> events = SampleEvents();
  absl::StatusOr<std::string> json =
      EncodeBatchJson("batch-9", absl::FromUnixSeconds(1'764'000'100), Queued(events));
  ASSERT_TRUE(json.ok()) << json.status();
  v1::EventBatch batch;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*json, &batch).ok()) << *json;
  EXPECT_EQ(batch.batch_id(), "batch-9");
  ASSERT_EQ(batch.events_size(), 3);
  EXPECT_TRUE(MessageDifferencer::Equals(batch.events(2), events[2]));
}

TEST(BatchEncodingTest, EmptyBatchStillCarriesItsIdAndTime) {
  chaukas::spec::server::v1::IngestEventBatchRequest request;
  ASSERT_TRUE(request.ParseFromString(EncodeBatchRequest("b", absl::FromUnixSeconds(5), {})));
  EXPECT_EQ(request.event_batch().batch_id(), "b");
  EXPECT_EQ(request.event_batch().timestamp().seconds(), 5);
  EXPECT_EQ(request.event_batch().events_size(), 0);
}

}  // namespace
}  // namespace chaukas::upstream
