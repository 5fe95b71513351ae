#include "gateway/pipeline/ingest_status.h"

#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gateway/common/strings.h"

namespace chaukas::pipeline {
namespace {

constexpr char kOverloadPayload[] = "chaukas.gateway/overload";
// "<retry_after_ms> <limit> <remaining> <reset_ms>"
constexpr char kRateLimitPayload[] = "chaukas.gateway/rate_limit";

}  // namespace

absl::Status OverloadError(std::string_view message) {
  absl::Status status = absl::ResourceExhaustedError(ToAbsl(message));
  status.SetPayload(kOverloadPayload, absl::Cord("1"));
  return status;
}

bool IsOverload(const absl::Status& status) {
  return status.GetPayload(kOverloadPayload).has_value();
}

absl::Status RateLimitedError(std::string_view message, const RateLimitInfo& info) {
  absl::Status status = absl::ResourceExhaustedError(ToAbsl(message));
  status.SetPayload(
      kRateLimitPayload,
      absl::Cord(absl::StrCat(absl::ToInt64Milliseconds(info.retry_after), " ", info.limit, " ",
                              info.remaining, " ", absl::ToInt64Milliseconds(info.reset))));
  return status;
}

std::optional<RateLimitInfo> RateLimitOf(const absl::Status& status) {
  auto payload = status.GetPayload(kRateLimitPayload);  // absl::optional here, not std::
  if (!payload) return std::nullopt;
  const std::vector<std::string> fields = absl::StrSplit(std::string(*payload), ' ');
  RateLimitInfo info;
  int64_t retry_ms = 0;
  int64_t reset_ms = 0;
  if (fields.size() != 4 || !absl::SimpleAtoi(fields[0], &retry_ms) ||
      !absl::SimpleAtod(fields[1], &info.limit) || !absl::SimpleAtod(fields[2], &info.remaining) ||
      !absl::SimpleAtoi(fields[3], &reset_ms)) {
    return std::nullopt;
  }
  info.retry_after = absl::Milliseconds(retry_ms);
  info.reset = absl::Milliseconds(reset_ms);
  return info;
}

}  // namespace chaukas::pipeline
