// Writes the request bodies the ingest benchmark (tests/bench/run.sh) sends:
//   unary.grpc     gRPC frame of a client IngestEventRequest with one event (h2load, IngestEvent)
//   batch100.grpc  gRPC frame of a client IngestEventBatchRequest of 100 events (IngestEventBatch)
//   batch20.pb     serialized client IngestEventBatchRequest of 20 events: what the Python SDK
//                  POSTs to /v1/events/batch as application/x-protobuf (its default batch size)
//   batch20.json   the same 20-event EventBatch as canonical proto3 JSON (application/json)
// Every event is an SDK-like INPUT_RECEIVED message event of ~300 bytes with all OpenAPI-required
// fields (event_id, type, status, timestamp, session_id) plus tenant/project, trace and span ids;
// event_ids are distinct within each body.
//
// Usage: make_bench_bodies OUT_DIR

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

#include "chaukas/spec/client/v1/client.pb.h"
#include "chaukas/spec/common/v1/events.pb.h"
#include "gateway/codec/json_writer.h"

namespace {

namespace client = chaukas::spec::client::v1;
namespace common = chaukas::spec::common::v1;

// 2025-11-24T16:00:00Z, the instant the test vectors use.
constexpr int64_t kBaseSeconds = 1764000000;

// A UUIDv7-shaped id (36 characters) that differs in `sequence`, like the SDK's event ids.
std::string UuidLike(uint32_t prefix, uint32_t sequence) {
  char text[40];
  std::snprintf(text, sizeof(text), "0193%04x-8f2c-7a3e-9b1d-%012x", prefix & 0xffffu, sequence);
  return text;
}

// One event shaped like tests/data/vectors/event_message.bin, with SDK-sized ids.
common::Event MakeEvent(uint32_t sequence) {
  common::Event event;
  event.set_event_id(UuidLike(0x0e0e, sequence));
  event.set_tenant_id("tenant-bench");
  event.set_project_id("proj-bench");
  event.set_session_id(UuidLike(0x5e55, sequence / 50));
  event.set_trace_id(UuidLike(0x7ace, sequence / 50));
  event.set_span_id(UuidLike(0x5a4a, sequence));
  event.set_parent_span_id(UuidLike(0x5a4a, 0));
  event.set_type(common::EVENT_TYPE_INPUT_RECEIVED);
  event.set_severity(common::SEVERITY_INFO);
  event.set_status(common::EVENT_STATUS_STARTED);
  event.set_author(common::AUTHOR_USER);
  event.mutable_timestamp()->set_seconds(kBaseSeconds + sequence);
  event.mutable_timestamp()->set_nanos(123000000);
  event.set_agent_id("agent-7");
  event.set_agent_name("planner");
  common::MessageContent* message = event.mutable_message();
  message->set_role("user");
  message->set_text(
      "Please summarize the open support tickets for the shop project and draft replies");
  (*message->mutable_metadata()->mutable_fields())["lang"].set_string_value("en");
  return event;
}

common::EventBatch MakeBatch(int event_count, uint32_t first_sequence) {
  common::EventBatch batch;
  batch.set_batch_id(UuidLike(0xba7c, first_sequence));
  batch.mutable_timestamp()->set_seconds(kBaseSeconds + first_sequence);
  for (int i = 0; i < event_count; ++i) {
    *batch.add_events() = MakeEvent(first_sequence + static_cast<uint32_t>(i));
  }
  return batch;
}

// gRPC's length-prefixed message: flag byte 0 (uncompressed), 4-byte big-endian length, bytes.
std::string GrpcFrame(const google::protobuf::Message& message) {
  const std::string payload = message.SerializeAsString();
  const auto length = static_cast<uint32_t>(payload.size());
  std::string frame;
  frame.reserve(5 + payload.size());
  frame.push_back('\0');
  for (int shift = 24; shift >= 0; shift -= 8) {
    frame.push_back(static_cast<char>((length >> shift) & 0xffu));
  }
  frame += payload;
  return frame;
}

bool WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "make_bench_bodies: cannot write %s\n", path.c_str());
    return false;
  }
  std::printf("%-14s %7zu bytes\n", path.substr(path.rfind('/') + 1).c_str(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_bench_bodies OUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];

  client::IngestEventRequest unary;
  *unary.mutable_event() = MakeEvent(1);
  std::printf("one event: %zu bytes serialized\n", unary.event().ByteSizeLong());

  client::IngestEventBatchRequest batch100;
  *batch100.mutable_event_batch() = MakeBatch(100, 1000);

  client::IngestEventBatchRequest batch20;
  *batch20.mutable_event_batch() = MakeBatch(20, 2000);

  const bool ok = WriteFile(dir + "/unary.grpc", GrpcFrame(unary)) &&
                  WriteFile(dir + "/batch100.grpc", GrpcFrame(batch100)) &&
                  WriteFile(dir + "/batch20.pb", batch20.SerializeAsString()) &&
                  WriteFile(dir + "/batch20.json", chaukas::codec::ToJson(batch20.event_batch()));
  return ok ? 0 : 1;
}
