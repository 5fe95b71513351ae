#pragma once

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace chaukas {

// Debian's abseil (20220623) has its own absl::string_view rather than an alias of
// std::string_view, so our std::string_view APIs convert at this one place.
inline absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }
inline std::string_view ToStd(absl::string_view text) { return {text.data(), text.size()}; }

}  // namespace chaukas
