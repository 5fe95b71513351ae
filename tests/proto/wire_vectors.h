#pragma once

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "chaukas/spec/client/v1/client.pb.h"
#include "chaukas/spec/common/v1/events.pb.h"
#include "chaukas/spec/common/v1/query.pb.h"
#include "chaukas/spec/server/v1/server.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

// The wire vectors under tests/data/vectors (INDEX.tsv names the message type of each .bin;
// the .json beside it is its canonical proto3 JSON), for the wire, codec and bench tests.
namespace chaukas::testing {

struct WireVector {
  std::string name;          // "event_llm_invocation": .bin and .json share it.
  std::string message_type;  // "chaukas.spec.common.v1.Event"
};

// Names a parameterized test case after its vector: ".../event_llm_invocation".
inline std::string VectorTestName(const ::testing::TestParamInfo<WireVector>& test) {
  return test.param.name;
}

inline std::filesystem::path VectorPath(std::string_view file) {
  return std::filesystem::path(CHAUKAS_TEST_DATA_DIR) / "vectors" / file;
}

inline std::string ReadVectorFile(std::string_view file) { return ReadFile(VectorPath(file)); }

// The rows of INDEX.tsv (file, message, bytes), without its header.
inline std::vector<WireVector> ReadVectorIndex() {
  std::istringstream index(ReadVectorFile("INDEX.tsv"));
  std::vector<WireVector> vectors;
  std::string line;
  std::getline(index, line);  // The header.
  while (std::getline(index, line)) {
    std::istringstream columns(line);
    WireVector vector;
    if (std::getline(columns, vector.name, '\t') &&
        std::getline(columns, vector.message_type, '\t')) {
      vectors.push_back(vector);
    }
  }
  return vectors;
}

// A new, empty message of a Chaukas type named in INDEX.tsv (nullptr when unknown).
inline std::unique_ptr<google::protobuf::Message> NewMessage(const std::string& type_name) {
  // Naming one type of each .proto links all four into the generated pool searched below.
  const google::protobuf::Descriptor* linked[] = {
      chaukas::spec::common::v1::Event::descriptor(),
      chaukas::spec::common::v1::QueryRequest::descriptor(),
      chaukas::spec::client::v1::IngestEventRequest::descriptor(),
      chaukas::spec::server::v1::IngestEventRequest::descriptor()};
  (void)linked;
  const google::protobuf::Descriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(type_name);
  if (descriptor == nullptr) return nullptr;
  return std::unique_ptr<google::protobuf::Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
}

inline std::string SerializeDeterministically(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

}  // namespace chaukas::testing
