#include "gateway/common/base64url.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace chaukas {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;

TEST(Base64UrlTest, EncodesRfc4648TestVectorsWithoutPadding) {
  EXPECT_EQ(EncodeBase64Url(""), "");
  EXPECT_EQ(EncodeBase64Url("f"), "Zg");
  EXPECT_EQ(EncodeBase64Url("fo"), "Zm8");
  EXPECT_EQ(EncodeBase64Url("foo"), "Zm9v");
  EXPECT_EQ(EncodeBase64Url("foob"), "Zm9vYg");
  EXPECT_EQ(EncodeBase64Url("fooba"), "Zm9vYmE");
  EXPECT_EQ(EncodeBase64Url("foobar"), "Zm9vYmFy");
}

TEST(Base64UrlTest, UsesTheUrlSafeAlphabet) {
  EXPECT_EQ(EncodeBase64Url("\xfb\xff\xbf"), "-_-_");
  absl::StatusOr<std::string> decoded = DecodeBase64Url("-_-_");
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, "\xfb\xff\xbf");
}

TEST(Base64UrlTest, RoundTripsEveryByteValueAndLength) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<char>(i));
    absl::StatusOr<std::string> decoded = DecodeBase64Url(EncodeBase64Url(bytes));
    ASSERT_THAT(decoded, IsOk()) << "length " << bytes.size();
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(Base64UrlTest, RejectsPadding) {
  EXPECT_THAT(DecodeBase64Url("Zg=="), StatusIs(absl::StatusCode::kInvalidArgument,
                                                Eq("not base64url: '=' padding is not allowed")));
  EXPECT_THAT(DecodeBase64Url("Zm8="),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("padding is not allowed")));
}

TEST(Base64UrlTest, RejectsTheStandardAlphabetAndWhitespace) {
  EXPECT_THAT(DecodeBase64Url("+/+/"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("not base64url: invalid character at offset 0")));
  EXPECT_THAT(DecodeBase64Url("Zm9v YmFy"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("not base64url: invalid character at offset 4")));
  EXPECT_THAT(DecodeBase64Url(std::string("Zm\0v", 4)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("offset 2")));
}

TEST(Base64UrlTest, RejectsImpossibleLength) {
  EXPECT_THAT(DecodeBase64Url("Zm9vY"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("not base64url: a length of 5 characters is impossible")));
}

TEST(Base64UrlTest, RejectsNonZeroSpareBitsSoEveryByteStringHasOneSpelling) {
  // "Zg" is "f"; "Zh" carries the same byte with a spare bit set.
  EXPECT_THAT(DecodeBase64Url("Zh"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("non-zero spare bits")));
  EXPECT_THAT(DecodeBase64Url("Zm9"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("non-zero spare bits")));
}

}  // namespace
}  // namespace chaukas
