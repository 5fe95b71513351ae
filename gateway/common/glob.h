#pragma once

#include <string_view>

namespace chaukas {

// Shell-style match where '*' is any run of characters and '?' any one character.
// Used by routes and, later, by project allow-lists.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace chaukas
