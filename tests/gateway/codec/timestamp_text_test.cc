#include "gateway/codec/timestamp_text.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace chaukas::codec {
namespace {

using chaukas::testing::IsOk;
using chaukas::testing::StatusIs;
using google::protobuf::Duration;
using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;

constexpr int64_t kMinSeconds = -62'135'596'800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxSeconds = 253'402'300'799;  // 9999-12-31T23:59:59Z

Timestamp MakeTimestamp(int64_t seconds, int32_t nanos) {
  Timestamp timestamp;
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(nanos);
  return timestamp;
}

Timestamp Parsed(std::string_view text) {
  Timestamp timestamp;
  EXPECT_THAT(ParseTimestamp(text, timestamp), IsOk()) << text;
  return timestamp;
}

TEST(FormatTimestampTest, PrintsWholeSecondsWithoutAFraction) {
  EXPECT_EQ(FormatTimestamp(MakeTimestamp(1764000005, 0)), "2025-11-24T16:00:05Z");
  EXPECT_EQ(FormatTimestamp(MakeTimestamp(0, 0)), "1970-01-01T00:00:00Z");
}

TEST(FormatTimestampTest, PrintsThreeSixOrNineFractionalDigits) {
  EXPECT_EQ(FormatTimestamp(MakeTimestamp(1764000005, 123'000'000)), "2025-11-24T16:00:05.123Z");
  EXPECT_EQ(FormatTimestamp(MakeTimestamp(1764000005, 812'250'000)), "2025-11-24T16:00:05.812250Z");
  EXPECT_EQ(FormatTimestamp(MakeTimestamp(1764000005, 1)), "2025-11-24T16:00:05.000000001Z");
}

TEST(FormatTimestampTest, PrintsTheEndsOfTheValidRange) {
  EXPECT_EQ(FormatTimestamp(MakeTimestamp(kMinSeconds, 0)), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(MakeTimestamp(kMaxSeconds, 999'999'999)),
            "9999-12-31T23:59:59.999999999Z");
}

TEST(FormatTimestampTest, MatchesProtobufsTimeUtilAcrossTheRange) {
  std::mt19937_64 random(42);
  std::uniform_int_distribution<int64_t> seconds(kMinSeconds, kMaxSeconds);
  const int32_t fractions[] = {0, 5'000'000, 120'000, 7};
  for (int i = 0; i < 20000; ++i) {
    const Timestamp timestamp = MakeTimestamp(seconds(random), fractions[i % 4] * (i % 7 + 1));
    ASSERT_EQ(FormatTimestamp(timestamp), TimeUtil::ToString(timestamp)) << timestamp.seconds();
  }
}

TEST(FormatTimestampTest, PrintsInvalidTimestampsWithoutFailing) {
  std::string out;
  AppendTimestamp(std::numeric_limits<int64_t>::max(), std::numeric_limits<int32_t>::max(), out);
  AppendTimestamp(std::numeric_limits<int64_t>::min(), std::numeric_limits<int32_t>::min(), out);
  AppendTimestamp(kMaxSeconds + 1, -1, out);
  EXPECT_THAT(out, HasSubstr("9999-12-31T23:59:59.999999999Z"));
  AppendTimestamp(kMaxSeconds + 1, 0, out);
  EXPECT_THAT(out, HasSubstr("10000-01-01T00:00:00Z"));
}

TEST(ParseTimestampTest, ParsesUtcWithUpperOrLowerCaseLetters) {
  EXPECT_EQ(Parsed("2025-11-24T16:00:05Z").seconds(), 1764000005);
  EXPECT_EQ(Parsed("2025-11-24t16:00:05z").seconds(), 1764000005);
  EXPECT_EQ(Parsed("2025-11-24T16:00:05Z").nanos(), 0);
}

TEST(ParseTimestampTest, ParsesOneToNineFractionalDigits) {
  EXPECT_EQ(Parsed("2025-11-24T16:00:05.1Z").nanos(), 100'000'000);
  EXPECT_EQ(Parsed("2025-11-24T16:00:05.123Z").nanos(), 123'000'000);
  EXPECT_EQ(Parsed("2025-11-24T16:00:05.000000001Z").nanos(), 1);
  EXPECT_EQ(Parsed("2025-11-24T16:00:05.999999999Z").nanos(), 999'999'999);
}

TEST(ParseTimestampTest, AppliesNumericOffsets) {
  EXPECT_EQ(Parsed("2025-11-24T21:30:05+05:30").seconds(), 1764000005);
  EXPECT_EQ(Parsed("2025-11-24T08:00:05-08:00").seconds(), 1764000005);
  EXPECT_EQ(Parsed("2025-11-24T16:00:05-00:00").seconds(), 1764000005);
}

TEST(ParseTimestampTest, AcceptsLeapDaysOnlyInLeapYears) {
  EXPECT_EQ(Parsed("2024-02-29T00:00:00Z").seconds(), 1709164800);
  EXPECT_EQ(Parsed("2000-02-29T00:00:00Z").seconds(), 951782400);
  Timestamp timestamp;
  EXPECT_THAT(ParseTimestamp("2023-02-29T00:00:00Z", timestamp),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       R"(not an RFC 3339 timestamp: "2023-02-29T00:00:00Z" (day out of range))"));
  EXPECT_THAT(ParseTimestamp("1900-02-29T00:00:00Z", timestamp),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("day out of range")));
}

TEST(ParseTimestampTest, AcceptsTheEndsOfTheValidRange) {
  EXPECT_EQ(Parsed("0001-01-01T00:00:00Z").seconds(), kMinSeconds);
  const Timestamp last = Parsed("9999-12-31T23:59:59.999999999Z");
  EXPECT_EQ(last.seconds(), kMaxSeconds);
  EXPECT_EQ(last.nanos(), 999'999'999);
}

TEST(ParseTimestampTest, RejectsTimesOutsideTheValidRange) {
  for (const char* text :
       {"0000-12-31T23:59:59Z", "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01"}) {
    Timestamp timestamp;
    EXPECT_THAT(ParseTimestamp(text, timestamp),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z")))
        << text;
  }
}

TEST(ParseTimestampTest, RejectsTextThatIsNotRfc3339QuotingIt) {
  Timestamp timestamp;
  EXPECT_THAT(
      ParseTimestamp("yesterday", timestamp),
      StatusIs(absl::StatusCode::kInvalidArgument, R"(not an RFC 3339 timestamp: "yesterday")"));
  for (const char* text :
       {"", "2025-11-24", "2025-11-24T16:00:05", "2025-11-24 16:00:05Z", "2025-11-24T16:00Z",
        "2025-11-24T16:00:05.Z", "2025-11-24T16:00:05Zjunk", "2025-11-24T16:00:05+0530",
        "+2025-11-24T16:00:05Z", "2025-1-24T16:00:05Z", "２025-11-24T16:00:05Z"}) {
    EXPECT_THAT(ParseTimestamp(text, timestamp), StatusIs(absl::StatusCode::kInvalidArgument,
                                                          HasSubstr("not an RFC 3339 timestamp")))
        << text;
  }
}

TEST(ParseTimestampTest, NamesTheFieldThatIsOutOfRange) {
  const std::pair<const char*, const char*> cases[] = {
      {"2025-13-01T00:00:00Z", "month out of range"},
      {"2025-00-01T00:00:00Z", "month out of range"},
      {"2025-04-31T00:00:00Z", "day out of range"},
      {"2025-11-24T24:00:00Z", "hour out of range"},
      {"2025-11-24T16:60:00Z", "minute out of range"},
      {"2025-11-24T16:00:60Z", "second out of range"},
      {"2025-11-24T16:00:00+24:00", "offset out of range"},
      {"2025-11-24T16:00:05.1234567891Z", "more than 9 fractional digits"},
  };
  for (const auto& [text, reason] : cases) {
    Timestamp timestamp;
    EXPECT_THAT(ParseTimestamp(text, timestamp),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(reason)))
        << text;
  }
}

TEST(ParseTimestampTest, CutsLongInputInItsErrorMessage) {
  Timestamp timestamp;
  const absl::Status status = ParseTimestamp(std::string(10000, 'x'), timestamp);
  EXPECT_LT(status.message().size(), 120u);
  EXPECT_THAT(std::string(status.message()), HasSubstr("xxx...\""));
}

TEST(ParseTimestampTest, ReadsBackWhatFormatWrites) {
  std::mt19937_64 random(7);
  std::uniform_int_distribution<int64_t> seconds(kMinSeconds, kMaxSeconds);
  std::uniform_int_distribution<int32_t> nanos(0, 999'999'999);
  for (int i = 0; i < 20000; ++i) {
    const Timestamp original = MakeTimestamp(seconds(random), i % 2 == 0 ? nanos(random) : 0);
    const Timestamp parsed = Parsed(FormatTimestamp(original));
    ASSERT_EQ(parsed.seconds(), original.seconds());
    ASSERT_EQ(parsed.nanos(), original.nanos());
  }
}

TEST(DurationTextTest, PrintsLikeProtobufsTimeUtil) {
  const std::pair<int64_t, int32_t> durations[] = {{0, 0},  {1, 500'000'000},  {-1, -500'000'000},
                                                   {0, -1}, {315576000000, 0}, {3, 120'000}};
  for (const auto& [seconds, nanos] : durations) {
    Duration duration;
    duration.set_seconds(seconds);
    duration.set_nanos(nanos);
    std::string text;
    AppendDuration(seconds, nanos, text);
    EXPECT_EQ(text, TimeUtil::ToString(duration));
  }
}

TEST(DurationTextTest, PrintsInvalidDurationsWithoutFailing) {
  std::string text;
  AppendDuration(1, -500'000'000, text);
  EXPECT_EQ(text, "0.500s");
  AppendDuration(std::numeric_limits<int64_t>::min(), std::numeric_limits<int32_t>::min(), text);
  AppendDuration(std::numeric_limits<int64_t>::max(), std::numeric_limits<int32_t>::max(), text);
}

TEST(DurationTextTest, ParsesSecondsWithAnOptionalFraction) {
  Duration duration;
  ASSERT_THAT(ParseDuration("1.5s", duration), IsOk());
  EXPECT_EQ(duration.seconds(), 1);
  EXPECT_EQ(duration.nanos(), 500'000'000);
  ASSERT_THAT(ParseDuration("-0.000000001s", duration), IsOk());
  EXPECT_EQ(duration.seconds(), 0);
  EXPECT_EQ(duration.nanos(), -1);
  ASSERT_THAT(ParseDuration("315576000000s", duration), IsOk());
  EXPECT_EQ(duration.seconds(), 315576000000);
}

TEST(DurationTextTest, RejectsMalformedOrOutOfRangeDurations) {
  for (const char* text : {"", "s", "1", "1.s", "-s", "+1s", "1.1234567891s", "1.5ms", " 1s",
                           "315576000001s", "1e3s"}) {
    Duration duration;
    EXPECT_THAT(ParseDuration(text, duration),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a duration")))
        << text;
  }
}

}  // namespace
}  // namespace chaukas::codec
