#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace chaukas::filters::pii_redaction {

// The built-in PII categories, in order of precedence: when the spans of two findings overlap,
// their union is redacted and reported as the category that comes first here, the most
// specific one (shared/spec/pii-rules.md). Two departures from that list: CRYPTO_ADDRESS is not
// in it, and a checksummed address is as specific as a token, so it ranks with them; and IBAN
// comes before CREDIT_CARD, because a card-shaped group inside an IBAN passes Luhn one time in
// ten (the rules' own trap table asks for the IBAN there).
enum class Category : uint8_t {
  kPrivateKey,
  kJwt,
  kGithubToken,
  kSlackToken,
  kAwsAccessKey,
  kCryptoAddress,
  kUrlCredentials,
  kGenericSecret,
  kIban,
  kCreditCard,
  kUsSsn,
  kEmail,
  kPhone,
  kIpAddress,
};
inline constexpr size_t kCategoryCount = 14;

// "EMAIL", "CREDIT_CARD", ...: the names configs, stats and `pii_categories` use.
std::string_view CategoryName(Category category);
std::optional<Category> CategoryByName(std::string_view name);

}  // namespace chaukas::filters::pii_redaction
