#include "filters/pii_redaction/redactor.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace chaukas::filters::pii_redaction {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr char kKey[] = "0123456789abcdef0123456789abcdef";

// Methods by category for one test; categories not listed are masked.
class Methods {
 public:
  explicit Methods(std::map<Category, MethodSpec> by_category)
      : by_category_(std::move(by_category)) {}
  const MethodSpec& operator()(Category category) const {
    const auto found = by_category_.find(category);
    return found == by_category_.end() ? mask_ : found->second;
  }

 private:
  std::map<Category, MethodSpec> by_category_;
  MethodSpec mask_;
};

TEST(RedactorTest, EachMethodRewritesItsItemsAndLeavesTheRestOfTheText) {
  absl::StatusOr<PiiHasher> hasher = PiiHasher::Create(kKey, /*per_tenant_keys=*/false);
  ASSERT_THAT(hasher.status(), IsOk());
  const Methods methods({{Category::kCreditCard, {Method::kPartial, 4}},
                         {Category::kEmail, {Method::kHash, 0}},
                         {Category::kIpAddress, {Method::kDetect, 0}}});
  std::string text = "card 4111 1111 1111 1111, mail ann@x.io, ssn 536-22-8147 from 10.0.0.1";
  const std::vector<Finding> findings = {{5, 24, Category::kCreditCard},
                                         {31, 39, Category::kEmail},
                                         {45, 56, Category::kUsSsn},
                                         {62, 70, Category::kIpAddress}};
  EXPECT_FALSE(Redact(text, findings, methods, &*hasher, "acme"));
  EXPECT_THAT(text, MatchesRegex("card \\*\\*\\*\\* \\*\\*\\*\\* \\*\\*\\*\\* 1111, mail "
                                 "\\[EMAIL:[0-9a-f]{16}\\], ssn \\[US_SSN\\] from 10.0.0.1"));
}

TEST(RedactorTest, AnyItemWhoseMethodIsDropDropsTheWholeFieldUntouched) {
  const Methods methods({{Category::kPrivateKey, {Method::kDrop, 0}}});
  std::string text = "key: -----BEGIN PRIVATE KEY----- ... and ann@x.io";
  const std::string original = text;
  const std::vector<Finding> findings = {{5, 30, Category::kPrivateKey},
                                         {40, 48, Category::kEmail}};
  EXPECT_TRUE(Redact(text, findings, methods, nullptr, "acme"));
  EXPECT_EQ(text, original);
}

TEST(RedactorTest, HashesAreKeyedDeterministicAndPerTenantWhenAsked) {
  absl::StatusOr<PiiHasher> shared = PiiHasher::Create(kKey, false);
  absl::StatusOr<PiiHasher> per_tenant = PiiHasher::Create(kKey, true);
  absl::StatusOr<PiiHasher> other_key = PiiHasher::Create(std::string(kKey) + "!", false);
  ASSERT_TRUE(shared.ok() && per_tenant.ok() && other_key.ok());
  const std::string hash = shared->Hash("acme", Category::kEmail, "ann@x.io");
  EXPECT_EQ(hash.size(), 16u);
  // The same item hashes the same in every event and on every replica.
  EXPECT_EQ(shared->Hash("globex", Category::kEmail, "ann@x.io"), hash);
  EXPECT_NE(shared->Hash("acme", Category::kEmail, "bob@x.io"), hash);
  // Another key, another category or (with per-tenant keys) another tenant: another hash.
  EXPECT_NE(other_key->Hash("acme", Category::kEmail, "ann@x.io"), hash);
  EXPECT_NE(shared->Hash("acme", Category::kGenericSecret, "ann@x.io"), hash);
  EXPECT_NE(per_tenant->Hash("acme", Category::kEmail, "ann@x.io"),
            per_tenant->Hash("globex", Category::kEmail, "ann@x.io"));
  EXPECT_EQ(per_tenant->Hash("acme", Category::kEmail, "ann@x.io"),
            per_tenant->Hash("acme", Category::kEmail, "ann@x.io"));
}

TEST(RedactorTest, AShortKeyIsRefused) {
  EXPECT_THAT(PiiHasher::Create("short", false).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 32")));
}

TEST(RedactorTest, PartialKeepsTheLastCharactersAndTheSeparators) {
  EXPECT_EQ(Replacement("536-22-8147", Category::kUsSsn, {Method::kPartial, 4}, nullptr, ""),
            "***-**-8147");
  EXPECT_EQ(Replacement("abc", Category::kEmail, {Method::kPartial, 4}, nullptr, ""), "abc");
  EXPECT_EQ(Replacement("4111", Category::kCreditCard, {Method::kPartial, 0}, nullptr, ""), "****");
  // A hash method without a key falls back to masking, never to the item itself.
  EXPECT_EQ(Replacement("ann@x.io", Category::kEmail, {Method::kHash, 0}, nullptr, ""), "[EMAIL]");
}

}  // namespace
}  // namespace chaukas::filters::pii_redaction
