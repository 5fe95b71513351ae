#include "filters/pii_redaction/category.h"

namespace chaukas::filters::pii_redaction {

std::string_view CategoryName(Category category) {
  switch (category) {
    case Category::kPrivateKey:
      return "PRIVATE_KEY";
    case Category::kJwt:
      return "JWT";
    case Category::kGithubToken:
      return "GITHUB_TOKEN";
    case Category::kSlackToken:
      return "SLACK_TOKEN";
    case Category::kAwsAccessKey:
      return "AWS_ACCESS_KEY";
    case Category::kCryptoAddress:
      return "CRYPTO_ADDRESS";
    case Category::kUrlCredentials:
      return "URL_CREDENTIALS";
    case Category::kGenericSecret:
      return "GENERIC_SECRET";
    case Category::kIban:
      return "IBAN";
    case Category::kCreditCard:
      return "CREDIT_CARD";
    case Category::kUsSsn:
      return "US_SSN";
    case Category::kEmail:
      return "EMAIL";
    case Category::kPhone:
      return "PHONE";
    case Category::kIpAddress:
      return "IP_ADDRESS";
  }
  return "";
}

std::optional<Category> CategoryByName(std::string_view name) {
  for (size_t i = 0; i < kCategoryCount; ++i) {
    const auto category = static_cast<Category>(i);
    if (CategoryName(category) == name) return category;
  }
  return std::nullopt;
}

}  // namespace chaukas::filters::pii_redaction
