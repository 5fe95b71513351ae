#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/common/openssl_ptr.h"

namespace chaukas::filters::tenant_auth {

// The key types a JWKS may hold, one per accepted signature algorithm: an RSA key verifies
// only RS256 and a P-256 key only ES256. Symmetric ("oct") keys are not accepted in a JWKS at
// all; the HS256 secret is configured separately so that public key material can never end
// up used as an HMAC secret.
enum class JwkType { kRsa, kEcP256 };

// "RSA" or "EC P-256", for messages.
std::string_view JwkTypeName(JwkType type);

// One public key of a JWKS, decoded into OpenSSL once so that verifying a token decodes no
// keys. An EVP_PKEY that is no longer modified may be used from several threads at once.
struct Jwk {
  std::string kid;  // "" when the key has none (an empty kid is rejected as a typo)
  JwkType type = JwkType::kRsa;
  EvpPkeyPtr key;
};

// Parses a JWKS document ({"keys": [...]}, RFC 7517) of RSA keys (kty RSA, n, e; alg RS256
// or absent) and EC P-256 keys (kty EC, crv P-256, x, y; alg ES256 or absent). Every key
// must be usable: an unsupported or malformed key is an error naming its index and field
// ("keys[2].n: not base64url: invalid character at offset 7") rather than being skipped, so
// a typo in the config cannot silently leave a tenant unable to authenticate. Also rejected:
// RSA moduli under 2048 bits (RFC 7518 section 3.3), "use" other than "sig", duplicate kids,
// and keys with private parts (a JWKS holding "d" has leaked a signing key).
[[nodiscard]] absl::StatusOr<std::vector<Jwk>> ParseJwks(std::string_view json);

}  // namespace chaukas::filters::tenant_auth
