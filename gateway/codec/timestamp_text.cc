#include "gateway/codec/timestamp_text.h"

#include <charconv>
#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"
#include "gateway/codec/quoted.h"
#include "gateway/common/strings.h"

namespace chaukas::codec {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr int32_t kNanosPerSecond = 1'000'000'000;
// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range protobuf allows.
constexpr int64_t kMinTimestampSeconds = -62'135'596'800;
constexpr int64_t kMaxTimestampSeconds = 253'402'300'799;
constexpr int64_t kMaxDurationSeconds = 315'576'000'000;

struct CivilDate {
  int64_t year;
  int month;
  int day;
};

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, day 0 = 1970-01-01).
int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t day_of_era = days - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t shifted_month = (5 * day_of_year + 2) / 153;
  const int month = static_cast<int>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  const int day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

bool IsLeapYear(int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

void AppendDigits(uint64_t value, int width, std::string& out) {
  char digits[20];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(digits, width);
}

void AppendInteger(uint64_t value, std::string& out) {
  char digits[20];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, result.ptr);
}

// ".123", ".123456" or ".123456789" (nothing for 0), as protobuf prints fractions.
void AppendFraction(int32_t nanos, std::string& out) {
  if (nanos == 0) return;
  out += '.';
  if (nanos % 1'000'000 == 0) {
    AppendDigits(nanos / 1'000'000, 3, out);
  } else if (nanos % 1'000 == 0) {
    AppendDigits(nanos / 1'000, 6, out);
  } else {
    AppendDigits(nanos, 9, out);
  }
}

// Moves whole seconds out of `nanos` so that |nanos| < 1s, saturating `seconds`.
void CarryNanos(int64_t& seconds, int32_t& nanos) {
  const int64_t carry = nanos / kNanosPerSecond;
  nanos %= kNanosPerSecond;
  if (__builtin_add_overflow(seconds, carry, &seconds)) {
    seconds = carry > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
}

// Reads RFC 3339 text left to right; each method consumes input only when it matches.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool Digits(int count, int& value) {
    if (text_.size() - position_ < static_cast<size_t>(count)) return false;
    value = 0;
    for (int i = 0; i < count; ++i) {
      const char c = text_[position_ + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    position_ += count;
    return true;
  }
  bool Char(char expected) { return CharIn(expected, expected); }
  // Either of two characters ('T' or 't', '+' or '-').
  bool CharIn(char one, char other) {
    if (AtEnd() || (text_[position_] != one && text_[position_] != other)) return false;
    last_ = text_[position_++];
    return true;
  }
  // Up to 9 digits read as nanoseconds; `count` says how many there were.
  void Fraction(int32_t& nanos, int& count) {
    nanos = 0;
    count = 0;
    while (!AtEnd() && text_[position_] >= '0' && text_[position_] <= '9') {
      if (count < 9) nanos = nanos * 10 + (text_[position_] - '0');
      ++count;
      ++position_;
    }
    for (int i = count; i < 9; ++i) nanos *= 10;
  }
  bool AtEnd() const { return position_ == text_.size(); }
  char last() const { return last_; }

 private:
  std::string_view text_;
  size_t position_ = 0;
  char last_ = '\0';
};

absl::Status TimestampError(std::string_view text, std::string_view reason = {}) {
  return absl::InvalidArgumentError(
      absl::StrCat("not an RFC 3339 timestamp: ", Quoted(text),
                   reason.empty() ? "" : absl::StrCat(" (", ToAbsl(reason), ")")));
}

}  // namespace

void AppendTimestamp(int64_t seconds, int32_t nanos, std::string& out) {
  CarryNanos(seconds, nanos);
  if (nanos < 0) {
    // Borrow a second so that 0 <= nanos < 1s; at the very bottom of the range drop the nanos.
    if (seconds == std::numeric_limits<int64_t>::min()) {
      nanos = 0;
    } else {
      --seconds;
      nanos += kNanosPerSecond;
    }
  }
  const int64_t seconds_of_day = (seconds % kSecondsPerDay + kSecondsPerDay) % kSecondsPerDay;
  const int64_t days = seconds / kSecondsPerDay - (seconds % kSecondsPerDay < 0 ? 1 : 0);
  const CivilDate date = CivilFromDays(days);
  if (date.year >= 0 && date.year <= 9999) {
    AppendDigits(date.year, 4, out);
  } else {
    if (date.year < 0) out += '-';
    AppendInteger(date.year < 0 ? 0 - static_cast<uint64_t>(date.year) : date.year, out);
  }
  out += '-';
  AppendDigits(date.month, 2, out);
  out += '-';
  AppendDigits(date.day, 2, out);
  out += 'T';
  AppendDigits(seconds_of_day / 3600, 2, out);
  out += ':';
  AppendDigits(seconds_of_day / 60 % 60, 2, out);
  out += ':';
  AppendDigits(seconds_of_day % 60, 2, out);
  AppendFraction(nanos, out);
  out += 'Z';
}

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp) {
  std::string out;
  AppendTimestamp(timestamp.seconds(), timestamp.nanos(), out);
  return out;
}

absl::Status ParseTimestamp(std::string_view text, google::protobuf::Timestamp& timestamp) {
  Scanner scanner(text);
  int year, month, day, hour, minute, second;
  const bool date_ok = scanner.Digits(4, year) && scanner.Char('-') && scanner.Digits(2, month) &&
                       scanner.Char('-') && scanner.Digits(2, day) && scanner.CharIn('T', 't') &&
                       scanner.Digits(2, hour) && scanner.Char(':') && scanner.Digits(2, minute) &&
                       scanner.Char(':') && scanner.Digits(2, second);
  if (!date_ok) return TimestampError(text);
  int32_t nanos = 0;
  if (scanner.Char('.')) {
    int fraction_digits;
    scanner.Fraction(nanos, fraction_digits);
    if (fraction_digits == 0) return TimestampError(text);
    if (fraction_digits > 9) return TimestampError(text, "more than 9 fractional digits");
  }
  int offset_minutes = 0;
  if (scanner.CharIn('+', '-')) {
    const bool negative = scanner.last() == '-';
    int offset_hour, offset_minute;
    if (!(scanner.Digits(2, offset_hour) && scanner.Char(':') &&
          scanner.Digits(2, offset_minute))) {
      return TimestampError(text);
    }
    if (offset_hour > 23 || offset_minute > 59) return TimestampError(text, "offset out of range");
    offset_minutes = (negative ? -1 : 1) * (offset_hour * 60 + offset_minute);
  } else if (!scanner.CharIn('Z', 'z')) {
    return TimestampError(text);
  }
  if (!scanner.AtEnd()) return TimestampError(text);

  if (month < 1 || month > 12) return TimestampError(text, "month out of range");
  if (day < 1 || day > DaysInMonth(year, month)) return TimestampError(text, "day out of range");
  if (hour > 23) return TimestampError(text, "hour out of range");
  if (minute > 59) return TimestampError(text, "minute out of range");
  if (second > 59) return TimestampError(text, "second out of range");

  const int64_t seconds = DaysFromCivil(year, month, day) * kSecondsPerDay + int64_t{hour} * 3600 +
                          int64_t{minute} * 60 + second - int64_t{offset_minutes} * 60;
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds) {
    return TimestampError(text, "outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z");
  }
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(nanos);
  return absl::OkStatus();
}

void AppendDuration(int64_t seconds, int32_t nanos, std::string& out) {
  CarryNanos(seconds, nanos);
  // Make both fields carry the same sign, as a valid Duration does.
  if (seconds > 0 && nanos < 0) {
    --seconds;
    nanos += kNanosPerSecond;
  } else if (seconds < 0 && nanos > 0) {
    ++seconds;
    nanos -= kNanosPerSecond;
  }
  if (seconds < 0 || nanos < 0) out += '-';
  AppendInteger(seconds < 0 ? 0 - static_cast<uint64_t>(seconds) : seconds, out);
  AppendFraction(nanos < 0 ? -nanos : nanos, out);
  out += 's';
}

absl::Status ParseDuration(std::string_view text, google::protobuf::Duration& duration) {
  const auto error = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("not a duration: ", Quoted(text), R"( (expected seconds like "1.5s"))"));
  };
  std::string_view rest = text;
  const bool negative = !rest.empty() && rest.front() == '-';
  if (negative) rest.remove_prefix(1);
  if (rest.size() < 2 || rest.back() != 's' || rest.front() < '0' || rest.front() > '9') {
    return error();
  }
  rest.remove_suffix(1);
  uint64_t seconds = 0;
  const auto [end, status] = std::from_chars(rest.data(), rest.data() + rest.size(), seconds);
  if (status != std::errc() || seconds > kMaxDurationSeconds) return error();
  rest.remove_prefix(end - rest.data());
  int32_t nanos = 0;
  if (!rest.empty()) {
    if (rest.front() != '.' || rest.size() < 2 || rest.size() > 10) return error();
    Scanner scanner(rest.substr(1));
    int fraction_digits;
    scanner.Fraction(nanos, fraction_digits);
    if (!scanner.AtEnd()) return error();
  }
  duration.set_seconds(negative ? -static_cast<int64_t>(seconds) : static_cast<int64_t>(seconds));
  duration.set_nanos(negative ? -nanos : nanos);
  return absl::OkStatus();
}

}  // namespace chaukas::codec
