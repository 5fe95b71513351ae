#include "filters/tenant_auth/jwt_verifier.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <optional>
#include <type_traits>
#include <variant>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "gateway/common/base64url.h"
#include "gateway/common/json_escape.h"
#include "gateway/common/openssl_ptr.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/strings.h"
#include "simdjson.h"

namespace chaukas::filters::tenant_auth {

struct JwtClaimSet {
  absl::flat_hash_map<std::string, std::variant<std::string, std::vector<std::string>>> claims;
  std::optional<absl::Time> expires_at;
  std::optional<absl::Time> not_before;
  std::optional<absl::Time> issued_at;
};

namespace {

constexpr size_t kHs256MinSecretBytes = 32;
constexpr size_t kSha256Bytes = 32;
constexpr size_t kEs256CoordinateBytes = 32;
// Shards of the token cache: enough that worker threads rarely meet on one mutex.
constexpr size_t kMaxCacheShards = 16;

absl::Status Unauthenticated(std::string_view message) {
  return absl::UnauthenticatedError(ToAbsl(message));
}

// `text` as a JSON string literal, cut to 64 bytes: a value taken from a token (or config) is
// safe to put in a message that may be logged or sent back to the client.
std::string Quote(std::string_view text) {
  constexpr size_t kMaxQuotedBytes = 64;
  std::string quoted;
  AppendJsonString(text.substr(0, kMaxQuotedBytes), quoted);
  if (text.size() > kMaxQuotedBytes) quoted += "...";
  return quoted;
}

std::string WholeSeconds(absl::Duration duration) {
  return absl::StrCat(absl::ToInt64Seconds(duration), " s");
}

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// JWS carries an ES256 signature as the two 32-byte big-endian integers r || s (RFC 7518
// section 3.4); OpenSSL verifies the DER SEQUENCE of two INTEGERs that X9.62 defines. Empty
// when OpenSSL runs out of memory.
std::string JoseToDerSignature(std::string_view jose) {
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(Bytes(jose), kEs256CoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(jose) + kEs256CoordinateBytes, kEs256CoordinateBytes, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return "";
  }
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return "";
  std::string der(static_cast<size_t>(size), '\0');
  unsigned char* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig.get(), &out);
  return der;
}

absl::StatusOr<std::string> DecodePart(std::string_view part_name, std::string_view text) {
  absl::StatusOr<std::string> bytes = DecodeBase64Url(text);
  if (!bytes.ok()) {
    return Unauthenticated(absl::StrCat(ToAbsl(part_name), ": ", bytes.status().message()));
  }
  return bytes;
}

// The JSON object in `json`, parsed by `parser` (and valid until its next parse), with each
// member name appearing once: RFC 7515 section 4 and RFC 7519 section 4 require rejecting
// duplicates, since parsers disagree on which one wins.
absl::StatusOr<simdjson::dom::object> ParseObject(simdjson::dom::parser& parser,
                                                  std::string_view part_name,
                                                  std::string_view json) {
  simdjson::dom::element root;
  if (const auto error = parser.parse(json.data(), json.size()).get(root);
      error != simdjson::SUCCESS) {
    return Unauthenticated(
        absl::StrCat(ToAbsl(part_name), ": not JSON (", simdjson::error_message(error), ")"));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return Unauthenticated(absl::StrCat(ToAbsl(part_name), ": not a JSON object"));
  }
  absl::flat_hash_set<std::string_view> names;
  for (const simdjson::dom::key_value_pair member : object) {
    if (!names.insert(member.key).second) {
      return Unauthenticated(
          absl::StrCat(ToAbsl(part_name), ": ", Quote(member.key), " appears twice"));
    }
  }
  return object;
}

struct Header {
  std::string_view alg;
  std::string_view kid;  // "" when absent
};

absl::StatusOr<Header> ParseHeader(const simdjson::dom::object& object) {
  Header header;
  for (const simdjson::dom::key_value_pair member : object) {
    if (member.key == "alg" || member.key == "kid") {
      std::string_view value;
      if (member.value.get_string().get(value) != simdjson::SUCCESS) {
        return Unauthenticated(absl::StrCat("header.", ToAbsl(member.key), ": not a string"));
      }
      (member.key == "alg" ? header.alg : header.kid) = value;
      if (value.empty()) {
        return Unauthenticated(absl::StrCat("header.", ToAbsl(member.key), ": empty"));
      }
    } else if (member.key == "crit") {
      // RFC 7515 section 4.1.11: a token that lists extensions in crit must be rejected by a
      // verifier that does not implement them, and we implement none (b64 among them).
      return Unauthenticated("header.crit: no critical extensions are supported");
    }
  }
  if (header.alg.empty()) return Unauthenticated("header: no alg");
  return header;
}

// A NumericDate (RFC 7519 section 2): seconds since the epoch, possibly fractional.
absl::StatusOr<absl::Time> ParseNumericDate(const simdjson::dom::element& value,
                                            std::string_view name) {
  switch (value.type()) {
    case simdjson::dom::element_type::INT64:
      return absl::FromUnixSeconds(value.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64:
      return absl::UnixEpoch() +
             absl::Seconds(static_cast<double>(value.get_uint64().value_unsafe()));
    case simdjson::dom::element_type::DOUBLE:
      return absl::UnixEpoch() + absl::Seconds(value.get_double().value_unsafe());
    default:
      return Unauthenticated(absl::StrCat("payload.", ToAbsl(name), ": not a number"));
  }
}

// The claims of a payload whose signature has verified. Only the registered claims we
// interpret must have their registered types; other claims of other types are ignored.
absl::StatusOr<std::shared_ptr<const JwtClaimSet>> ParseClaims(
    const simdjson::dom::object& object) {
  auto data = std::make_shared<JwtClaimSet>();
  for (const simdjson::dom::key_value_pair member : object) {
    const std::string_view name = member.key;
    std::optional<absl::Time>* const time = name == "exp"   ? &data->expires_at
                                            : name == "nbf" ? &data->not_before
                                            : name == "iat" ? &data->issued_at
                                                            : nullptr;
    if (time != nullptr) {
      CHAUKAS_ASSIGN_OR_RETURN(*time, ParseNumericDate(member.value, name));
      continue;
    }
    std::string_view text;
    simdjson::dom::array array;
    if (member.value.get_string().get(text) == simdjson::SUCCESS) {
      data->claims.emplace(name, std::string(text));
    } else if (member.value.get_array().get(array) == simdjson::SUCCESS) {
      std::vector<std::string> texts;
      bool all_strings = true;
      for (const simdjson::dom::element element : array) {
        if (element.get_string().get(text) != simdjson::SUCCESS) {
          all_strings = false;
          break;
        }
        texts.emplace_back(text);
      }
      if (all_strings) {
        data->claims.emplace(name, std::move(texts));
      } else if (name == "aud") {
        return Unauthenticated("payload.aud: not an array of strings");
      }
    } else if (name == "iss" || name == "aud") {
      return Unauthenticated(absl::StrCat("payload.", ToAbsl(name), ": not a string"));
    }
  }
  return data;
}

}  // namespace

const std::string* JwtClaims::GetString(std::string_view name) const {
  const auto it = data_->claims.find(ToAbsl(name));
  if (it == data_->claims.end()) return nullptr;
  return std::get_if<std::string>(&it->second);
}

std::vector<std::string> JwtClaims::GetStrings(std::string_view name) const {
  const auto it = data_->claims.find(ToAbsl(name));
  if (it == data_->claims.end()) return {};
  if (const auto* texts = std::get_if<std::vector<std::string>>(&it->second)) return *texts;
  return absl::StrSplit(std::get<std::string>(it->second), ' ', absl::SkipEmpty());
}

absl::Time JwtClaims::expires_at() const {
  return data_->expires_at.value_or(absl::InfiniteFuture());
}

// Tokens that verified, by the SHA-256 of their text, with their claims. Each shard holds a
// fixed number of entries and, when full, evicts the one inserted first: tokens mostly expire
// in the order they were issued, and FIFO needs no bookkeeping on a hit, so a hit holds a
// shard's lock only for a lookup and a shared_ptr copy. An entry whose token has expired is
// dropped when a lookup finds it.
class JwtVerifier::TokenCache {
 public:
  explicit TokenCache(size_t capacity)
      : shard_count_(std::min(capacity, kMaxCacheShards)),
        shard_capacity_(capacity / shard_count_),
        shards_(std::make_unique<Shard[]>(shard_count_)) {}

  std::optional<JwtClaims> Find(const TokenDigest& digest) const {
    const Shard& shard = ShardFor(digest);
    absl::MutexLock lock(&shard.mutex);
    const auto it = shard.entries.find(digest);
    if (it == shard.entries.end()) return std::nullopt;
    return it->second.claims;
  }

  void Insert(const TokenDigest& digest, const JwtClaims& claims) {
    Shard& shard = ShardFor(digest);
    absl::MutexLock lock(&shard.mutex);
    if (shard.entries.contains(digest)) return;  // another thread verified it too
    size_t slot = shard.order.size();
    if (slot < shard_capacity_) {
      shard.order.push_back(digest);
    } else {
      slot = shard.next_eviction;
      shard.next_eviction = (slot + 1) % shard_capacity_;
      // The slot's entry may be gone already (expired) or re-inserted in a later slot.
      const auto victim = shard.entries.find(shard.order[slot]);
      if (victim != shard.entries.end() && victim->second.slot == slot) {
        shard.entries.erase(victim);
      }
      shard.order[slot] = digest;
    }
    shard.entries.emplace(digest, Entry{claims, slot});
  }

  void Erase(const TokenDigest& digest) {
    Shard& shard = ShardFor(digest);
    absl::MutexLock lock(&shard.mutex);
    shard.entries.erase(digest);
  }

  size_t size() const {
    size_t total = 0;
    for (size_t i = 0; i < shard_count_; ++i) {
      absl::MutexLock lock(&shards_[i].mutex);
      total += shards_[i].entries.size();
    }
    return total;
  }

 private:
  struct Entry {
    JwtClaims claims;
    size_t slot;  // its index in Shard::order
  };
  struct Shard {
    mutable absl::Mutex mutex;
    absl::flat_hash_map<TokenDigest, Entry> entries ABSL_GUARDED_BY(mutex);
    // Digests in insertion order, as a ring of shard_capacity_ slots once full.
    std::vector<TokenDigest> order ABSL_GUARDED_BY(mutex);
    size_t next_eviction ABSL_GUARDED_BY(mutex) = 0;
  };

  // The digest is uniformly random, so its first byte spreads tokens evenly.
  Shard& ShardFor(const TokenDigest& digest) const { return shards_[digest[0] % shard_count_]; }

  const size_t shard_count_;
  const size_t shard_capacity_;
  const std::unique_ptr<Shard[]> shards_;
};

JwtVerifier::JwtVerifier(std::vector<Jwk> keys, JwtSettings settings)
    : keys_(std::move(keys)), settings_(std::move(settings)) {}

JwtVerifier::~JwtVerifier() = default;

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(std::string_view jwks_json,
                                                                 std::string hs256_secret,
                                                                 JwtSettings settings) {
  std::vector<Jwk> keys;
  if (!jwks_json.empty()) {
    CHAUKAS_ASSIGN_OR_RETURN(keys, ParseJwks(jwks_json));
  }
  if (keys.empty() && hs256_secret.empty()) {
    return absl::InvalidArgumentError(
        "no keys: give a JWKS with at least one key, an HS256 secret, or both");
  }
  if (!hs256_secret.empty() && hs256_secret.size() < kHs256MinSecretBytes) {
    OPENSSL_cleanse(hs256_secret.data(), hs256_secret.size());
    return absl::InvalidArgumentError(
        absl::StrCat("hs256_secret: ", hs256_secret.size(), " bytes; HS256 needs at least ",
                     kHs256MinSecretBytes, " (RFC 7518 section 3.2)"));
  }
  if (settings.leeway < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("leeway: must not be negative");
  }
  auto verifier =
      std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(keys), std::move(settings)));
  verifier->sha256_.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  if (verifier->sha256_ == nullptr) {
    ERR_clear_error();
    return absl::InternalError("OpenSSL has no SHA256");
  }
  if (!hs256_secret.empty()) {
    EvpMacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    char digest_name[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end(),
    };
    if (mac != nullptr) verifier->hmac_.reset(EVP_MAC_CTX_new(mac.get()));
    const bool keyed =
        verifier->hmac_ != nullptr &&
        EVP_MAC_init(verifier->hmac_.get(), Bytes(hs256_secret), hs256_secret.size(), params) == 1;
    // The keyed context holds what it needs; the caller's copy need not linger in memory.
    OPENSSL_cleanse(hs256_secret.data(), hs256_secret.size());
    if (!keyed) {
      ERR_clear_error();
      return absl::InternalError("OpenSSL could not set up HMAC-SHA256");
    }
  }
  if (verifier->settings_.cache_entries > 0) {
    verifier->cache_ = std::make_unique<TokenCache>(verifier->settings_.cache_entries);
  }
  return verifier;
}

absl::StatusOr<JwtClaims> JwtVerifier::Verify(std::string_view token, absl::Time now) const {
  if (token.size() > kMaxTokenBytes) {
    return Unauthenticated(
        absl::StrCat("token is ", token.size(), " bytes; the limit is ", kMaxTokenBytes));
  }
  const size_t first_dot = token.find('.');
  const size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return Unauthenticated(absl::StrCat("not a compact JWS: expected 3 dot-separated parts, found ",
                                        std::count(token.begin(), token.end(), '.') + 1));
  }
  if (cache_ == nullptr) return VerifyUncached(token, first_dot + 1, second_dot + 1, now);

  TokenDigest digest;
  unsigned int digest_size = 0;
  if (EVP_Digest(token.data(), token.size(), digest.data(), &digest_size, sha256_.get(), nullptr) !=
          1 ||
      digest_size != digest.size()) {
    ERR_clear_error();
    return absl::InternalError("SHA-256 of the token failed");
  }
  if (std::optional<JwtClaims> cached = cache_->Find(digest)) {
    // The signature, iss and aud cannot change, but the times are checked against each `now`.
    if (absl::Status status = CheckTimes(*cached, now); !status.ok()) {
      if (now >= cached->expires_at() + settings_.leeway) cache_->Erase(digest);
      return status;
    }
    return *std::move(cached);
  }
  CHAUKAS_ASSIGN_OR_RETURN(JwtClaims claims,
                           VerifyUncached(token, first_dot + 1, second_dot + 1, now));
  cache_->Insert(digest, claims);
  return claims;
}

size_t JwtVerifier::CachedTokenCount() const { return cache_ == nullptr ? 0 : cache_->size(); }

absl::StatusOr<JwtClaims> JwtVerifier::VerifyUncached(std::string_view token, size_t payload_start,
                                                      size_t signature_start,
                                                      absl::Time now) const {
  // One parser for the header and then the payload; the header's values are copied out
  // before the payload is parsed over them.
  simdjson::dom::parser parser;
  CHAUKAS_ASSIGN_OR_RETURN(std::string header_json,
                           DecodePart("header", token.substr(0, payload_start - 1)));
  CHAUKAS_ASSIGN_OR_RETURN(simdjson::dom::object header_object,
                           ParseObject(parser, "header", header_json));
  CHAUKAS_ASSIGN_OR_RETURN(Header header, ParseHeader(header_object));
  Algorithm algorithm;
  if (header.alg == "RS256") {
    algorithm = Algorithm::kRs256;
  } else if (header.alg == "ES256") {
    algorithm = Algorithm::kEs256;
  } else if (header.alg == "HS256") {
    algorithm = Algorithm::kHs256;
  } else if (absl::EqualsIgnoreCase(ToAbsl(header.alg), "none")) {
    return Unauthenticated("alg none is not accepted");
  } else {
    return Unauthenticated(
        absl::StrCat("alg ", Quote(header.alg), " is not supported; use RS256, ES256 or HS256"));
  }
  const std::string kid(header.kid);

  CHAUKAS_ASSIGN_OR_RETURN(std::string signature,
                           DecodePart("signature", token.substr(signature_start)));
  CHAUKAS_RETURN_IF_ERROR(
      VerifySignature(algorithm, kid, token.substr(0, signature_start - 1), signature));

  CHAUKAS_ASSIGN_OR_RETURN(
      std::string payload_json,
      DecodePart("payload", token.substr(payload_start, signature_start - 1 - payload_start)));
  CHAUKAS_ASSIGN_OR_RETURN(simdjson::dom::object payload_object,
                           ParseObject(parser, "payload", payload_json));
  CHAUKAS_ASSIGN_OR_RETURN(std::shared_ptr<const JwtClaimSet> data, ParseClaims(payload_object));
  JwtClaims claims(std::move(data));
  CHAUKAS_RETURN_IF_ERROR(CheckTimes(claims, now));
  CHAUKAS_RETURN_IF_ERROR(CheckIssuer(claims));
  CHAUKAS_RETURN_IF_ERROR(CheckAudience(claims));
  return claims;
}

absl::Status JwtVerifier::VerifySignature(Algorithm algorithm, std::string_view kid,
                                          std::string_view signing_input,
                                          std::string_view signature) const {
  if (algorithm == Algorithm::kHs256) {
    // The secret has no kid, so a kid in an HS256 header selects nothing and is ignored.
    if (hmac_ == nullptr) {
      return Unauthenticated("alg HS256 is not accepted: no HS256 secret is configured");
    }
    if (signature.size() != kSha256Bytes) {
      return Unauthenticated(
          absl::StrCat("HS256 signature is ", signature.size(), " bytes; expected 32"));
    }
    if (!VerifyHmac(signing_input, signature)) {
      return Unauthenticated("signature does not verify");
    }
    return absl::OkStatus();
  }

  const JwkType type = algorithm == Algorithm::kRs256 ? JwkType::kRsa : JwkType::kEcP256;
  const std::string_view alg_name = algorithm == Algorithm::kRs256 ? "RS256" : "ES256";
  std::string der_signature;
  if (algorithm == Algorithm::kEs256) {
    if (signature.size() != 2 * kEs256CoordinateBytes) {
      return Unauthenticated(
          absl::StrCat("ES256 signature is ", signature.size(), " bytes; expected 64"));
    }
    der_signature = JoseToDerSignature(signature);
    if (der_signature.empty()) return absl::ResourceExhaustedError("out of memory");
    signature = der_signature;
  }

  if (!kid.empty()) {
    const auto key = std::find_if(keys_.begin(), keys_.end(),
                                  [&](const Jwk& candidate) { return candidate.kid == kid; });
    if (key == keys_.end()) return Unauthenticated(absl::StrCat("no key with kid ", Quote(kid)));
    if (key->type != type) {
      return Unauthenticated(absl::StrCat("key ", Quote(kid), " is an ",
                                          ToAbsl(JwkTypeName(key->type)), " key; alg ",
                                          ToAbsl(alg_name), " needs ", ToAbsl(JwkTypeName(type))));
    }
    if (!VerifyWithKey(*key, signing_input, signature)) {
      return Unauthenticated("signature does not verify");
    }
    return absl::OkStatus();
  }
  // Without a kid, any key of the type may have signed (a JWKS during rotation holds two).
  bool any_key = false;
  for (const Jwk& key : keys_) {
    if (key.type != type) continue;
    any_key = true;
    if (VerifyWithKey(key, signing_input, signature)) return absl::OkStatus();
  }
  if (!any_key) {
    return Unauthenticated(absl::StrCat("alg ", ToAbsl(alg_name), " is not accepted: no ",
                                        ToAbsl(JwkTypeName(type)), " key is configured"));
  }
  return Unauthenticated("signature does not verify");
}

bool JwtVerifier::VerifyWithKey(const Jwk& key, std::string_view signing_input,
                                std::string_view signature) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  // RSA keys default to PKCS #1 v1.5 padding, which is what RS256 means.
  const bool verified =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, sha256_.get(), nullptr, key.key.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(signing_input),
                       signing_input.size()) == 1;
  // A failed verify leaves reasons in this thread's OpenSSL error queue, where they would
  // confuse the next TLS call made on the thread.
  if (!verified) ERR_clear_error();
  return verified;
}

bool JwtVerifier::VerifyHmac(std::string_view signing_input, std::string_view signature) const {
  EvpMacCtxPtr ctx(EVP_MAC_CTX_dup(hmac_.get()));
  unsigned char mac[kSha256Bytes];
  size_t mac_size = 0;
  const bool computed =
      ctx != nullptr &&
      EVP_MAC_update(ctx.get(), Bytes(signing_input), signing_input.size()) == 1 &&
      EVP_MAC_final(ctx.get(), mac, &mac_size, sizeof(mac)) == 1 && mac_size == sizeof(mac);
  if (!computed) {
    ERR_clear_error();
    return false;
  }
  // Constant time, so the comparison does not tell an attacker how many leading bytes match.
  return CRYPTO_memcmp(mac, signature.data(), sizeof(mac)) == 0;
}

absl::Status JwtVerifier::CheckTimes(const JwtClaims& claims, absl::Time now) const {
  const JwtClaimSet& data = *claims.data_;
  const absl::Duration leeway = settings_.leeway;
  if (!data.expires_at.has_value()) {
    if (settings_.require_exp) return Unauthenticated("token has no exp");
  } else if (now >= *data.expires_at + leeway) {
    return Unauthenticated(
        absl::StrCat("token expired ", WholeSeconds(now - *data.expires_at), " ago"));
  }
  if (data.not_before.has_value() && now + leeway < *data.not_before) {
    return Unauthenticated(absl::StrCat("token is not valid for another ",
                                        WholeSeconds(*data.not_before - now), " (nbf)"));
  }
  if (data.issued_at.has_value() && now + leeway < *data.issued_at) {
    return Unauthenticated(absl::StrCat("token was issued ", WholeSeconds(*data.issued_at - now),
                                        " in the future (iat)"));
  }
  return absl::OkStatus();
}

absl::Status JwtVerifier::CheckIssuer(const JwtClaims& claims) const {
  if (settings_.issuers.empty()) return absl::OkStatus();
  const std::string* issuer = claims.GetString("iss");
  if (issuer == nullptr) return Unauthenticated("token has no iss");
  if (std::find(settings_.issuers.begin(), settings_.issuers.end(), *issuer) ==
      settings_.issuers.end()) {
    return Unauthenticated(absl::StrCat("iss ", Quote(*issuer), " is not accepted"));
  }
  return absl::OkStatus();
}

absl::Status JwtVerifier::CheckAudience(const JwtClaims& claims) const {
  if (settings_.audiences.empty()) return absl::OkStatus();
  const auto it = claims.data_->claims.find("aud");
  if (it == claims.data_->claims.end()) return Unauthenticated("token has no aud");
  // Unlike scope, a single aud string is one audience (RFC 7519 section 4.1.3), spaces and all.
  const auto accepted = [&](const std::string& audience) {
    return std::find(settings_.audiences.begin(), settings_.audiences.end(), audience) !=
           settings_.audiences.end();
  };
  const bool match = std::visit(
      [&](const auto& aud) {
        if constexpr (std::is_same_v<std::decay_t<decltype(aud)>, std::string>) {
          return accepted(aud);
        } else {
          return std::any_of(aud.begin(), aud.end(), accepted);
        }
      },
      it->second);
  if (!match) {
    return Unauthenticated(
        absl::StrCat("aud does not include ", absl::StrJoin(settings_.audiences, " or ")));
  }
  return absl::OkStatus();
}

}  // namespace chaukas::filters::tenant_auth
