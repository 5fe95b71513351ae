#include "config/config_node.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/strings.h"

namespace chaukas::config {
namespace {

std::string Quote(std::string_view text) { return absl::StrCat("\"", ToAbsl(text), "\""); }

}  // namespace

ConfigNode::ConfigNode(const YAML::Node& node, std::string file, std::string path)
    : ConfigNode(node, std::make_shared<const std::string>(std::move(file)), std::move(path),
                 YAML::Mark()) {}

ConfigNode::ConfigNode(const YAML::Node& node, std::shared_ptr<const std::string> file,
                       std::string path, YAML::Mark fallback_mark)
    : node_(node), file_(std::move(file)), path_(std::move(path)), fallback_mark_(fallback_mark) {}

bool ConfigNode::IsDefined() const { return node_.IsDefined() && !node_.IsNull(); }

YAML::Mark ConfigNode::mark() const {
  if (!node_.IsDefined()) return fallback_mark_;
  YAML::Mark own = node_.Mark();
  return own.is_null() ? fallback_mark_ : own;
}

std::string ConfigNode::ChildPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", ToAbsl(key));
}

ConfigNode ConfigNode::Child(std::string_view key) const {
  YAML::Node child;
  if (node_.IsDefined() && node_.IsMap()) {
    for (const auto& entry : node_) {
      if (entry.first.IsScalar() && entry.first.Scalar() == key) {
        child = entry.second;
        break;
      }
    }
  }
  if (!child.IsDefined()) child = YAML::Node(YAML::NodeType::Undefined);
  return ConfigNode(child, file_, ChildPath(key), mark());
}

std::vector<ConfigNode> ConfigNode::Elements() const {
  std::vector<ConfigNode> elements;
  if (!IsSequence()) return elements;
  for (size_t i = 0; i < node_.size(); ++i) {
    elements.push_back(ConfigNode(node_[i], file_, absl::StrCat(path_, "[", i, "]"), mark()));
  }
  return elements;
}

std::vector<std::pair<std::string, ConfigNode>> ConfigNode::Entries() const {
  std::vector<std::pair<std::string, ConfigNode>> entries;
  if (!IsMap()) return entries;
  for (const auto& entry : node_) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    entries.emplace_back(key, ConfigNode(entry.second, file_, ChildPath(key), entry.first.Mark()));
  }
  return entries;
}

absl::Status ConfigNode::Error(std::string_view message) const {
  const YAML::Mark where = mark();
  std::string location = *file_;
  if (!where.is_null()) absl::StrAppend(&location, ":", where.line + 1, ":", where.column + 1);
  const std::string& shown_path = path_.empty() ? std::string("(top level)") : path_;
  return absl::InvalidArgumentError(absl::StrCat(location, " ", shown_path, ": ", ToAbsl(message)));
}

absl::Status ConfigNode::ExpectMap() const {
  if (IsMap()) return absl::OkStatus();
  return Error("must be a map of key: value");
}

absl::Status ConfigNode::ExpectSequence() const {
  if (IsSequence()) return absl::OkStatus();
  return Error("must be a list");
}

absl::Status ConfigNode::CheckKeys(std::initializer_list<std::string_view> allowed) const {
  return CheckKeys(std::span<const std::string_view>(allowed.begin(), allowed.size()));
}

absl::Status ConfigNode::CheckKeys(std::span<const std::string_view> allowed) const {
  if (!IsDefined()) return absl::OkStatus();
  CHAUKAS_RETURN_IF_ERROR(ExpectMap());
  std::set<std::string> seen;
  for (const auto& entry : node_) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    // Errors about a key point at the key itself, not at its value.
    const ConfigNode key_node(entry.first, file_, ChildPath(key), mark());
    bool known = false;
    for (std::string_view candidate : allowed) known = known || candidate == key;
    if (!known) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      return key_node.Error(
          absl::StrCat("unknown key ", Quote(key), "; allowed here: ", absl::StrJoin(names, ", ")));
    }
    if (!seen.insert(key).second) return key_node.Error("key appears twice");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ConfigNode::AsString() const {
  if (!IsScalar()) return Error("must be a single value (a string or number)");
  absl::StatusOr<std::string> substituted = SubstituteEnvironment(node_.Scalar());
  if (!substituted.ok()) return Error(ToStd(substituted.status().message()));
  return substituted;
}

absl::StatusOr<int64_t> ConfigNode::AsInt(int64_t min, int64_t max) const {
  CHAUKAS_ASSIGN_OR_RETURN(std::string text, AsString());
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    return Error(absl::StrCat("must be an integer, got ", Quote(text)));
  }
  if (value < min || value > max) {
    return Error(absl::StrCat("must be between ", min, " and ", max, ", got ", value));
  }
  return value;
}

absl::StatusOr<double> ConfigNode::AsDouble(double min, double max) const {
  CHAUKAS_ASSIGN_OR_RETURN(std::string text, AsString());
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value)) {
    return Error(absl::StrCat("must be a number, got ", Quote(text)));
  }
  if (value < min || value > max) {
    return Error(absl::StrCat("must be between ", min, " and ", max, ", got ", text));
  }
  return value;
}

absl::StatusOr<bool> ConfigNode::AsBool() const {
  CHAUKAS_ASSIGN_OR_RETURN(std::string text, AsString());
  if (text == "true") return true;
  if (text == "false") return false;
  return Error(absl::StrCat("must be true or false, got ", Quote(text)));
}

absl::StatusOr<std::string> ConfigNode::AsEnum(
    std::initializer_list<std::string_view> choices) const {
  CHAUKAS_ASSIGN_OR_RETURN(std::string text, AsString());
  for (std::string_view choice : choices) {
    if (choice == text) return text;
  }
  std::vector<std::string> names(choices.begin(), choices.end());
  return Error(absl::StrCat("unknown value ", Quote(text), "; expected one of ",
                            absl::StrJoin(names, ", ")));
}

absl::StatusOr<std::vector<std::string>> ConfigNode::AsStringList() const {
  CHAUKAS_RETURN_IF_ERROR(ExpectSequence());
  std::vector<std::string> values;
  for (const ConfigNode& element : Elements()) {
    CHAUKAS_ASSIGN_OR_RETURN(std::string value, element.AsString());
    values.push_back(std::move(value));
  }
  return values;
}

absl::StatusOr<std::string> ConfigNode::GetString(std::string_view key,
                                                  std::string_view fallback) const {
  ConfigNode child = Child(key);
  if (!child.IsDefined()) return std::string(fallback);
  return child.AsString();
}

absl::StatusOr<int64_t> ConfigNode::GetInt(std::string_view key, int64_t fallback, int64_t min,
                                           int64_t max) const {
  ConfigNode child = Child(key);
  if (!child.IsDefined()) return fallback;
  return child.AsInt(min, max);
}

absl::StatusOr<double> ConfigNode::GetDouble(std::string_view key, double fallback, double min,
                                             double max) const {
  ConfigNode child = Child(key);
  if (!child.IsDefined()) return fallback;
  return child.AsDouble(min, max);
}

absl::StatusOr<bool> ConfigNode::GetBool(std::string_view key, bool fallback) const {
  ConfigNode child = Child(key);
  if (!child.IsDefined()) return fallback;
  return child.AsBool();
}

absl::StatusOr<std::string> ConfigNode::GetEnum(
    std::string_view key, std::string_view fallback,
    std::initializer_list<std::string_view> choices) const {
  ConfigNode child = Child(key);
  if (!child.IsDefined()) return std::string(fallback);
  return child.AsEnum(choices);
}

absl::StatusOr<ConfigNode> ConfigNode::Require(std::string_view key) const {
  ConfigNode child = Child(key);
  if (!child.IsDefined()) return child.Error("is required");
  return child;
}

absl::StatusOr<std::string> SubstituteEnvironment(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 3;
      continue;
    }
    if (text.substr(i, 2) != "${") {
      out += text[i++];
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("unterminated ${ in ", Quote(text), " (write $${ for a literal ${)"));
    }
    std::string_view reference = text.substr(i + 2, close - i - 2);
    std::optional<std::string_view> fallback;
    if (size_t dash = reference.find(":-"); dash != std::string_view::npos) {
      fallback = reference.substr(dash + 2);
      reference = reference.substr(0, dash);
    }
    if (reference.empty()) return absl::InvalidArgumentError("empty ${} reference");
    const std::string name(reference);
    const char* value = std::getenv(name.c_str());
    if (value != nullptr && (*value != '\0' || !fallback)) {
      out += value;
    } else if (fallback) {
      out += *fallback;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "environment variable ", name, " is not set (use ${", name, ":-default} for a default)"));
    }
    i = close + 1;
  }
  return out;
}

absl::StatusOr<std::string> ReadSecretFile(const ConfigNode& node) {
  CHAUKAS_ASSIGN_OR_RETURN(std::string path, node.AsString());
  std::ifstream in(path, std::ios::binary);
  if (!in) return node.Error(absl::StrCat("cannot read ", path));
  std::ostringstream content;
  content << in.rdbuf();
  std::string secret(absl::StripTrailingAsciiWhitespace(content.str()));
  if (secret.empty()) return node.Error(absl::StrCat(path, " is empty"));
  return secret;
}

}  // namespace chaukas::config
