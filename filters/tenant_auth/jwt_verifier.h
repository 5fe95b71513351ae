#pragma once

#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "filters/tenant_auth/jwks.h"
#include "gateway/common/openssl_ptr.h"

namespace chaukas::filters::tenant_auth {

// What a token must satisfy beyond a good signature.
struct JwtSettings {
  std::vector<std::string> issuers;    // empty: iss is not checked; else iss must equal one
  std::vector<std::string> audiences;  // empty: aud is not checked; else aud must contain one
  absl::Duration leeway = absl::Seconds(30);  // clock skew allowed on exp, nbf and iat
  bool require_exp = true;
  // Verified tokens remembered (by SHA-256 of the token) so that a client sending the same
  // token with every request pays a hash and a lookup instead of a signature check. Every
  // hit re-checks exp, nbf and iat. 0 disables the cache.
  size_t cache_entries = 10'000;
};

// The parsed claims JwtClaims share; defined in jwt_verifier.cc.
struct JwtClaimSet;

// The claims of a verified token that are strings or arrays of strings ("sub", "tenant",
// "projects", "scope"); claims of other types are left out, except the registered times.
// Immutable and cheap to copy (copies share one set of claims, which may outlive the
// verifier); the pointers GetString returns stay valid while any copy lives.
class JwtClaims {
 public:
  // The claim `name` if it is a string, else nullptr (absent, or an array).
  const std::string* GetString(std::string_view name) const;
  // The claim `name` as a list: an array of strings as it is, or a single string split on
  // spaces (OAuth's "scope", RFC 8693 section 4.2); empty when absent.
  std::vector<std::string> GetStrings(std::string_view name) const;
  // exp, or absl::InfiniteFuture() when the token has none.
  absl::Time expires_at() const;

 private:
  friend class JwtVerifier;
  explicit JwtClaims(std::shared_ptr<const JwtClaimSet> data) : data_(std::move(data)) {}

  std::shared_ptr<const JwtClaimSet> data_;
};

// Verifies compact JWS tokens (RFC 7515/7519) signed with RS256 or ES256 by a key of a JWKS,
// or with HS256 by a configured secret, for the tenant_auth filter, which owns one per config
// snapshot and calls it from every worker thread. Keys are decoded once in Create; Verify
// decodes no keys and, for a token seen before, checks no signature.
//
// The algorithm is taken from the token header, so what it may select is closed off here:
// "none" is rejected, an RSA key verifies only RS256 and an EC key only ES256, and HS256 uses
// only the configured secret, never a JWKS key (so a token "signed" with a public key as an
// HMAC secret fails).
class JwtVerifier {
 public:
  // Tokens longer than this are rejected before any work (16 KiB is the usual limit on an
  // HTTP header line, and more than any real bearer token).
  static constexpr size_t kMaxTokenBytes = 16 * 1024;

  // jwks_json: a JWKS document (see ParseJwks), or "" for none. hs256_secret: raw secret
  // bytes, at least 32 (RFC 7518 section 3.2), or "" to reject HS256 tokens. Errors name the
  // key and field ("keys[2].n: not base64url: ...").
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(
      std::string_view jwks_json, std::string hs256_secret, JwtSettings settings);

  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // The claims of `token` if it verifies at `now`, else Unauthenticated with what failed
  // ("token expired 12 s ago", "signature does not verify", "alg none is not accepted", "no
  // key with kid \"k2\"", "aud does not include chaukas-gateway"). Messages never contain the
  // token; values from it (kid, iss) appear quoted, escaped and cut short. Thread-safe.
  [[nodiscard]] absl::StatusOr<JwtClaims> Verify(std::string_view token, absl::Time now) const;

  // Tokens in the verified-token cache now (for stats and tests; takes every shard's lock).
  size_t CachedTokenCount() const;

 private:
  enum class Algorithm { kRs256, kEs256, kHs256 };
  using TokenDigest = std::array<uint8_t, 32>;
  class TokenCache;

  JwtVerifier(std::vector<Jwk> keys, JwtSettings settings);

  [[nodiscard]] absl::StatusOr<JwtClaims> VerifyUncached(std::string_view token,
                                                         size_t payload_start,
                                                         size_t signature_start,
                                                         absl::Time now) const;
  [[nodiscard]] absl::Status VerifySignature(Algorithm algorithm, std::string_view kid,
                                             std::string_view signing_input,
                                             std::string_view signature) const;
  bool VerifyWithKey(const Jwk& key, std::string_view signing_input,
                     std::string_view signature) const;
  bool VerifyHmac(std::string_view signing_input, std::string_view signature) const;
  [[nodiscard]] absl::Status CheckTimes(const JwtClaims& claims, absl::Time now) const;
  [[nodiscard]] absl::Status CheckIssuer(const JwtClaims& claims) const;
  [[nodiscard]] absl::Status CheckAudience(const JwtClaims& claims) const;

  const std::vector<Jwk> keys_;
  const JwtSettings settings_;
  EvpMdPtr sha256_;
  // HMAC-SHA256 already keyed with the secret; each verify works on a copy. Null without a
  // secret, which is what turns HS256 away.
  EvpMacCtxPtr hmac_;
  std::unique_ptr<TokenCache> cache_;  // null when settings_.cache_entries is 0
};

}  // namespace chaukas::filters::tenant_auth
