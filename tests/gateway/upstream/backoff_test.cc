#include "gateway/upstream/backoff.h"

#include <climits>
#include <cstdint>
#include <limits>
#include <random>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chaukas::upstream {
namespace {

using ::testing::Optional;

constexpr uint64_t kLowest = 0;
constexpr uint64_t kHighest = std::numeric_limits<uint64_t>::max();

// Returns the same value on every draw.
class ConstantRandom final : public RandomSource {
 public:
  explicit ConstantRandom(uint64_t value) : value_(value) {}
  uint64_t NextUint64() override { return value_; }

 private:
  const uint64_t value_;
};

class SeededRandom final : public RandomSource {
 public:
  uint64_t NextUint64() override { return generator_(); }

 private:
  std::mt19937_64 generator_{42};
};

absl::Duration Backoff(int attempt, uint64_t random_value) {
  ConstantRandom random(random_value);
  return FullJitterBackoff(attempt, absl::Milliseconds(100), absl::Seconds(5), random);
}

TEST(FullJitterBackoffTest, RangesFromZeroToADoublingCeilingCappedAtMax) {
  const int64_t ceilings_ms[] = {100, 200, 400, 800, 1600, 3200, 5000, 5000};
  for (int attempt = 1; attempt <= 8; ++attempt) {
    EXPECT_EQ(Backoff(attempt, kLowest), absl::ZeroDuration()) << "attempt " << attempt;
    EXPECT_EQ(Backoff(attempt, kHighest), absl::Milliseconds(ceilings_ms[attempt - 1]))
        << "attempt " << attempt;
  }
}

TEST(FullJitterBackoffTest, SpreadsUniformlyOverTheRange) {
  SeededRandom random;
  constexpr int kDraws = 10'000;
  absl::Duration total;
  for (int i = 0; i < kDraws; ++i) {
    const absl::Duration delay =
        FullJitterBackoff(3, absl::Milliseconds(100), absl::Seconds(5), random);
    ASSERT_GE(delay, absl::ZeroDuration());
    ASSERT_LE(delay, absl::Milliseconds(400));
    total += delay;
  }
  // Mean 200ms, standard deviation of the mean about 1.2ms.
  EXPECT_NEAR(absl::ToDoubleMilliseconds(total / kDraws), 200, 6);
}

TEST(FullJitterBackoffTest, StaysAtMaxForHugeAttempts) {
  EXPECT_EQ(Backoff(64, kHighest), absl::Seconds(5));
  EXPECT_EQ(Backoff(1000, kHighest), absl::Seconds(5));
  EXPECT_EQ(Backoff(INT_MAX, kHighest), absl::Seconds(5));
}

TEST(FullJitterBackoffTest, CountsAttemptsBelowOneAsTheFirst) {
  EXPECT_EQ(Backoff(0, kHighest), absl::Milliseconds(100));
  EXPECT_EQ(Backoff(-3, kHighest), absl::Milliseconds(100));
}

TEST(FullJitterBackoffTest, DoesNotOverflowWithAnInfiniteMax) {
  ConstantRandom random(kHighest);
  const absl::Duration delay =
      FullJitterBackoff(INT_MAX, absl::Seconds(1), absl::InfiniteDuration(), random);
  EXPECT_GT(delay, absl::Hours(24 * 365 * 100));
  EXPECT_LT(delay, absl::InfiniteDuration());
}

TEST(FullJitterBackoffTest, IsZeroWithoutAPositiveInitialOrMax) {
  ConstantRandom random(kHighest);
  EXPECT_EQ(FullJitterBackoff(5, absl::ZeroDuration(), absl::Seconds(5), random),
            absl::ZeroDuration());
  EXPECT_EQ(FullJitterBackoff(5, absl::Seconds(1), absl::ZeroDuration(), random),
            absl::ZeroDuration());
}

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(1994, 11, 6, 8, 49, 0), absl::UTCTimeZone());

TEST(ParseRetryAfterTest, ParsesDeltaSeconds) {
  EXPECT_THAT(ParseRetryAfter("120", kNow), Optional(absl::Seconds(120)));
  EXPECT_THAT(ParseRetryAfter("0", kNow), Optional(absl::ZeroDuration()));
  EXPECT_THAT(ParseRetryAfter("007", kNow), Optional(absl::Seconds(7)));
  EXPECT_THAT(ParseRetryAfter(" \t5 ", kNow), Optional(absl::Seconds(5)));
}

TEST(ParseRetryAfterTest, CapsHugeDeltaSecondsAtTwoToTheThirtyFirst) {
  EXPECT_THAT(ParseRetryAfter("2147483648", kNow), Optional(absl::Seconds(int64_t{1} << 31)));
  EXPECT_THAT(ParseRetryAfter("99999999999999999999999999999", kNow),
              Optional(absl::Seconds(int64_t{1} << 31)));
}

TEST(ParseRetryAfterTest, RejectsWhatIsNotDeltaSeconds) {
  for (const char* value : {"", " ", "-5", "+5", "1.5", "5s", "5 5", "0x10", "five"}) {
    EXPECT_EQ(ParseRetryAfter(value, kNow), std::nullopt) << value;
  }
}

TEST(ParseRetryAfterTest, ParsesAnImfFixdateRelativeToNow) {
  EXPECT_THAT(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kNow), Optional(absl::Seconds(37)));
  EXPECT_THAT(ParseRetryAfter("Mon, 07 Nov 1994 08:49:00 GMT", kNow), Optional(absl::Hours(24)));
  EXPECT_THAT(ParseRetryAfter(" Sun, 06 Nov 1994 08:49:37 GMT\t", kNow),
              Optional(absl::Seconds(37)));
}

TEST(ParseRetryAfterTest, GivesZeroForADateInThePast) {
  EXPECT_THAT(ParseRetryAfter("Sun, 06 Nov 1994 08:48:59 GMT", kNow),
              Optional(absl::ZeroDuration()));
  EXPECT_THAT(ParseRetryAfter("Thu, 01 Jan 1970 00:00:00 GMT", kNow),
              Optional(absl::ZeroDuration()));
}

TEST(ParseRetryAfterTest, AcceptsALeapSecond) {
  const absl::Time now =
      absl::FromCivil(absl::CivilSecond(2016, 12, 31, 23, 59, 59), absl::UTCTimeZone());
  EXPECT_THAT(ParseRetryAfter("Sat, 31 Dec 2016 23:59:60 GMT", now), Optional(absl::Seconds(1)));
}

TEST(ParseRetryAfterTest, AcceptsFebruaryTwentyNinthOnlyInLeapYears) {
  const absl::Time now = absl::FromUnixSeconds(0);
  EXPECT_NE(ParseRetryAfter("Thu, 29 Feb 2024 00:00:00 GMT", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Thu, 29 Feb 2023 00:00:00 GMT", now), std::nullopt);
}

TEST(ParseRetryAfterTest, RejectsMalformedDates) {
  struct Case {
    const char* value;
    const char* wrong;
  };
  const Case cases[] = {
      {"Sunday, 06-Nov-94 08:49:37 GMT", "RFC 850 form (obsolete)"},
      {"Sun Nov  6 08:49:37 1994", "asctime form (obsolete)"},
      {"Sun, 6 Nov 1994 08:49:37 GMT", "day not two digits"},
      {"Sun, 06 Nov 94 08:49:37 GMT", "year not four digits"},
      {"sun, 06 Nov 1994 08:49:37 GMT", "day name case"},
      {"Sun, 06 nov 1994 08:49:37 GMT", "month name case"},
      {"Sun, 06 Nov 1994 08:49:37 gmt", "GMT case"},
      {"Sun, 06 Nov 1994 08:49:37 UTC", "not GMT"},
      {"Sun, 06 Nov 1994 08:49:37 +0000", "not GMT"},
      {"Sun, 06 Nov 1994 08:49:37", "no zone"},
      {"Xyz, 06 Nov 1994 08:49:37 GMT", "no such day name"},
      {"Sun, 06 Foo 1994 08:49:37 GMT", "no such month"},
      {"Sun, 00 Nov 1994 08:49:37 GMT", "day 0"},
      {"Sun, 31 Nov 1994 08:49:37 GMT", "November has 30 days"},
      {"Sun, 06 Nov 1994 24:00:00 GMT", "hour 24"},
      {"Sun, 06 Nov 1994 08:60:00 GMT", "minute 60"},
      {"Sun, 06 Nov 1994 08:49:61 GMT", "second 61"},
      {"Sun, 06 Nov 1994 08:4a:37 GMT", "not a digit"},
      {"Sun,06 Nov 1994 08:49:37 GMT", "no space after the comma"},
      {"Sun, 06 Nov 1994 08-49-37 GMT", "not colons"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseRetryAfter(c.value, kNow), std::nullopt) << c.value << ": " << c.wrong;
  }
}

TEST(RetriableTest, RetriesOnlyUnavailableDeadlineExceededAndResourceExhaustedGrpcCodes) {
  for (int code = -1; code <= 17; ++code) {
    const bool expected = code == 4 || code == 8 || code == 14;
    EXPECT_EQ(IsRetriableGrpcCode(code), expected) << "code " << code;
  }
}

TEST(RetriableTest, RetriesOnlyHttp429_502_503And504) {
  for (int status = 100; status < 600; ++status) {
    const bool expected = status == 429 || status == 502 || status == 503 || status == 504;
    EXPECT_EQ(IsRetriableHttpStatus(status), expected) << "status " << status;
  }
}

}  // namespace
}  // namespace chaukas::upstream
