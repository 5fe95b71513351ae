#pragma once

#include <string>
#include <string_view>

namespace chaukas {

// Appends `text` as a JSON string literal, quotes included. Control characters become
// \uXXXX escapes; bytes that are not valid UTF-8 are replaced by U+FFFD so the output is
// always valid JSON.
void AppendJsonString(std::string_view text, std::string& out);

}  // namespace chaukas
