#include "filters/pii_redaction/multi_pattern_scanner.h"

#include <string>
#include <thread>
#include <utility>
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
using ::testing::Pair;
using Match = std::pair<size_t, size_t>;  // pattern id, end offset

std::unique_ptr<MultiPatternScanner> Make(std::vector<MultiPatternScanner::Pattern> patterns) {
  absl::StatusOr<std::unique_ptr<MultiPatternScanner>> scanner =
      MultiPatternScanner::Create(patterns);
  EXPECT_THAT(scanner.status(), IsOk());
  return scanner.ok() ? *std::move(scanner) : nullptr;
}

std::vector<Match> ScanAll(const MultiPatternScanner& scanner, std::string_view text) {
  std::vector<Match> matches;
  EXPECT_THAT(scanner.Scan(text, [&](size_t id, size_t end) { matches.emplace_back(id, end); }),
              IsOk());
  return matches;
}

TEST(MultiPatternScannerTest, ReportsTheEndOfEveryMatchOfEveryPatternInOrder) {
  auto scanner = Make({{"@"}, {"AKIA[A-Z2-7]{4}"}, {"\\d{3}"}});
  ASSERT_NE(scanner, nullptr);
  // "1234" holds two 3-digit matches, ending at 8 and 9.
  EXPECT_THAT(ScanAll(*scanner, "a@b key AKIAQ2ZZ 1234"),
              ElementsAre(Pair(0, 2), Pair(1, 16), Pair(2, 20), Pair(2, 21)));
  EXPECT_THAT(ScanAll(*scanner, "nothing to see"), ElementsAre());
  EXPECT_THAT(ScanAll(*scanner, ""), ElementsAre());
}

TEST(MultiPatternScannerTest, CaselessPatternsAndDotsThatCrossNewlines) {
  auto scanner = Make({{"password", /*caseless=*/true}, {"BEGIN.{3}END"}});
  ASSERT_NE(scanner, nullptr);
  EXPECT_THAT(ScanAll(*scanner, "PassWord=x BEGIN\n\nXEND"), ElementsAre(Pair(0, 8), Pair(1, 22)));
}

TEST(MultiPatternScannerTest, InvalidPatternsFailAtCreateNamingThePattern) {
  EXPECT_THAT(MultiPatternScanner::Create({}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no patterns")));
  std::vector<MultiPatternScanner::Pattern> patterns = {{"ok"}, {"(unclosed"}};
  EXPECT_THAT(MultiPatternScanner::Create(patterns),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("(unclosed")));
  // Backreferences need backtracking, and a pattern that matches nothing would match everywhere.
  patterns = {{"(a)\\1"}};
  EXPECT_THAT(MultiPatternScanner::Create(patterns),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("(a)\\1")));
  patterns = {{"x*"}};
  EXPECT_THAT(MultiPatternScanner::Create(patterns),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x*")));
}

TEST(MultiPatternScannerTest, ScannersAndThreadsDoNotShareState) {
  auto digits = Make({{"\\d{4}"}});
  auto letters = Make({{"[a-z]{20}"}, {"[A-Z]{2}\\d{2}"}});
  ASSERT_NE(digits, nullptr);
  ASSERT_NE(letters, nullptr);
  const std::string text = "DE89 3704 0044 0532 abcdefghijklmnopqrstuvwxyz";
  const std::vector<Match> digit_matches = ScanAll(*digits, text);
  const std::vector<Match> letter_matches = ScanAll(*letters, text);
  ASSERT_EQ(digit_matches.size(), 3u);
  ASSERT_EQ(letter_matches.size(), 8u);  // one AB12 shape, seven 20-letter ends
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      // Alternating scanners on one thread: its scratch serves both.
      for (int i = 0; i < 500; ++i) {
        const MultiPatternScanner& scanner = (i + t) % 2 == 0 ? *digits : *letters;
        std::vector<Match> matches;
        if (!scanner.Scan(text, [&](size_t id, size_t end) { matches.emplace_back(id, end); })
                 .ok() ||
            matches != (&scanner == digits.get() ? digit_matches : letter_matches)) {
          ++mismatches[static_cast<size_t>(t)];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0));
}

}  // namespace
}  // namespace chaukas::filters::pii_redaction
