#include "filters/tenant_auth/api_key_table.h"

#include <openssl/crypto.h>

#include "absl/strings/str_cat.h"

namespace chaukas::filters::tenant_auth {

ApiKeyTable::ApiKeyTable(const std::vector<ApiKey>& keys) {
  keys_.reserve(keys.size());
  for (const ApiKey& key : keys) {
    std::string digest(reinterpret_cast<const char*>(key.sha256.data()), key.sha256.size());
    keys_.emplace(std::move(digest),
                  Entry{key.sha256, PrincipalOf(key.grant, absl::StrCat("api_key:", key.name))});
  }
}

std::shared_ptr<const pipeline::Principal> ApiKeyTable::Find(std::string_view presented) const {
  const Sha256 digest = Sha256Of(presented);
  const auto found =
      keys_.find(absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  if (found == keys_.end()) return nullptr;
  const Entry& key = found->second;
  if (CRYPTO_memcmp(key.sha256.data(), digest.data(), digest.size()) != 0) return nullptr;
  return key.principal;
}

}  // namespace chaukas::filters::tenant_auth
