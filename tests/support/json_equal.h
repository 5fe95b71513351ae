#pragma once

#include <string_view>

#include "gtest/gtest.h"

namespace chaukas::testing {

// Compares two JSON texts as values: object members in any order, numbers by value (3 equals
// 3.0; integers exactly, anything else as doubles). On failure the message names the path of
// the first difference and both values there, e.g. `at $.events[0].type: "A" vs "B"`.
::testing::AssertionResult JsonEqual(std::string_view actual, std::string_view expected);

}  // namespace chaukas::testing
