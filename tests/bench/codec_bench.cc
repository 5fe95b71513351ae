// JSON <-> protobuf on the wire vectors: our JsonDecoder / AppendJson against protobuf's own
// converter (JsonStringToMessage / MessageToJsonString), with binary parsing as the yardstick.
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "chaukas/spec/client/v1/client.pb.h"
#include "gateway/codec/json_decoder.h"
#include "gateway/codec/json_writer.h"
#include "google/protobuf/util/json_util.h"
#include "tests/proto/wire_vectors.h"

namespace chaukas::codec {
namespace {

using google::protobuf::Message;

struct BenchVector {
  std::string label;         // Benchmark name suffix.
  std::string message_type;  // What the JSON decodes into.
  std::string json;
  std::string binary;  // Empty when the JSON has no binary twin of the same type.
  int events;
};

int EventsInBatch(const std::string& binary) {
  spec::client::v1::IngestEventBatchRequest request;
  return request.ParseFromString(binary) ? request.event_batch().events_size() : 0;
}

std::vector<BenchVector> LoadVectors() {
  using chaukas::testing::ReadVectorFile;
  const std::string batch_binary = ReadVectorFile("client_ingest_event_batch_request.bin");
  return {
      {"event_llm_invocation", "chaukas.spec.common.v1.Event",
       ReadVectorFile("event_llm_invocation.json"), ReadVectorFile("event_llm_invocation.bin"), 1},
      {"event_llm_invocation_openapi", "chaukas.spec.common.v1.Event",
       ReadVectorFile("openapi/event_llm_invocation.openapi.json"), "", 1},
      {"batch_request", "chaukas.spec.client.v1.IngestEventBatchRequest",
       ReadVectorFile("client_ingest_event_batch_request.json"), batch_binary,
       EventsInBatch(batch_binary)},
  };
}

std::unique_ptr<Message> DecodedMessage(const BenchVector& vector) {
  std::unique_ptr<Message> message = chaukas::testing::NewMessage(vector.message_type);
  JsonDecoder decoder;
  if (!decoder.Parse(vector.json).ok() || !decoder.Decode(*message).ok()) return nullptr;
  return message;
}

void SetThroughput(benchmark::State& state, const BenchVector& vector, size_t bytes) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * vector.events));
}

void DecodeWithJsonDecoder(benchmark::State& state, const BenchVector& vector) {
  std::unique_ptr<Message> message = chaukas::testing::NewMessage(vector.message_type);
  JsonDecoder decoder;
  for (auto _ : state) {
    if (!decoder.Parse(vector.json).ok() || !decoder.Decode(*message).ok()) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(message.get());
  }
  SetThroughput(state, vector, vector.json.size());
}

void DecodeWithProtobuf(benchmark::State& state, const BenchVector& vector) {
  std::unique_ptr<Message> message = chaukas::testing::NewMessage(vector.message_type);
  for (auto _ : state) {
    message->Clear();
    if (!google::protobuf::util::JsonStringToMessage(vector.json, message.get()).ok()) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(message.get());
  }
  SetThroughput(state, vector, vector.json.size());
}

void WriteWithAppendJson(benchmark::State& state, const BenchVector& vector) {
  const std::unique_ptr<Message> message = DecodedMessage(vector);
  std::string out;
  for (auto _ : state) {
    out.clear();
    AppendJson(*message, out);
    benchmark::DoNotOptimize(out.data());
  }
  SetThroughput(state, vector, out.size());
}

void WriteWithProtobuf(benchmark::State& state, const BenchVector& vector) {
  const std::unique_ptr<Message> message = DecodedMessage(vector);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  for (auto _ : state) {
    out.clear();
    if (!google::protobuf::util::MessageToJsonString(*message, &out, options).ok()) {
      state.SkipWithError("print failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  SetThroughput(state, vector, out.size());
}

void ParseBinary(benchmark::State& state, const BenchVector& vector) {
  std::unique_ptr<Message> message = chaukas::testing::NewMessage(vector.message_type);
  for (auto _ : state) {
    if (!message->ParseFromString(vector.binary)) {
      state.SkipWithError("parse failed");
      break;
    }
    benchmark::DoNotOptimize(message.get());
  }
  SetThroughput(state, vector, vector.binary.size());
}

void RegisterAll(const std::vector<BenchVector>& vectors) {
  for (const BenchVector& vector : vectors) {
    const auto name = [&](const char* operation) { return operation + vector.label; };
    benchmark::RegisterBenchmark(name("decode/json_decoder/").c_str(), DecodeWithJsonDecoder,
                                 vector);
    if (vector.binary.empty()) continue;  // The OpenAPI shape: only our decoder reads it.
    benchmark::RegisterBenchmark(name("decode/protobuf_json/").c_str(), DecodeWithProtobuf, vector);
    benchmark::RegisterBenchmark(name("decode/protobuf_binary/").c_str(), ParseBinary, vector);
    benchmark::RegisterBenchmark(name("write/append_json/").c_str(), WriteWithAppendJson, vector);
    benchmark::RegisterBenchmark(name("write/protobuf_json/").c_str(), WriteWithProtobuf, vector);
  }
}

}  // namespace
}  // namespace chaukas::codec

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  chaukas::codec::RegisterAll(chaukas::codec::LoadVectors());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
