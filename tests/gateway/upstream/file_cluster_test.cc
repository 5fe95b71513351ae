#include "gateway/upstream/file_cluster.h"

#include <sstream>
#include <thread>

#include "gateway/codec/json_writer.h"
#include "gateway/pipeline/ingest_status.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace chaukas::upstream {
namespace {

namespace v1 = chaukas::spec::common::v1;
using ::chaukas::testing::IsOk;
using ::chaukas::testing::ReadFile;
using ::chaukas::testing::TempDir;
using ::testing::HasSubstr;

config::ClusterConfig FileConfig(const std::string& path, config::FileFormat format) {
  config::ClusterConfig config;
  config.name = "local";
  config.file.path = path;
  config.file.format = format;
  config.file.rotate_max_bytes = 0;
  return config;
}

v1::Event MakeEvent(int n) {
  v1::Event event;
  event.set_event_id("evt-" + std::to_string(n));
  event.set_session_id("sess-1");
  event.set_type(v1::EVENT_TYPE_TOOL_CALL_START);
  event.mutable_tool_call()->set_name("search");
  return event;
}

absl::Status Enqueue(FileCluster& cluster, std::vector<v1::Event>& events) {
  std::vector<pipeline::Event*> pointers;
  for (v1::Event& event : events) pointers.push_back(&event);
  return cluster.Enqueue(pipeline::RequestContext{}, pointers, nullptr);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(FileClusterTest, WritesJsonLinesInOrder) {
  TempDir dir;
  stats::StatsStore stats;
  const std::string path = (dir.path() / "events.jsonl").string();
  FileCluster cluster(FileConfig(path, config::FileFormat::kJson), stats);
  ASSERT_THAT(cluster.Start(), IsOk());
  std::vector<v1::Event> events = {MakeEvent(1), MakeEvent(2)};
  ASSERT_THAT(Enqueue(cluster, events), IsOk());
  cluster.Drain(absl::Seconds(10));
  const std::vector<std::string> lines = Lines(ReadFile(path));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], codec::ToJson(events[0]));
  EXPECT_EQ(lines[1], codec::ToJson(events[1]));
  EXPECT_EQ(stats.ValueOf("cluster.events_written", {{"cluster", "local"}}), 2);
  EXPECT_EQ(stats.ValueOf("cluster.queue_bytes", {{"cluster", "local"}}), 0);
}

TEST(FileClusterTest, WritesVarintDelimitedProtobuf) {
  TempDir dir;
  stats::StatsStore stats;
  const std::string path = (dir.path() / "events.pb").string();
  FileCluster cluster(FileConfig(path, config::FileFormat::kProtobuf), stats);
  ASSERT_THAT(cluster.Start(), IsOk());
  std::vector<v1::Event> events = {MakeEvent(1), MakeEvent(2), MakeEvent(3)};
  ASSERT_THAT(Enqueue(cluster, events), IsOk());
  cluster.Drain(absl::Seconds(10));

  const std::string bytes = ReadFile(path);
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  for (const v1::Event& expected : events) {
    uint32_t size = 0;
    ASSERT_TRUE(in.ReadVarint32(&size));
    const auto limit = in.PushLimit(static_cast<int>(size));
    v1::Event read;
    ASSERT_TRUE(read.ParseFromCodedStream(&in));
    in.PopLimit(limit);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(read, expected));
  }
  EXPECT_EQ(in.CurrentPosition(), static_cast<int>(bytes.size()));
}

TEST(FileClusterTest, AnswersOverloadWhenTheQueueIsFullAndCountsLossOnShutdown) {
  stats::StatsStore stats;
  // Every write to /dev/full fails, so chunks stay queued and the queue fills up.
  config::ClusterConfig config = FileConfig("/dev/full", config::FileFormat::kJson);
  config.queue_max_bytes = 65536;
  FileCluster cluster(config, stats);
  ASSERT_THAT(cluster.Start(), IsOk());
  std::vector<v1::Event> events(200, MakeEvent(1));
  absl::Status status;
  for (int i = 0; i < 100 && status.ok(); ++i) status = Enqueue(cluster, events);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(pipeline::IsOverload(status));
  EXPECT_THAT(std::string(status.message()), HasSubstr("high memory usage"));
  EXPECT_GT(stats.ValueOf("cluster.events_rejected_queue_full", {{"cluster", "local"}}), 0);
  const int64_t enqueued = stats.ValueOf("cluster.events_enqueued", {{"cluster", "local"}});

  cluster.Drain(absl::Milliseconds(200));
  EXPECT_GT(stats.ValueOf("cluster.write_errors", {{"cluster", "local"}}), 0);
  EXPECT_EQ(stats.ValueOf("cluster.events_lost_on_shutdown", {{"cluster", "local"}}), enqueued);
}

TEST(FileClusterTest, ConcurrentProducersWriteEveryEventOnce) {
  TempDir dir;
  stats::StatsStore stats;
  const std::string path = (dir.path() / "events.jsonl").string();
  config::ClusterConfig config = FileConfig(path, config::FileFormat::kJson);
  config.file.rotate_max_bytes = 16384;
  FileCluster cluster(config, stats);
  ASSERT_THAT(cluster.Start(), IsOk());
  constexpr int kThreads = 4;
  constexpr int kBatches = 100;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<v1::Event> events = {MakeEvent(t * 1000 + b)};
        EXPECT_THAT(Enqueue(cluster, events), IsOk());
      }
    });
  }
  for (std::thread& producer : producers) producer.join();
  cluster.Drain(absl::Seconds(10));

  std::set<std::string> lines;
  size_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    for (const std::string& line : Lines(ReadFile(entry.path()))) {
      lines.insert(line);
      ++total;
    }
  }
  EXPECT_EQ(total, size_t{kThreads * kBatches});
  EXPECT_EQ(lines.size(), size_t{kThreads * kBatches});
  EXPECT_GT(stats.ValueOf("cluster.rotations", {{"cluster", "local"}}), 0);
  // Rotation happens between requests, even when one write groups many of them.
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_LE(std::filesystem::file_size(entry.path()), 16384u) << entry.path();
  }
}

}  // namespace
}  // namespace chaukas::upstream
