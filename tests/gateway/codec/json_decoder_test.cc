#include "gateway/codec/json_decoder.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "chaukas/spec/client/v1/client.pb.h"
#include "chaukas/spec/common/v1/events.pb.h"
#include "chaukas/spec/common/v1/query.pb.h"
#include "chaukas/spec/server/v1/server.pb.h"
#include "gateway/codec/json_writer.h"
#include "gmock/gmock.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/gateway/codec/codec_test.pb.h"
#include "tests/proto/wire_vectors.h"
#include "tests/support/status_matchers.h"

namespace chaukas::codec {
namespace {

using chaukas::codec::test::AllTypes;
using chaukas::spec::common::v1::Event;
using chaukas::spec::common::v1::EventBatch;
using chaukas::spec::common::v1::LLMInvocation;
using chaukas::testing::IsOk;
using chaukas::testing::NewMessage;
using chaukas::testing::ReadVectorFile;
using chaukas::testing::ReadVectorIndex;
using chaukas::testing::SerializeDeterministically;
using chaukas::testing::StatusIs;
using chaukas::testing::VectorPath;
using chaukas::testing::VectorTestName;
using chaukas::testing::WireVector;
using google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Parses and decodes `json` into `message` with a fresh decoder.
absl::Status DecodeJson(std::string_view json, google::protobuf::Message& message,
                        const JsonDecodeOptions& options = {}) {
  JsonDecoder decoder;
  if (absl::Status status = decoder.Parse(json); !status.ok()) return status;
  return decoder.Decode(message, options);
}

template <typename Message>
Message Decoded(std::string_view json) {
  Message message;
  EXPECT_THAT(DecodeJson(json, message), IsOk()) << json;
  return message;
}

// The decode of `json` into an Event fails with exactly `message`.
void ExpectEventError(std::string_view json, const std::string& message) {
  Event event;
  EXPECT_THAT(DecodeJson(json, event), StatusIs(absl::StatusCode::kInvalidArgument, message))
      << json;
}

// ---------------------------------------------------------------------------------------------
// The wire vectors.

class JsonDecoderVectorTest : public ::testing::TestWithParam<WireVector> {};

TEST_P(JsonDecoderVectorTest, DecodesCanonicalJsonToTheBinaryVectorsBytes) {
  const std::unique_ptr<google::protobuf::Message> message = NewMessage(GetParam().message_type);
  ASSERT_NE(message, nullptr);
  ASSERT_THAT(DecodeJson(ReadVectorFile(GetParam().name + ".json"), *message), IsOk());
  EXPECT_EQ(SerializeDeterministically(*message), ReadVectorFile(GetParam().name + ".bin"));
}

TEST_P(JsonDecoderVectorTest, ReadsBackWhatTheWriterWrites) {
  const std::unique_ptr<google::protobuf::Message> original = NewMessage(GetParam().message_type);
  ASSERT_NE(original, nullptr);
  ASSERT_TRUE(original->ParseFromString(ReadVectorFile(GetParam().name + ".bin")));
  const std::unique_ptr<google::protobuf::Message> decoded(original->New());
  ASSERT_THAT(DecodeJson(ToJson(*original), *decoded), IsOk());
  EXPECT_TRUE(MessageDifferencer::Equals(*decoded, *original));
}

INSTANTIATE_TEST_SUITE_P(Vectors, JsonDecoderVectorTest, ::testing::ValuesIn(ReadVectorIndex()),
                         VectorTestName);

std::vector<std::string> OpenApiVectorNames() {
  std::vector<std::string> names;
  for (const auto& file : std::filesystem::directory_iterator(VectorPath("openapi"))) {
    const std::string name = file.path().filename().string();
    const std::string suffix = ".openapi.json";
    if (name.ends_with(suffix)) names.push_back(name.substr(0, name.size() - suffix.size()));
  }
  return names;
}

class JsonDecoderOpenApiTest : public ::testing::TestWithParam<std::string> {};

TEST_P(JsonDecoderOpenApiTest, DecodesToTheSameMessageAsTheBinaryTwin) {
  const std::string json = ReadVectorFile("openapi/" + GetParam() + ".openapi.json");
  const std::string binary = ReadVectorFile(GetParam() + ".bin");
  ASSERT_FALSE(json.empty());
  ASSERT_FALSE(binary.empty()) << "no " << GetParam() << ".bin";
  if (GetParam().ends_with("_batch_request")) {
    // The OpenAPI body is the EventBatch that the request carries.
    spec::client::v1::IngestEventBatchRequest request;
    ASSERT_TRUE(request.ParseFromString(binary));
    const EventBatch batch = Decoded<EventBatch>(json);
    EXPECT_TRUE(MessageDifferencer::Equals(batch, request.event_batch()));
  } else {
    Event expected;
    ASSERT_TRUE(expected.ParseFromString(binary));
    EXPECT_TRUE(MessageDifferencer::Equals(Decoded<Event>(json), expected));
  }
}

INSTANTIATE_TEST_SUITE_P(OpenApi, JsonDecoderOpenApiTest, ::testing::ValuesIn(OpenApiVectorNames()),
                         [](const ::testing::TestParamInfo<std::string>& test) {
                           return test.param;
                         });

// ---------------------------------------------------------------------------------------------
// Both shapes.

TEST(JsonDecoderTest, AcceptsLowerCamelCaseNamesMixedWithOriginalNames) {
  const Event event = Decoded<Event>(R"({
    "eventId": "e-1", "session_id": "s-1", "isPartial": true, "piiCategories": ["EMAIL"],
    "llmInvocation": {"promptTokens": 3, "top_p": 0.5, "startTime": "2025-11-24T16:00:05Z"}})");
  EXPECT_EQ(event.event_id(), "e-1");
  EXPECT_EQ(event.session_id(), "s-1");
  EXPECT_TRUE(event.is_partial());
  EXPECT_EQ(event.pii_categories(0), "EMAIL");
  EXPECT_EQ(event.llm_invocation().prompt_tokens(), 3);
  EXPECT_EQ(event.llm_invocation().top_p(), 0.5);
  EXPECT_EQ(event.llm_invocation().start_time().seconds(), 1764000005);
}

TEST(JsonDecoderTest, AcceptsFullAndShortEnumNamesAndNumbers) {
  const Event event = Decoded<Event>(
      R"({"type": "EVENT_TYPE_SESSION_START", "status": "COMPLETED", "severity": 3, "author": "LLM"})");
  EXPECT_EQ(event.type(), spec::common::v1::EVENT_TYPE_SESSION_START);
  EXPECT_EQ(event.status(), spec::common::v1::EVENT_STATUS_COMPLETED);
  EXPECT_EQ(event.severity(), spec::common::v1::SEVERITY_WARN);
  EXPECT_EQ(event.author(), spec::common::v1::AUTHOR_LLM);

  const auto query = Decoded<spec::common::v1::QueryRequest>(
      R"({"order_by_time": "ASC", "filter": {"types": ["ERROR", "EVENT_TYPE_RETRY", 60]}})");
  EXPECT_EQ(query.order_by_time(), spec::common::v1::SORT_ORDER_ASC);
  ASSERT_EQ(query.filter().types_size(), 3);
  EXPECT_EQ(query.filter().types(0), spec::common::v1::EVENT_TYPE_ERROR);
  EXPECT_EQ(query.filter().types(1), spec::common::v1::EVENT_TYPE_RETRY);
  EXPECT_EQ(query.filter().types(2), spec::common::v1::EVENT_TYPE_POLICY_DECISION);
}

TEST(JsonDecoderTest, AcceptsEnumNumbersWrittenAsStringsOrIntegralFloats) {
  EXPECT_EQ(Decoded<Event>(R"({"severity": "3"})").severity(), spec::common::v1::SEVERITY_WARN);
  EXPECT_EQ(Decoded<Event>(R"({"severity": 3.0})").severity(), spec::common::v1::SEVERITY_WARN);
}

TEST(JsonDecoderTest, KeepsEnumNumbersTheSchemaDoesNotKnow) {
  EXPECT_EQ(Decoded<Event>(R"({"severity": 42})").severity(), 42);
}

TEST(JsonDecoderTest, DecodesEventContentByKind) {
  const Event policy = Decoded<Event>(
      R"({"content": {"kind": "policy_decision", "policy_id": "p", "outcome": "deny"}})");
  EXPECT_EQ(policy.policy().policy_id(), "p");
  EXPECT_EQ(policy.policy().outcome(), "deny");
  const Event error =
      Decoded<Event>(R"({"content": {"error_message": "boom", "kind": "error_info"}})");
  EXPECT_EQ(error.error().error_message(), "boom");
  const Event empty = Decoded<Event>(R"({"content": {"kind": "message"}})");
  EXPECT_TRUE(empty.has_message());
  EXPECT_FALSE(Decoded<Event>(R"({"content": null})").has_message());
}

TEST(JsonDecoderTest, ReadsInt64AsNumberOrString) {
  const auto response =
      Decoded<spec::server::v1::IngestEventResponse>(R"({"processed_at": 1764000000123})");
  EXPECT_EQ(response.processed_at(), 1764000000123);
  const auto stats = Decoded<spec::server::v1::GetEventStatsResponse>(
      R"({"total_events": "9223372036854775807", "total_sessions": -5,
          "events_by_type": {"EVENT_TYPE_ERROR": 3, "EVENT_TYPE_RETRY": "4"}})");
  EXPECT_EQ(stats.total_events(), 9223372036854775807);
  EXPECT_EQ(stats.total_sessions(), -5);
  EXPECT_EQ(stats.events_by_type().at("EVENT_TYPE_ERROR"), 3);
  EXPECT_EQ(stats.events_by_type().at("EVENT_TYPE_RETRY"), 4);
}

TEST(JsonDecoderTest, ReadsIntegersWrittenAsStringsOrIntegralFloats) {
  const auto llm = Decoded<LLMInvocation>(
      R"({"prompt_tokens": "12", "completion_tokens": 5.0, "total_tokens": 1e2, "max_tokens": "1e3"})");
  EXPECT_EQ(llm.prompt_tokens(), 12);
  EXPECT_EQ(llm.completion_tokens(), 5);
  EXPECT_EQ(llm.total_tokens(), 100);
  EXPECT_EQ(llm.max_tokens(), 1000);
}

TEST(JsonDecoderTest, ReadsEveryScalarKind) {
  const AllTypes message = Decoded<AllTypes>(R"({
    "i32": -1, "i64": "-9223372036854775808", "u32": 4294967295, "u64": "18446744073709551615",
    "s32": -2, "s64": -3, "fx32": 4, "fx64": "5", "sfx32": -6, "sfx64": "-7",
    "flt": 0.25, "dbl": "2.5", "flag": true, "text": "t", "data": "+/8B", "color": "RED",
    "maybeI32": 0, "manyI64": [1, "2"], "manyDbl": ["NaN", "Infinity", "-Infinity", 1],
    "colors": ["COLOR_GREEN", 1], "blobs": ["-_8B", "YQ", "YQ=="]})");
  EXPECT_EQ(message.i32(), -1);
  EXPECT_EQ(message.i64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(message.u32(), 4294967295u);
  EXPECT_EQ(message.u64(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(message.s32(), -2);
  EXPECT_EQ(message.s64(), -3);
  EXPECT_EQ(message.fx32(), 4u);
  EXPECT_EQ(message.fx64(), 5u);
  EXPECT_EQ(message.sfx32(), -6);
  EXPECT_EQ(message.sfx64(), -7);
  EXPECT_EQ(message.flt(), 0.25f);
  EXPECT_EQ(message.dbl(), 2.5);
  EXPECT_TRUE(message.flag());
  EXPECT_EQ(message.text(), "t");
  EXPECT_EQ(message.data(), "\xfb\xff\x01");
  EXPECT_EQ(message.color(), test::COLOR_RED);
  EXPECT_TRUE(message.has_maybe_i32());
  EXPECT_THAT(message.many_i64(), ::testing::ElementsAre(1, 2));
  ASSERT_EQ(message.many_dbl_size(), 4);
  EXPECT_TRUE(std::isnan(message.many_dbl(0)));
  EXPECT_EQ(message.many_dbl(1), std::numeric_limits<double>::infinity());
  EXPECT_EQ(message.many_dbl(2), -std::numeric_limits<double>::infinity());
  EXPECT_THAT(message.colors(), ::testing::ElementsAre(test::COLOR_GREEN, test::COLOR_RED));
  EXPECT_THAT(message.blobs(), ::testing::ElementsAre("\xfb\xff\x01", "a", "a"));
}

TEST(JsonDecoderTest, ReadsMapsWithKeysOfEveryType) {
  const AllTypes message = Decoded<AllTypes>(R"({
    "by_i32": {"-3": "x"}, "by_u64": {"18446744073709551615": "COLOR_GREEN"},
    "by_bool": {"true": {"i32": 1}, "false": {}}, "by_s64": {"-9": "9"},
    "values": {"n": null, "s": "v"}})");
  EXPECT_EQ(message.by_i32().at(-3), "x");
  EXPECT_EQ(message.by_u64().at(18446744073709551615u), test::COLOR_GREEN);
  EXPECT_EQ(message.by_bool().at(true).i32(), 1);
  EXPECT_TRUE(message.by_bool().contains(false));
  EXPECT_EQ(message.by_s64().at(-9), 9);
  EXPECT_TRUE(message.values().at("n").has_null_value());
  EXPECT_EQ(message.values().at("s").string_value(), "v");
}

TEST(JsonDecoderTest, ReadsWellKnownTypes) {
  const AllTypes message = Decoded<AllTypes>(R"({
    "time": "2025-11-24T21:30:05.5+05:30", "duration": "-1.5s",
    "mask": "llmInvocation.promptTokens,eventId", "wrappedI64": "7", "wrappedBool": false,
    "wrappedBytes": "YWI", "wrappedDbl": "NaN", "wrappedText": "t",
    "value": [1, "a", {"b": null}], "list": [true], "object": {"k": [1.5]},
    "any": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "2s"},
    "valueList": [null, 1], "nullValue": null})");
  EXPECT_EQ(message.time().seconds(), 1764000005);
  EXPECT_EQ(message.time().nanos(), 500000000);
  EXPECT_EQ(message.duration().seconds(), -1);
  EXPECT_EQ(message.duration().nanos(), -500000000);
  EXPECT_THAT(message.mask().paths(),
              ::testing::ElementsAre("llm_invocation.prompt_tokens", "event_id"));
  EXPECT_EQ(message.wrapped_i64().value(), 7);
  EXPECT_TRUE(message.has_wrapped_bool());
  EXPECT_EQ(message.wrapped_bytes().value(), "ab");
  EXPECT_TRUE(std::isnan(message.wrapped_dbl().value()));
  EXPECT_EQ(message.wrapped_text().value(), "t");
  ASSERT_EQ(message.value().list_value().values_size(), 3);
  EXPECT_TRUE(
      message.value().list_value().values(2).struct_value().fields().at("b").has_null_value());
  EXPECT_TRUE(message.list().values(0).bool_value());
  EXPECT_EQ(message.object().fields().at("k").list_value().values(0).number_value(), 1.5);
  google::protobuf::Duration duration;
  ASSERT_TRUE(message.any().UnpackTo(&duration));
  EXPECT_EQ(duration.seconds(), 2);
  ASSERT_EQ(message.value_list_size(), 2);
  EXPECT_TRUE(message.value_list(0).has_null_value());
}

TEST(JsonDecoderTest, ReadsAnyWithThePayloadsFieldsInline) {
  const Event event = Decoded<Event>(R"({"extensions": [
    {"@type": "type.googleapis.com/chaukas.spec.common.v1.RetryInfo", "attempt": 2},
    {"backoffMs": 5, "@type": "type.googleapis.com/chaukas.spec.common.v1.RetryInfo"},
    {}]})");
  ASSERT_EQ(event.extensions_size(), 3);
  spec::common::v1::RetryInfo retry;
  ASSERT_TRUE(event.extensions(0).UnpackTo(&retry));
  EXPECT_EQ(retry.attempt(), 2);
  ASSERT_TRUE(event.extensions(1).UnpackTo(&retry));
  EXPECT_EQ(retry.backoff_ms(), 5);
  EXPECT_EQ(event.extensions(2).type_url(), "");
}

TEST(JsonDecoderTest, TreatsNullAsUnset) {
  const Event event = Decoded<Event>(
      R"({"event_id": null, "message": null, "tags": null, "timestamp": null, "type": null,
          "metadata": {"k": null}, "extensions": null})");
  EXPECT_EQ(event.event_id(), "");
  EXPECT_FALSE(event.has_message());
  EXPECT_EQ(event.tags_size(), 0);
  EXPECT_FALSE(event.has_timestamp());
  EXPECT_TRUE(event.metadata().fields().at("k").has_null_value());
  EXPECT_TRUE(Decoded<AllTypes>(R"({"value": null})").value().has_null_value());
}

TEST(JsonDecoderTest, ReadsEscapesAndNonAsciiText) {
  const Event event =
      Decoded<Event>(R"({"event_id": "a\u0000b\u00e9\ud83d\ude00\n\"", "session_id": "é😀"})");
  EXPECT_EQ(event.event_id(), std::string("a\0b\xc3\xa9\xf0\x9f\x98\x80\n\"", 11));
  EXPECT_EQ(event.session_id(), "\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(JsonDecoderTest, DecodesIntoAMessageOnAnArena) {
  google::protobuf::Arena arena;
  auto* batch = google::protobuf::Arena::CreateMessage<EventBatch>(&arena);
  ASSERT_THAT(
      DecodeJson(ReadVectorFile("openapi/client_ingest_event_batch_request.openapi.json"), *batch),
      IsOk());
  ASSERT_GT(batch->events_size(), 1);
  EXPECT_EQ(batch->GetArena(), &arena);
  EXPECT_EQ(batch->events(0).GetArena(), &arena);
  EXPECT_EQ(batch->events(0).metadata().GetArena(), &arena);
  spec::client::v1::IngestEventBatchRequest request;
  ASSERT_TRUE(request.ParseFromString(ReadVectorFile("client_ingest_event_batch_request.bin")));
  EXPECT_TRUE(MessageDifferencer::Equals(*batch, request.event_batch()));
}

TEST(JsonDecoderTest, DecodesIntoADynamicMessage) {
  // Dynamic all the way down: its Struct and Timestamp are dynamic messages too.
  google::protobuf::DynamicMessageFactory factory;
  const std::unique_ptr<google::protobuf::Message> batch(
      factory.GetPrototype(EventBatch::descriptor())->New());
  ASSERT_THAT(
      DecodeJson(ReadVectorFile("openapi/client_ingest_event_batch_request.openapi.json"), *batch),
      IsOk());
  spec::client::v1::IngestEventBatchRequest request;
  ASSERT_TRUE(request.ParseFromString(ReadVectorFile("client_ingest_event_batch_request.bin")));
  EXPECT_EQ(SerializeDeterministically(*batch), SerializeDeterministically(request.event_batch()));
}

TEST(JsonDecoderTest, ReplacesWhatTheMessageHeld) {
  Event event;
  event.set_agent_id("old");
  event.add_tags("old");
  ASSERT_THAT(DecodeJson(R"({"tags": ["new"]})", event), IsOk());
  EXPECT_EQ(event.agent_id(), "");
  EXPECT_THAT(event.tags(), ::testing::ElementsAre("new"));
}

TEST(JsonDecoderTest, DecodesTheSameDocumentTwiceAndParsesAgain) {
  JsonDecoder decoder;
  ASSERT_THAT(decoder.Parse(R"({"event_id": "a"})"), IsOk());
  Event first;
  Event second;
  ASSERT_THAT(decoder.Decode(first), IsOk());
  ASSERT_THAT(decoder.Decode(second), IsOk());
  EXPECT_EQ(second.event_id(), "a");
  ASSERT_THAT(decoder.Parse(R"({"event_id": "b"})"), IsOk());
  ASSERT_THAT(decoder.Decode(first), IsOk());
  EXPECT_EQ(first.event_id(), "b");
}

TEST(JsonDecoderTest, TellsWhetherTheRootHasAKey) {
  JsonDecoder decoder;
  EXPECT_FALSE(decoder.RootHasKey("events"));
  ASSERT_THAT(decoder.Parse(R"({"events": []})"), IsOk());
  EXPECT_TRUE(decoder.RootHasKey("events"));
  EXPECT_FALSE(decoder.RootHasKey("event_id"));
  ASSERT_THAT(decoder.Parse("[1]"), IsOk());
  EXPECT_FALSE(decoder.RootHasKey("events"));
  EXPECT_FALSE(decoder.Parse("{").ok());
  EXPECT_FALSE(decoder.RootHasKey("events"));
}

TEST(JsonDecoderTest, RefusesToDecodeWithoutASuccessfulParse) {
  JsonDecoder decoder;
  Event event;
  EXPECT_THAT(decoder.Decode(event),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("Parse")));
  EXPECT_FALSE(decoder.Parse("nope").ok());
  EXPECT_THAT(decoder.Decode(event),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("Parse")));
}

TEST(JsonDecoderTest, DecodersOnManyThreadsShareTheLookupTables) {
  const std::string json = ReadVectorFile("openapi/client_ingest_event_batch_request.openapi.json");
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(4);
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      JsonDecoder decoder;
      for (int round = 0; round < 50 && results[i].ok(); ++round) {
        EventBatch batch;
        results[i] = decoder.Parse(json);
        if (results[i].ok()) results[i] = decoder.Decode(batch);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& result : results) EXPECT_THAT(result, IsOk());
}

// ---------------------------------------------------------------------------------------------
// Errors: each names the field path as the client wrote it.

TEST(JsonDecoderErrorTest, RejectsABadTimestampWithItsPath) {
  EventBatch batch;
  EXPECT_THAT(DecodeJson(R"({"events": [{}, {}, {}, {"timestamp": "yesterday"}]})", batch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       R"(events[3].timestamp: not an RFC 3339 timestamp: "yesterday")"));
}

TEST(JsonDecoderErrorTest, RejectsUnknownEnumNameWithFieldPath) {
  EventBatch batch;
  EXPECT_THAT(
      DecodeJson(R"({"events": [{"type": "SESSION_BEGIN"}]})", batch),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          R"(events[0].type: "SESSION_BEGIN" is not a chaukas.spec.common.v1.EventType value)"));
  ExpectEventError(R"({"severity": 2147483648})",
                   "severity: 2147483648 is not a chaukas.spec.common.v1.Severity value");
  ExpectEventError(R"({"severity": 1.5})",
                   "severity: 1.5 is not a chaukas.spec.common.v1.Severity value");
  ExpectEventError(R"({"severity": "severity_info"})",
                   R"(severity: "severity_info" is not a chaukas.spec.common.v1.Severity value)");
}

TEST(JsonDecoderErrorTest, RejectsAnUnknownContentKindListingTheValidOnes) {
  ExpectEventError(R"({"content": {"kind": "foo"}})",
                   R"(content.kind: unknown kind "foo"; expected one of message, tool_call, )"
                   "tool_response, llm_invocation, policy_decision, data_access, error_info, "
                   "agent_handoff, mcp_call");
}

TEST(JsonDecoderErrorTest, RejectsContentWithoutKind) {
  ExpectEventError(R"({"content": {"text": "hi"}})",
                   R"(content: missing "kind"; expected one of message, tool_call, )"
                   "tool_response, llm_invocation, policy_decision, data_access, error_info, "
                   "agent_handoff, mcp_call");
  ExpectEventError(R"({"content": {"kind": 3}})", "content.kind: expected a string, got a number");
  ExpectEventError(R"({"content": {"kind": "message", "kind": "message"}})",
                   "content.kind: duplicate key");
  ExpectEventError(R"({"content": "message"})", "content: expected an object, got a string");
}

TEST(JsonDecoderErrorTest, RejectsAnUnknownFieldInsideContentWithItsPath) {
  ExpectEventError(R"({"content": {"kind": "message", "txt": "hi"}})",
                   "content.txt: unknown field of chaukas.spec.common.v1.MessageContent");
}

TEST(JsonDecoderErrorTest, RejectsUnknownFields) {
  ExpectEventError(R"({"foo": 1})", "foo: unknown field of chaukas.spec.common.v1.Event");
  ExpectEventError(R"({"llm_invocation": {"tokens": 1}})",
                   "llm_invocation.tokens: unknown field of chaukas.spec.common.v1.LLMInvocation");
  ExpectEventError(
      R"({"extensions": [{"@type": "type.googleapis.com/chaukas.spec.common.v1.RetryInfo", "x": 1}]})",
      "extensions[0].x: unknown field of chaukas.spec.common.v1.RetryInfo");
}

TEST(JsonDecoderErrorTest, IgnoresUnknownFieldsAndEnumNamesWhenAsked) {
  Event event;
  ASSERT_THAT(DecodeJson(R"({"foo": {"deep": [1]}, "event_id": "e", "type": "SESSION_BEGIN",
                             "content": {"kind": "message", "txt": 1, "text": "t"}})",
                         event, {.ignore_unknown_fields = true}),
              IsOk());
  EXPECT_EQ(event.event_id(), "e");
  EXPECT_EQ(event.type(), spec::common::v1::EVENT_TYPE_UNSPECIFIED);
  EXPECT_EQ(event.message().text(), "t");
}

TEST(JsonDecoderErrorTest, RejectsTheWrongJsonTypeNamingBoth) {
  ExpectEventError(R"({"severity": {}})", "severity: expected a string or number, got an object");
  ExpectEventError(R"({"event_id": 5})", "event_id: expected a string, got a number");
  ExpectEventError(R"({"is_partial": "true"})", "is_partial: expected true or false, got a string");
  ExpectEventError(R"({"tags": "prod"})", "tags: expected an array, got a string");
  ExpectEventError(R"({"message": []})", "message: expected an object, got an array");
  ExpectEventError(R"({"timestamp": 1764000005})", "timestamp: expected a string, got a number");
  ExpectEventError(R"({"metadata": [1]})", "metadata: expected an object, got an array");
  ExpectEventError(R"({"cost": {"input_tokens": true}})",
                   "cost.input_tokens: expected an integer, got a boolean");
  ExpectEventError(R"({"cost": {"total_cost": null, "input_cost": [1]}})",
                   "cost.input_cost: expected a number, got an array");
  ExpectEventError("[]", "expected an object, got an array");
}

TEST(JsonDecoderErrorTest, RejectsFractionalIntegers) {
  LLMInvocation llm;
  EXPECT_THAT(DecodeJson(R"({"prompt_tokens": 3.5})", llm),
              StatusIs(absl::StatusCode::kInvalidArgument, "prompt_tokens: 3.5 is not an integer"));
  ExpectEventError(R"({"llm_invocation": {"promptTokens": "3.5"}})",
                   R"(llm_invocation.promptTokens: "3.5" is not an integer)");
  ExpectEventError(R"({"llm_invocation": {"prompt_tokens": "three"}})",
                   R"(llm_invocation.prompt_tokens: "three" is not an integer)");
}

TEST(JsonDecoderErrorTest, RejectsNumbersOutOfRange) {
  ExpectEventError(R"({"llm_invocation": {"prompt_tokens": 3000000000}})",
                   "llm_invocation.prompt_tokens: 3000000000 is out of range for int32");
  ExpectEventError(R"({"llm_invocation": {"prompt_tokens": -2147483649}})",
                   "llm_invocation.prompt_tokens: -2147483649 is out of range for int32");
  ExpectEventError(R"({"llm_invocation": {"prompt_tokens": 1e10}})",
                   "llm_invocation.prompt_tokens: 1e+10 is out of range for int32");
  spec::server::v1::IngestEventResponse response;
  EXPECT_THAT(DecodeJson(R"({"processed_at": "9223372036854775808"})", response),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       R"(processed_at: "9223372036854775808" is out of range for int64)"));
  EXPECT_THAT(DecodeJson(R"({"processed_at": 9223372036854775808})", response),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "processed_at: 9223372036854775808 is out of range for int64"));
  AllTypes message;
  EXPECT_THAT(DecodeJson(R"({"u64": -1})", message),
              StatusIs(absl::StatusCode::kInvalidArgument, "u64: -1 is out of range for uint64"));
  EXPECT_THAT(
      DecodeJson(R"({"u32": "-1"})", message),
      StatusIs(absl::StatusCode::kInvalidArgument, R"(u32: "-1" is out of range for uint32)"));
  EXPECT_THAT(DecodeJson(R"({"flt": 1e39})", message),
              StatusIs(absl::StatusCode::kInvalidArgument, "flt: 1e+39 is out of range for float"));
  EXPECT_THAT(DecodeJson(R"({"dbl": "1e999"})", message),
              StatusIs(absl::StatusCode::kInvalidArgument, R"(dbl: "1e999" is not a number)"));
  EXPECT_THAT(DecodeJson(R"({"dbl": "inf"})", message),
              StatusIs(absl::StatusCode::kInvalidArgument, R"(dbl: "inf" is not a number)"));
}

TEST(JsonDecoderErrorTest, RejectsDuplicateKeys) {
  ExpectEventError(R"({"event_id": "a", "event_id": "b"})", "event_id: duplicate key");
  ExpectEventError(R"({"event_id": "a", "eventId": "b"})", "eventId: duplicate key");
  ExpectEventError(R"({"content": {"kind": "message"}, "content": {"kind": "message"}})",
                   "content: duplicate key");
  ExpectEventError(R"({"metadata": {"a": 1, "a": 2}})", "metadata.a: duplicate key");
  spec::server::v1::GetEventStatsResponse stats;
  EXPECT_THAT(DecodeJson(R"({"events_by_type": {"X": 1, "X": 2}})", stats),
              StatusIs(absl::StatusCode::kInvalidArgument, "events_by_type.X: duplicate key"));
}

TEST(JsonDecoderErrorTest, RejectsTwoMembersOfOneOneof) {
  const std::string only_one =
      "only one of message, tool_call, tool_response, llm_invocation, policy, data_access, "
      "state_update, error, agent_handoff, mcp_call may be set";
  ExpectEventError(R"({"message": {}, "tool_call": {}})", "tool_call: " + only_one);
  ExpectEventError(R"({"message": {}, "content": {"kind": "tool_call"}})", "content: " + only_one);
  ExpectEventError(R"({"content": {"kind": "tool_call"}, "stateUpdate": {}})",
                   "stateUpdate: " + only_one);
  EXPECT_TRUE(Decoded<Event>(R"({"message": null, "tool_call": {}})").has_tool_call());
}

TEST(JsonDecoderErrorTest, RejectsNullInsideListsAndMaps) {
  ExpectEventError(R"({"tags": ["a", null]})", "tags[1]: null is not allowed in a list");
  spec::server::v1::GetEventStatsResponse stats;
  EXPECT_THAT(DecodeJson(R"({"events_by_type": {"X": null}})", stats),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "events_by_type.X: null is not allowed as a map value"));
}

TEST(JsonDecoderErrorTest, RejectsBadMapKeysAndBytes) {
  AllTypes message;
  EXPECT_THAT(
      DecodeJson(R"({"by_i32": {"x": "y"}})", message),
      StatusIs(absl::StatusCode::kInvalidArgument, R"(by_i32.x: map key "x" is not an int32)"));
  EXPECT_THAT(DecodeJson(R"({"by_bool": {"yes": {}}})", message),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       R"(by_bool.yes: map key "yes" is not true or false)"));
  EXPECT_THAT(DecodeJson(R"({"data": "!!"})", message),
              StatusIs(absl::StatusCode::kInvalidArgument, "data: not valid base64"));
  EXPECT_THAT(DecodeJson(R"({"duration": "5"})", message),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duration: not a duration")));
}

TEST(JsonDecoderErrorTest, RejectsAnyItCannotResolve) {
  ExpectEventError(R"({"extensions": [{"@type": "type.googleapis.com/foo.Bar", "a": 1}]})",
                   R"(extensions[0].@type: unknown type "type.googleapis.com/foo.Bar")");
  ExpectEventError(R"({"extensions": [{"@type": "chaukas.spec.common.v1.RetryInfo"}]})",
                   R"(extensions[0].@type: unknown type "chaukas.spec.common.v1.RetryInfo")");
  ExpectEventError(R"({"extensions": [{"attempt": 1}]})", R"(extensions[0]: missing "@type")");
  ExpectEventError(R"({"extensions": [{"@type": 1}]})",
                   "extensions[0].@type: expected a string, got a number");
}

TEST(JsonDecoderErrorTest, PutsNoPathBeforeErrorsAtTheRoot) {
  google::protobuf::Timestamp timestamp;
  EXPECT_THAT(DecodeJson(R"("noon")", timestamp),
              StatusIs(absl::StatusCode::kInvalidArgument, R"(not an RFC 3339 timestamp: "noon")"));
}

TEST(JsonDecoderErrorTest, CutsLongKeysInThePath) {
  Event event;
  const absl::Status status = DecodeJson(R"({")" + std::string(5000, 'k') + R"(": 1})", event);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("kkk...: unknown field of chaukas.spec.common.v1.Event")));
  EXPECT_LT(status.message().size(), 200u);
}

std::string NestedMetadata(int levels) {
  // The Event object is level 1 and "metadata" level 2; every {"a": ...} adds one.
  std::string json = R"({"metadata": )";
  for (int i = 2; i < levels; ++i) json += R"({"a": )";
  json += "{}";
  for (int i = 2; i < levels; ++i) json += "}";
  return json + "}";
}

TEST(JsonDecoderErrorTest, AcceptsNestingOfOneHundredLevels) {
  Event event;
  EXPECT_THAT(DecodeJson(NestedMetadata(100), event), IsOk());
}

TEST(JsonDecoderErrorTest, RejectsNestingDeeperThanOneHundredLevels) {
  Event event;
  std::string path = "metadata";
  for (int i = 0; i < 99; ++i) path += ".a";
  EXPECT_THAT(
      DecodeJson(NestedMetadata(101), event),
      StatusIs(absl::StatusCode::kInvalidArgument, path + ": nesting deeper than 100 levels"));
  EXPECT_THAT(DecodeJson(std::string(100000, '[') + std::string(100000, ']'), event),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("invalid JSON: ")));
  const std::string arrays =
      R"({"metadata": {"a": )" + std::string(500, '[') + std::string(500, ']') + "}}";
  EXPECT_THAT(DecodeJson(arrays, event),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nesting deeper than 100")));
}

TEST(JsonDecoderErrorTest, LocatesSyntaxErrors) {
  Event event;
  EXPECT_THAT(
      DecodeJson("{\n  \"event_id\": \"a\",\n}", event),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::AllOf(StartsWith("invalid JSON: "), HasSubstr("at line 3, column 1"))));
  EXPECT_THAT(DecodeJson(R"({"event_id": "a")", event),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at line 1, column 17")));
  EXPECT_THAT(DecodeJson(R"({"event_id": tru})", event),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at line 1, column 17")));
  EXPECT_THAT(DecodeJson("", event),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("invalid JSON: ")));
  EXPECT_THAT(DecodeJson(R"({"a": 1} {"b": 2})", event),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("invalid JSON: ")));
}

TEST(JsonDecoderErrorTest, RejectsInvalidUtf8AndUnescapedControlCharacters) {
  Event event;
  EXPECT_THAT(DecodeJson("{\"event_id\": \"a\xff\"}", event),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(StartsWith("invalid JSON: "), HasSubstr("UTF-8"),
                                        HasSubstr("line 1, column 16"))));
  EXPECT_THAT(DecodeJson("{\"event_id\": \"\xed\xa0\x80\"}", event),  // An encoded surrogate.
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("invalid JSON: ")));
  EXPECT_THAT(
      DecodeJson("{\"event_id\": \"a\x01\"}", event),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::AllOf(StartsWith("invalid JSON: "), HasSubstr("line 1, column 16"))));
  EXPECT_THAT(DecodeJson(R"({"event_id": "\ud800"})", event),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("invalid JSON: ")));
}

}  // namespace
}  // namespace chaukas::codec
