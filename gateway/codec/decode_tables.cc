#include "gateway/codec/decode_tables.h"

#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace chaukas::codec {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

// Event's oneof `content` in the OpenAPI shape: the "kind" of the "content" object, and the
// oneof member its other keys fill. The one place that knows this mapping.
constexpr std::string_view kEventMessageName = "chaukas.spec.common.v1.Event";
constexpr std::string_view kContentOneofName = "content";
constexpr std::pair<std::string_view, std::string_view> kContentKinds[] = {
    {"message", "message"},
    {"tool_call", "tool_call"},
    {"tool_response", "tool_response"},
    {"llm_invocation", "llm_invocation"},
    {"policy_decision", "policy"},
    {"data_access", "data_access"},
    {"error_info", "error"},
    {"agent_handoff", "agent_handoff"},
    {"mcp_call", "mcp_call"},
};

// The prefix that short enum names leave out, derived from the value-0 name:
// EVENT_TYPE_UNSPECIFIED -> "EVENT_TYPE_". Empty when value 0 does not end in UNSPECIFIED.
std::string_view ShortNamePrefix(const EnumDescriptor& descriptor) {
  constexpr std::string_view kUnspecified = "UNSPECIFIED";
  const auto* zero = descriptor.FindValueByNumber(0);
  if (zero == nullptr) return {};
  const std::string_view name = zero->name();
  if (name.size() <= kUnspecified.size() || !name.ends_with(kUnspecified)) return {};
  return name.substr(0, name.size() - kUnspecified.size());
}

class TableRegistry {
 public:
  static TableRegistry& Instance() {
    static auto* const registry = new TableRegistry();  // Never destroyed: used until exit.
    return *registry;
  }

  const MessageTable& For(const Descriptor* descriptor) ABSL_LOCKS_EXCLUDED(mutex_) {
    {
      absl::ReaderMutexLock lock(&mutex_);
      if (const auto it = messages_.find(descriptor); it != messages_.end()) return *it->second;
    }
    absl::MutexLock lock(&mutex_);
    return BuildLocked(descriptor);
  }

 private:
  // Registers the table before filling it, so recursive types (Struct <-> Value) terminate.
  const MessageTable& BuildLocked(const Descriptor* descriptor)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    auto [it, inserted] = messages_.try_emplace(descriptor);
    if (!inserted) return *it->second;
    it->second = std::make_unique<MessageTable>();
    MessageTable& table = *it->second;
    table.descriptor = descriptor;
    table.fields.resize(descriptor->field_count());
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const FieldDescriptor* field = descriptor->field(i);
      FieldEntry& entry = table.fields[i];
      entry.field = field;
      entry.index = i;
      if (field->message_type() != nullptr) entry.message = &BuildLocked(field->message_type());
      if (field->enum_type() != nullptr) entry.enum_table = &EnumLocked(field->enum_type());
      table.by_key.Insert(field->name(), &entry);
      table.by_key.Insert(field->json_name(), &entry);
    }
    if (descriptor->full_name() == kEventMessageName) AddContentKinds(table);
    return table;
  }

  const EnumTable& EnumLocked(const EnumDescriptor* descriptor)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    auto [it, inserted] = enums_.try_emplace(descriptor);
    if (!inserted) return *it->second;
    it->second = std::make_unique<EnumTable>();
    EnumTable& table = *it->second;
    table.descriptor = descriptor;
    for (int i = 0; i < descriptor->value_count(); ++i) {
      table.numbers.Insert(descriptor->value(i)->name(), descriptor->value(i)->number());
    }
    // Full names went in first, so they win should a short name equal one of them.
    const std::string_view prefix = ShortNamePrefix(*descriptor);
    for (int i = 0; !prefix.empty() && i < descriptor->value_count(); ++i) {
      const std::string_view name = descriptor->value(i)->name();
      if (name.size() > prefix.size() && name.starts_with(prefix)) {
        table.numbers.Insert(name.substr(prefix.size()), descriptor->value(i)->number());
      }
    }
    return table;
  }

  static void AddContentKinds(MessageTable& table) {
    for (const auto& [kind, member_name] : kContentKinds) {
      const FieldDescriptor* member = table.descriptor->FindFieldByName(std::string(member_name));
      const bool usable =
          member != nullptr && member->containing_oneof() != nullptr &&
          member->containing_oneof()->name() == kContentOneofName &&
          member->message_type() != nullptr &&
          member->message_type()->well_known_type() == Descriptor::WELLKNOWNTYPE_UNSPECIFIED;
      if (!usable) continue;
      table.content_kinds.push_back({kind, &table.fields[member->index()]});
      if (!table.content_kind_list.empty()) table.content_kind_list += ", ";
      table.content_kind_list += kind;
    }
  }

  absl::Mutex mutex_;
  absl::flat_hash_map<const Descriptor*, std::unique_ptr<MessageTable>> messages_
      ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<const EnumDescriptor*, std::unique_ptr<EnumTable>> enums_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace

const MessageTable& MessageTableFor(const Descriptor* descriptor) {
  return TableRegistry::Instance().For(descriptor);
}

}  // namespace chaukas::codec
