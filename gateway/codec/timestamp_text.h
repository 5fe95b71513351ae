#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

// Time as proto3 JSON writes it: Timestamps as RFC 3339, Durations as seconds with an "s".
namespace chaukas::codec {

// RFC 3339 text for a Timestamp, in UTC with 0, 3, 6 or 9 fractional digits as protobuf
// prints it: "2025-11-24T16:00:05.123Z".
std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp);

// FormatTimestamp's text appended to `out`, from the two fields of a Timestamp. Values outside
// the valid range are still printed (years beyond 9999 get more digits) rather than refused:
// a writer has to print whatever it is handed.
void AppendTimestamp(int64_t seconds, int32_t nanos, std::string& out);

// Parses RFC 3339 ("Z" or a numeric offset, up to 9 fractional digits) within
// 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z.
[[nodiscard]] absl::Status ParseTimestamp(std::string_view text,
                                          google::protobuf::Timestamp& timestamp);

// A google.protobuf.Duration as proto3 JSON text: "-1.500s", with 0, 3, 6 or 9 fractional
// digits. Like AppendTimestamp it prints invalid values too.
void AppendDuration(int64_t seconds, int32_t nanos, std::string& out);

// Parses "<seconds>[.<up to 9 digits>]s" within +-315576000000s (10000 years).
[[nodiscard]] absl::Status ParseDuration(std::string_view text,
                                         google::protobuf::Duration& duration);

}  // namespace chaukas::codec
