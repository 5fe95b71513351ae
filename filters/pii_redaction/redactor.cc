#include "filters/pii_redaction/redactor.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "filters/pii_redaction/ascii.h"
#include "gateway/common/strings.h"

namespace chaukas::filters::pii_redaction {
namespace {

using Digest = std::array<unsigned char, 32>;

Digest HmacSha256(std::string_view key, std::string_view data) {
  Digest digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &length);
  return digest;
}

}  // namespace

std::string_view MethodName(Method method) {
  switch (method) {
    case Method::kMask:
      return "mask";
    case Method::kPartial:
      return "partial";
    case Method::kHash:
      return "hash";
    case Method::kDrop:
      return "drop";
    case Method::kDetect:
      return "detect";
  }
  return "";
}

absl::StatusOr<PiiHasher> PiiHasher::Create(std::string key, bool per_tenant_keys) {
  if (key.size() < 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("the hash key has ", key.size(),
                     " bytes; it needs at least 32 (e.g. head -c 32 /dev/urandom > pii.key)"));
  }
  return PiiHasher(std::move(key), per_tenant_keys);
}

std::string PiiHasher::Hash(std::string_view tenant, Category category,
                            std::string_view item) const {
  std::string tenant_key;
  std::string_view key = key_;
  if (per_tenant_keys_) {
    const Digest derived = HmacSha256(key_, absl::StrCat("tenant:", ToAbsl(tenant)));
    tenant_key.assign(reinterpret_cast<const char*>(derived.data()), derived.size());
    key = tenant_key;
  }
  const Digest digest =
      HmacSha256(key, absl::StrCat(ToAbsl(CategoryName(category)), ":", ToAbsl(item)));
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest.data()), 8));
}

bool Redact(std::string& text, std::span<const Finding> findings,
            absl::FunctionRef<const MethodSpec&(Category)> method_of, const PiiHasher* hasher,
            std::string_view tenant) {
  for (const Finding& finding : findings) {
    if (method_of(finding.category).method == Method::kDrop) return true;
  }
  // From the last finding back, so the offsets of the earlier ones stay valid.
  for (auto it = findings.rbegin(); it != findings.rend(); ++it) {
    const MethodSpec& spec = method_of(it->category);
    if (spec.method == Method::kDetect) continue;
    const std::string item = text.substr(it->begin, it->end - it->begin);
    text.replace(it->begin, it->end - it->begin,
                 Replacement(item, it->category, spec, hasher, tenant));
  }
  return false;
}

std::string Replacement(std::string_view item, Category category, const MethodSpec& spec,
                        const PiiHasher* hasher, std::string_view tenant) {
  const absl::string_view name = ToAbsl(CategoryName(category));
  switch (spec.method) {
    case Method::kPartial: {
      // Separators stay, so the shape survives: **** **** **** 1111, ***-**-6789.
      std::string out(item);
      int kept = 0;
      for (size_t i = out.size(); i-- > 0;) {
        if (!IsAlnum(out[i])) continue;
        if (kept < spec.keep_last) {
          ++kept;
        } else {
          out[i] = '*';
        }
      }
      return out;
    }
    case Method::kHash:
      if (hasher != nullptr)
        return absl::StrCat("[", name, ":", hasher->Hash(tenant, category, item), "]");
      break;  // a config with a hash method always has a hasher; masking is the safe fallback
    case Method::kMask:
    case Method::kDrop:
    case Method::kDetect:
      break;
  }
  return absl::StrCat("[", name, "]");
}

}  // namespace chaukas::filters::pii_redaction
