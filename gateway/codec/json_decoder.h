#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "simdjson.h"

namespace chaukas::codec {

struct JsonDecodeOptions {
  // Unknown keys are an error by default: silently dropping audit data is worse than a 400.
  // When set, unknown keys and unknown enum names are skipped (the field stays unset), as
  // protobuf's own parser does with the same option.
  bool ignore_unknown_fields = false;
};

// Decodes JSON into protobuf messages by walking descriptors, accepting both shapes a
// Chaukas client may send, even mixed in one body:
//   - canonical proto3 JSON (full enum names, oneof members as top-level fields,
//     snake_case or lowerCamelCase names, int64 as string or number), and
//   - the OpenAPI shape (short enum names such as "SESSION_START", Event's oneof as one
//     "content" object told apart by "kind").
// Errors name the offending field path: `events[3].timestamp: not an RFC 3339 timestamp`.
// One decoder per thread: it keeps simdjson's buffers between calls. Not thread-safe.
class JsonDecoder {
 public:
  // Parses `json`, replacing the previous document.
  [[nodiscard]] absl::Status Parse(std::string_view json);
  // True when the parsed document is an object with `key` at its top level.
  bool RootHasKey(std::string_view key) const;
  // Decodes the parsed document into `message` (which may live on an Arena), replacing its
  // content as ParseFromString does. After an error `message` holds a part of the document.
  // JSON nested deeper than 100 levels is refused.
  [[nodiscard]] absl::Status Decode(google::protobuf::Message& message,
                                    const JsonDecodeOptions& options = {}) const;

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  bool parsed_ = false;
};

}  // namespace chaukas::codec
