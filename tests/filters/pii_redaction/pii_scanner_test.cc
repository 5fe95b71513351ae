#include "filters/pii_redaction/pii_scanner.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace chaukas::filters::pii_redaction {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Finds `literal` wherever it occurs, as `category`; counts the trigger ends it is given.
class LiteralDetector final : public Detector {
 public:
  LiteralDetector(std::string literal, Category category, int* calls)
      : literal_(std::move(literal)), category_(category), calls_(calls) {}
  Category category() const override { return category_; }
  std::vector<MultiPatternScanner::Pattern> Triggers() const override { return {{literal_}}; }
  size_t Extract(std::string_view /*text*/, size_t end, const TextContext& /*context*/,
                 std::vector<Finding>& findings) const override {
    ++*calls_;
    findings.push_back({end - literal_.size(), end, category_});
    return end;
  }

 private:
  const std::string literal_;
  const Category category_;
  int* const calls_;
};

// Finds runs of digits, looking at the whole run at its first trigger end.
class DigitRunDetector final : public Detector {
 public:
  explicit DigitRunDetector(int* calls) : calls_(calls) {}
  Category category() const override { return Category::kCreditCard; }
  std::vector<MultiPatternScanner::Pattern> Triggers() const override { return {{"\\d{2}"}}; }
  size_t Extract(std::string_view text, size_t end, const TextContext& /*context*/,
                 std::vector<Finding>& findings) const override {
    ++*calls_;
    size_t stop = end;
    while (stop < text.size() && text[stop] >= '0' && text[stop] <= '9') ++stop;
    findings.push_back({end - 2, stop, Category::kCreditCard});
    return stop;
  }

 private:
  int* const calls_;
};

std::vector<Finding> FindAll(const PiiScanner& scanner, std::string_view text) {
  std::vector<Finding> findings = {{0, 1, Category::kJwt}};  // replaced, not appended to
  EXPECT_THAT(scanner.Find(text, {}, findings), IsOk());
  return findings;
}

TEST(PiiScannerTest, OverlappingFindingsMergeIntoTheMostSpecificCategory) {
  int calls = 0;
  std::vector<std::unique_ptr<Detector>> detectors;
  detectors.push_back(std::make_unique<LiteralDetector>("alice@x.io", Category::kEmail, &calls));
  detectors.push_back(
      std::make_unique<LiteralDetector>("pw:alice", Category::kUrlCredentials, &calls));
  absl::StatusOr<std::unique_ptr<PiiScanner>> scanner = PiiScanner::Create(std::move(detectors));
  ASSERT_THAT(scanner.status(), IsOk());
  // "pw:alice@x.io": [0, 8) and [3, 13) overlap: one finding [0, 13), URL_CREDENTIALS.
  EXPECT_THAT(
      FindAll(**scanner, "db pw:alice@x.io and alice@x.io"),
      ElementsAre(Finding{3, 16, Category::kUrlCredentials}, Finding{21, 31, Category::kEmail}));
  EXPECT_THAT(FindAll(**scanner, "nothing here"), ElementsAre());
}

TEST(PiiScannerTest, ADetectorIsNotCalledAgainWhereItHasAlreadyLooked) {
  int calls = 0;
  std::vector<std::unique_ptr<Detector>> detectors;
  detectors.push_back(std::make_unique<DigitRunDetector>(&calls));
  absl::StatusOr<std::unique_ptr<PiiScanner>> scanner = PiiScanner::Create(std::move(detectors));
  ASSERT_THAT(scanner.status(), IsOk());
  // \d{2} ends at every digit after the first of each run: 9 + 3 ends, 2 calls.
  EXPECT_THAT(
      FindAll(**scanner, "1234567890 and 4321"),
      ElementsAre(Finding{0, 10, Category::kCreditCard}, Finding{15, 19, Category::kCreditCard}));
  EXPECT_EQ(calls, 2);
}

TEST(PiiScannerTest, AnInvalidTriggerFailsCreate) {
  int calls = 0;
  std::vector<std::unique_ptr<Detector>> detectors;
  detectors.push_back(std::make_unique<LiteralDetector>("(oops", Category::kEmail, &calls));
  EXPECT_THAT(PiiScanner::Create(std::move(detectors)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("(oops")));
}

}  // namespace
}  // namespace chaukas::filters::pii_redaction
