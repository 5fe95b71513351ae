#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "yaml-cpp/yaml.h"

namespace chaukas::config {

// A read-only view of one YAML node that remembers where it came from (file, line,
// column, key path), so every error names the place a user must fix:
//   gateway.yaml:14:7 filters[2].config.burst: must be >= events_per_second
// Scalars are read with ${ENV} substitution. Cheap to copy.
class ConfigNode {
 public:
  // `file` is the name shown in errors; `path` is the key path of `node` ("" for the root).
  ConfigNode(const YAML::Node& node, std::string file, std::string path = "");

  bool IsDefined() const;  // false for a key that is absent or explicitly null
  bool IsMap() const { return IsDefined() && node_.IsMap(); }
  bool IsSequence() const { return IsDefined() && node_.IsSequence(); }
  bool IsScalar() const { return IsDefined() && node_.IsScalar(); }
  const std::string& path() const { return path_; }
  const std::string& file() const { return *file_; }
  const YAML::Node& yaml() const { return node_; }

  // The child under `key`; undefined (but still able to report errors) when absent.
  ConfigNode Child(std::string_view key) const;
  // Sequence elements, with paths such as "filters[2]". Empty when not a sequence.
  std::vector<ConfigNode> Elements() const;
  // Map entries in file order. Empty when not a map.
  std::vector<std::pair<std::string, ConfigNode>> Entries() const;

  [[nodiscard]] absl::Status ExpectMap() const;
  [[nodiscard]] absl::Status ExpectSequence() const;
  // Fails on a key outside `allowed` (listing the allowed ones) and on a duplicated key.
  [[nodiscard]] absl::Status CheckKeys(std::initializer_list<std::string_view> allowed) const;
  [[nodiscard]] absl::Status CheckKeys(std::span<const std::string_view> allowed) const;

  [[nodiscard]] absl::StatusOr<std::string> AsString() const;
  [[nodiscard]] absl::StatusOr<int64_t> AsInt(int64_t min, int64_t max) const;
  [[nodiscard]] absl::StatusOr<double> AsDouble(double min, double max) const;
  [[nodiscard]] absl::StatusOr<bool> AsBool() const;
  // One of `choices`; the error lists them.
  [[nodiscard]] absl::StatusOr<std::string> AsEnum(
      std::initializer_list<std::string_view> choices) const;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> AsStringList() const;

  // Optional keys with defaults: absent or null gives `fallback`.
  [[nodiscard]] absl::StatusOr<std::string> GetString(std::string_view key,
                                                      std::string_view fallback) const;
  [[nodiscard]] absl::StatusOr<int64_t> GetInt(std::string_view key, int64_t fallback, int64_t min,
                                               int64_t max) const;
  [[nodiscard]] absl::StatusOr<double> GetDouble(std::string_view key, double fallback, double min,
                                                 double max) const;
  [[nodiscard]] absl::StatusOr<bool> GetBool(std::string_view key, bool fallback) const;
  [[nodiscard]] absl::StatusOr<std::string> GetEnum(
      std::string_view key, std::string_view fallback,
      std::initializer_list<std::string_view> choices) const;
  // A required key: absent gives "<path>: is required".
  [[nodiscard]] absl::StatusOr<ConfigNode> Require(std::string_view key) const;

  // An InvalidArgument error located at this node: "file:line:col path: message".
  absl::Status Error(std::string_view message) const;

 private:
  ConfigNode(const YAML::Node& node, std::shared_ptr<const std::string> file, std::string path,
             YAML::Mark fallback_mark);
  std::string ChildPath(std::string_view key) const;
  YAML::Mark mark() const;

  YAML::Node node_;
  std::shared_ptr<const std::string> file_;
  std::string path_;
  // Where an absent node would have been: its parent's position.
  YAML::Mark fallback_mark_;
};

// Replaces ${NAME} and ${NAME:-default} with environment values; "$${" stays a literal "${".
// An unset variable without a default is an error naming it.
[[nodiscard]] absl::StatusOr<std::string> SubstituteEnvironment(std::string_view text);

// The content of the file a scalar names (a key, a secret, a PEM bundle), trailing whitespace
// stripped. A missing, unreadable or empty file is an error located at the node.
[[nodiscard]] absl::StatusOr<std::string> ReadSecretFile(const ConfigNode& node);

}  // namespace chaukas::config
