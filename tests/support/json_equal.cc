#include "tests/support/json_equal.h"

#include <optional>
#include <string>

#include "simdjson.h"

namespace chaukas::testing {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

bool IsNumber(element_type type) {
  return type == element_type::INT64 || type == element_type::UINT64 ||
         type == element_type::DOUBLE;
}

bool NumbersEqual(const element& a, const element& b) {
  if (a.type() != element_type::DOUBLE && b.type() != element_type::DOUBLE) {
    if (a.type() == b.type()) {
      return a.type() == element_type::INT64
                 ? a.get_int64().value_unsafe() == b.get_int64().value_unsafe()
                 : a.get_uint64().value_unsafe() == b.get_uint64().value_unsafe();
    }
    return false;  // One is negative or below 2^63, the other is not.
  }
  const auto as_double = [](const element& e) {
    switch (e.type()) {
      case element_type::INT64:
        return static_cast<double>(e.get_int64().value_unsafe());
      case element_type::UINT64:
        return static_cast<double>(e.get_uint64().value_unsafe());
      default:
        return e.get_double().value_unsafe();
    }
  };
  return as_double(a) == as_double(b);
}

// The path and description of the first difference, or nullopt when equal.
std::optional<std::string> FirstDifference(const element& actual, const element& expected,
                                           const std::string& path) {
  const auto differ = [&](const std::string& where) {
    return where + ": " + simdjson::minify(actual) + " vs " + simdjson::minify(expected);
  };
  if (IsNumber(actual.type()) && IsNumber(expected.type())) {
    if (NumbersEqual(actual, expected)) return std::nullopt;
    return differ(path);
  }
  if (actual.type() != expected.type()) return differ(path);
  switch (actual.type()) {
    case element_type::OBJECT: {
      const auto actual_object = actual.get_object().value_unsafe();
      const auto expected_object = expected.get_object().value_unsafe();
      for (const auto [key, expected_value] : expected_object) {
        const std::string member_path = path + "." + std::string(key);
        const auto actual_value = actual_object.at_key(key);
        if (actual_value.error() != simdjson::SUCCESS) {
          return member_path + ": missing in actual (expected " + simdjson::minify(expected_value) +
                 ")";
        }
        if (auto difference =
                FirstDifference(actual_value.value_unsafe(), expected_value, member_path)) {
          return difference;
        }
      }
      for (const auto [key, actual_value] : actual_object) {
        if (expected_object.at_key(key).error() != simdjson::SUCCESS) {
          return path + "." + std::string(key) + ": unexpected in actual (" +
                 simdjson::minify(actual_value) + ")";
        }
      }
      return std::nullopt;
    }
    case element_type::ARRAY: {
      const auto actual_array = actual.get_array().value_unsafe();
      const auto expected_array = expected.get_array().value_unsafe();
      if (actual_array.size() != expected_array.size()) {
        return path + ": " + std::to_string(actual_array.size()) + " elements vs " +
               std::to_string(expected_array.size()) + " (" + simdjson::minify(actual) + " vs " +
               simdjson::minify(expected) + ")";
      }
      for (size_t i = 0; i < actual_array.size(); ++i) {
        if (auto difference = FirstDifference(actual_array.at(i).value_unsafe(),
                                              expected_array.at(i).value_unsafe(),
                                              path + "[" + std::to_string(i) + "]")) {
          return difference;
        }
      }
      return std::nullopt;
    }
    case element_type::STRING:
      if (actual.get_string().value_unsafe() == expected.get_string().value_unsafe()) {
        return std::nullopt;
      }
      return differ(path);
    case element_type::BOOL:
      if (actual.get_bool().value_unsafe() == expected.get_bool().value_unsafe()) {
        return std::nullopt;
      }
      return differ(path);
    default:  // null
      return std::nullopt;
  }
}

}  // namespace

::testing::AssertionResult JsonEqual(std::string_view actual, std::string_view expected) {
  // Two parsers: each keeps the document it parsed alive.
  simdjson::dom::parser actual_parser;
  simdjson::dom::parser expected_parser;
  const auto actual_root = actual_parser.parse(actual.data(), actual.size(), true);
  if (actual_root.error() != simdjson::SUCCESS) {
    return ::testing::AssertionFailure()
           << "actual is not JSON (" << simdjson::error_message(actual_root.error())
           << "): " << actual;
  }
  const auto expected_root = expected_parser.parse(expected.data(), expected.size(), true);
  if (expected_root.error() != simdjson::SUCCESS) {
    return ::testing::AssertionFailure()
           << "expected is not JSON (" << simdjson::error_message(expected_root.error())
           << "): " << expected;
  }
  if (auto difference =
          FirstDifference(actual_root.value_unsafe(), expected_root.value_unsafe(), "$")) {
    return ::testing::AssertionFailure()
           << "JSON differs at " << *difference << "\n  actual:   " << actual
           << "\n  expected: " << expected;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace chaukas::testing
