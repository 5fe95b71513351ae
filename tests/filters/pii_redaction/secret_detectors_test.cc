#include "filters/pii_redaction/detectors/secret_detectors.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "filters/pii_redaction/pii_scanner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

// Every token, key and password here is synthetic, generated for these tests (GitHub tokens with
// their CRC-32, JWTs from base64url JSON, PEM bodies and keys from random bytes). None was ever
// issued.
namespace chaukas::filters::pii_redaction {
namespace {

using ::chaukas::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The seven secret detectors in one scanner, as the filter runs them: overlaps resolve by
// precedence.
const PiiScanner& SecretScanner() {
  static const std::unique_ptr<PiiScanner> scanner = [] {
    std::vector<std::unique_ptr<Detector>> detectors;
    detectors.push_back(MakePrivateKeyDetector());
    detectors.push_back(MakeJwtDetector());
    detectors.push_back(MakeGithubTokenDetector());
    detectors.push_back(MakeSlackTokenDetector());
    detectors.push_back(MakeAwsAccessKeyDetector());
    detectors.push_back(MakeUrlCredentialsDetector());
    detectors.push_back(MakeGenericSecretDetector());
    absl::StatusOr<std::unique_ptr<PiiScanner>> created = PiiScanner::Create(std::move(detectors));
    EXPECT_THAT(created.status(), IsOk());
    return created.ok() ? std::move(*created) : nullptr;
  }();
  return *scanner;
}

// A finding as "CATEGORY value", so a failure shows the span found.
std::string Item(Category category, std::string_view value) {
  return std::string(CategoryName(category)) + " " + std::string(value);
}

std::vector<std::string> Found(std::string_view text, std::string_view key = "") {
  std::vector<Finding> findings;
  EXPECT_THAT(SecretScanner().Find(text, {key}, findings), IsOk());
  std::vector<std::string> found;
  for (const Finding& finding : findings) {
    found.push_back(
        Item(finding.category, text.substr(finding.begin, finding.end - finding.begin)));
  }
  return found;
}

std::string Concat(std::initializer_list<std::string_view> parts) {
  std::string joined;
  for (const std::string_view part : parts) joined += part;
  return joined;
}

// ---- PRIVATE_KEY --------------------------------------------------------------------------

constexpr std::string_view kPemLine1 =
    "M7oNJGrATIGxuvI+O/nu9fefK0k0r4f1UgtpuUsNmC6Fu1W2cqhyY3rNdGb8tg4O";
constexpr std::string_view kPemLine2 =
    "j/GEY7DksropcDR08GSsaPcA9bArPcZm9FveqizK7c0rUVdBDk3uSvKzT0MKBzRH";
constexpr std::string_view kPemLine3 =
    "3mNsDoBslXumhNZDH7Xq10JNCeFdAkxYSPI9H6b3Nh1/YY0VMucOIOKmZo3n9H6E";
constexpr std::string_view kPemLine4 = "Z+VG1T7I";

// A PEM block of `label` whose lines are joined by `separator`.
std::string Pem(std::string_view label, std::string_view separator) {
  return Concat({"-----BEGIN ", label, "-----", separator, kPemLine1, separator, kPemLine2,
                 separator, kPemLine3, separator, kPemLine4, separator, "-----END ", label,
                 "-----"});
}

TEST(PrivateKeyDetectorTest, FindsBlocksFromBeginLineThroughEndLineWhateverTheLineBreaks) {
  for (const std::string_view separator : {"\n", "\r\n", "\\n", "\\r\\n", "\\\\n", " "}) {
    const std::string key = Pem("RSA PRIVATE KEY", separator);
    EXPECT_THAT(Found("key:" + std::string(separator) + key + "\" trailing"),
                ElementsAre(Item(Category::kPrivateKey, key)))
        << separator;
  }
  for (const std::string_view label : {"PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY",
                                       "ENCRYPTED PRIVATE KEY", "PGP PRIVATE KEY BLOCK"}) {
    const std::string key = Pem(label, "\n");
    EXPECT_THAT(Found(key), ElementsAre(Item(Category::kPrivateKey, key))) << label;
  }
}

TEST(PrivateKeyDetectorTest, FindsLegacyEncryptedBlocksWithTheirHeaders) {
  const std::string key =
      Concat({"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
              "DEK-Info: AES-128-CBC,712F58BFD63AD70E182E3FFCBCA0C9FB\n\n",
              kPemLine1, "\n", kPemLine2, "\n-----END RSA PRIVATE KEY-----"});
  EXPECT_THAT(Found(key), ElementsAre(Item(Category::kPrivateKey, key)));
}

TEST(PrivateKeyDetectorTest, RedactsABlockTruncatedAfterItsBodyToTheEndOfTheText) {
  const std::string truncated =
      Concat({"-----BEGIN RSA PRIVATE KEY-----\\n", kPemLine1, "\\n", kPemLine2, "\\n"});
  EXPECT_THAT(Found("stdout (truncated): " + truncated),
              ElementsAre(Item(Category::kPrivateKey, truncated)));
  // Cut off inside a JSON string that then closes: the key ends with its body.
  const std::string body_only = Concat({"-----BEGIN EC PRIVATE KEY-----\\n", kPemLine1});
  EXPECT_THAT(Found("{\"out\": \"" + body_only + "\"}"),
              ElementsAre(Item(Category::kPrivateKey, body_only)));
}

TEST(PrivateKeyDetectorTest, FindsWholeBase64EncodedPrivateKeys) {
  constexpr std::string_view kEncoded =
      "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNN29OSkdyQVRJR3h1dkkrTy9udTlmZWZLMGswcjRmMVVndH"
      "B1VXNObUM2RnUxVzJjcWh5WTNyTmRHYjh0ZzRPCmovR0VZN0Rrc3JvcGNEUjA4R1NzYVBjQTliQXJQY1ptOUZ2ZXFp"
      "eks3YzByVVZkQkRrM3VTdkt6VDBNS0J6UkgzbU5zRG9Cc2xYdW1oTlpESDdYcTEwSk5DZUZkQWt4WVNQSTlINmIzTm"
      "gxL1lZMFZNdWNPSU9LbVpvM245SDZFWitWRzFUN0kKLS0tLS1FTkQgUlNBIFBSSVZBVEUgS0VZLS0tLS0K";
  EXPECT_THAT(Found("  tls.key: " + std::string(kEncoded) + "\n"),
              ElementsAre(Item(Category::kPrivateKey, kEncoded)));
}

TEST(PrivateKeyDetectorTest, IgnoresPublicBlocksHeaderOnlyMentionsAndPlaceholderBodies) {
  constexpr std::string_view kEncodedPublicKey =
      "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTTdvTkpHckFUSUd4dXZJK08vbnU5ZmVmSzBrMHI0ZjFVZ3RwdVVzTm"
      "1DNkZ1MVcyY3FoeVkzck5kR2I4dGc0TwpqL0dFWTdEa3Nyb3BjRFIwOEdTc2FQY0E5YkFyUGNabTlGdmVxaXpLN2Mw"
      "clVWZEJEazN1U3ZLelQwTUtCelJIM21Oc0RvQnNsWHVtaE5aREg3WHExMEpOQ2VGZEFreFlTUEk5SDZiM05oMS9ZWT"
      "BWTXVjT0lPS21abzNuOUg2RVorVkcxVDdJCi0tLS0tRU5EIFBVQkxJQyBLRVktLS0tLQo=";
  for (const std::string& text : {
           Pem("PUBLIC KEY", "\n"),
           Pem("RSA PUBLIC KEY", "\\n"),
           Pem("CERTIFICATE", "\n"),
           Pem("CERTIFICATE REQUEST", "\n"),
           Pem("PGP PUBLIC KEY BLOCK", "\n"),
           std::string(
               "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----"),
           std::string("Error: key file must start with -----BEGIN RSA PRIVATE KEY-----"),
           std::string("expected -----BEGIN OPENSSH PRIVATE KEY----- but the file holds something "
                       "else entirely, see the documentation for the supported formats"),
           std::string("-----BEGIN OPENSSH PRIVATE KEY----- not found in "
                       "/home/runner/work/agents/agents/.ssh/id_ed25519 (see the guide)"),
           std::string("-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----"),
           std::string("-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----"),
           std::string("-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----"),
           std::string("scrubbed: -----BEGIN RSA PRIVATE KEY----- [REDACTED] -----END RSA "
                       "PRIVATE KEY-----"),
           std::string("too short: -----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA "
                       "PRIVATE KEY-----"),
           std::string("-----END OPENSSH PRIVATE KEY----- (footer only)"),
           "ca.crt: " + std::string(kEncodedPublicKey),
       }) {
    EXPECT_THAT(Found(text), IsEmpty()) << text;
  }
}

// ---- JWT ----------------------------------------------------------------------------------

constexpr std::string_view kJwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsIm5hbWUiOiJUZXN0IFVzZXIiLCJpYXQiOjE3MDA"
    "wMDAwMDB9.BvhdhpACSta9o0Ab6cjLzMk19s0fYSJq4VM4rho0AE0";

TEST(JwtDetectorTest, FindsAllThreeSegments) {
  for (const std::string& text : {
           "session=" + std::string(kJwt) + "; Path=/; HttpOnly",
           "can you decode this? " + std::string(kJwt),
           "(" + std::string(kJwt) + ") expired.",
           "x-amzn-oidc-data: " + std::string(kJwt),
       }) {
    EXPECT_THAT(Found(text), ElementsAre(Item(Category::kJwt, kJwt))) << text;
  }
  EXPECT_THAT(Found(Concat({kJwt, " and ", kJwt})),
              ElementsAre(Item(Category::kJwt, kJwt), Item(Category::kJwt, kJwt)));
}

TEST(JwtDetectorTest, IgnoresHeaderOnlyTwoSegmentNonJsonAndBase64Blobs) {
  for (const std::string_view text : {
           "JWT header: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
           "eyJAAAA.eyJBBB",
           "garbage eyJAAAA.eyJBBB.CCCC in the log line",
           "data:application/json;base64,eyJuYW1lIjoiZGVtbyIsInZlcnNpb24iOiIyIn0=",
           "partial eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ (missing signature)",
           "payload is not JSON: "
           "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.bm90IGpzb24gYXQgYWxs.rXubKumDbDMpy-XOmsblPz33",
           "segments decode to arrays: WzEsMiwzXQ.WyJhIiwiYiJd.Ypflbibjx9Abmrwg_wT_yw",
           "xxxxx.yyyyy.zzzzz",
           "eyJ... (truncated for display)",
           "logger=com.northwind.agent.runtime.ToolRunner",
       }) {
    EXPECT_THAT(Found(text), IsEmpty()) << text;
  }
}

// ---- GITHUB_TOKEN -------------------------------------------------------------------------

constexpr std::string_view kGhp = "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";
constexpr std::string_view kGho = "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";
constexpr std::string_view kGhs = "ghs_CN6Zj4a3dDVhYRnKTbxTNJFoBinF5a42GyMy";
constexpr std::string_view kGithubPat =
    "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";

TEST(GithubTokenDetectorTest, FindsTokensWithValidChecksumsAndFineGrainedTokens) {
  EXPECT_THAT(Found(Concat({"export GITHUB_TOKEN=", kGhp})),
              ElementsAre(Item(Category::kGithubToken, kGhp)));
  EXPECT_THAT(Found(Concat({"rotated: ", kGho, ", ", kGhs, "."})),
              ElementsAre(Item(Category::kGithubToken, kGho), Item(Category::kGithubToken, kGhs)));
  EXPECT_THAT(Found(Concat({"pip install git+https://", kGhp, "@github.com/org/tools.git"})),
              ElementsAre(Item(Category::kGithubToken, kGhp)));
  EXPECT_THAT(Found(Concat({"use my PAT ", kGithubPat, " to push"})),
              ElementsAre(Item(Category::kGithubToken, kGithubPat)));
}

TEST(GithubTokenDetectorTest, IgnoresWrongChecksumsPlaceholdersAndTruncatedOrGluedTokens) {
  for (const std::string& text : {
           std::string("fixture ghp_JXVuLkSIc47WQAmL9xVQ2zg4mZaouq416qWA fails its checksum"),
           std::string("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
           std::string("ghp_************************************"),
           std::string("github_pat_xxxxxxxxxxxxxxxxxxxxxx_"
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
           std::string("ghp_abc123 (truncated in UI)"),
           std::string(kGhp.substr(0, 39)) + " (one short)",
           "x" + std::string(kGhp),
           std::string(kGhp) + "9",
           "ghx_" + std::string(kGhp.substr(4)),
           std::string("Classic tokens start with ghp_ and fine-grained ones with github_pat_."),
       }) {
    EXPECT_THAT(Found(text), IsEmpty()) << text;
  }
}

// ---- SLACK_TOKEN --------------------------------------------------------------------------

TEST(SlackTokenDetectorTest, FindsEveryTokenFamilyAndWebhookUrls) {
  for (const std::string_view token : {
           "xoxb-3348099009-0434098948335-oEu65GH2vnBHm8qRswhqyGP9",
           "xoxp-09372132384-71073163084-7016462551429-fa2815d2802827283e0ad84173581569",
           "xoxs-7158922149-96706543838-797496024186-fa2815d2802827283e0ad84173581569",
           "xapp-1-ANJPQJ0GQLK-9476633821702-fa2815d2802827283e0ad84173581569",
           "xoxa-2-ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w",
           "xoxr-ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w",
           "xoxe-1-RWKCnNozRu1pmePwuyZZDk53xkQSdm8ftIV3wxZ8AUQLIJGllfGPfFJUZgP7AfA4DWvpVZESwLmSR8ZC"
           "F5BLZ5KFNGpaCu1ltQOQlXDOHLm3VHazN8hWXeotsD5HvFOPfSRzJsqtz182RjmvpU",
           "xoxe.xoxp-1-"
           "RWKCnNozRu1pmePwuyZZDk53xkQSdm8ftIV3wxZ8AUQLIJGllfGPfFJUZgP7AfA4DWvpVZESwLmS"
           "R8ZCF5BLZ5KFNGpaCu1ltQOQlXDOHLm3VHazN8hWXeotsD5HvFOPfSRzJsqtz182RjmvpU",
           "https://hooks.slack.com/services/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",
       }) {
    EXPECT_THAT(Found(Concat({"connecting with ", token, " now"})),
                ElementsAre(Item(Category::kSlackToken, token)))
        << token;
  }
}

TEST(SlackTokenDetectorTest, IgnoresPlaceholdersMasksAndPrefixMentions) {
  for (const std::string_view text : {
           "SLACK_BOT_TOKEN=xoxb-your-bot-token",
           "xoxb-XXXXXXXXXXXX-XXXXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX",
           "SLACK_BOT_TOKEN=xoxb-xxxxxxxxxxxx-xxxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx",
           "token: xoxp-############",
           "xoxb-*************** (masked)",
           "xoxb-1234 (truncated)",
           "xoxb-<workspace-id>-<bot-id>-<secret>",
           "Bot tokens start with xoxb- and user tokens with xoxp-.",
           "app tokens look like xapp-1-...",
           "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
           "Webhook URLs look like https://hooks.slack.com/services/...",
           "xoxo, Dana",
       }) {
    EXPECT_THAT(Found(text), IsEmpty()) << text;
  }
}

// ---- AWS_ACCESS_KEY -----------------------------------------------------------------------

TEST(AwsAccessKeyDetectorTest, FindsAccessKeyIdsBetweenNonAlphanumerics) {
  EXPECT_THAT(Found("aws_access_key_id = AKIA4UEP3ENTHJXJQI5O\n"),
              ElementsAre(Item(Category::kAwsAccessKey, "AKIA4UEP3ENTHJXJQI5O")));
  EXPECT_THAT(Found("X-Amz-Credential=ASIA4UEP3ENTHJXJQI5O%2F20240519%2Fus-east-1"),
              ElementsAre(Item(Category::kAwsAccessKey, "ASIA4UEP3ENTHJXJQI5O")));
  // AWS's documentation key is masked too: there is no allow-list.
  EXPECT_THAT(Found("(AKIAIOSFODNN7EXAMPLE)"),
              ElementsAre(Item(Category::kAwsAccessKey, "AKIAIOSFODNN7EXAMPLE")));
}

TEST(AwsAccessKeyDetectorTest, IgnoresPlaceholdersOtherIamIdsAndGluedKeys) {
  for (const std::string_view text : {
           "aws_access_key_id = AKIAXXXXXXXXXXXXXXXX",
           "AWS_ACCESS_KEY_ID=AKIAZZZZZZZZZZZZZZZZ",
           "AKIAAAAABBBBCCCCDDDD placeholder in fixture",
           "AKIA0123456789ABCDEF is not a valid key format",
           "Key: AKIA**************** (masked)",
           "truncated key AKIAX7Q2MZ4R",
           "IAM user id AIDAIT5QOQZEL6MLOOQM4",
           "XAKIA4UEP3ENTHJXJQI5O embedded in a longer identifier",
           "AKIA4UEP3ENTHJXJQI5OX",
           "akia4uep3enthjxjqi5o is lowercase",
       }) {
    EXPECT_THAT(Found(text), IsEmpty()) << text;
  }
}

// ---- URL_CREDENTIALS ----------------------------------------------------------------------

TEST(UrlCredentialsDetectorTest, FindsTheUserinfoOfAnyScheme) {
  for (const auto& [text, userinfo] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"DATABASE_URL=postgres://app_user:p4ssw0rd2024@db.example.com:5432/orders",
            "app_user:p4ssw0rd2024"},
           {"mysql://root:Tr0ub4dor&3@10.0.3.14:3306/crm", "root:Tr0ub4dor&3"},
           {"mongodb+srv://svc:Xk9%40mQ2z@cluster0.example.net/db?w=majority", "svc:Xk9%40mQ2z"},
           {"smtp://alerts%40example.com:AppPw-7731@smtp.example.com:587",
            "alerts%40example.com:AppPw-7731"},
           {"jdbc:mysql://report_ro:Rp0rt1ng@reports.example.de/bi", "report_ro:Rp0rt1ng"},
           {"redis://:s3cretRedisPw@redis-master:6379", ":s3cretRedisPw"},
           {"amqp://celery:Cel3ry@Br0ker@mq.example.dev:5672//", "celery:Cel3ry@Br0ker"},
           {"{\"dsn\": \"postgresql://ro:ro_Pq8vW3xZ@[2001:db8::15]:5432/claims\"}",
            "ro:ro_Pq8vW3xZ"},
           {"router at http://admin:1234@192.168.1.1/cgi-bin", "admin:1234"},
       }) {
    EXPECT_THAT(Found(text), ElementsAre(Item(Category::kUrlCredentials, userinfo))) << text;
  }
}

TEST(UrlCredentialsDetectorTest, IgnoresPlaceholdersAndUrlsWithoutAPassword) {
  for (const std::string_view text : {
           "Connection string format: postgres://user:password@host:5432/dbname",
           "DATABASE_URL=postgresql://${DB_USER}:${DB_PASS}@${DB_HOST}:5432/app",
           "mysql://<user>:<pass>@<host>/<db>",
           "redis://****:****@cache:6379",
           "http://user:********@proxy.corp:3128",
           "mongodb://{username}:{password}@{host}:27017",
           "DSN = \"postgresql://${PGUSER}:${PGPASSWORD}@%(host)s/app\"",
           "postgres://app@db-primary:5432/orders (IAM auth)",
           "http://localhost:8080/v1/chat/completions",
           "https://api.example.io:8443/v2/orders?page=2&user=a@b.c",
           "mailto:someone@example.com",
       }) {
    EXPECT_THAT(Found(text), IsEmpty()) << text;
  }
}

// ---- GENERIC_SECRET -----------------------------------------------------------------------

constexpr std::string_view kRandom40 = "ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w";

TEST(GenericSecretDetectorTest, FindsTheValueOfSecretNamedKeysInEveryNotation) {
  for (const auto& [text, value] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"api_key=ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w", kRandom40},
           {"client_secret: ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w", kRandom40},
           {"{\"apiKey\": \"ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w\", \"model\": \"gpt-4o\"}",
            kRandom40},
           {"{\\\"x-api-key\\\": \\\"ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w\\\"}", kRandom40},
           {"aws_secret_access_key = ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w\n", kRandom40},
           {"python agent.py --api-key ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w --model x",
            kRandom40},
           {"GET /cb?refresh_token=ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w&grant_type=x",
            kRandom40},
           {"SECRET_KEY = 'django-insecure-5op=*f_24)h7aa0u7gm+gpkz77@0k(9$x-!g4%%20xds^w4y)='",
            "django-insecure-5op=*f_24)h7aa0u7gm+gpkz77@0k(9$x-!g4%%20xds^w4y)="},
           {"{\"username\": \"dana.w\", \"password\": \"Tr0ub4dor&3 Blue\"}", "Tr0ub4dor&3 Blue"},
           {"database:\n  db_password: Winter2024!\n  host: db", "Winter2024!"},
           {"kubectl create secret generic x --from-literal=password=M4ple&Syrup-Ridge",
            "M4ple&Syrup-Ridge"},
           {"mysqldump --user=backup --password hunter2-Blue-Skies crm", "hunter2-Blue-Skies"},
           {"log in as dana.w, password: bluebird-orchard-lamp - thanks", "bluebird-orchard-lamp"},
           {"App(signing_secret=\"fa2815d2802827283e0ad84173581569\")",
            "fa2815d2802827283e0ad84173581569"},
           {"apiKey := \"ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w\"", kRandom40},
           {"Password=${PW};ApiKey=ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w", kRandom40},
           {"{'token' => 'ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w'}", kRandom40},
       }) {
    EXPECT_THAT(Found(text), ElementsAre(Item(Category::kGenericSecret, value))) << text;
  }
}

TEST(GenericSecretDetectorTest, FindsBearerAndBasicCredentialsWithoutTheirScheme) {
  EXPECT_THAT(Found("Authorization: Bearer ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w\r\n"),
              ElementsAre(Item(Category::kGenericSecret, kRandom40)));
  EXPECT_THAT(Found("{\"authorization\": \"bearer ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w\"}"),
              ElementsAre(Item(Category::kGenericSecret, kRandom40)));
  EXPECT_THAT(Found("Authorization: Basic c3ZjX2FnZW50OktmOC13cTJQLTcxeng="),
              ElementsAre(Item(Category::kGenericSecret, "c3ZjX2FnZW50OktmOC13cTJQLTcxeng=")));
  // Other schemes hold several parts (key id, date, signature), none of them one secret.
  EXPECT_THAT(Found("Authorization: AWS4-HMAC-SHA256 Credential=x/20240519, Signature=15b7"),
              IsEmpty());
}

TEST(GenericSecretDetectorTest, FindsVendorPrefixedKeysAnywhere) {
  for (const std::string_view key : {
           "sk-proj-ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w-amyvWxwFgqYkAT3BlbkFJqxDVFCxjpM_2Un",
           "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",
           "sk-ant-api03-dRThPHpi6G19WtK7AmaVb5wNKYv0XkgfV4dRjN0gmAyZPV0BXBIp5o2ccTAJnf_JaI5sH2TA35"
           "HkDmv62V-X0w8B8yAA",
           "sk_test_oEu65GH2vnBHm8qRswhqyGP9",
           "sk_live_FkmDElfTVsO4UwhIn2defC4c9LGfliJda80U3VHh6iDhVIjXITTTn7vZCJ5x",
           "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",
       }) {
    EXPECT_THAT(Found(Concat({"the key ", key, " is exposed; rotate it."})),
                ElementsAre(Item(Category::kGenericSecret, key)))
        << key;
  }
  // Under a secret-named key too, found once.
  EXPECT_THAT(Found("HF_TOKEN=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"),
              ElementsAre(Item(Category::kGenericSecret, "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")));
}

TEST(GenericSecretDetectorTest, FindsTheWholeTextUnderASecretNamedStructKey) {
  EXPECT_THAT(Found("correct-horse-battery-staple", "password"),
              ElementsAre(Item(Category::kGenericSecret, "correct-horse-battery-staple")));
  EXPECT_THAT(Found(kRandom40, "clientSecret"),
              ElementsAre(Item(Category::kGenericSecret, kRandom40)));
  EXPECT_THAT(Found(Concat({"Bearer ", kRandom40}), "Authorization"),
              ElementsAre(Item(Category::kGenericSecret, kRandom40)));
  for (const auto& [text, key] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"${DB_PASSWORD}", "password"},
           {"", "password"},
           {"********", "api_key"},
           {"4096", "max_tokens"},
           {"4096", "token"},
           {"correct-horse-battery-staple", "password_length"},
           {"correct-horse-battery-staple", "secret_name"},
           {"ly6PuVAgrEAjRWPLQCMK5kN1LZTSj1OLXdIWz47w", "key"},
       }) {
    EXPECT_THAT(Found(text, key), IsEmpty()) << key << " = " << text;
  }
}

TEST(GenericSecretDetectorTest, IgnoresCountAndConfigKeysAndNonSecretValues) {
  for (const std::string_view text : {
           "{\"model\": \"gpt-4o\", \"max_tokens\": 4096, \"temperature\": 0.2}",
           "{\"usage\": {\"prompt_tokens\": 1532, \"completion_tokens\": 418}}",
           "max_completion_tokens=1024 reasoning_tokens=256",
           "api_version: \"2024-02-01\"",
           "{\"token_type\": \"Bearer\", \"expires_in\": 3600}",
           "secret_name: prod/agents/openai",
           "api_key_env: OPENAI_API_KEY",
           "password_length: 16",
           "token_id: 88213",
           "token_url: https://auth.example.io/oauth/token",
           "{\"nextPageToken\": \"CAUQAA\", \"eos_token\": \"</s>\"}",
           "OPENAI_API_KEY=${OPENAI_API_KEY}",
           "api_key: <token>",
           "password: ********",
           "password: \"\"",
           "{\"api_key\": null}",
           "Authorization: Bearer ${TOKEN}",
           "curl -H \"Authorization: Bearer $OPENAI_API_KEY\" https://api.example.com/v1/models",
           "api_key: \"sk-proj-****************\"",
           "secret: ${VAULT_SECRET}",
           "token count: 8192 (context window)",
           "The password must be at least 12 characters.",
           "{\"key\": \"ctrl+shift+down\", \"command\": \"editor.action.copyLinesDownAction\"}",
           "def login(user: str, password: str, api_key: Optional[str] = None):",
           "PWD=/home/dana/agents",
           "kind: Secret\nsecret: agent-credentials",
           "std::string token = \"\"; if (token == expected) return;",
       }) {
    EXPECT_THAT(Found(text), IsEmpty()) << text;
  }
}

// ---- Precedence across categories ---------------------------------------------------------

TEST(SecretDetectorsPrecedenceTest, ATokenUnderASecretKeyIsReportedAsTheToken) {
  EXPECT_THAT(Found(Concat({"Authorization: Bearer ", kJwt})),
              ElementsAre(Item(Category::kJwt, kJwt)));
  EXPECT_THAT(Found(Concat({"{\"access_token\": \"", kJwt, "\"}"})),
              ElementsAre(Item(Category::kJwt, kJwt)));
  EXPECT_THAT(Found(kJwt, "id_token"), ElementsAre(Item(Category::kJwt, kJwt)));
  EXPECT_THAT(Found(Concat({"GITHUB_TOKEN=", kGhp, "\nLOG_LEVEL=debug"})),
              ElementsAre(Item(Category::kGithubToken, kGhp)));
  EXPECT_THAT(Found(Concat({"refresh_token=", kGho, "&grant_type=refresh_token"})),
              ElementsAre(Item(Category::kGithubToken, kGho)));
  EXPECT_THAT(Found("{\"token\": \"xoxb-3348099009-0434098948335-oEu65GH2vnBHm8qRswhqyGP9\"}"),
              ElementsAre(Item(Category::kSlackToken,
                               "xoxb-3348099009-0434098948335-oEu65GH2vnBHm8qRswhqyGP9")));
  const std::string key = Pem("PRIVATE KEY", "\\n");
  EXPECT_THAT(
      Found("{\"private_key\": \"" + key + "\\n\", \"client_secret\": \"" + std::string(kRandom40) +
            "\"}"),
      ElementsAre(Item(Category::kPrivateKey, key), Item(Category::kGenericSecret, kRandom40)));
}

TEST(SecretDetectorsPrecedenceTest, APasswordInAUrlIsUrlCredentials) {
  EXPECT_THAT(Found("postgres://u:p@h"), ElementsAre(Item(Category::kUrlCredentials, "u:p")));
  EXPECT_THAT(Found("DATABASE_URL=postgres://app:Pg-Pass-2291@db-primary:5432/app"),
              ElementsAre(Item(Category::kUrlCredentials, "app:Pg-Pass-2291")));
}

TEST(SecretDetectorsPrecedenceTest, FindsEveryCategoryInOneEnvDump) {
  const std::string text = Concat({
      "DATABASE_URL=postgres://orders:Ord3rs-Pg-77@db.example.com:5432/orders\n",
      "AWS_ACCESS_KEY_ID=AKIA4UEP3ENTHJXJQI5O\n",
      "AWS_SECRET_ACCESS_KEY=",
      kRandom40,
      "\nGITHUB_TOKEN=",
      kGhs,
      "\nSLACK_WEBHOOK=https://hooks.slack.com/services/TOTQ3UNFK/B5ZC0C4Y7IU/"
      "oEu65GH2vnBHm8qRswhqyGP9\n",
      "OPENAI_API_KEY=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\n",
      "SESSION=",
      kJwt,
      "\nMAX_TOKENS=4096\n",
  });
  EXPECT_THAT(
      Found(text),
      ElementsAre(
          Item(Category::kUrlCredentials, "orders:Ord3rs-Pg-77"),
          Item(Category::kAwsAccessKey, "AKIA4UEP3ENTHJXJQI5O"),
          Item(Category::kGenericSecret, kRandom40), Item(Category::kGithubToken, kGhs),
          Item(Category::kSlackToken,
               "https://hooks.slack.com/services/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"),
          Item(Category::kGenericSecret, "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"),
          Item(Category::kJwt, kJwt)));
}

TEST(SecretDetectorsTest, CleanTextHasNoFindings) {
  EXPECT_THAT(Found("The agent called search_orders with limit=50 and got 12 results in 38 ms; "
                    "see https://docs.example.com/api#limits for the token budget."),
              IsEmpty());
  EXPECT_THAT(Found(""), IsEmpty());
}

}  // namespace
}  // namespace chaukas::filters::pii_redaction
