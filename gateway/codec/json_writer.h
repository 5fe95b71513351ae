#pragma once

#include <string>

#include "google/protobuf/message.h"

namespace chaukas::codec {

// Appends `message` as canonical proto3 JSON with original (snake_case) field names and no
// whitespace: the same JSON values protobuf's own printer produces, at a fraction of its cost.
void AppendJson(const google::protobuf::Message& message, std::string& out);

inline std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  AppendJson(message, out);
  return out;
}

}  // namespace chaukas::codec
