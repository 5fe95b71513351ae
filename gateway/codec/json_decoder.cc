#include "gateway/codec/json_decoder.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gateway/codec/decode_tables.h"
#include "gateway/codec/json_syntax.h"
#include "gateway/codec/quoted.h"
#include "gateway/codec/timestamp_text.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/strings.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/struct.pb.h"

namespace chaukas::codec {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DynamicCastToGenerated;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::OneofDescriptor;
using google::protobuf::Reflection;
using simdjson::dom::element;
using simdjson::dom::element_type;

// Deeper JSON is refused before the recursive walk can exhaust the stack.
constexpr int kMaxNestingDepth = 100;

// google.protobuf.Any: {"@type": "type.googleapis.com/<full name>", ...}, and "value" holding
// the JSON of a well-known type packed in it.
constexpr std::string_view kAnyTypeKey = "@type";
constexpr std::string_view kAnyValueKey = "value";

// ---------------------------------------------------------------------------------------------
// Field paths for error messages: a chain of stack frames, turned into text only on error.

struct PathNode {
  const PathNode* parent;
  std::string_view key;  // As the client wrote it; unused for array elements.
  size_t index = 0;
  bool is_index = false;
};

PathNode KeyNode(const PathNode* parent, std::string_view key) { return {parent, key}; }
PathNode IndexNode(const PathNode* parent, size_t index) { return {parent, {}, index, true}; }

std::string PathText(const PathNode* node) {
  std::vector<const PathNode*> nodes;
  for (; node != nullptr; node = node->parent) nodes.push_back(node);
  std::string text;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    if ((*it)->is_index) {
      absl::StrAppend(&text, "[", (*it)->index, "]");
    } else {
      absl::StrAppend(&text, text.empty() ? "" : ".", Shortened((*it)->key));
    }
  }
  return text;
}

ABSL_ATTRIBUTE_NOINLINE absl::Status Error(const PathNode* path, std::string_view message) {
  const std::string path_text = PathText(path);
  if (path_text.empty()) return absl::InvalidArgumentError(ToAbsl(message));
  return absl::InvalidArgumentError(absl::StrCat(path_text, ": ", ToAbsl(message)));
}

// The object or array of an element whose type() was checked. By value: simdjson's
// value_unsafe() returns a reference into a temporary result, which a range-for would outlive.
simdjson::dom::object AsObject(const element& json) { return json.get_object().value_unsafe(); }
simdjson::dom::array AsArray(const element& json) { return json.get_array().value_unsafe(); }

std::string_view Describe(const element& json) {
  switch (json.type()) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
    default:
      return "a number";
  }
}

ABSL_ATTRIBUTE_NOINLINE absl::Status TypeError(const PathNode* path, std::string_view expected,
                                               const element& json) {
  return Error(path, absl::StrCat("expected ", ToAbsl(expected), ", got ", ToAbsl(Describe(json))));
}

// The number as the error message shows it.
std::string NumberText(const element& json) {
  char digits[32];
  std::to_chars_result result{};
  switch (json.type()) {
    case element_type::INT64:
      result = std::to_chars(digits, digits + sizeof(digits), json.get_int64().value_unsafe());
      break;
    case element_type::UINT64:
      result = std::to_chars(digits, digits + sizeof(digits), json.get_uint64().value_unsafe());
      break;
    case element_type::DOUBLE:
      result = std::to_chars(digits, digits + sizeof(digits), json.get_double().value_unsafe());
      break;
    default:
      return Quoted(json.get_string().value_unsafe());
  }
  return std::string(digits, result.ptr);
}

ABSL_ATTRIBUTE_NOINLINE absl::Status OutOfRange(const PathNode* path, const element& json,
                                                std::string_view type_name) {
  return Error(path, absl::StrCat(NumberText(json), " is out of range for ", ToAbsl(type_name)));
}

bool IsAcceptedByNull(const FieldEntry& entry) {
  const FieldDescriptor& field = *entry.field;
  return (field.message_type() != nullptr &&
          field.message_type()->well_known_type() == Descriptor::WELLKNOWNTYPE_VALUE) ||
         field.enum_type() == google::protobuf::NullValue_descriptor();
}

// ---------------------------------------------------------------------------------------------
// Scalars.

std::optional<double> ParseDoubleText(std::string_view text) {
  double value;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

template <typename Integer>
std::optional<Integer> IntegerFromDouble(double value) {
  // Both bounds are powers of two (or zero), so they are exact as doubles.
  const double lower = static_cast<double>(std::numeric_limits<Integer>::min());
  const double upper = std::ldexp(1.0, std::numeric_limits<Integer>::digits);
  if (!(value >= lower && value < upper)) return std::nullopt;
  return static_cast<Integer>(value);
}

bool IsIntegral(double value) { return std::isfinite(value) && std::trunc(value) == value; }

// A JSON number, or a string holding one, as an integer of type Integer.
template <typename Integer>
absl::StatusOr<Integer> ReadInteger(const element& json, const PathNode* path,
                                    std::string_view type_name) {
  switch (json.type()) {
    case element_type::INT64: {
      const int64_t value = json.get_int64().value_unsafe();
      if (!std::in_range<Integer>(value)) return OutOfRange(path, json, type_name);
      return static_cast<Integer>(value);
    }
    case element_type::UINT64: {
      const uint64_t value = json.get_uint64().value_unsafe();
      if (!std::in_range<Integer>(value)) return OutOfRange(path, json, type_name);
      return static_cast<Integer>(value);
    }
    case element_type::DOUBLE: {
      const double value = json.get_double().value_unsafe();
      if (!IsIntegral(value)) {
        return Error(path, absl::StrCat(NumberText(json), " is not an integer"));
      }
      const std::optional<Integer> integer = IntegerFromDouble<Integer>(value);
      if (!integer.has_value()) return OutOfRange(path, json, type_name);
      return *integer;
    }
    case element_type::STRING: {
      const std::string_view text = json.get_string().value_unsafe();
      Integer value;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error == std::errc() && end == text.data() + text.size()) return value;
      if (error == std::errc::result_out_of_range) return OutOfRange(path, json, type_name);
      // "1e3" or "5.0": accepted when integral, as the same text is as a JSON number.
      const std::optional<double> number = ParseDoubleText(text);
      if (!number.has_value() || !IsIntegral(*number)) {
        return Error(path, absl::StrCat(Quoted(text), " is not an integer"));
      }
      const std::optional<Integer> integer = IntegerFromDouble<Integer>(*number);
      if (!integer.has_value()) return OutOfRange(path, json, type_name);
      return *integer;
    }
    default:
      return TypeError(path, "an integer", json);
  }
}

// A JSON number of any of simdjson's three kinds, as a double.
double NumberValue(const element& json) {
  switch (json.type()) {
    case element_type::INT64:
      return static_cast<double>(json.get_int64().value_unsafe());
    case element_type::UINT64:
      return static_cast<double>(json.get_uint64().value_unsafe());
    default:
      return json.get_double().value_unsafe();
  }
}

absl::StatusOr<double> ReadDouble(const element& json, const PathNode* path) {
  switch (json.type()) {
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return NumberValue(json);
    case element_type::STRING: {
      const std::string_view text = json.get_string().value_unsafe();
      if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
      if (text == "Infinity") return std::numeric_limits<double>::infinity();
      if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
      // from_chars also reads "inf" and "nan"; only the spellings above are proto3 JSON.
      const std::optional<double> number = ParseDoubleText(text);
      if (!number.has_value() || !std::isfinite(*number)) {
        return Error(path, absl::StrCat(Quoted(text), " is not a number"));
      }
      return *number;
    }
    default:
      return TypeError(path, "a number", json);
  }
}

absl::StatusOr<float> ReadFloat(const element& json, const PathNode* path) {
  CHAUKAS_ASSIGN_OR_RETURN(const double value, ReadDouble(json, path));
  if (std::isfinite(value) && std::fabs(value) > std::numeric_limits<float>::max()) {
    return OutOfRange(path, json, "float");
  }
  return static_cast<float>(value);
}

absl::StatusOr<bool> ReadBool(const element& json, const PathNode* path) {
  if (json.type() != element_type::BOOL) return TypeError(path, "true or false", json);
  return json.get_bool().value_unsafe();
}

absl::StatusOr<std::string_view> ReadString(const element& json, const PathNode* path) {
  if (json.type() != element_type::STRING) return TypeError(path, "a string", json);
  return json.get_string().value_unsafe();
}

// Standard or URL-safe base64, padding optional.
absl::StatusOr<std::string> ReadBytes(const element& json, const PathNode* path) {
  CHAUKAS_ASSIGN_OR_RETURN(const std::string_view text, ReadString(json, path));
  const bool url_safe = text.find_first_of("-_") != std::string_view::npos;
  std::string bytes;
  const bool ok = url_safe ? absl::WebSafeBase64Unescape(ToAbsl(text), &bytes)
                           : absl::Base64Unescape(ToAbsl(text), &bytes);
  if (!ok) return Error(path, "not valid base64");
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// The walk.

// Which fields one JSON object has set, to reject duplicate keys without allocating.
class SeenFields {
 public:
  explicit SeenFields(size_t count) : words_((count + 63) / 64) {}
  // False when `index` was already marked.
  bool Mark(size_t index) {
    uint64_t& word = words_[index / 64];
    const uint64_t bit = uint64_t{1} << (index % 64);
    if ((word & bit) != 0) return false;
    word |= bit;
    return true;
  }

 private:
  absl::InlinedVector<uint64_t, 4> words_;
};

// One Decode call: the options plus the recursive walk over simdjson's DOM.
class Walker {
 public:
  explicit Walker(const JsonDecodeOptions& options) : options_(options) {}

  // `depth` is the nesting level `json` has when it is an object or array (the root is 1).
  absl::Status DecodeMessage(const element& json, Message& message, const MessageTable& table,
                             const PathNode* path, int depth) {
    switch (table.descriptor->well_known_type()) {
      case Descriptor::WELLKNOWNTYPE_TIMESTAMP:
        return DecodeTimestamp(json, message, path);
      case Descriptor::WELLKNOWNTYPE_DURATION:
        return DecodeDuration(json, message, path);
      case Descriptor::WELLKNOWNTYPE_FIELDMASK:
        return DecodeFieldMask(json, message, path);
      // Struct, Value and ListValue are filled through their generated classes, which every
      // generated message holds: filling a map by reflection goes through a repeated-field copy
      // of it. Dynamic messages take the reflection path.
      case Descriptor::WELLKNOWNTYPE_STRUCT:
        if (auto* generated = DynamicCastToGenerated<google::protobuf::Struct>(&message)) {
          return DecodeStruct(json, *generated, path, depth);
        }
        return DecodeMap(json, message, table.fields[0], path, depth);
      case Descriptor::WELLKNOWNTYPE_VALUE:
        if (auto* generated = DynamicCastToGenerated<google::protobuf::Value>(&message)) {
          return DecodeValue(json, *generated, path, depth);
        }
        return StoreValue(json, message, ValueMemberFor(json, table), /*append=*/false, path,
                          depth);
      case Descriptor::WELLKNOWNTYPE_LISTVALUE:
        if (auto* generated = DynamicCastToGenerated<google::protobuf::ListValue>(&message)) {
          return DecodeList(json, *generated, path, depth);
        }
        return DecodeRepeated(json, message, table.fields[0], path, depth);
      case Descriptor::WELLKNOWNTYPE_ANY:
        return DecodeAny(json, message, path, depth);
      case Descriptor::WELLKNOWNTYPE_UNSPECIFIED:
        break;
      default:  // The wrappers (DoubleValue, ...): their `value` field, bare.
        return StoreValue(json, message, table.fields[0], /*append=*/false, path, depth);
    }
    if (json.type() != element_type::OBJECT) return TypeError(path, "an object", json);
    return DecodeObject(AsObject(json), message, table, path, depth, {});
  }

 private:
  // Decodes every key of `json` into a field of `message`, except `skip_key` (Any's "@type",
  // the "kind" of Event.content) which the caller has read.
  absl::Status DecodeObject(const simdjson::dom::object& json, Message& message,
                            const MessageTable& table, const PathNode* path, int depth,
                            std::string_view skip_key) {
    if (depth > kMaxNestingDepth) return NestingError(path);
    // One slot per field plus one for Event's "content" object.
    SeenFields seen(table.fields.size() + 1);
    for (const simdjson::dom::key_value_pair member : json) {
      const std::string_view key = member.key;
      if (!skip_key.empty() && key == skip_key) continue;
      const PathNode node = KeyNode(path, key);
      if (const FieldEntry* found = table.FindField(key); found != nullptr) {
        const FieldEntry& entry = *found;
        if (!seen.Mark(entry.index)) return DuplicateKey(&node);
        CHAUKAS_RETURN_IF_ERROR(DecodeField(member.value, message, entry, &node, depth + 1));
      } else if (!table.content_kinds.empty() && key == kEventContentKey) {
        if (!seen.Mark(table.fields.size())) return DuplicateKey(&node);
        CHAUKAS_RETURN_IF_ERROR(DecodeContent(member.value, message, table, &node, depth + 1));
      } else if (!options_.ignore_unknown_fields) {
        return Error(&node, absl::StrCat("unknown field of ", table.descriptor->full_name()));
      }
    }
    return absl::OkStatus();
  }

  absl::Status DecodeField(const element& json, Message& message, const FieldEntry& entry,
                           const PathNode* path, int depth) {
    const FieldDescriptor* field = entry.field;
    // null means unset, or an empty list or map; only Value and NullValue hold a JSON null.
    if (json.is_null() && (field->is_repeated() || !IsAcceptedByNull(entry))) {
      return absl::OkStatus();
    }
    if (field->is_map()) return DecodeMap(json, message, entry, path, depth);
    if (field->is_repeated()) return DecodeRepeated(json, message, entry, path, depth);
    if (const OneofDescriptor* oneof = field->real_containing_oneof();
        oneof != nullptr && message.GetReflection()->HasOneof(message, oneof)) {
      return OneofConflict(path, *oneof);
    }
    return StoreValue(json, message, entry, /*append=*/false, path, depth);
  }

  // The OpenAPI shape's {"kind": "...", ...} object for Event's oneof `content`.
  absl::Status DecodeContent(const element& json, Message& event, const MessageTable& table,
                             const PathNode* path, int depth) {
    if (json.is_null()) return absl::OkStatus();
    if (json.type() != element_type::OBJECT) return TypeError(path, "an object", json);
    const simdjson::dom::object object = AsObject(json);
    const PathNode kind_node = KeyNode(path, kEventContentKindKey);
    std::optional<element> kind_json;
    for (const simdjson::dom::key_value_pair member : object) {
      if (member.key != kEventContentKindKey) continue;
      if (kind_json.has_value()) return DuplicateKey(&kind_node);
      kind_json = member.value;
    }
    if (!kind_json.has_value()) {
      return Error(path,
                   absl::StrCat("missing \"kind\"; expected one of ", table.content_kind_list));
    }
    CHAUKAS_ASSIGN_OR_RETURN(const std::string_view kind, ReadString(*kind_json, &kind_node));
    const FieldEntry* member = nullptr;
    for (const ContentKind& candidate : table.content_kinds) {
      if (candidate.kind == kind) member = candidate.member;
    }
    if (member == nullptr) {
      return Error(&kind_node, absl::StrCat("unknown kind ", Quoted(kind), "; expected one of ",
                                            table.content_kind_list));
    }
    const Reflection& reflection = *event.GetReflection();
    const OneofDescriptor& oneof = *member->field->containing_oneof();
    if (reflection.HasOneof(event, &oneof)) return OneofConflict(path, oneof);
    return DecodeObject(object, *reflection.MutableMessage(&event, member->field), *member->message,
                        path, depth, kEventContentKindKey);
  }

  absl::Status DecodeRepeated(const element& json, Message& message, const FieldEntry& entry,
                              const PathNode* path, int depth) {
    if (json.type() != element_type::ARRAY) return TypeError(path, "an array", json);
    if (depth > kMaxNestingDepth) return NestingError(path);
    size_t index = 0;
    for (const element item : AsArray(json)) {
      const PathNode node = IndexNode(path, index++);
      if (item.is_null() && !IsAcceptedByNull(entry)) {
        return Error(&node, "null is not allowed in a list");
      }
      CHAUKAS_RETURN_IF_ERROR(StoreValue(item, message, entry, /*append=*/true, &node, depth + 1));
    }
    return absl::OkStatus();
  }

  absl::Status DecodeMap(const element& json, Message& message, const FieldEntry& entry,
                         const PathNode* path, int depth) {
    if (json.type() != element_type::OBJECT) return TypeError(path, "an object", json);
    if (depth > kMaxNestingDepth) return NestingError(path);
    const simdjson::dom::object object = AsObject(json);
    const FieldEntry& key_entry = entry.message->fields[0];
    const FieldEntry& value_entry = entry.message->fields[1];
    const Reflection& reflection = *message.GetReflection();
    absl::flat_hash_set<std::string_view> keys;
    for (const simdjson::dom::key_value_pair member : object) {
      const PathNode node = KeyNode(path, member.key);
      if (!keys.insert(member.key).second) return DuplicateKey(&node);
      if (member.value.is_null() && !IsAcceptedByNull(value_entry)) {
        return Error(&node, "null is not allowed as a map value");
      }
      Message& map_entry = *reflection.AddMessage(&message, entry.field);
      CHAUKAS_RETURN_IF_ERROR(SetMapKey(member.key, map_entry, *key_entry.field, &node));
      CHAUKAS_RETURN_IF_ERROR(
          StoreValue(member.value, map_entry, value_entry, /*append=*/false, &node, depth + 1));
    }
    return absl::OkStatus();
  }

  // Map keys are JSON strings whatever the key type.
  absl::Status SetMapKey(std::string_view key, Message& map_entry, const FieldDescriptor& field,
                         const PathNode* path) {
    const Reflection& reflection = *map_entry.GetReflection();
    const auto key_error = [&](std::string_view expected) {
      return Error(path, absl::StrCat("map key ", Quoted(key), " is not ", ToAbsl(expected)));
    };
    const auto parse = [&](auto& value) {
      const auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), value);
      return error == std::errc() && end == key.data() + key.size();
    };
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        reflection.SetString(&map_entry, &field, std::string(key));
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_BOOL:
        if (key != "true" && key != "false") return key_error("true or false");
        reflection.SetBool(&map_entry, &field, key == "true");
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t value;
        if (!parse(value)) return key_error("an int32");
        reflection.SetInt32(&map_entry, &field, value);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t value;
        if (!parse(value)) return key_error("an int64");
        reflection.SetInt64(&map_entry, &field, value);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint32_t value;
        if (!parse(value)) return key_error("a uint32");
        reflection.SetUInt32(&map_entry, &field, value);
        return absl::OkStatus();
      }
      default: {  // Keys can only be integers, bools and strings.
        uint64_t value;
        if (!parse(value)) return key_error("a uint64");
        reflection.SetUInt64(&map_entry, &field, value);
        return absl::OkStatus();
      }
    }
  }

  // Sets the singular field, or with `append` adds an element to the repeated one.
  absl::Status StoreValue(const element& json, Message& message, const FieldEntry& entry,
                          bool append, const PathNode* path, int depth) {
    const Reflection& r = *message.GetReflection();
    const FieldDescriptor* field = entry.field;
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        CHAUKAS_ASSIGN_OR_RETURN(const int32_t value, ReadInteger<int32_t>(json, path, "int32"));
        append ? r.AddInt32(&message, field, value) : r.SetInt32(&message, field, value);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        CHAUKAS_ASSIGN_OR_RETURN(const int64_t value, ReadInteger<int64_t>(json, path, "int64"));
        append ? r.AddInt64(&message, field, value) : r.SetInt64(&message, field, value);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        CHAUKAS_ASSIGN_OR_RETURN(const uint32_t value, ReadInteger<uint32_t>(json, path, "uint32"));
        append ? r.AddUInt32(&message, field, value) : r.SetUInt32(&message, field, value);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        CHAUKAS_ASSIGN_OR_RETURN(const uint64_t value, ReadInteger<uint64_t>(json, path, "uint64"));
        append ? r.AddUInt64(&message, field, value) : r.SetUInt64(&message, field, value);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        CHAUKAS_ASSIGN_OR_RETURN(const double value, ReadDouble(json, path));
        append ? r.AddDouble(&message, field, value) : r.SetDouble(&message, field, value);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_FLOAT: {
        CHAUKAS_ASSIGN_OR_RETURN(const float value, ReadFloat(json, path));
        append ? r.AddFloat(&message, field, value) : r.SetFloat(&message, field, value);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        CHAUKAS_ASSIGN_OR_RETURN(const bool value, ReadBool(json, path));
        append ? r.AddBool(&message, field, value) : r.SetBool(&message, field, value);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        CHAUKAS_ASSIGN_OR_RETURN(const std::optional<int> value,
                                 ReadEnum(json, *entry.enum_table, path));
        if (!value.has_value()) return absl::OkStatus();
        append ? r.AddEnumValue(&message, field, *value) : r.SetEnumValue(&message, field, *value);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string value;
        if (field->type() == FieldDescriptor::TYPE_BYTES) {
          CHAUKAS_ASSIGN_OR_RETURN(value, ReadBytes(json, path));
        } else {
          CHAUKAS_ASSIGN_OR_RETURN(const std::string_view text, ReadString(json, path));
          value.assign(text);
        }
        append ? r.AddString(&message, field, std::move(value))
               : r.SetString(&message, field, std::move(value));
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        Message* child = append ? r.AddMessage(&message, field) : r.MutableMessage(&message, field);
        return DecodeMessage(json, *child, *entry.message, path, depth);
      }
    }
    return absl::OkStatus();
  }

  // The enum number for a full or short name, or a number. nullopt: an unknown name that
  // ignore_unknown_fields lets through (the field stays unset, as protobuf's parser does).
  absl::StatusOr<std::optional<int>> ReadEnum(const element& json, const EnumTable& table,
                                              const PathNode* path) {
    switch (json.type()) {
      case element_type::STRING: {
        const std::string_view name = json.get_string().value_unsafe();
        if (const int* number = table.FindNumber(name); number != nullptr) return *number;
        // A number in a string ("3"), which protobuf's own parser also accepts.
        int number;
        const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), number);
        if (error == std::errc() && end == name.data() + name.size()) return number;
        if (options_.ignore_unknown_fields) return std::nullopt;
        return NotAnEnumValue(path, Quoted(name), table);
      }
      case element_type::INT64:
      case element_type::UINT64:
      case element_type::DOUBLE: {
        // Every int32 is exact as a double, so this is exact for every number it accepts.
        const double value = NumberValue(json);
        if (const std::optional<int> number = IntegerFromDouble<int>(value);
            IsIntegral(value) && number.has_value()) {
          return *number;
        }
        return NotAnEnumValue(path, NumberText(json), table);
      }
      case element_type::NULL_VALUE:  // Only google.protobuf.NullValue gets here.
        return 0;
      default:
        return TypeError(path, "a string or number", json);
    }
  }

  absl::Status DecodeTimestamp(const element& json, Message& message, const PathNode* path) {
    CHAUKAS_ASSIGN_OR_RETURN(const std::string_view text, ReadString(json, path));
    google::protobuf::Timestamp timestamp;
    if (const absl::Status status = ParseTimestamp(text, timestamp); !status.ok()) {
      return Error(path, ToStd(status.message()));
    }
    SetSecondsAndNanos(message, timestamp.seconds(), timestamp.nanos());
    return absl::OkStatus();
  }

  absl::Status DecodeDuration(const element& json, Message& message, const PathNode* path) {
    CHAUKAS_ASSIGN_OR_RETURN(const std::string_view text, ReadString(json, path));
    google::protobuf::Duration duration;
    if (const absl::Status status = ParseDuration(text, duration); !status.ok()) {
      return Error(path, ToStd(status.message()));
    }
    SetSecondsAndNanos(message, duration.seconds(), duration.nanos());
    return absl::OkStatus();
  }

  // Timestamp and Duration, by reflection so that dynamic messages work too.
  static void SetSecondsAndNanos(Message& message, int64_t seconds, int32_t nanos) {
    const Reflection& reflection = *message.GetReflection();
    reflection.SetInt64(&message, message.GetDescriptor()->field(0), seconds);
    reflection.SetInt32(&message, message.GetDescriptor()->field(1), nanos);
  }

  // "a.b,fooBar" -> paths ["a.b", "foo_bar"].
  absl::Status DecodeFieldMask(const element& json, Message& message, const PathNode* path) {
    CHAUKAS_ASSIGN_OR_RETURN(const std::string_view text, ReadString(json, path));
    const Reflection& reflection = *message.GetReflection();
    const FieldDescriptor* paths = message.GetDescriptor()->field(0);
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find(',', start);
      if (end == std::string_view::npos) end = text.size();
      std::string snake;
      for (const char c : text.substr(start, end - start)) {
        if (c >= 'A' && c <= 'Z') {
          snake += '_';
          snake += static_cast<char>(c - 'A' + 'a');
        } else {
          snake += c;
        }
      }
      reflection.AddString(&message, paths, std::move(snake));
      start = end + 1;
    }
    return absl::OkStatus();
  }

  // The member of Value's oneof that holds `json`.
  static const FieldEntry& ValueMemberFor(const element& json, const MessageTable& value_table) {
    std::string_view member;
    switch (json.type()) {
      case element_type::NULL_VALUE:
        member = "null_value";
        break;
      case element_type::BOOL:
        member = "bool_value";
        break;
      case element_type::STRING:
        member = "string_value";
        break;
      case element_type::OBJECT:
        member = "struct_value";
        break;
      case element_type::ARRAY:
        member = "list_value";
        break;
      default:
        member = "number_value";
    }
    return *value_table.FindField(member);
  }

  absl::Status DecodeStruct(const element& json, google::protobuf::Struct& message,
                            const PathNode* path, int depth) {
    if (json.type() != element_type::OBJECT) return TypeError(path, "an object", json);
    if (depth > kMaxNestingDepth) return NestingError(path);
    auto& fields = *message.mutable_fields();
    for (const simdjson::dom::key_value_pair member : AsObject(json)) {
      const PathNode node = KeyNode(path, member.key);
      const auto [it, inserted] = fields.try_emplace(std::string(member.key));
      if (!inserted) return DuplicateKey(&node);
      CHAUKAS_RETURN_IF_ERROR(DecodeValue(member.value, it->second, &node, depth + 1));
    }
    return absl::OkStatus();
  }

  absl::Status DecodeList(const element& json, google::protobuf::ListValue& message,
                          const PathNode* path, int depth) {
    if (json.type() != element_type::ARRAY) return TypeError(path, "an array", json);
    if (depth > kMaxNestingDepth) return NestingError(path);
    size_t index = 0;
    for (const element item : AsArray(json)) {
      const PathNode node = IndexNode(path, index++);
      CHAUKAS_RETURN_IF_ERROR(DecodeValue(item, *message.add_values(), &node, depth + 1));
    }
    return absl::OkStatus();
  }

  absl::Status DecodeValue(const element& json, google::protobuf::Value& value,
                           const PathNode* path, int depth) {
    switch (json.type()) {
      case element_type::NULL_VALUE:
        value.set_null_value(google::protobuf::NULL_VALUE);
        return absl::OkStatus();
      case element_type::BOOL:
        value.set_bool_value(json.get_bool().value_unsafe());
        return absl::OkStatus();
      case element_type::STRING:
        value.set_string_value(std::string(json.get_string().value_unsafe()));
        return absl::OkStatus();
      case element_type::OBJECT:
        return DecodeStruct(json, *value.mutable_struct_value(), path, depth);
      case element_type::ARRAY:
        return DecodeList(json, *value.mutable_list_value(), path, depth);
      default:
        value.set_number_value(NumberValue(json));
        return absl::OkStatus();
    }
  }

  // {"@type": "type.googleapis.com/<full name>", ...fields} or, for a well-known type,
  // {"@type": ..., "value": <its JSON>}. The type must be linked into the binary.
  absl::Status DecodeAny(const element& json, Message& any, const PathNode* path, int depth) {
    if (json.type() != element_type::OBJECT) return TypeError(path, "an object", json);
    if (depth > kMaxNestingDepth) return NestingError(path);
    const simdjson::dom::object object = AsObject(json);
    const PathNode type_node = KeyNode(path, kAnyTypeKey);
    std::optional<element> type_json;
    for (const simdjson::dom::key_value_pair member : object) {
      if (member.key != kAnyTypeKey) continue;
      if (type_json.has_value()) return DuplicateKey(&type_node);
      type_json = member.value;
    }
    if (!type_json.has_value()) {
      if (object.size() == 0) return absl::OkStatus();
      return Error(path, "missing \"@type\"");
    }
    CHAUKAS_ASSIGN_OR_RETURN(const std::string_view type_url, ReadString(*type_json, &type_node));
    const size_t slash = type_url.rfind('/');
    const Descriptor* descriptor =
        slash == std::string_view::npos
            ? nullptr
            : google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
                  std::string(type_url.substr(slash + 1)));
    const Message* prototype =
        descriptor == nullptr
            ? nullptr
            : google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor);
    if (prototype == nullptr) {
      return Error(&type_node, absl::StrCat("unknown type ", Quoted(type_url)));
    }
    const std::unique_ptr<Message> payload(prototype->New());
    const MessageTable& table = MessageTableFor(descriptor);
    if (descriptor->well_known_type() == Descriptor::WELLKNOWNTYPE_UNSPECIFIED) {
      CHAUKAS_RETURN_IF_ERROR(DecodeObject(object, *payload, table, path, depth, kAnyTypeKey));
    } else {
      CHAUKAS_RETURN_IF_ERROR(DecodeWellKnownPayload(object, *payload, table, path, depth));
    }
    const Reflection& reflection = *any.GetReflection();
    reflection.SetString(&any, any.GetDescriptor()->field(0), std::string(type_url));
    reflection.SetString(&any, any.GetDescriptor()->field(1), SerializeDeterministically(*payload));
    return absl::OkStatus();
  }

  absl::Status DecodeWellKnownPayload(const simdjson::dom::object& object, Message& payload,
                                      const MessageTable& table, const PathNode* path, int depth) {
    bool has_value = false;
    for (const simdjson::dom::key_value_pair member : object) {
      const PathNode node = KeyNode(path, member.key);
      if (member.key == kAnyValueKey) {
        if (has_value) return DuplicateKey(&node);
        has_value = true;
        CHAUKAS_RETURN_IF_ERROR(DecodeMessage(member.value, payload, table, &node, depth + 1));
      } else if (member.key != kAnyTypeKey && !options_.ignore_unknown_fields) {
        return Error(&node, absl::StrCat("unknown field of google.protobuf.Any holding ",
                                         table.descriptor->full_name()));
      }
    }
    return absl::OkStatus();
  }

  static std::string SerializeDeterministically(const Message& message) {
    std::string bytes;
    {
      google::protobuf::io::StringOutputStream stream(&bytes);
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      message.SerializePartialToCodedStream(&coded);
    }
    return bytes;
  }

  static absl::Status NestingError(const PathNode* path) {
    return Error(path, absl::StrCat("nesting deeper than ", kMaxNestingDepth, " levels"));
  }
  static absl::Status DuplicateKey(const PathNode* path) { return Error(path, "duplicate key"); }
  static absl::Status OneofConflict(const PathNode* path, const OneofDescriptor& oneof) {
    std::string names;
    for (int i = 0; i < oneof.field_count(); ++i) {
      absl::StrAppend(&names, i == 0 ? "" : ", ", oneof.field(i)->name());
    }
    return Error(path, absl::StrCat("only one of ", names, " may be set"));
  }
  static absl::Status NotAnEnumValue(const PathNode* path, std::string_view value,
                                     const EnumTable& table) {
    return Error(
        path, absl::StrCat(ToAbsl(value), " is not a ", table.descriptor->full_name(), " value"));
  }

  const JsonDecodeOptions& options_;
};

}  // namespace

absl::Status JsonDecoder::Parse(std::string_view json) {
  parsed_ = false;
  // realloc_if_needed copies the input into the parser's own padded buffer, reused across calls.
  const auto result = parser_.parse(json.data(), json.size(), /*realloc_if_needed=*/true);
  if (result.error() != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON: ", simdjson::error_message(result.error()),
                     DescribeSyntaxErrorLocation(json)));
  }
  root_ = result.value_unsafe();
  parsed_ = true;
  return absl::OkStatus();
}

bool JsonDecoder::RootHasKey(std::string_view key) const {
  simdjson::dom::object object;
  return parsed_ && root_.get_object().get(object) == simdjson::SUCCESS &&
         object.at_key(key).error() == simdjson::SUCCESS;
}

absl::Status JsonDecoder::Decode(Message& message, const JsonDecodeOptions& options) const {
  if (!parsed_) {
    return absl::FailedPreconditionError("JsonDecoder::Decode before a successful Parse");
  }
  message.Clear();
  const MessageTable& table = MessageTableFor(message.GetDescriptor());
  return Walker(options).DecodeMessage(root_, message, table, /*path=*/nullptr, /*depth=*/1);
}

}  // namespace chaukas::codec
