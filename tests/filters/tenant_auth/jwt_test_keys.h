#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "filters/tenant_auth/jwks.h"

namespace chaukas::filters::tenant_auth {

// A key pair generated for one test run, and what tests make with it: its public JWK, PEM
// files for other tools, and JWS signatures. Signing here is independent of the verifier's
// code (OpenSSL's EVP API directly), so a test cannot pass by sharing a bug with it.
class TestKey {
 public:
  static TestKey Rsa(int bits = 2048);
  static TestKey EcP256();

  std::string_view alg() const { return alg_; }  // "RS256" or "ES256"
  // The public key as a JWK object ({"kty":...}), with "kid" unless `kid` is empty.
  std::string Jwk(std::string_view kid) const;
  std::string PrivateKeyPem() const;  // PKCS #8
  std::string PublicKeyPem() const;   // SubjectPublicKeyInfo
  // The raw JWS signature of `signing_input`: PKCS #1 v1.5 for RS256, r || s for ES256.
  std::string Sign(std::string_view signing_input) const;

 private:
  TestKey(EvpPkeyPtr key, std::string_view alg) : key_(std::move(key)), alg_(alg) {}

  EvpPkeyPtr key_;
  std::string_view alg_;
};

// {"keys":[<jwks...>]}
std::string Jwks(std::initializer_list<std::string> jwks);

// A compact JWS of the two JSON texts, exactly as given, signed by `key`.
std::string SignToken(const TestKey& key, std::string_view header_json,
                      std::string_view payload_json);

// A compact JWS of the two JSON texts signed with HMAC-SHA256 under `secret`.
std::string SignHs256Token(std::string_view secret, std::string_view header_json,
                           std::string_view payload_json);

}  // namespace chaukas::filters::tenant_auth
