#include "gateway/pipeline/ingest_status.h"

#include <charconv>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/strings.h"

namespace chaukas::pipeline {
namespace {

constexpr char kOverloadPayload[] = "chaukas.gateway/overload";
constexpr char kRetryAfterPayload[] = "chaukas.gateway/retry_after_ms";

}  // namespace

absl::Status OverloadError(std::string_view message) {
  absl::Status status = absl::ResourceExhaustedError(ToAbsl(message));
  status.SetPayload(kOverloadPayload, absl::Cord("1"));
  return status;
}

bool IsOverload(const absl::Status& status) {
  return status.GetPayload(kOverloadPayload).has_value();
}

absl::Status RateLimitedError(std::string_view message, absl::Duration retry_after) {
  absl::Status status = absl::ResourceExhaustedError(ToAbsl(message));
  status.SetPayload(kRetryAfterPayload,
                    absl::Cord(absl::StrCat(absl::ToInt64Milliseconds(retry_after))));
  return status;
}

std::optional<absl::Duration> RetryAfter(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterPayload);  // absl::optional here, not std::
  if (!payload) return std::nullopt;
  const std::string text(*payload);
  int64_t milliseconds = 0;
  std::from_chars(text.data(), text.data() + text.size(), milliseconds);
  return absl::Milliseconds(milliseconds);
}

}  // namespace chaukas::pipeline
