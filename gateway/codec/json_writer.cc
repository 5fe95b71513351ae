#include "gateway/codec/json_writer.h"

#include <charconv>
#include <cmath>
#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "gateway/codec/timestamp_text.h"
#include "gateway/common/json_escape.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"

namespace chaukas::codec {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// An Any is expanded only while messages nest less deeply than this; deeper it is printed as
// base64. Each Any payload is parsed afresh, so a crafted chain of Anys could otherwise nest
// without bound and exhaust the stack.
constexpr int kMaxExpandedDepth = 100;

template <typename Integer>
void AppendInteger(Integer value, std::string& out) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, result.ptr);
}

template <typename Integer>
void AppendQuotedInteger(Integer value, std::string& out) {
  out += '"';
  AppendInteger(value, out);
  out += '"';
}

// Shortest text that parses back to the same value; non-finite values as proto3 JSON's strings.
template <typename Floating>
void AppendFloating(Floating value, std::string& out) {
  if (std::isnan(value)) {
    out += "\"NaN\"";
  } else if (std::isinf(value)) {
    out += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else if (value == 0 && std::signbit(value)) {
    out += "-0.0";  // simdjson reads "-0" as the integer 0, losing the sign.
  } else {
    // From 1e16 up, the shortest form can be a long integer ("333333333333333311488") that
    // integer-only JSON parsers, simdjson among them, reject beyond 64 bits: use an exponent.
    char digits[32];
    const std::to_chars_result result =
        std::fabs(value) < Floating{1e16}
            ? std::to_chars(digits, digits + sizeof(digits), value)
            : std::to_chars(digits, digits + sizeof(digits), value, std::chars_format::scientific);
    out.append(digits, result.ptr);
  }
}

void AppendBase64(std::string_view bytes, std::string& out) {
  std::string encoded;
  absl::Base64Escape(absl::string_view(bytes.data(), bytes.size()), &encoded);
  out += '"';
  out += encoded;
  out += '"';
}

void AppendKey(const std::string& name, std::string& out) {
  out += '"';
  out += name;  // Field names are identifiers: nothing to escape.
  out += "\":";
}

// Walks one message by reflection, appending its JSON to `out`.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void WriteMessage(const Message& message) {
    ++depth_;
    const Descriptor& descriptor = *message.GetDescriptor();
    switch (descriptor.well_known_type()) {
      case Descriptor::WELLKNOWNTYPE_TIMESTAMP:
        WriteTimestamp(message);
        break;
      case Descriptor::WELLKNOWNTYPE_DURATION:
        WriteDuration(message);
        break;
      case Descriptor::WELLKNOWNTYPE_STRUCT:
        WriteStruct(message);
        break;
      case Descriptor::WELLKNOWNTYPE_VALUE:
        WriteValue(message);
        break;
      case Descriptor::WELLKNOWNTYPE_LISTVALUE:
        WriteRepeated(message, *message.GetReflection(), descriptor.field(0));
        break;
      case Descriptor::WELLKNOWNTYPE_ANY:
        WriteAny(message);
        break;
      case Descriptor::WELLKNOWNTYPE_FIELDMASK:
        WriteFieldMask(message);
        break;
      case Descriptor::WELLKNOWNTYPE_DOUBLEVALUE:
      case Descriptor::WELLKNOWNTYPE_FLOATVALUE:
      case Descriptor::WELLKNOWNTYPE_INT64VALUE:
      case Descriptor::WELLKNOWNTYPE_UINT64VALUE:
      case Descriptor::WELLKNOWNTYPE_INT32VALUE:
      case Descriptor::WELLKNOWNTYPE_UINT32VALUE:
      case Descriptor::WELLKNOWNTYPE_STRINGVALUE:
      case Descriptor::WELLKNOWNTYPE_BYTESVALUE:
      case Descriptor::WELLKNOWNTYPE_BOOLVALUE:
        WriteFieldValue(message, *message.GetReflection(), descriptor.field(0), -1);
        break;
      default:
        out_ += '{';
        WriteFields(message, descriptor, /*first=*/true);
        out_ += '}';
    }
    --depth_;
  }

 private:
  // Appends `"name":value` for every field proto3 JSON prints, comma-separated; `first` says
  // whether the object has no member yet.
  void WriteFields(const Message& message, const Descriptor& descriptor, bool first) {
    // Reflection is passed down rather than asked again: each GetReflection() of a generated
    // message goes through a call_once.
    const Reflection& reflection = *message.GetReflection();
    for (int i = 0; i < descriptor.field_count(); ++i) {
      const FieldDescriptor* field = descriptor.field(i);
      // HasField is proto3's presence rule: set oneof members and messages, non-default scalars.
      const bool present = field->is_repeated() ? reflection.FieldSize(message, field) > 0
                                                : reflection.HasField(message, field);
      if (!present) continue;
      if (!first) out_ += ',';
      first = false;
      AppendKey(field->name(), out_);
      if (field->is_map()) {
        WriteMap(message, reflection, field);
      } else if (field->is_repeated()) {
        WriteRepeated(message, reflection, field);
      } else {
        WriteFieldValue(message, reflection, field, -1);
      }
    }
  }

  void WriteRepeated(const Message& message, const Reflection& reflection,
                     const FieldDescriptor* field) {
    const int size = reflection.FieldSize(message, field);
    out_ += '[';
    for (int i = 0; i < size; ++i) {
      if (i > 0) out_ += ',';
      WriteFieldValue(message, reflection, field, i);
    }
    out_ += ']';
  }

  void WriteMap(const Message& message, const Reflection& reflection,
                const FieldDescriptor* field) {
    const FieldDescriptor* key_field = field->message_type()->map_key();
    const FieldDescriptor* value_field = field->message_type()->map_value();
    const int size = reflection.FieldSize(message, field);
    out_ += '{';
    for (int i = 0; i < size; ++i) {
      if (i > 0) out_ += ',';
      const Message& entry = reflection.GetRepeatedMessage(message, field, i);
      const Reflection& entry_reflection = *entry.GetReflection();
      WriteMapKey(entry, entry_reflection, key_field);
      out_ += ':';
      WriteFieldValue(entry, entry_reflection, value_field, -1);
    }
    out_ += '}';
  }

  // Map keys are always JSON strings.
  void WriteMapKey(const Message& entry, const Reflection& reflection,
                   const FieldDescriptor* key_field) {
    switch (key_field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        AppendJsonString(reflection.GetStringReference(entry, key_field, &scratch), out_);
        break;
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        out_ += reflection.GetBool(entry, key_field) ? "\"true\"" : "\"false\"";
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        AppendQuotedInteger(reflection.GetInt32(entry, key_field), out_);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        AppendQuotedInteger(reflection.GetInt64(entry, key_field), out_);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        AppendQuotedInteger(reflection.GetUInt32(entry, key_field), out_);
        break;
      default:  // Keys can only be integers, bools and strings.
        AppendQuotedInteger(reflection.GetUInt64(entry, key_field), out_);
    }
  }

  // One value of `field`: the singular value when index < 0, else element `index`.
  void WriteFieldValue(const Message& message, const Reflection& r, const FieldDescriptor* field,
                       int index) {
    const bool repeated = index >= 0;
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        AppendInteger(
            repeated ? r.GetRepeatedInt32(message, field, index) : r.GetInt32(message, field),
            out_);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        AppendInteger(
            repeated ? r.GetRepeatedUInt32(message, field, index) : r.GetUInt32(message, field),
            out_);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        AppendQuotedInteger(
            repeated ? r.GetRepeatedInt64(message, field, index) : r.GetInt64(message, field),
            out_);
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        AppendQuotedInteger(
            repeated ? r.GetRepeatedUInt64(message, field, index) : r.GetUInt64(message, field),
            out_);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        AppendFloating(
            repeated ? r.GetRepeatedDouble(message, field, index) : r.GetDouble(message, field),
            out_);
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        AppendFloating(
            repeated ? r.GetRepeatedFloat(message, field, index) : r.GetFloat(message, field),
            out_);
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        out_ += (repeated ? r.GetRepeatedBool(message, field, index) : r.GetBool(message, field))
                    ? "true"
                    : "false";
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        WriteEnum(field->enum_type(), repeated ? r.GetRepeatedEnumValue(message, field, index)
                                               : r.GetEnumValue(message, field));
        break;
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& text =
            repeated ? r.GetRepeatedStringReference(message, field, index, &scratch)
                     : r.GetStringReference(message, field, &scratch);
        if (field->type() == FieldDescriptor::TYPE_BYTES) {
          AppendBase64(text, out_);
        } else {
          AppendJsonString(text, out_);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        WriteMessage(repeated ? r.GetRepeatedMessage(message, field, index)
                              : r.GetMessage(message, field));
        break;
    }
  }

  void WriteEnum(const EnumDescriptor* type, int number) {
    // Cached: NullValue_descriptor() goes through a call_once on every call.
    static const EnumDescriptor* const kNullValue = google::protobuf::NullValue_descriptor();
    if (type == kNullValue) {
      out_ += "null";
    } else if (const auto* value = type->FindValueByNumber(number); value != nullptr) {
      out_ += '"';
      out_ += value->name();  // Enum value names are identifiers: nothing to escape.
      out_ += '"';
    } else {
      AppendInteger(number, out_);  // A number this schema does not know (open enum).
    }
  }

  // Timestamp, Duration: int64 seconds = 1; int32 nanos = 2.
  void WriteTimestamp(const Message& message) {
    out_ += '"';
    AppendTimestamp(SecondsOf(message), NanosOf(message), out_);
    out_ += '"';
  }
  void WriteDuration(const Message& message) {
    out_ += '"';
    AppendDuration(SecondsOf(message), NanosOf(message), out_);
    out_ += '"';
  }
  static int64_t SecondsOf(const Message& message) {
    return message.GetReflection()->GetInt64(message, message.GetDescriptor()->field(0));
  }
  static int32_t NanosOf(const Message& message) {
    return message.GetReflection()->GetInt32(message, message.GetDescriptor()->field(1));
  }

  void WriteStruct(const Message& message) {
    // The generated class is read directly: reading its map through reflection would build a
    // repeated-field copy of every entry.
    const auto* generated =
        google::protobuf::DynamicCastToGenerated<google::protobuf::Struct>(&message);
    if (generated == nullptr) {
      WriteMap(message, *message.GetReflection(), message.GetDescriptor()->field(0));
      return;
    }
    out_ += '{';
    bool first = true;
    for (const auto& [key, value] : generated->fields()) {
      if (!first) out_ += ',';
      first = false;
      AppendJsonString(key, out_);
      out_ += ':';
      WriteMessage(value);
    }
    out_ += '}';
  }

  // Value's oneof `kind`: null, number, string, bool, Struct or ListValue.
  void WriteValue(const Message& message) {
    const Reflection& reflection = *message.GetReflection();
    const FieldDescriptor* kind =
        reflection.GetOneofFieldDescriptor(message, message.GetDescriptor()->oneof_decl(0));
    if (kind == nullptr) {
      out_ += "null";  // An empty Value has no JSON form; null is the closest.
    } else {
      WriteFieldValue(message, reflection, kind, -1);
    }
  }

  // FieldMask: its paths joined by commas, each in lowerCamelCase.
  void WriteFieldMask(const Message& message) {
    const Reflection& reflection = *message.GetReflection();
    const FieldDescriptor* paths = message.GetDescriptor()->field(0);
    std::string camel;
    for (int i = 0; i < reflection.FieldSize(message, paths); ++i) {
      std::string scratch;
      const std::string& path = reflection.GetRepeatedStringReference(message, paths, i, &scratch);
      if (i > 0) camel += ',';
      bool upper_next = false;
      for (const char c : path) {
        if (c == '_') {
          upper_next = true;
        } else {
          camel += upper_next && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
          upper_next = false;
        }
      }
    }
    AppendJsonString(camel, out_);
  }

  // {"@type": url, ...fields of the payload}, or {"@type": url, "value": <json>} for a
  // well-known payload. A payload that cannot be resolved or parsed is kept as base64 rather
  // than failing the whole message.
  void WriteAny(const Message& message) {
    const Reflection& reflection = *message.GetReflection();
    const FieldDescriptor* type_url_field = message.GetDescriptor()->field(0);
    const FieldDescriptor* value_field = message.GetDescriptor()->field(1);
    std::string url_scratch;
    std::string value_scratch;
    const std::string& type_url =
        reflection.GetStringReference(message, type_url_field, &url_scratch);
    const std::string& value = reflection.GetStringReference(message, value_field, &value_scratch);
    if (type_url.empty() && value.empty()) {
      out_ += "{}";
      return;
    }
    out_ += "{\"@type\":";
    AppendJsonString(type_url, out_);
    std::unique_ptr<Message> payload = ParseAnyPayload(type_url, value);
    if (payload == nullptr) {
      out_ += ",\"value\":";
      AppendBase64(value, out_);
    } else if (const Descriptor& descriptor = *payload->GetDescriptor();
               descriptor.well_known_type() != Descriptor::WELLKNOWNTYPE_UNSPECIFIED) {
      out_ += ",\"value\":";
      WriteMessage(*payload);
    } else {
      WriteFields(*payload, descriptor, /*first=*/false);
    }
    out_ += '}';
  }

  std::unique_ptr<Message> ParseAnyPayload(const std::string& type_url,
                                           const std::string& value) const {
    const size_t slash = type_url.rfind('/');
    if (depth_ > kMaxExpandedDepth || slash == std::string::npos) return nullptr;
    const Descriptor* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
            type_url.substr(slash + 1));
    if (descriptor == nullptr) return nullptr;
    const Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor);
    if (prototype == nullptr) return nullptr;
    std::unique_ptr<Message> payload(prototype->New());
    if (!payload->ParsePartialFromString(value)) return nullptr;
    return payload;
  }

  std::string& out_;
  int depth_ = 0;
};

}  // namespace

void AppendJson(const Message& message, std::string& out) { JsonWriter(out).WriteMessage(message); }

}  // namespace chaukas::codec
