#include "gateway/upstream/backoff.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "absl/numeric/int128.h"
#include "absl/time/civil_time.h"

namespace chaukas::upstream {
namespace {

constexpr int64_t kMaxDeltaSeconds = int64_t{1} << 31;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view TrimWhitespace(std::string_view text) {
  constexpr std::string_view kWhitespace = " \t";
  const size_t begin = text.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kWhitespace) - begin + 1);
}

// delta-seconds = 1*DIGIT
std::optional<absl::Duration> ParseDeltaSeconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t seconds = 0;
  for (const char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    seconds = std::min(kMaxDeltaSeconds, seconds * 10 + (c - '0'));
  }
  return absl::Seconds(seconds);
}

// The value of the `digits` decimal digits at text[pos], or -1 when they are not all digits.
int ParseFixedDigits(std::string_view text, size_t pos, size_t digits) {
  int value = 0;
  for (size_t i = pos; i < pos + digits; ++i) {
    if (!IsDigit(text[i])) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// The index of `text` in `names`, or -1.
template <size_t N>
int IndexOf(const std::array<std::string_view, N>& names, std::string_view text) {
  const auto it = std::find(names.begin(), names.end(), text);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

// IMF-fixdate = day-name "," SP day SP month SP year SP hour ":" minute ":" second SP "GMT",
// every field fixed-width: "Sun, 06 Nov 1994 08:49:37 GMT". The day name is checked for being
// one, not for matching the date.
std::optional<absl::Time> ParseImfFixdate(std::string_view text) {
  static constexpr std::array<std::string_view, 7> kDayNames = {"Mon", "Tue", "Wed", "Thu",
                                                                "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonthNames = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  constexpr std::string_view kShape = "Ddd, dd Mmm yyyy hh:mm:ss GMT";
  if (text.size() != kShape.size() || IndexOf(kDayNames, text.substr(0, 3)) < 0 ||
      text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' || text[16] != ' ' ||
      text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  const int day = ParseFixedDigits(text, 5, 2);
  const int month = IndexOf(kMonthNames, text.substr(8, 3)) + 1;
  const int year = ParseFixedDigits(text, 12, 4);
  const int hour = ParseFixedDigits(text, 17, 2);
  const int minute = ParseFixedDigits(text, 20, 2);
  const int second = ParseFixedDigits(text, 23, 2);
  // RFC 5322, which IMF-fixdate comes from, allows a leap second (60); CivilSecond carries it
  // into the next minute.
  if (day < 1 || month < 1 || year < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      second < 0 || second > 60) {
    return std::nullopt;
  }
  // CivilDay normalizes dates such as Feb 30 to March; such dates are errors here.
  if (absl::CivilDay(year, month, day).day() != day) return std::nullopt;
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                         absl::UTCTimeZone());
}

}  // namespace

absl::Duration FullJitterBackoff(int attempt, absl::Duration initial, absl::Duration max,
                                 RandomSource& random) {
  // In nanoseconds, saturated at about 292 years, so that doubling cannot overflow below.
  const int64_t max_ns = absl::ToInt64Nanoseconds(max);
  int64_t ceiling_ns = std::min(absl::ToInt64Nanoseconds(initial), max_ns);
  if (ceiling_ns <= 0) return absl::ZeroDuration();
  for (int i = 1; i < attempt && ceiling_ns < max_ns; ++i) {
    ceiling_ns = ceiling_ns > max_ns / 2 ? max_ns : ceiling_ns * 2;
  }
  const uint64_t range = static_cast<uint64_t>(ceiling_ns) + 1;  // both ends included
  return absl::Nanoseconds(static_cast<int64_t>(RandomBelow(random, range)));
}

std::optional<absl::Duration> ParseRetryAfter(std::string_view value, absl::Time now) {
  const std::string_view text = TrimWhitespace(value);
  if (!text.empty() && IsDigit(text.front())) return ParseDeltaSeconds(text);
  const std::optional<absl::Time> date = ParseImfFixdate(text);
  if (!date.has_value()) return std::nullopt;
  return std::max(absl::ZeroDuration(), *date - now);
}

bool IsRetriableGrpcCode(int code) {
  constexpr int kDeadlineExceeded = 4;
  constexpr int kResourceExhausted = 8;
  constexpr int kUnavailable = 14;
  return code == kDeadlineExceeded || code == kResourceExhausted || code == kUnavailable;
}

bool IsRetriableHttpStatus(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

}  // namespace chaukas::upstream
