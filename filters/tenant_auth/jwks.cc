#include "filters/tenant_auth/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/common/base64url.h"
#include "gateway/common/json_escape.h"
#include "gateway/common/openssl_ptr.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/strings.h"
#include "simdjson.h"

namespace chaukas::filters::tenant_auth {
namespace {

// RFC 7518 section 3.3 requires 2048 bits for RS256; 16384 is OpenSSL's own ceiling
// (OPENSSL_RSA_MAX_MODULUS_BITS), which it would otherwise only enforce at every verify.
constexpr int kMinRsaModulusBits = 2048;
constexpr int kMaxRsaModulusBits = 16384;
// Public exponents are 65537 in practice; 8 bytes keeps a hostile key from making every
// verify as slow as a signature, and matches OpenSSL's 64-bit limit for large moduli.
constexpr size_t kMaxRsaExponentBytes = 8;
constexpr size_t kP256CoordinateBytes = 32;

// OpenSSL's reason for the last failure on this thread, and an empty error queue after it
// (a stale entry would confuse the next TLS call on the same thread).
std::string TakeOpenSslError() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "no reason given";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : absl::StrCat("error ", code);
}

// `text` as a JSON string literal, cut to 64 bytes: safe to put in a message or a log line.
std::string Quote(std::string_view text) {
  constexpr size_t kMaxQuotedBytes = 64;
  std::string quoted;
  AppendJsonString(text.substr(0, kMaxQuotedBytes), quoted);
  if (text.size() > kMaxQuotedBytes) quoted += "...";
  return quoted;
}

absl::Status FieldError(std::string_view where, std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(ToAbsl(where), ".", ToAbsl(field), ": ", ToAbsl(what)));
}

// The string member `field` of `object`: nullopt when absent, an error when not a string.
absl::StatusOr<std::optional<std::string_view>> OptionalString(const simdjson::dom::object& object,
                                                               std::string_view where,
                                                               std::string_view field) {
  simdjson::dom::element value;
  if (object.at_key(field).get(value) != simdjson::SUCCESS) return std::nullopt;
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) {
    return FieldError(where, field, "not a string");
  }
  return text;
}

absl::StatusOr<std::string_view> RequiredString(const simdjson::dom::object& object,
                                                std::string_view where, std::string_view field) {
  CHAUKAS_ASSIGN_OR_RETURN(std::optional<std::string_view> text,
                           OptionalString(object, where, field));
  if (!text.has_value()) return FieldError(where, field, "missing");
  return *text;
}

// The base64url-decoded bytes of the required string member `field`.
absl::StatusOr<std::string> RequiredBytes(const simdjson::dom::object& object,
                                          std::string_view where, std::string_view field) {
  CHAUKAS_ASSIGN_OR_RETURN(std::string_view text, RequiredString(object, where, field));
  absl::StatusOr<std::string> bytes = DecodeBase64Url(text);
  if (!bytes.ok()) return FieldError(where, field, ToStd(bytes.status().message()));
  if (bytes->empty()) return FieldError(where, field, "empty");
  return bytes;
}

BignumPtr ToBignum(std::string_view big_endian) {
  return BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(big_endian.data()),
                             static_cast<int>(big_endian.size()), nullptr));
}

// Builds a public key of `type_name` ("RSA", "EC") from OpenSSL's parameters, checking it
// the way OpenSSL checks public keys it is given (for EC: the point is on the curve and in
// the right subgroup).
absl::StatusOr<EvpPkeyPtr> KeyFromParams(std::string_view where, const char* type_name,
                                         OSSL_PARAM* params) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type_name, nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw_key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(where), ": not a valid ", type_name,
                                                   " public key (", TakeOpenSslError(), ")"));
  }
  EvpPkeyPtr key(raw_key);
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(where), ": not a valid ", type_name,
                                                   " public key (", TakeOpenSslError(), ")"));
  }
  return key;
}

absl::StatusOr<EvpPkeyPtr> ParseRsaKey(const simdjson::dom::object& jwk, std::string_view where) {
  CHAUKAS_ASSIGN_OR_RETURN(std::string n, RequiredBytes(jwk, where, "n"));
  CHAUKAS_ASSIGN_OR_RETURN(std::string e, RequiredBytes(jwk, where, "e"));
  BignumPtr modulus = ToBignum(n);
  BignumPtr exponent = ToBignum(e);
  if (modulus == nullptr || exponent == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(ToAbsl(where), ": out of memory"));
  }
  const int modulus_bits = BN_num_bits(modulus.get());
  if (modulus_bits < kMinRsaModulusBits || modulus_bits > kMaxRsaModulusBits) {
    return FieldError(where, "n",
                      absl::StrCat("a ", modulus_bits, "-bit modulus is not accepted; RS256 needs ",
                                   kMinRsaModulusBits, " to ", kMaxRsaModulusBits, " bits"));
  }
  if (BN_num_bytes(exponent.get()) > static_cast<int>(kMaxRsaExponentBytes) ||
      !BN_is_odd(exponent.get()) || BN_is_one(exponent.get())) {
    return FieldError(where, "e",
                      absl::StrCat("the exponent must be odd, above 1 and at most ",
                                   kMaxRsaExponentBytes * 8, " bits (it is 65537 in practice)"));
  }
  OsslParamBldPtr build(OSSL_PARAM_BLD_new());
  if (build == nullptr ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
    return absl::ResourceExhaustedError(
        absl::StrCat(ToAbsl(where), ": out of memory (", TakeOpenSslError(), ")"));
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(build.get()));
  if (params == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat(ToAbsl(where), ": out of memory (", TakeOpenSslError(), ")"));
  }
  return KeyFromParams(where, "RSA", params.get());
}

absl::StatusOr<EvpPkeyPtr> ParseEcKey(const simdjson::dom::object& jwk, std::string_view where) {
  CHAUKAS_ASSIGN_OR_RETURN(std::string_view curve, RequiredString(jwk, where, "crv"));
  if (curve != "P-256") {
    return FieldError(where, "crv", absl::StrCat(Quote(curve), " is not supported; use P-256"));
  }
  CHAUKAS_ASSIGN_OR_RETURN(std::string x, RequiredBytes(jwk, where, "x"));
  CHAUKAS_ASSIGN_OR_RETURN(std::string y, RequiredBytes(jwk, where, "y"));
  // RFC 7518 section 6.2.1.2: coordinates are always the full size of the field, so a
  // shorter one is a mistake rather than a value with its leading zeros dropped.
  for (const auto& [field, value] : {std::pair{"x", &x}, std::pair{"y", &y}}) {
    if (value->size() != kP256CoordinateBytes) {
      return FieldError(
          where, field,
          absl::StrCat(value->size(), " bytes; a P-256 coordinate has ", kP256CoordinateBytes));
    }
  }
  // The uncompressed SEC 1 point encoding: 0x04 || x || y.
  std::string point = absl::StrCat("\x04", x, y);
  char group_name[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group_name, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end(),
  };
  return KeyFromParams(where, "EC", params);
}

absl::StatusOr<Jwk> ParseJwk(const simdjson::dom::element& element, std::string_view where) {
  simdjson::dom::object jwk;
  if (element.get_object().get(jwk) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(where), ": not a JSON object"));
  }
  if (jwk.at_key("d").error() == simdjson::SUCCESS) {
    return FieldError(where, "d",
                      "a private key does not belong in a JWKS; publish only the public parts");
  }
  CHAUKAS_ASSIGN_OR_RETURN(std::optional<std::string_view> use, OptionalString(jwk, where, "use"));
  if (use.has_value() && *use != "sig") {
    return FieldError(where, "use",
                      absl::StrCat(Quote(*use), " is not a signing key; expected sig"));
  }
  Jwk parsed;
  CHAUKAS_ASSIGN_OR_RETURN(std::optional<std::string_view> kid, OptionalString(jwk, where, "kid"));
  if (kid.has_value()) {
    if (kid->empty()) return FieldError(where, "kid", "empty; leave it out instead");
    parsed.kid = std::string(*kid);
  }
  CHAUKAS_ASSIGN_OR_RETURN(std::string_view kty, RequiredString(jwk, where, "kty"));
  CHAUKAS_ASSIGN_OR_RETURN(std::optional<std::string_view> alg, OptionalString(jwk, where, "alg"));
  std::string_view expected_alg;
  if (kty == "RSA") {
    parsed.type = JwkType::kRsa;
    expected_alg = "RS256";
  } else if (kty == "EC") {
    parsed.type = JwkType::kEcP256;
    expected_alg = "ES256";
  } else {
    return FieldError(where, "kty", absl::StrCat(Quote(kty), " is not supported; use RSA or EC"));
  }
  if (alg.has_value() && *alg != expected_alg) {
    return FieldError(where, "alg",
                      absl::StrCat(Quote(*alg), " is not supported for kty ", ToAbsl(kty), "; use ",
                                   ToAbsl(expected_alg)));
  }
  CHAUKAS_ASSIGN_OR_RETURN(
      parsed.key, parsed.type == JwkType::kRsa ? ParseRsaKey(jwk, where) : ParseEcKey(jwk, where));
  return parsed;
}

}  // namespace

std::string_view JwkTypeName(JwkType type) {
  switch (type) {
    case JwkType::kRsa:
      return "RSA";
    case JwkType::kEcP256:
      return "EC P-256";
  }
  return "?";
}

absl::StatusOr<std::vector<Jwk>> ParseJwks(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (const auto error = parser.parse(json.data(), json.size()).get(root);
      error != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat("jwks: not JSON (", simdjson::error_message(error), ")"));
  }
  simdjson::dom::array keys;
  if (root["keys"].get_array().get(keys) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("jwks: expected an object with a \"keys\" array");
  }
  std::vector<Jwk> jwks;
  size_t index = 0;
  for (const simdjson::dom::element element : keys) {
    const std::string where = absl::StrCat("keys[", index, "]");
    CHAUKAS_ASSIGN_OR_RETURN(Jwk jwk, ParseJwk(element, where));
    for (size_t earlier = 0; earlier < jwks.size(); ++earlier) {
      if (!jwk.kid.empty() && jwks[earlier].kid == jwk.kid) {
        return FieldError(where, "kid",
                          absl::StrCat(Quote(jwk.kid), " is also the kid of keys[", earlier, "]"));
      }
    }
    jwks.push_back(std::move(jwk));
    ++index;
  }
  return jwks;
}

}  // namespace chaukas::filters::tenant_auth
