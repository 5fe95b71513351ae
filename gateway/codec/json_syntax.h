#pragma once

#include <string>
#include <string_view>

namespace chaukas::codec {

// " at line L, column C" for the first byte where `json` stops being valid JSON, or "" when
// this scan finds nothing wrong (simdjson also rejects things it does not look for, such as
// numbers out of range and lone surrogate escapes). Meant for error messages only: it is a
// plain byte-by-byte scan, far slower than simdjson.
std::string DescribeSyntaxErrorLocation(std::string_view json);

}  // namespace chaukas::codec
