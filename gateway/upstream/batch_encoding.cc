#include "gateway/upstream/batch_encoding.h"

#include "absl/strings/str_cat.h"
#include "chaukas/spec/common/v1/events.pb.h"
#include "gateway/codec/json_writer.h"
#include "gateway/codec/timestamp_text.h"
#include "gateway/common/json_escape.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace chaukas::upstream {
namespace {

using google::protobuf::io::CodedOutputStream;
using google::protobuf::io::StringOutputStream;

constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kVarint = 0;

uint32_t Tag(uint32_t field, uint32_t wire_type) { return (field << 3) | wire_type; }

size_t LengthDelimitedSize(uint32_t field, size_t length) {
  return CodedOutputStream::VarintSize32(Tag(field, kLengthDelimited)) +
         CodedOutputStream::VarintSize64(length) + length;
}

void WriteLengthDelimited(CodedOutputStream& out, uint32_t field, std::string_view bytes) {
  out.WriteTag(Tag(field, kLengthDelimited));
  out.WriteVarint64(bytes.size());
  out.WriteRaw(bytes.data(), static_cast<int>(bytes.size()));
}

// google.protobuf.Timestamp {1 seconds, 2 nanos} of `time`.
std::string TimestampBytes(absl::Time time) {
  const int64_t seconds = absl::ToUnixSeconds(time);
  const auto nanos =
      static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds)));
  std::string bytes;
  StringOutputStream stream(&bytes);
  CodedOutputStream out(&stream);
  if (seconds != 0) {
    out.WriteTag(Tag(1, kVarint));
    out.WriteVarint64(static_cast<uint64_t>(seconds));
  }
  if (nanos != 0) {
    out.WriteTag(Tag(2, kVarint));
    out.WriteVarint64(static_cast<uint64_t>(nanos));
  }
  out.Trim();
  return bytes;
}

}  // namespace

std::string EncodeBatchRequest(std::string_view batch_id, absl::Time now,
                               std::span<const QueuedEvent> events) {
  const std::string timestamp = TimestampBytes(now);
  size_t batch_size =
      LengthDelimitedSize(1, batch_id.size()) + LengthDelimitedSize(2, timestamp.size());
  for (const QueuedEvent& event : events) batch_size += LengthDelimitedSize(3, event.bytes.size());

  std::string request;
  request.reserve(LengthDelimitedSize(1, batch_size));
  {
    StringOutputStream stream(&request);
    CodedOutputStream out(&stream);
    out.WriteTag(Tag(1, kLengthDelimited));
    out.WriteVarint64(batch_size);
    WriteLengthDelimited(out, 1, batch_id);
    WriteLengthDelimited(out, 2, timestamp);
    for (const QueuedEvent& event : events) WriteLengthDelimited(out, 3, event.bytes);
    out.Trim();
  }
  return request;
}

absl::StatusOr<std::string> EncodeBatchJson(std::string_view batch_id, absl::Time now,
                                            std::span<const QueuedEvent> events) {
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(absl::ToUnixSeconds(now));
  std::string json = "{\"batch_id\":";
  AppendJsonString(batch_id, json);
  absl::StrAppend(&json, ",\"timestamp\":\"", codec::FormatTimestamp(timestamp), "\",\"events\":[");
  chaukas::spec::common::v1::Event event;
  for (size_t i = 0; i < events.size(); ++i) {
    if (!event.ParseFromString(events[i].bytes)) {
      return absl::InternalError(absl::StrCat("queued event ", events[i].event_id,
                                              " does not parse: the queue is corrupt"));
    }
    if (i > 0) json += ',';
    codec::AppendJson(event, json);
  }
  json += "]}";
  return json;
}

}  // namespace chaukas::upstream
