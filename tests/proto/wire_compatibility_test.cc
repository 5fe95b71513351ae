// Our generated code against the published schema's vectors: every .bin parses, re-serializes
// to the same bytes, and prints (with protobuf's own JSON printer) the same JSON values as the
// .json beside it.
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/proto/wire_vectors.h"
#include "tests/support/json_equal.h"

namespace chaukas {
namespace {

using chaukas::testing::JsonEqual;
using chaukas::testing::NewMessage;
using chaukas::testing::ReadVectorFile;
using chaukas::testing::ReadVectorIndex;
using chaukas::testing::SerializeDeterministically;
using chaukas::testing::VectorPath;
using chaukas::testing::VectorTestName;
using chaukas::testing::WireVector;

TEST(WireVectorIndexTest, ListsEveryBinaryVector) {
  std::set<std::string> indexed;
  for (const WireVector& vector : ReadVectorIndex()) indexed.insert(vector.name);
  ASSERT_FALSE(indexed.empty()) << "no rows in " << VectorPath("INDEX.tsv");
  for (const auto& file : std::filesystem::directory_iterator(VectorPath(""))) {
    if (file.path().extension() != ".bin") continue;
    EXPECT_TRUE(indexed.contains(file.path().stem().string()))
        << file.path() << " has no row in INDEX.tsv";
  }
}

class WireCompatibilityTest : public ::testing::TestWithParam<WireVector> {
 protected:
  std::unique_ptr<google::protobuf::Message> ParseBinary() const {
    std::unique_ptr<google::protobuf::Message> message = NewMessage(GetParam().message_type);
    if (message == nullptr) {
      ADD_FAILURE() << GetParam().message_type << " is not a generated type";
    } else if (!message->ParseFromString(Binary())) {
      ADD_FAILURE() << GetParam().name << ".bin does not parse as " << GetParam().message_type;
      message.reset();
    }
    return message;
  }
  std::string Binary() const { return ReadVectorFile(GetParam().name + ".bin"); }
  std::string Json() const { return ReadVectorFile(GetParam().name + ".json"); }
};

TEST_P(WireCompatibilityTest, BinaryReserializesToTheSameBytes) {
  const std::unique_ptr<google::protobuf::Message> message = ParseBinary();
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(SerializeDeterministically(*message), Binary());
}

TEST_P(WireCompatibilityTest, BinaryPrintsTheCanonicalJson) {
  const std::unique_ptr<google::protobuf::Message> message = ParseBinary();
  ASSERT_NE(message, nullptr);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(*message, &json, options).ok());
  EXPECT_TRUE(JsonEqual(json, Json()));
}

INSTANTIATE_TEST_SUITE_P(Vectors, WireCompatibilityTest, ::testing::ValuesIn(ReadVectorIndex()),
                         VectorTestName);

}  // namespace
}  // namespace chaukas
