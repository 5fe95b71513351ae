#include "gateway/upstream/rotating_file.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace chaukas::upstream {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::ReadFile;
using ::chaukas::testing::StatusIs;
using ::chaukas::testing::TempDir;
using ::testing::HasSubstr;

absl::Status Append(RotatingFile& file, std::string_view record) {
  const std::string_view records[] = {record};
  return file.Append(records).status;
}

TEST(RotatingFileTest, CreatesParentDirectoriesAndAppends) {
  TempDir dir;
  const std::string path = (dir.path() / "a/b/events.jsonl").string();
  RotatingFile file(path, 0, 0);
  ASSERT_THAT(file.Open(), IsOk());
  const std::string_view records[] = {"one\n", "", "two\n"};
  const RotatingFile::AppendResult result = file.Append(records);
  ASSERT_THAT(result.status, IsOk());
  EXPECT_EQ(result.records_written, 3u);
  EXPECT_EQ(ReadFile(path), "one\ntwo\n");
  EXPECT_EQ(file.size(), 8);
}

TEST(RotatingFileTest, RotatesBeforeAnAppendThatWouldPassTheLimit) {
  TempDir dir;
  const std::string path = (dir.path() / "events.jsonl").string();
  RotatingFile file(path, 10, 0);
  ASSERT_THAT(file.Open(), IsOk());
  ASSERT_THAT(Append(file, "123456\n"), IsOk());
  ASSERT_THAT(Append(file, "abcdef\n"), IsOk());
  ASSERT_THAT(Append(file, "ABCDEF\n"), IsOk());
  EXPECT_EQ(ReadFile(path + ".1"), "123456\n");
  EXPECT_EQ(ReadFile(path + ".2"), "abcdef\n");
  EXPECT_EQ(ReadFile(path), "ABCDEF\n");
  EXPECT_EQ(file.rotations(), 2u);
}

TEST(RotatingFileTest, RotatesBetweenRecordsOfOneAppend) {
  TempDir dir;
  const std::string path = (dir.path() / "events.jsonl").string();
  RotatingFile file(path, 10, 0);
  ASSERT_THAT(file.Open(), IsOk());
  const std::string_view records[] = {"aaaa\n", "bbbb\n", "cccc\n", "a record over the limit\n",
                                      "dddd\n"};
  const RotatingFile::AppendResult result = file.Append(records);
  ASSERT_THAT(result.status, IsOk());
  EXPECT_EQ(result.records_written, 5u);
  EXPECT_EQ(ReadFile(path + ".1"), "aaaa\nbbbb\n");
  EXPECT_EQ(ReadFile(path + ".2"), "cccc\n");
  EXPECT_EQ(ReadFile(path + ".3"), "a record over the limit\n");
  EXPECT_EQ(ReadFile(path), "dddd\n");
}

TEST(RotatingFileTest, KeepsOnlyMaxFilesRotatedFiles) {
  TempDir dir;
  const std::string path = (dir.path() / "events.jsonl").string();
  RotatingFile file(path, 4, 2);
  ASSERT_THAT(file.Open(), IsOk());
  for (const char* record : {"aaa\n", "bbb\n", "ccc\n", "ddd\n"}) {
    ASSERT_THAT(Append(file, record), IsOk());
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".1"));
  EXPECT_EQ(ReadFile(path + ".2"), "bbb\n");
  EXPECT_EQ(ReadFile(path + ".3"), "ccc\n");
  EXPECT_EQ(ReadFile(path), "ddd\n");
}

TEST(RotatingFileTest, ContinuesNumberingAfterRestart) {
  TempDir dir;
  const std::string path = (dir.path() / "events.jsonl").string();
  dir.WriteFile("events.jsonl.7", "old\n");
  dir.WriteFile("events.jsonl", "current\n");
  RotatingFile file(path, 10, 0);
  ASSERT_THAT(file.Open(), IsOk());
  EXPECT_EQ(file.size(), 8);
  ASSERT_THAT(Append(file, "next\n"), IsOk());
  EXPECT_EQ(ReadFile(path + ".8"), "current\n");
  EXPECT_EQ(ReadFile(path + ".7"), "old\n");
}

TEST(RotatingFileTest, WriteFailureNamesTheFileAndWritesNothing) {
  RotatingFile file("/dev/full", 0, 0);
  ASSERT_THAT(file.Open(), IsOk());
  const std::string_view records[] = {"data\n", "more\n"};
  const RotatingFile::AppendResult result = file.Append(records);
  EXPECT_THAT(result.status,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot write /dev/full")));
  EXPECT_EQ(result.records_written, 0u);
}

TEST(RotatingFileTest, OpenFailureNamesTheFile) {
  RotatingFile file("/proc/chaukas/cannot/exist", 0, 0);
  EXPECT_THAT(file.Open(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("/proc/chaukas")));
}

}  // namespace
}  // namespace chaukas::upstream
