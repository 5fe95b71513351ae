#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Early-return helpers for absl::Status / absl::StatusOr, as in Google's codebases.

#define CHAUKAS_STATUS_CONCAT_INNER(a, b) a##b
#define CHAUKAS_STATUS_CONCAT(a, b) CHAUKAS_STATUS_CONCAT_INNER(a, b)

#define CHAUKAS_RETURN_IF_ERROR(expr)                   \
  do {                                                  \
    if (absl::Status status_ = (expr); !status_.ok()) { \
      return status_;                                   \
    }                                                   \
  } while (false)

#define CHAUKAS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) {                                    \
    return std::move(tmp).status();                   \
  }                                                   \
  lhs = std::move(tmp).value()

#define CHAUKAS_ASSIGN_OR_RETURN(lhs, expr) \
  CHAUKAS_ASSIGN_OR_RETURN_IMPL(CHAUKAS_STATUS_CONCAT(status_or_, __LINE__), lhs, expr)
