#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "filters/tenant_auth/tenant_auth_config.h"

namespace chaukas::filters::tenant_auth {

// The API keys a gateway accepts, by the SHA-256 of the key. Immutable once built: a reload
// builds a new table.
class ApiKeyTable {
 public:
  explicit ApiKeyTable(const std::vector<ApiKey>& keys);

  // The principal of the key whose SHA-256 is that of `presented`, or nullptr. Only the digest
  // of the presented text is looked up, so timing can tell an attacker nothing about a key's
  // text; the final comparison is constant-time all the same.
  std::shared_ptr<const pipeline::Principal> Find(std::string_view presented) const;

  size_t size() const { return keys_.size(); }

 private:
  struct Entry {
    Sha256 sha256;
    std::shared_ptr<const pipeline::Principal> principal;  // "api_key:<name>"
  };
  // Keyed by the 32 digest bytes.
  absl::flat_hash_map<std::string, Entry> keys_;
};

}  // namespace chaukas::filters::tenant_auth
