#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "filters/pii_redaction/category.h"
#include "filters/pii_redaction/detector.h"

namespace chaukas::filters::pii_redaction {

// What happens to an item of PII.
enum class Method : uint8_t {
  kMask,     // replaced with its category: [EMAIL]
  kPartial,  // letters and digits starred but the last `keep_last`: **** **** **** 1111
  kHash,     // replaced with a keyed hash: [EMAIL:3f9a0c6e1b2d4f58]
  kDrop,     // the whole field (or Struct value) is removed
  kDetect,   // left as it is; only reported
};

struct MethodSpec {
  Method method = Method::kMask;
  int keep_last = 4;  // for kPartial
};

std::string_view MethodName(Method method);

// HMAC-SHA256 of items for the hash method. Keyed, so the same email hashes the same in every
// event and on every replica (joins and counts still work), yet a dictionary of emails hashed
// without the key finds nothing, as it would against the unkeyed md5/sha256 of other pipelines.
// With per-tenant keys, each tenant's key is HMAC(key, tenant): one tenant's hashes say nothing
// about another's.
class PiiHasher {
 public:
  // `key`: at least 32 bytes (from the config's key file).
  static absl::StatusOr<PiiHasher> Create(std::string key, bool per_tenant_keys);

  // 16 hex digits (64 bits) of HMAC(key for `tenant`, category name + ":" + item).
  std::string Hash(std::string_view tenant, Category category, std::string_view item) const;

 private:
  PiiHasher(std::string key, bool per_tenant_keys)
      : key_(std::move(key)), per_tenant_keys_(per_tenant_keys) {}

  std::string key_;
  bool per_tenant_keys_;
};

// Rewrites `text` by applying to each finding its category's method (`method_of`). The
// findings are sorted and disjoint, as PiiScanner returns them. Returns true when one of them
// asks for kDrop: the caller then removes the whole field, and `text` is left unchanged.
bool Redact(std::string& text, std::span<const Finding> findings,
            absl::FunctionRef<const MethodSpec&(Category)> method_of, const PiiHasher* hasher,
            std::string_view tenant);

// The replacement of one item under `spec` (kMask, kPartial or kHash).
std::string Replacement(std::string_view item, Category category, const MethodSpec& spec,
                        const PiiHasher* hasher, std::string_view tenant);

}  // namespace chaukas::filters::pii_redaction
