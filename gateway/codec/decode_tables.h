#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/descriptor.h"

// Lookup tables for JsonDecoder, built once per protobuf type and shared by all threads.
namespace chaukas::codec {

// The OpenAPI shape's Event.content object and its discriminator key.
inline constexpr std::string_view kEventContentKey = "content";
inline constexpr std::string_view kEventContentKindKey = "kind";

// A map from a fixed set of short keys (field and enum value names) to values: open
// addressing with a hash of the length and three bytes, cheaper per lookup than a
// general-purpose hash map on such keys.
template <typename Value>
class KeyIndex {
 public:
  // Adds `key` unless it is there already: the first value given for a key wins.
  void Insert(std::string_view key, Value value) {
    if (Find(key) != nullptr) return;
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    Place(key, value);
  }

  const Value* Find(std::string_view key) const {
    if (slots_.empty()) return nullptr;
    for (size_t i = Hash(key) & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (!slot.used) return nullptr;
      if (slot.key == key) return &slot.value;
    }
  }

 private:
  struct Slot {
    std::string_view key;
    Value value{};
    bool used = false;
  };

  // Three bytes and the length tell field names apart well enough, and byte loads avoid the
  // store-forwarding stall of copying a variable-length prefix into a word.
  static size_t Hash(std::string_view key) {
    const size_t size = key.size();
    if (size == 0) return 0;
    const uint64_t bytes = static_cast<uint8_t>(key[0]) |
                           static_cast<uint64_t>(static_cast<uint8_t>(key[size / 2])) << 8 |
                           static_cast<uint64_t>(static_cast<uint8_t>(key[size - 1])) << 16 |
                           static_cast<uint64_t>(size) << 24;
    return static_cast<size_t>((bytes * 0x9E3779B97F4A7C15u) >> 32);
  }

  // Keeps the table at most half full, so every probe sequence meets an empty slot.
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<size_t>(8, old.size() * 2), Slot{});
    mask_ = slots_.size() - 1;
    size_ = 0;
    for (const Slot& slot : old) {
      if (slot.used) Place(slot.key, slot.value);
    }
  }

  void Place(std::string_view key, Value value) {
    size_t i = Hash(key) & mask_;
    while (slots_[i].used) i = (i + 1) & mask_;
    slots_[i] = Slot{key, value, true};
    ++size_;
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

struct EnumTable {
  const google::protobuf::EnumDescriptor* descriptor;
  // Full names ("EVENT_TYPE_SESSION_START") and short ones ("SESSION_START").
  KeyIndex<int> numbers;

  const int* FindNumber(std::string_view name) const { return numbers.Find(name); }
};

struct MessageTable;

struct FieldEntry {
  const google::protobuf::FieldDescriptor* field;
  int index;  // field->index(), which would otherwise be recomputed through two pointers.
  const MessageTable* message = nullptr;  // Message and map fields (for maps: the entry type).
  const EnumTable* enum_table = nullptr;  // Enum fields.
};

struct ContentKind {
  std::string_view kind;     // "policy_decision"
  const FieldEntry* member;  // Event.policy
};

struct MessageTable {
  const google::protobuf::Descriptor* descriptor;
  std::vector<FieldEntry> fields;  // By FieldDescriptor::index().
  // Both the proto name and the lowerCamelCase json_name of every field.
  KeyIndex<const FieldEntry*> by_key;
  // chaukas.spec.common.v1.Event only: the kinds of its OpenAPI "content" object.
  std::vector<ContentKind> content_kinds;
  std::string content_kind_list;  // "message, tool_call, ..." for error messages.

  // The field a JSON key names, or nullptr.
  const FieldEntry* FindField(std::string_view key) const {
    const FieldEntry* const* entry = by_key.Find(key);
    return entry == nullptr ? nullptr : *entry;
  }
};

// The table of `descriptor` (built on first use, with those of every type it refers to).
// Thread-safe; tables live until the process exits.
const MessageTable& MessageTableFor(const google::protobuf::Descriptor* descriptor);

}  // namespace chaukas::codec
