#include "tests/filters/tenant_auth/jwt_test_keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gateway/common/base64url.h"
#include "gateway/common/openssl_ptr.h"
#include "gateway/common/strings.h"
#include "gtest/gtest.h"

namespace chaukas::filters::tenant_auth {
namespace {

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// The big-endian bytes of a BIGNUM parameter of `key`, left-padded with zeros to `size`
// bytes when `size` is not 0.
std::string BignumParam(const EVP_PKEY* key, const char* name, int size = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) {
    ADD_FAILURE() << "EVP_PKEY_get_bn_param(" << name << ") failed";
    return "";
  }
  BignumPtr bn(raw);
  std::string bytes(size == 0 ? BN_num_bytes(bn.get()) : size, '\0');
  BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()),
               static_cast<int>(bytes.size()));
  return bytes;
}

std::string Pem(const EVP_PKEY* key, bool private_key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  const int written =
      private_key ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                  : PEM_write_bio_PUBKEY(bio.get(), key);
  if (written != 1) ADD_FAILURE() << "PEM_write_bio failed";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string SigningInput(std::string_view header_json, std::string_view payload_json) {
  return absl::StrCat(EncodeBase64Url(header_json), ".", EncodeBase64Url(payload_json));
}

}  // namespace

TestKey TestKey::Rsa(int bits) {
  EvpPkeyPtr key(EVP_RSA_gen(static_cast<unsigned int>(bits)));
  if (key == nullptr) ADD_FAILURE() << "RSA key generation failed";
  return TestKey(std::move(key), "RS256");
}

TestKey TestKey::EcP256() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) ADD_FAILURE() << "EC key generation failed";
  return TestKey(std::move(key), "ES256");
}

std::string TestKey::Jwk(std::string_view kid) const {
  const std::string kid_member =
      kid.empty() ? "" : absl::StrCat(R"("kid":")", ToAbsl(kid), R"(",)");
  if (alg_ == "RS256") {
    return absl::StrCat(R"({"kty":"RSA",)", kid_member, R"("n":")",
                        EncodeBase64Url(BignumParam(key_.get(), OSSL_PKEY_PARAM_RSA_N)),
                        R"(","e":")",
                        EncodeBase64Url(BignumParam(key_.get(), OSSL_PKEY_PARAM_RSA_E)), R"("})");
  }
  return absl::StrCat(
      R"({"kty":"EC","crv":"P-256",)", kid_member, R"("x":")",
      EncodeBase64Url(BignumParam(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32)), R"(","y":")",
      EncodeBase64Url(BignumParam(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32)), R"("})");
}

std::string TestKey::PrivateKeyPem() const { return Pem(key_.get(), /*private_key=*/true); }

std::string TestKey::PublicKeyPem() const { return Pem(key_.get(), /*private_key=*/false); }

std::string TestKey::Sign(std::string_view signing_input) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  size_t size = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, Bytes(signing_input), signing_input.size()) != 1) {
    ADD_FAILURE() << "EVP_DigestSignInit failed";
    return "";
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     Bytes(signing_input), signing_input.size()) != 1) {
    ADD_FAILURE() << "EVP_DigestSign failed";
    return "";
  }
  signature.resize(size);
  if (alg_ == "RS256") return signature;

  // OpenSSL signs ECDSA in DER; JWS wants the fixed-size r || s.
  const unsigned char* der = Bytes(signature);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size())));
  if (sig == nullptr) {
    ADD_FAILURE() << "d2i_ECDSA_SIG failed";
    return "";
  }
  std::string jose(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), reinterpret_cast<unsigned char*>(jose.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), reinterpret_cast<unsigned char*>(jose.data()) + 32, 32);
  return jose;
}

std::string Jwks(std::initializer_list<std::string> jwks) {
  return absl::StrCat(R"({"keys":[)", absl::StrJoin(jwks, ","), "]}");
}

std::string SignToken(const TestKey& key, std::string_view header_json,
                      std::string_view payload_json) {
  const std::string input = SigningInput(header_json, payload_json);
  return absl::StrCat(input, ".", EncodeBase64Url(key.Sign(input)));
}

std::string SignHs256Token(std::string_view secret, std::string_view header_json,
                           std::string_view payload_json) {
  const std::string input = SigningInput(header_json, payload_json);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), Bytes(input), input.size(),
           mac, &mac_size) == nullptr) {
    ADD_FAILURE() << "HMAC failed";
  }
  return absl::StrCat(
      input, ".", EncodeBase64Url(std::string_view(reinterpret_cast<const char*>(mac), mac_size)));
}

}  // namespace chaukas::filters::tenant_auth
