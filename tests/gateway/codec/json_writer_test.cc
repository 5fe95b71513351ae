#include "gateway/codec/json_writer.h"

#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "chaukas/spec/common/v1/events.pb.h"
#include "chaukas/spec/server/v1/server.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/gateway/codec/codec_test.pb.h"
#include "tests/proto/wire_vectors.h"
#include "tests/support/json_equal.h"

namespace chaukas::codec {
namespace {

using chaukas::codec::test::AllTypes;
using chaukas::spec::common::v1::Event;
using chaukas::testing::JsonEqual;
using chaukas::testing::NewMessage;
using chaukas::testing::ReadVectorFile;
using chaukas::testing::ReadVectorIndex;
using chaukas::testing::VectorTestName;
using chaukas::testing::WireVector;
using google::protobuf::util::MessageDifferencer;

// protobuf's own printer: the reference our output must equal as JSON values.
std::string ProtobufJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(message, &json, options).ok());
  return json;
}

// Our output parsed back by protobuf's own parser equals the message.
::testing::AssertionResult ParsesBackWithProtobuf(const google::protobuf::Message& message) {
  const std::string json = ToJson(message);
  std::unique_ptr<google::protobuf::Message> parsed(message.New());
  const auto status = google::protobuf::util::JsonStringToMessage(json, parsed.get());
  if (!status.ok()) return ::testing::AssertionFailure() << status.ToString() << " in " << json;
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  if (!differencer.Compare(*parsed, message)) {
    return ::testing::AssertionFailure() << "differs after the round trip: " << json;
  }
  return ::testing::AssertionSuccess();
}

class JsonWriterVectorTest : public ::testing::TestWithParam<WireVector> {};

TEST_P(JsonWriterVectorTest, WritesTheCanonicalJsonOfTheVector) {
  const std::unique_ptr<google::protobuf::Message> message = NewMessage(GetParam().message_type);
  ASSERT_NE(message, nullptr);
  ASSERT_TRUE(message->ParseFromString(ReadVectorFile(GetParam().name + ".bin")));
  EXPECT_TRUE(JsonEqual(ToJson(*message), ReadVectorFile(GetParam().name + ".json")));
  EXPECT_TRUE(ParsesBackWithProtobuf(*message));
}

INSTANTIATE_TEST_SUITE_P(Vectors, JsonWriterVectorTest, ::testing::ValuesIn(ReadVectorIndex()),
                         VectorTestName);

TEST(JsonWriterTest, WritesDynamicMessages) {
  // Dynamic all the way down: its Struct and Timestamp are dynamic messages too.
  google::protobuf::DynamicMessageFactory factory;
  const std::unique_ptr<google::protobuf::Message> event(
      factory.GetPrototype(Event::descriptor())->New());
  ASSERT_TRUE(event->ParseFromString(ReadVectorFile("event_llm_invocation.bin")));
  EXPECT_TRUE(JsonEqual(ToJson(*event), ReadVectorFile("event_llm_invocation.json")));
}

TEST(JsonWriterTest, WritesCompactJsonWithOriginalFieldNames) {
  Event event;
  event.set_event_id("e-1");
  event.set_is_partial(true);
  event.add_tags("a");
  event.mutable_llm_invocation()->set_prompt_tokens(3);
  EXPECT_EQ(
      ToJson(event),
      R"({"event_id":"e-1","is_partial":true,"tags":["a"],"llm_invocation":{"prompt_tokens":3}})");
}

TEST(JsonWriterTest, AppendsToWhatIsAlreadyInTheOutput) {
  Event event;
  event.set_event_id("e-1");
  std::string out = "line\n";
  AppendJson(event, out);
  EXPECT_EQ(out, "line\n{\"event_id\":\"e-1\"}");
}

TEST(JsonWriterTest, OmitsDefaultsButWritesSetOneofMembersAndEmptyMessages) {
  Event event;
  event.set_type(spec::common::v1::EVENT_TYPE_UNSPECIFIED);
  event.mutable_message();
  event.mutable_timestamp();
  event.mutable_metadata();
  EXPECT_EQ(ToJson(event), R"({"timestamp":"1970-01-01T00:00:00Z","message":{},"metadata":{}})");
  EXPECT_EQ(ToJson(Event()), "{}");
}

TEST(JsonWriterTest, WritesOptionalFieldsWhenSetEvenToZero) {
  AllTypes message;
  message.set_maybe_i32(0);
  EXPECT_EQ(ToJson(message), R"({"maybe_i32":0})");
}

TEST(JsonWriterTest, WritesSixtyFourBitIntegersAsStrings) {
  AllTypes message;
  message.set_i64(std::numeric_limits<int64_t>::min());
  message.set_u64(std::numeric_limits<uint64_t>::max());
  message.set_s64(-5);
  message.set_fx64(6);
  message.set_sfx64(-7);
  message.set_i32(std::numeric_limits<int32_t>::min());
  message.set_u32(std::numeric_limits<uint32_t>::max());
  message.add_many_i64(1);
  const std::string json = ToJson(message);
  EXPECT_THAT(json, ::testing::HasSubstr(R"("i64":"-9223372036854775808")"));
  EXPECT_THAT(json, ::testing::HasSubstr(R"("u64":"18446744073709551615")"));
  EXPECT_THAT(json, ::testing::HasSubstr(R"("i32":-2147483648)"));
  EXPECT_THAT(json, ::testing::HasSubstr(R"("u32":4294967295)"));
  EXPECT_THAT(json, ::testing::HasSubstr(R"("many_i64":["1"])"));
  EXPECT_TRUE(JsonEqual(json, ProtobufJson(message)));
}

TEST(JsonWriterTest, WritesFloatingPointShortestAndNonFiniteAsStrings) {
  AllTypes message;
  message.set_dbl(0.1);
  message.set_flt(0.1f);
  message.add_many_dbl(std::numeric_limits<double>::quiet_NaN());
  message.add_many_dbl(std::numeric_limits<double>::infinity());
  message.add_many_dbl(-std::numeric_limits<double>::infinity());
  message.add_many_dbl(1e-300);
  message.add_many_dbl(1.7976931348623157e308);
  EXPECT_EQ(
      ToJson(message),
      R"({"flt":0.1,"dbl":0.1,"many_dbl":["NaN","Infinity","-Infinity",1e-300,1.7976931348623157e+308]})");
  EXPECT_TRUE(ParsesBackWithProtobuf(message));
}

TEST(JsonWriterTest, WritesLargeNumbersWithAnExponentAndKeepsTheSignOfZero) {
  AllTypes message;
  message.set_dbl(3.3333333333333331e20);
  message.set_flt(1e20f);
  message.add_many_dbl(-1e16);
  message.add_many_dbl(9999999999999998.0);
  message.add_many_dbl(-0.0);
  EXPECT_EQ(ToJson(message), R"({"flt":1e+20,"dbl":3.333333333333333e+20,)"
                             R"("many_dbl":[-1e+16,9999999999999998,-0.0]})");
  EXPECT_TRUE(ParsesBackWithProtobuf(message));
}

TEST(JsonWriterTest, WritesEnumsByNameAndUnknownNumbersAsNumbers) {
  Event event;
  event.set_type(spec::common::v1::EVENT_TYPE_SESSION_START);
  event.set_severity(static_cast<spec::common::v1::Severity>(999));
  EXPECT_EQ(ToJson(event), R"({"type":"EVENT_TYPE_SESSION_START","severity":999})");
  EXPECT_TRUE(JsonEqual(ToJson(event), ProtobufJson(event)));
}

TEST(JsonWriterTest, EscapesStringsAndReplacesInvalidUtf8) {
  Event event;
  event.set_event_id(std::string("q\"b\\n\n\x01\0z", 9));
  event.set_session_id("\xff ok \xc3\xa9");
  EXPECT_EQ(ToJson(event), std::string(R"({"event_id":"q\"b\\n\n\u0001\u0000z","session_id":")") +
                               "\xEF\xBF\xBD ok \xC3\xA9\"}");
}

TEST(JsonWriterTest, WritesBytesAsPaddedStandardBase64) {
  AllTypes message;
  message.set_data(std::string("\xfb\xff\x01", 3));
  message.add_blobs("a");
  message.mutable_wrapped_bytes()->set_value("ab");
  EXPECT_EQ(ToJson(message), R"({"data":"+/8B","blobs":["YQ=="],"wrapped_bytes":"YWI="})");
  EXPECT_TRUE(ParsesBackWithProtobuf(message));
}

TEST(JsonWriterTest, WritesMapsAsObjectsWithStringKeys) {
  AllTypes message;
  (*message.mutable_by_i32())[-3] = "minus three";
  (*message.mutable_by_u64())[18446744073709551615u] = chaukas::codec::test::COLOR_RED;
  (*message.mutable_by_bool())[true].set_i32(1);
  (*message.mutable_by_s64())[-9] = 9;
  (*message.mutable_values())["n"].set_number_value(2.5);
  EXPECT_TRUE(JsonEqual(ToJson(message), R"({
    "by_i32": {"-3": "minus three"},
    "by_u64": {"18446744073709551615": "COLOR_RED"},
    "by_bool": {"true": {"i32": 1}},
    "by_s64": {"-9": "9"},
    "values": {"n": 2.5}})"));
  EXPECT_TRUE(ParsesBackWithProtobuf(message));
}

TEST(JsonWriterTest, WritesStructValueAndListValueAsPlainJson) {
  google::protobuf::Struct metadata;
  auto& fields = *metadata.mutable_fields();
  fields["null"].set_null_value(google::protobuf::NULL_VALUE);
  fields["flag"].set_bool_value(false);
  fields["number"].set_number_value(-1.5);
  fields["text"].set_string_value("hi");
  auto& list = *fields["list"].mutable_list_value();
  list.add_values()->set_number_value(1);
  list.add_values()->mutable_struct_value();
  list.add_values()->mutable_list_value();
  (*fields["nested"].mutable_struct_value()->mutable_fields())["k"].set_string_value("v");
  const std::string expected =
      R"({"null":null,"flag":false,"number":-1.5,"text":"hi","list":[1,{},[]],"nested":{"k":"v"}})";
  EXPECT_TRUE(JsonEqual(ToJson(metadata), expected));
  EXPECT_TRUE(JsonEqual(ToJson(metadata), ProtobufJson(metadata)));

  AllTypes message;
  message.mutable_value()->set_string_value("v");
  message.mutable_list()->add_values()->set_bool_value(true);
  message.add_value_list()->set_null_value(google::protobuf::NULL_VALUE);
  EXPECT_EQ(ToJson(message), R"({"value":"v","list":[true],"value_list":[null]})");
}

TEST(JsonWriterTest, WritesWellKnownTypesAsProtobufDoes) {
  AllTypes message;
  message.mutable_time()->set_seconds(1764000005);
  message.mutable_time()->set_nanos(123000000);
  message.mutable_duration()->set_seconds(-2);
  message.mutable_duration()->set_nanos(-500000000);
  message.mutable_mask()->add_paths("llm_invocation.prompt_tokens");
  message.mutable_mask()->add_paths("event_id");
  message.mutable_wrapped_i64()->set_value(7);
  message.mutable_wrapped_bool();
  message.mutable_wrapped_dbl()->set_value(1.5);
  message.mutable_wrapped_text()->set_value("t");
  EXPECT_EQ(ToJson(message),
            R"({"time":"2025-11-24T16:00:05.123Z","duration":"-2.500s",)"
            R"("mask":"llmInvocation.promptTokens,eventId","wrapped_i64":"7","wrapped_bool":false,)"
            R"("wrapped_dbl":1.5,"wrapped_text":"t"})");
  EXPECT_TRUE(JsonEqual(ToJson(message), ProtobufJson(message)));
  EXPECT_TRUE(ParsesBackWithProtobuf(message));
}

TEST(JsonWriterTest, WritesAnyWithThePayloadsFieldsInline) {
  Event event;
  spec::common::v1::RetryInfo retry;
  retry.set_attempt(2);
  event.add_extensions()->PackFrom(retry);
  EXPECT_EQ(ToJson(event),
            R"({"extensions":[{"@type":"type.googleapis.com/chaukas.spec.common.v1.RetryInfo",)"
            R"("attempt":2}]})");
  EXPECT_TRUE(ParsesBackWithProtobuf(event));
}

TEST(JsonWriterTest, WritesAWellKnownTypeInsideAnyUnderValue) {
  AllTypes message;
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(1);
  message.mutable_any()->PackFrom(timestamp);
  EXPECT_EQ(ToJson(message), R"({"any":{"@type":"type.googleapis.com/google.protobuf.Timestamp",)"
                             R"("value":"1970-01-01T00:00:01Z"}})");
  EXPECT_TRUE(JsonEqual(ToJson(message), ProtobufJson(message)));

  google::protobuf::Any nested;
  nested.PackFrom(message);
  google::protobuf::Any outer;
  outer.PackFrom(nested);
  EXPECT_TRUE(JsonEqual(ToJson(outer), ProtobufJson(outer)));
}

TEST(JsonWriterTest, KeepsAnAnyItCannotResolveAsBase64) {
  google::protobuf::Any any;
  any.set_type_url("type.googleapis.com/no.such.Type");
  any.set_value(std::string("\x08\x01", 2));
  EXPECT_EQ(ToJson(any), R"({"@type":"type.googleapis.com/no.such.Type","value":"CAE="})");

  any.set_type_url("type.googleapis.com/chaukas.spec.common.v1.RetryInfo");
  any.set_value("\xff\xff\xff");  // Not a valid encoding of RetryInfo.
  EXPECT_EQ(ToJson(any),
            R"({"@type":"type.googleapis.com/chaukas.spec.common.v1.RetryInfo","value":"////"})");
  EXPECT_EQ(ToJson(google::protobuf::Any()), "{}");
}

TEST(JsonWriterTest, StopsExpandingAnysNestedTooDeep) {
  google::protobuf::Any any;
  any.PackFrom(spec::common::v1::RetryInfo());
  for (int i = 0; i < 500; ++i) {
    google::protobuf::Any outer;
    outer.PackFrom(any);
    any = outer;
  }
  const std::string json = ToJson(any);
  EXPECT_THAT(json, ::testing::StartsWith(R"({"@type":"type.googleapis.com/google.protobuf.Any")"));
  EXPECT_THAT(json, ::testing::HasSubstr(R"("value":")"));  // The base64 remainder.
}

TEST(JsonWriterTest, WritesNestedStructsAsProtobufDoes) {
  google::protobuf::Value value;
  google::protobuf::Value* innermost = &value;
  for (int i = 0; i < 30; ++i) {
    innermost = &(*innermost->mutable_struct_value()->mutable_fields())["a"];
  }
  innermost->set_number_value(1);
  EXPECT_TRUE(JsonEqual(ToJson(value), ProtobufJson(value)));
}

TEST(JsonWriterTest, WritesStructsNestedDeeperThanProtobufsPrinterAllows) {
  google::protobuf::Value value;
  google::protobuf::Value* innermost = &value;
  for (int i = 0; i < 1000; ++i) innermost = innermost->mutable_list_value()->add_values();
  innermost->set_bool_value(true);
  EXPECT_EQ(ToJson(value), std::string(1000, '[') + "true" + std::string(1000, ']'));
}

}  // namespace
}  // namespace chaukas::codec
