#include "filters/tenant_auth/jwt_verifier.h"

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gateway/common/base64url.h"
#include "gateway/common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/filters/tenant_auth/jwt_test_keys.h"
#include "tests/support/status_matchers.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace chaukas::filters::tenant_auth {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::IsNull;
using ::testing::Pointee;

constexpr int64_t kNowSeconds = 1'800'000'000;
const absl::Time kNow = absl::FromUnixSeconds(kNowSeconds);
constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef-hs256";

// Keys are generated once per test binary: RSA key generation is slow under ASan.
const TestKey& RsaKey() {
  static const TestKey key = TestKey::Rsa();
  return key;
}
const TestKey& OtherRsaKey() {
  static const TestKey key = TestKey::Rsa();
  return key;
}
const TestKey& EcKey() {
  static const TestKey key = TestKey::EcP256();
  return key;
}
const TestKey& OtherEcKey() {
  static const TestKey key = TestKey::EcP256();
  return key;
}

// rsa-1, rsa-2, ec-1 and ec-2; OtherEcKey() is ec-2.
std::string StandardJwks() {
  return Jwks({RsaKey().Jwk("rsa-1"), OtherRsaKey().Jwk("rsa-2"), EcKey().Jwk("ec-1"),
               OtherEcKey().Jwk("ec-2")});
}

std::unique_ptr<JwtVerifier> MakeVerifier(JwtSettings settings = {},
                                          std::string secret = std::string(kSecret),
                                          const std::string& jwks = StandardJwks()) {
  // value() throws on an error, which fails the test with the status in its message.
  return JwtVerifier::Create(jwks, std::move(secret), std::move(settings)).value();
}

std::string Header(std::string_view alg, std::string_view kid = "") {
  if (kid.empty()) return absl::StrCat(R"({"alg":")", ToAbsl(alg), R"(","typ":"JWT"})");
  return absl::StrCat(R"({"alg":")", ToAbsl(alg), R"(","typ":"JWT","kid":")", ToAbsl(kid), R"("})");
}

// Claims of a typical agent token expiring `exp_in_seconds` after kNow, plus `extra` members
// (",\"iss\":\"...\"").
std::string Payload(int64_t exp_in_seconds = 600, std::string_view extra = "") {
  return absl::StrCat(R"({"sub":"agent-7","tenant":"acme","exp":)", kNowSeconds + exp_in_seconds,
                      ToAbsl(extra), "}");
}

std::string RsaToken(std::string_view payload = Payload()) {
  return SignToken(RsaKey(), Header("RS256", "rsa-1"), payload);
}

// Replaces part `index` (0 header, 1 payload, 2 signature) of a compact token.
std::string ReplacePart(const std::string& token, int index, std::string_view replacement) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  parts[index] = std::string(replacement);
  return absl::StrCat(parts[0], ".", parts[1], ".", parts[2]);
}

// Verify failed with Unauthenticated, its message contains `message_part`, and it echoes no
// part of `token` long enough to matter.
MATCHER_P2(IsRejected, token, message_part,
           absl::StrCat("is rejected with a message containing \"", std::string(message_part),
                        "\"")) {
  const absl::Status& status = ::chaukas::testing::GetStatus(arg);
  *result_listener << "status is " << status.ToString();
  if (status.code() != absl::StatusCode::kUnauthenticated) return false;
  const std::string message(status.message());
  if (message.find(message_part) == std::string::npos) return false;
  for (const absl::string_view part : absl::StrSplit(token, '.')) {
    if (part.size() >= 8 && message.find(std::string(part)) != std::string::npos) {
      *result_listener << ", which echoes the token";
      return false;
    }
  }
  return true;
}

TEST(JwtVerifierTest, AcceptsValidRs256Token) {
  auto verifier = MakeVerifier();
  absl::StatusOr<JwtClaims> claims = verifier->Verify(RsaToken(), kNow);
  ASSERT_THAT(claims, IsOk());
  EXPECT_THAT(claims->GetString("sub"), Pointee(Eq("agent-7")));
  EXPECT_THAT(claims->GetString("tenant"), Pointee(Eq("acme")));
  EXPECT_EQ(claims->expires_at(), kNow + absl::Seconds(600));
}

TEST(JwtVerifierTest, AcceptsValidEs256Token) {
  auto verifier = MakeVerifier();
  // Several tokens, so that r and s with a leading zero or a high bit set (which the DER
  // conversion encodes differently) are likely to occur.
  for (int i = 0; i < 32; ++i) {
    const std::string token =
        SignToken(EcKey(), Header("ES256", "ec-1"), Payload(600, absl::StrCat(R"(,"n":)", i)));
    EXPECT_THAT(verifier->Verify(token, kNow), IsOk()) << "token " << i;
  }
}

TEST(JwtVerifierTest, AcceptsValidHs256Token) {
  auto verifier = MakeVerifier();
  absl::StatusOr<JwtClaims> claims =
      verifier->Verify(SignHs256Token(kSecret, Header("HS256"), Payload()), kNow);
  ASSERT_THAT(claims, IsOk());
  EXPECT_THAT(claims->GetString("tenant"), Pointee(Eq("acme")));
}

TEST(JwtVerifierTest, AcceptsHs256TokenWithAnyKidSinceTheSecretHasNone) {
  auto verifier = MakeVerifier();
  EXPECT_THAT(verifier->Verify(SignHs256Token(kSecret, Header("HS256", "rsa-1"), Payload()), kNow),
              IsOk());
}

TEST(JwtVerifierTest, AcceptsHs256WithoutAnyJwks) {
  auto verifier = MakeVerifier({}, std::string(kSecret), /*jwks=*/"");
  EXPECT_THAT(verifier->Verify(SignHs256Token(kSecret, Header("HS256"), Payload()), kNow), IsOk());
  const std::string rsa = SignToken(RsaKey(), Header("RS256"), Payload());
  EXPECT_THAT(verifier->Verify(rsa, kNow),
              IsRejected(rsa, "alg RS256 is not accepted: no RSA key is configured"));
}

TEST(JwtVerifierTest, ReturnsStringAndStringArrayClaimsAndSplitsScopeOnSpaces) {
  auto verifier = MakeVerifier();
  const std::string token =
      RsaToken(Payload(600, R"(,"scope":" events:write  events:read ","projects":["p1","p 2"],)"
                            R"("level":3,"mixed":["a",1],"nested":{"a":"b"},"empty":[])"));
  absl::StatusOr<JwtClaims> claims = verifier->Verify(token, kNow);
  ASSERT_THAT(claims, IsOk());
  EXPECT_THAT(claims->GetStrings("scope"), ElementsAre("events:write", "events:read"));
  EXPECT_THAT(claims->GetStrings("projects"), ElementsAre("p1", "p 2"));
  EXPECT_THAT(claims->GetStrings("tenant"), ElementsAre("acme"));
  EXPECT_THAT(claims->GetString("projects"), IsNull());
  EXPECT_THAT(claims->GetStrings("empty"), IsEmpty());
  for (const char* ignored : {"level", "mixed", "nested", "exp", "missing"}) {
    EXPECT_THAT(claims->GetString(ignored), IsNull()) << ignored;
    EXPECT_THAT(claims->GetStrings(ignored), IsEmpty()) << ignored;
  }
}

TEST(JwtVerifierTest, ClaimsOutliveTheVerifier) {
  auto verifier = MakeVerifier();
  absl::StatusOr<JwtClaims> claims = verifier->Verify(RsaToken(), kNow);
  ASSERT_THAT(claims, IsOk());
  verifier.reset();
  EXPECT_THAT(claims->GetString("sub"), Pointee(Eq("agent-7")));
}

TEST(JwtVerifierTest, RejectsTamperedPayload) {
  auto verifier = MakeVerifier();
  const std::string token = RsaToken();
  ASSERT_THAT(verifier->Verify(token, kNow), IsOk());  // cached now
  const std::string tampered =
      ReplacePart(token, 1, EncodeBase64Url(absl::StrReplaceAll(Payload(), {{"acme", "evil"}})));
  EXPECT_THAT(verifier->Verify(tampered, kNow), IsRejected(tampered, "signature does not verify"));

  const std::string hs256 = SignHs256Token(kSecret, Header("HS256"), Payload());
  const std::string tampered_hs256 = ReplacePart(hs256, 1, EncodeBase64Url(Payload(601)));
  EXPECT_THAT(verifier->Verify(tampered_hs256, kNow),
              IsRejected(tampered_hs256, "signature does not verify"));
}

TEST(JwtVerifierTest, RejectsTamperedSignature) {
  auto verifier = MakeVerifier();
  for (const std::string& token :
       {RsaToken(), SignToken(EcKey(), Header("ES256", "ec-1"), Payload()),
        SignHs256Token(kSecret, Header("HS256"), Payload())}) {
    ASSERT_THAT(verifier->Verify(token, kNow), IsOk());
    const std::string signature = DecodeBase64Url(token.substr(token.rfind('.') + 1)).value();
    for (const size_t position : {size_t{0}, signature.size() / 2, signature.size() - 1}) {
      std::string flipped = signature;
      flipped[position] ^= 0x01;
      const std::string tampered = ReplacePart(token, 2, EncodeBase64Url(flipped));
      EXPECT_THAT(verifier->Verify(tampered, kNow),
                  IsRejected(tampered, "signature does not verify"))
          << "byte " << position;
    }
  }
}

TEST(JwtVerifierTest, RejectsTokenWhoseKidNamesAnotherKey) {
  auto verifier = MakeVerifier();
  const std::string rsa = SignToken(RsaKey(), Header("RS256", "rsa-2"), Payload());
  EXPECT_THAT(verifier->Verify(rsa, kNow), IsRejected(rsa, "signature does not verify"));
  const std::string ec = SignToken(EcKey(), Header("ES256", "ec-2"), Payload());
  EXPECT_THAT(verifier->Verify(ec, kNow), IsRejected(ec, "signature does not verify"));
}

TEST(JwtVerifierTest, RejectsUnknownKid) {
  auto verifier = MakeVerifier();
  const std::string token = SignToken(RsaKey(), Header("RS256", "k2"), Payload());
  EXPECT_THAT(verifier->Verify(token, kNow), IsRejected(token, "no key with kid \"k2\""));
}

TEST(JwtVerifierTest, TriesEveryKeyOfTheAlgorithmsTypeWhenThereIsNoKid) {
  auto verifier = MakeVerifier();
  EXPECT_THAT(verifier->Verify(SignToken(OtherRsaKey(), Header("RS256"), Payload()), kNow), IsOk());
  EXPECT_THAT(verifier->Verify(SignToken(OtherEcKey(), Header("ES256"), Payload()), kNow), IsOk());
  const TestKey stranger = TestKey::EcP256();
  const std::string token = SignToken(stranger, Header("ES256"), Payload());
  EXPECT_THAT(verifier->Verify(token, kNow), IsRejected(token, "signature does not verify"));
}

TEST(JwtVerifierTest, RejectsAlgorithmThatDoesNotMatchTheKidsKeyType) {
  auto verifier = MakeVerifier();
  const std::string token = SignToken(RsaKey(), Header("RS256", "ec-1"), Payload());
  EXPECT_THAT(verifier->Verify(token, kNow),
              IsRejected(token, "key \"ec-1\" is an EC P-256 key; alg RS256 needs RSA"));
}

TEST(JwtVerifierTest, RejectsAlgorithmWithNoKeyOfItsType) {
  auto verifier = MakeVerifier({}, std::string(kSecret), Jwks({EcKey().Jwk("ec-1")}));
  const std::string token = SignToken(RsaKey(), Header("RS256"), Payload());
  EXPECT_THAT(verifier->Verify(token, kNow),
              IsRejected(token, "alg RS256 is not accepted: no RSA key is configured"));
}

TEST(JwtVerifierTest, RejectsAlgNone) {
  auto verifier = MakeVerifier();
  for (const std::string_view alg : {"none", "None", "NONE"}) {
    const std::string token =
        absl::StrCat(EncodeBase64Url(Header(alg)), ".", EncodeBase64Url(Payload()), ".");
    EXPECT_THAT(verifier->Verify(token, kNow), IsRejected(token, "alg none is not accepted"));
  }
}

TEST(JwtVerifierTest, RejectsUnsupportedAlgorithms) {
  auto verifier = MakeVerifier();
  for (const std::string_view alg : {"PS256", "RS512", "HS512", "rs256", "EdDSA"}) {
    const std::string token = SignToken(RsaKey(), Header(alg, "rsa-1"), Payload());
    EXPECT_THAT(verifier->Verify(token, kNow),
                IsRejected(token, absl::StrCat("alg \"", ToAbsl(alg), "\" is not supported")));
  }
  const std::string no_alg = SignToken(RsaKey(), R"({"kid":"rsa-1"})", Payload());
  EXPECT_THAT(verifier->Verify(no_alg, kNow), IsRejected(no_alg, "header: no alg"));
  const std::string numeric = SignToken(RsaKey(), R"({"alg":256})", Payload());
  EXPECT_THAT(verifier->Verify(numeric, kNow), IsRejected(numeric, "header.alg: not a string"));
}

// The classic confusion attack: take the server's RSA public key, which is public, and use
// its bytes as the HMAC secret of an HS256 token.
TEST(JwtVerifierTest, RejectsHs256TokenSignedWithTheRsaPublicKey) {
  const std::string pem = RsaKey().PublicKeyPem();
  const std::string jwk = RsaKey().Jwk("rsa-1");
  for (const std::string& key_bytes : {pem, jwk}) {
    const std::string token = SignHs256Token(key_bytes, Header("HS256", "rsa-1"), Payload());
    auto without_secret = MakeVerifier({}, /*secret=*/"");
    EXPECT_THAT(without_secret->Verify(token, kNow),
                IsRejected(token, "alg HS256 is not accepted: no HS256 secret is configured"));
    auto with_secret = MakeVerifier();
    EXPECT_THAT(with_secret->Verify(token, kNow), IsRejected(token, "signature does not verify"));
  }
}

TEST(JwtVerifierTest, RejectsCriticalHeaderExtensions) {
  auto verifier = MakeVerifier();
  const std::string token =
      SignToken(RsaKey(), R"({"alg":"RS256","kid":"rsa-1","b64":false,"crit":["b64"]})", Payload());
  EXPECT_THAT(verifier->Verify(token, kNow),
              IsRejected(token, "header.crit: no critical extensions are supported"));
}

TEST(JwtVerifierTest, RejectsDuplicateMembers) {
  auto verifier = MakeVerifier();
  const std::string header =
      SignToken(RsaKey(), R"({"alg":"RS256","kid":"rsa-1","alg":"HS256"})", Payload());
  EXPECT_THAT(verifier->Verify(header, kNow), IsRejected(header, "header: \"alg\" appears twice"));
  const std::string payload = RsaToken(Payload(600, R"(,"tenant":"other")"));
  EXPECT_THAT(verifier->Verify(payload, kNow),
              IsRejected(payload, "payload: \"tenant\" appears twice"));
}

TEST(JwtVerifierTest, RejectsMalformedTokens) {
  auto verifier = MakeVerifier();
  const std::string token = RsaToken();
  const std::vector<std::string> parts = absl::StrSplit(token, '.');
  const auto expect_rejected = [&](const std::string& bad, std::string_view message) {
    EXPECT_THAT(verifier->Verify(bad, kNow), IsRejected(bad, message));
  };
  expect_rejected("", "expected 3 dot-separated parts, found 1");
  expect_rejected(absl::StrCat(parts[0], ".", parts[1]), "expected 3 dot-separated parts, found 2");
  expect_rejected(absl::StrCat(token, ".", parts[2]), "expected 3 dot-separated parts, found 4");
  expect_rejected(absl::StrCat("Bearer ", token), "header: not base64url: invalid character");
  expect_rejected(
      ReplacePart(token, 0, absl::StrCat(parts[0].substr(0, 5), "*", parts[0].substr(6))),
      "header: not base64url: invalid character at offset 5");
  expect_rejected(
      ReplacePart(token, 2, absl::StrCat(parts[2].substr(0, 9), "+", parts[2].substr(10))),
      "signature: not base64url: invalid character at offset 9");
  expect_rejected(ReplacePart(token, 0, EncodeBase64Url("not json")), "header: not JSON");
  expect_rejected(ReplacePart(token, 0, EncodeBase64Url(R"(["RS256"])")),
                  "header: not a JSON object");
  expect_rejected(ReplacePart(token, 0, ""), "header: not JSON");

  // Padding: standard base64 tools pad the header, which JWS forbids.
  std::string padded = parts[0];
  while (padded.size() % 4 != 0) padded += '=';
  ASSERT_NE(padded, parts[0]);
  expect_rejected(ReplacePart(token, 0, padded), "header: not base64url: '=' padding");
  std::string padded_signature = parts[2];
  while (padded_signature.size() % 4 != 0) padded_signature += '=';
  if (padded_signature != parts[2]) {
    expect_rejected(ReplacePart(token, 2, padded_signature), "signature: not base64url");
  }

  const std::string not_json = SignToken(RsaKey(), Header("RS256", "rsa-1"), "tenant=acme");
  expect_rejected(not_json, "payload: not JSON");
  const std::string array = SignToken(RsaKey(), Header("RS256", "rsa-1"), "[1]");
  expect_rejected(array, "payload: not a JSON object");

  const std::string der_es256 = SignToken(EcKey(), Header("ES256", "ec-1"), Payload());
  expect_rejected(ReplacePart(der_es256, 2, EncodeBase64Url(std::string(72, 'x'))),
                  "ES256 signature is 72 bytes; expected 64");
  expect_rejected(std::string(JwtVerifier::kMaxTokenBytes + 1, 'a'),
                  "token is 16385 bytes; the limit is 16384");
}

TEST(JwtVerifierTest, QuotesEscapesAndShortensValuesTakenFromTheToken) {
  auto verifier = MakeVerifier();
  const std::string token = SignToken(RsaKey(), Header("RS256", "K\\u0007"), Payload());
  EXPECT_THAT(verifier->Verify(token, kNow), IsRejected(token, R"(no key with kid "K\u0007")"));
  const std::string long_kid = SignToken(
      RsaKey(), absl::StrCat(R"({"alg":"RS256","kid":")", std::string(100, 'k'), "\"}"), Payload());
  EXPECT_THAT(verifier->Verify(long_kid, kNow),
              IsRejected(long_kid, absl::StrCat("\"", std::string(64, 'k'), "\"...")));
}

TEST(JwtVerifierTest, RejectsExpiredToken) {
  auto verifier = MakeVerifier();
  const std::string token = RsaToken(Payload(-100));
  EXPECT_THAT(verifier->Verify(token, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, Eq("token expired 100 s ago")));
}

TEST(JwtVerifierTest, AcceptsExpiryWithinLeeway) {
  const std::string token = RsaToken(Payload(-10));
  EXPECT_THAT(MakeVerifier()->Verify(token, kNow), IsOk());  // default leeway 30 s

  JwtSettings strict;
  strict.leeway = absl::ZeroDuration();
  auto verifier = MakeVerifier(strict);
  EXPECT_THAT(verifier->Verify(token, kNow), IsRejected(token, "token expired 10 s ago"));
  // RFC 7519: the current time must be before exp.
  EXPECT_THAT(verifier->Verify(RsaToken(Payload(0)), kNow),
              IsRejected(RsaToken(Payload(0)), "token expired 0 s ago"));
  EXPECT_THAT(verifier->Verify(RsaToken(Payload(1)), kNow), IsOk());
  EXPECT_THAT(MakeVerifier()->Verify(RsaToken(Payload(-30)), kNow),
              IsRejected(RsaToken(Payload(-30)), "token expired 30 s ago"));
}

TEST(JwtVerifierTest, RejectsTokenBeforeNotBefore) {
  auto verifier = MakeVerifier();
  const std::string token = RsaToken(Payload(600, absl::StrCat(R"(,"nbf":)", kNowSeconds + 100)));
  EXPECT_THAT(verifier->Verify(token, kNow),
              IsRejected(token, "token is not valid for another 100 s (nbf)"));
  EXPECT_THAT(verifier->Verify(token, kNow + absl::Seconds(70)), IsOk());  // within leeway
  EXPECT_THAT(
      verifier->Verify(RsaToken(Payload(600, absl::StrCat(R"(,"nbf":)", kNowSeconds))), kNow),
      IsOk());
}

TEST(JwtVerifierTest, RejectsTokenIssuedInTheFuture) {
  auto verifier = MakeVerifier();
  const std::string token = RsaToken(Payload(600, absl::StrCat(R"(,"iat":)", kNowSeconds + 100)));
  EXPECT_THAT(verifier->Verify(token, kNow),
              IsRejected(token, "token was issued 100 s in the future (iat)"));
  const std::string skewed = RsaToken(Payload(600, absl::StrCat(R"(,"iat":)", kNowSeconds + 20)));
  EXPECT_THAT(verifier->Verify(skewed, kNow), IsOk());
}

TEST(JwtVerifierTest, RequiresExpUnlessConfiguredOtherwise) {
  const std::string token = RsaToken(R"({"sub":"agent-7"})");
  EXPECT_THAT(MakeVerifier()->Verify(token, kNow), IsRejected(token, "token has no exp"));
  JwtSettings settings;
  settings.require_exp = false;
  absl::StatusOr<JwtClaims> claims = MakeVerifier(settings)->Verify(token, kNow);
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->expires_at(), absl::InfiniteFuture());
}

TEST(JwtVerifierTest, AcceptsFractionalNumericDatesAndRejectsOtherTypes) {
  auto verifier = MakeVerifier();
  absl::StatusOr<JwtClaims> claims =
      verifier->Verify(RsaToken(absl::StrCat(R"({"exp":)", kNowSeconds, ".5}")), kNow);
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->expires_at(), kNow + absl::Milliseconds(500));
  const std::string text_exp = RsaToken(absl::StrCat(R"({"exp":")", kNowSeconds + 600, "\"}"));
  EXPECT_THAT(verifier->Verify(text_exp, kNow), IsRejected(text_exp, "payload.exp: not a number"));
}

TEST(JwtVerifierTest, ChecksIssuer) {
  JwtSettings settings;
  settings.issuers = {"https://idp.example", "https://other-idp.example"};
  auto verifier = MakeVerifier(settings);
  EXPECT_THAT(
      verifier->Verify(RsaToken(Payload(600, R"(,"iss":"https://other-idp.example")")), kNow),
      IsOk());
  const std::string evil = RsaToken(Payload(600, R"(,"iss":"https://evil.example")"));
  EXPECT_THAT(verifier->Verify(evil, kNow),
              IsRejected(evil, "iss \"https://evil.example\" is not accepted"));
  EXPECT_THAT(verifier->Verify(RsaToken(), kNow), IsRejected(RsaToken(), "token has no iss"));
  const std::string numeric = RsaToken(Payload(600, R"(,"iss":7)"));
  EXPECT_THAT(verifier->Verify(numeric, kNow), IsRejected(numeric, "payload.iss: not a string"));
  // Without configured issuers, any iss is fine.
  EXPECT_THAT(MakeVerifier()->Verify(evil, kNow), IsOk());
}

TEST(JwtVerifierTest, ChecksAudienceAsStringOrArray) {
  JwtSettings settings;
  settings.audiences = {"chaukas-gateway"};
  auto verifier = MakeVerifier(settings);
  EXPECT_THAT(verifier->Verify(RsaToken(Payload(600, R"(,"aud":"chaukas-gateway")")), kNow),
              IsOk());
  EXPECT_THAT(
      verifier->Verify(RsaToken(Payload(600, R"(,"aud":["billing","chaukas-gateway"])")), kNow),
      IsOk());
  for (const std::string_view aud :
       {R"("billing")", R"(["billing","ledger"])", R"([])", R"("chaukas-gateway billing")"}) {
    const std::string token = RsaToken(Payload(600, absl::StrCat(R"(,"aud":)", ToAbsl(aud))));
    EXPECT_THAT(verifier->Verify(token, kNow),
                IsRejected(token, "aud does not include chaukas-gateway"))
        << aud;
  }
  EXPECT_THAT(verifier->Verify(RsaToken(), kNow), IsRejected(RsaToken(), "token has no aud"));
  const std::string mixed = RsaToken(Payload(600, R"(,"aud":["chaukas-gateway",1])"));
  EXPECT_THAT(verifier->Verify(mixed, kNow),
              IsRejected(mixed, "payload.aud: not an array of strings"));
}

TEST(JwtVerifierTest, CacheHitReturnsTheSameClaims) {
  auto verifier = MakeVerifier();
  const std::string token = RsaToken(Payload(600, R"(,"scope":"a b")"));
  ASSERT_THAT(verifier->Verify(token, kNow), IsOk());
  EXPECT_EQ(verifier->CachedTokenCount(), 1u);
  absl::StatusOr<JwtClaims> again = verifier->Verify(token, kNow + absl::Seconds(1));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(verifier->CachedTokenCount(), 1u);
  EXPECT_THAT(again->GetString("tenant"), Pointee(Eq("acme")));
  EXPECT_THAT(again->GetStrings("scope"), ElementsAre("a", "b"));
}

TEST(JwtVerifierTest, CacheHitStillHonoursExpiry) {
  auto verifier = MakeVerifier();
  const std::string token = RsaToken(Payload(60));
  ASSERT_THAT(verifier->Verify(token, kNow), IsOk());
  ASSERT_EQ(verifier->CachedTokenCount(), 1u);
  EXPECT_THAT(verifier->Verify(token, kNow + absl::Seconds(80)), IsOk());  // within leeway
  EXPECT_THAT(verifier->Verify(token, kNow + absl::Seconds(100)),
              IsRejected(token, "token expired 40 s ago"));
  EXPECT_EQ(verifier->CachedTokenCount(), 0u);  // an expired entry is dropped
}

TEST(JwtVerifierTest, CacheHitStillHonoursNotBefore) {
  auto verifier = MakeVerifier();
  const std::string token = RsaToken(Payload(600, absl::StrCat(R"(,"nbf":)", kNowSeconds)));
  ASSERT_THAT(verifier->Verify(token, kNow), IsOk());
  ASSERT_EQ(verifier->CachedTokenCount(), 1u);
  EXPECT_THAT(verifier->Verify(token, kNow - absl::Minutes(5)),
              IsRejected(token, "token is not valid for another 300 s (nbf)"));
}

TEST(JwtVerifierTest, CacheStaysWithinItsCapacity) {
  JwtSettings settings;
  settings.cache_entries = 3;
  auto verifier = MakeVerifier(settings);
  std::vector<std::string> tokens;
  for (int i = 0; i < 20; ++i) {
    tokens.push_back(SignHs256Token(kSecret, Header("HS256"), Payload(600 + i)));
    ASSERT_THAT(verifier->Verify(tokens.back(), kNow), IsOk());
    EXPECT_LE(verifier->CachedTokenCount(), 3u);
  }
  for (const std::string& token : tokens) EXPECT_THAT(verifier->Verify(token, kNow), IsOk());
  EXPECT_GE(verifier->CachedTokenCount(), 1u);
  EXPECT_LE(verifier->CachedTokenCount(), 3u);
}

TEST(JwtVerifierTest, CacheOfZeroEntriesIsOff) {
  JwtSettings settings;
  settings.cache_entries = 0;
  auto verifier = MakeVerifier(settings);
  EXPECT_THAT(verifier->Verify(RsaToken(), kNow), IsOk());
  EXPECT_THAT(verifier->Verify(RsaToken(), kNow), IsOk());
  EXPECT_EQ(verifier->CachedTokenCount(), 0u);
}

TEST(JwtVerifierTest, VerifiesFromManyThreadsWhileTheCacheEvicts) {
  JwtSettings settings;
  settings.cache_entries = 5;
  auto verifier = MakeVerifier(settings);
  std::vector<std::string> tokens;
  for (int i = 0; i < 12; ++i) {
    const std::string payload = Payload(600 + i);
    tokens.push_back(i % 3 == 0   ? RsaToken(payload)
                     : i % 3 == 1 ? SignToken(EcKey(), Header("ES256"), payload)
                                  : SignHs256Token(kSecret, Header("HS256"), payload));
  }
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        const std::string& token = tokens[(i * 7 + t) % tokens.size()];
        if (!verifier->Verify(token, kNow).ok()) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(failures, ElementsAre(0, 0, 0, 0));
  EXPECT_LE(verifier->CachedTokenCount(), 5u);
}

TEST(JwtVerifierTest, CreateRejectsBadJwks) {
  const std::string rsa = RsaKey().Jwk("rsa-1");
  const std::string ec = EcKey().Jwk("ec-1");
  const auto create_error = [](const std::string& jwks, std::string secret = "") {
    return JwtVerifier::Create(jwks, std::move(secret), {}).status();
  };
  const auto invalid = [](std::string_view message) {
    return StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(std::string(message)));
  };
  EXPECT_THAT(create_error(Jwks({rsa, ec, R"({"kty":"RSA","n":"ab*d","e":"AQAB"})"})),
              invalid("keys[2].n: not base64url: invalid character at offset 2"));
  EXPECT_THAT(create_error(Jwks({R"({"kty":"oct","k":"c2VjcmV0"})"})),
              invalid(R"(keys[0].kty: "oct" is not supported; use RSA or EC)"));
  EXPECT_THAT(create_error(Jwks({absl::StrReplaceAll(ec, {{"P-256", "P-384"}})})),
              invalid(R"(keys[0].crv: "P-384" is not supported; use P-256)"));
  EXPECT_THAT(create_error(Jwks({R"({"kty":"RSA","n":"AQAB"})"})), invalid("keys[0].e: missing"));
  EXPECT_THAT(create_error(Jwks({R"({"n":"AQAB","e":"AQAB"})"})), invalid("keys[0].kty: missing"));
  EXPECT_THAT(create_error(Jwks({R"({"kty":"RSA","n":7,"e":"AQAB"})"})),
              invalid("keys[0].n: not a string"));
  EXPECT_THAT(create_error(Jwks({TestKey::Rsa(1024).Jwk("")})),
              invalid("keys[0].n: a 1024-bit modulus is not accepted"));
  EXPECT_THAT(create_error(Jwks({absl::StrReplaceAll(rsa, {{R"("e":"AQAB")", R"("e":"AQAA")"}})})),
              invalid("keys[0].e: the exponent must be odd"));
  EXPECT_THAT(create_error(Jwks({absl::StrReplaceAll(
                  rsa, {{R"("kty":"RSA",)", R"("kty":"RSA","alg":"RS512",)"}})})),
              invalid(R"(keys[0].alg: "RS512" is not supported for kty RSA; use RS256)"));
  EXPECT_THAT(create_error(Jwks(
                  {absl::StrReplaceAll(ec, {{R"("kty":"EC",)", R"("kty":"EC","use":"enc",)"}})})),
              invalid(R"(keys[0].use: "enc" is not a signing key)"));
  EXPECT_THAT(create_error(Jwks(
                  {absl::StrReplaceAll(ec, {{R"("kty":"EC",)", R"("kty":"EC","d":"AAAA",)"}})})),
              invalid("keys[0].d: a private key does not belong in a JWKS"));
  EXPECT_THAT(create_error(Jwks({rsa, rsa})),
              invalid(R"(keys[1].kid: "rsa-1" is also the kid of keys[0])"));
  EXPECT_THAT(create_error(Jwks({RsaKey().Jwk("")})), IsOk());
  EXPECT_THAT(create_error(Jwks({R"("RSA")"})), invalid("keys[0]: not a JSON object"));
  EXPECT_THAT(create_error("{\"keys\": [}"), invalid("jwks: not JSON"));
  EXPECT_THAT(create_error(R"({"key":[]})"), invalid("jwks: expected an object with a \"keys\""));
}

TEST(JwtVerifierTest, CreateRejectsEcPointsThatAreNotOnTheCurve) {
  const std::string ec = EcKey().Jwk("");
  // Swapping x and y keeps both 32 bytes long but (almost surely) leaves the curve.
  const std::vector<std::string> members = absl::StrSplit(ec, '"');
  std::string x;
  std::string y;
  for (size_t i = 0; i + 2 < members.size(); ++i) {
    if (members[i] == "x") x = members[i + 2];
    if (members[i] == "y") y = members[i + 2];
  }
  ASSERT_FALSE(x.empty());
  const std::string swapped = absl::StrReplaceAll(ec, {{x, y}, {y, x}});
  EXPECT_THAT(JwtVerifier::Create(Jwks({swapped}), "", {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("keys[0]: not a valid EC public key")));
  const std::string short_x = absl::StrReplaceAll(ec, {{x, EncodeBase64Url(std::string(31, 'x'))}});
  EXPECT_THAT(JwtVerifier::Create(Jwks({short_x}), "", {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("keys[0].x: 31 bytes; a P-256 coordinate has 32")));
}

TEST(JwtVerifierTest, CreateRejectsMissingKeysAndWeakSecrets) {
  EXPECT_THAT(JwtVerifier::Create("", "", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no keys")));
  EXPECT_THAT(JwtVerifier::Create(R"({"keys":[]})", "", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no keys")));
  EXPECT_THAT(JwtVerifier::Create("", "too-short", {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("hs256_secret: 9 bytes; HS256 needs at least 32")));
  JwtSettings settings;
  settings.leeway = absl::Seconds(-1);
  EXPECT_THAT(JwtVerifier::Create("", std::string(kSecret), settings),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("leeway")));
}

// Tokens from another implementation: PyJWT (Debian's python3-jwt, with python3-cryptography)
// signs with PEM keys this test writes, and the verifier must accept what it produces.
TEST(JwtVerifierTest, VerifiesTokensSignedByPyJwt) {
  const std::string python = "/usr/bin/python3";
  chaukas::testing::TempDir dir;
  const std::string check_log = dir.Join("check.log").string();
  absl::StatusOr<pid_t> check =
      chaukas::testing::SpawnProcess({python, "-c", "import jwt, cryptography"}, check_log);
  ASSERT_THAT(check, IsOk());
  if (chaukas::testing::WaitForExit(*check, absl::Now() + absl::Seconds(60)) != 0) {
    GTEST_SKIP() << "PyJWT is not available (apt-get install python3-jwt python3-cryptography): "
                 << chaukas::testing::ReadFile(check_log);
  }

  dir.WriteFile("rsa.pem", RsaKey().PrivateKeyPem());
  dir.WriteFile("ec.pem", EcKey().PrivateKeyPem());
  const std::string script = dir.WriteFile("sign.py", R"(
import sys
import jwt

directory, exp = sys.argv[1], int(sys.argv[2])
claims = {"sub": "agent-7", "tenant": "acme", "scope": "events:write events:read",
          "iss": "https://idp.example", "aud": ["chaukas-gateway", "billing"], "exp": exp}
for alg, pem, kid in (("RS256", "rsa.pem", "rsa-1"), ("ES256", "ec.pem", "ec-1")):
    with open(f"{directory}/{pem}") as f:
        key = f.read()
    print(alg, jwt.encode(claims, key, algorithm=alg, headers={"kid": kid}))
)")
                                 .string();
  const std::string output = dir.Join("tokens.txt").string();
  absl::StatusOr<pid_t> signer = chaukas::testing::SpawnProcess(
      {python, script, dir.path().string(), absl::StrCat(kNowSeconds + 600)}, output);
  ASSERT_THAT(signer, IsOk());
  ASSERT_EQ(chaukas::testing::WaitForExit(*signer, absl::Now() + absl::Seconds(60)), 0)
      << chaukas::testing::ReadFile(output);

  JwtSettings settings;
  settings.issuers = {"https://idp.example"};
  settings.audiences = {"chaukas-gateway"};
  auto verifier = MakeVerifier(settings);
  int verified = 0;
  for (const absl::string_view line :
       absl::StrSplit(chaukas::testing::ReadFile(output), '\n', absl::SkipEmpty())) {
    const std::vector<std::string> fields = absl::StrSplit(line, ' ');
    ASSERT_EQ(fields.size(), 2u) << line;
    SCOPED_TRACE(fields[0]);
    absl::StatusOr<JwtClaims> claims = verifier->Verify(fields[1], kNow);
    ASSERT_THAT(claims, IsOk());
    EXPECT_THAT(claims->GetString("tenant"), Pointee(Eq("acme")));
    EXPECT_THAT(claims->GetStrings("scope"), ElementsAre("events:write", "events:read"));
    EXPECT_EQ(claims->expires_at(), kNow + absl::Seconds(600));
    // And PyJWT's signature is what makes it pass.
    std::string signature = DecodeBase64Url(fields[1].substr(fields[1].rfind('.') + 1)).value();
    signature.back() ^= 0x01;
    const std::string tampered = ReplacePart(fields[1], 2, EncodeBase64Url(signature));
    EXPECT_THAT(verifier->Verify(tampered, kNow),
                IsRejected(tampered, "signature does not verify"));
    ++verified;
  }
  EXPECT_EQ(verified, 2);
}

}  // namespace
}  // namespace chaukas::filters::tenant_auth
