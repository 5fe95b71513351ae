// Precision and recall of the built-in detectors on the labeled corpus
// (tests/filters/pii_redaction/corpus/, see its README.md): every category must reach 0.98 on
// both, counting a finding as right only when its span and category equal a label's.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "filters/pii_redaction/builtin_detectors.h"
#include "filters/pii_redaction/pii_scanner.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace chaukas::filters::pii_redaction {
namespace {

struct Counts {
  int true_positives = 0;
  int false_positives = 0;
  int false_negatives = 0;
};

struct LabeledLine {
  std::string file;
  int line = 0;
  std::string text;
  std::string key;
  std::vector<Finding> labels;
};

std::vector<LabeledLine> LoadCorpus() {
  std::vector<LabeledLine> lines;
  simdjson::dom::parser parser;
  const std::filesystem::path dir =
      std::filesystem::path(CHAUKAS_SOURCE_DIR) / "tests/filters/pii_redaction/corpus";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".jsonl") continue;
    std::ifstream in(entry.path());
    std::string json;
    for (int number = 1; std::getline(in, json); ++number) {
      if (json.empty()) continue;
      LabeledLine line;
      line.file = entry.path().filename().string();
      line.line = number;
      simdjson::dom::element root;
      EXPECT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << line.file << ":" << number;
      std::string_view text;
      EXPECT_EQ(root["text"].get(text), simdjson::SUCCESS);
      line.text = std::string(text);
      std::string_view key;
      if (root["key"].get(key) == simdjson::SUCCESS) line.key = std::string(key);
      size_t from = 0;
      for (simdjson::dom::element pii : root["pii"].get_array()) {
        std::string_view category_name;
        std::string_view value;
        EXPECT_EQ(pii["category"].get(category_name), simdjson::SUCCESS);
        EXPECT_EQ(pii["value"].get(value), simdjson::SUCCESS);
        const std::optional<Category> category = CategoryByName(category_name);
        EXPECT_TRUE(category.has_value()) << category_name;
        size_t at = line.text.find(value, from);
        if (at == std::string::npos) at = line.text.find(value);
        EXPECT_NE(at, std::string::npos) << line.file << ":" << number << " " << value;
        if (!category || at == std::string::npos) continue;
        line.labels.push_back({at, at + value.size(), *category});
        from = at + value.size();
      }
      lines.push_back(std::move(line));
    }
  }
  return lines;
}

TEST(CorpusTest, EveryCategoryReachesPrecisionAndRecallOf098) {
  const std::vector<LabeledLine> corpus = LoadCorpus();
  ASSERT_GT(corpus.size(), 500u);
  absl::StatusOr<std::unique_ptr<PiiScanner>> scanner = PiiScanner::Create(BuiltinDetectors());
  ASSERT_TRUE(scanner.ok()) << scanner.status();
  std::map<Category, Counts> counts;
  std::vector<Finding> findings;
  for (const LabeledLine& line : corpus) {
    ASSERT_TRUE((*scanner)->Find(line.text, {line.key}, findings).ok());
    for (const Finding& finding : findings) {
      const bool labeled =
          std::find(line.labels.begin(), line.labels.end(), finding) != line.labels.end();
      if (labeled) {
        ++counts[finding.category].true_positives;
      } else {
        ++counts[finding.category].false_positives;
        std::cout << "FP " << CategoryName(finding.category) << " " << line.file << ":" << line.line
                  << " [" << line.text.substr(finding.begin, finding.end - finding.begin) << "]\n";
      }
    }
    for (const Finding& label : line.labels) {
      if (std::find(findings.begin(), findings.end(), label) == findings.end()) {
        ++counts[label.category].false_negatives;
        std::cout << "FN " << CategoryName(label.category) << " " << line.file << ":" << line.line
                  << " [" << line.text.substr(label.begin, label.end - label.begin) << "]\n";
      }
    }
  }
  for (size_t i = 0; i < kCategoryCount; ++i) {
    const auto category = static_cast<Category>(i);
    const Counts& c = counts[category];
    const double precision =
        c.true_positives / std::max(1.0, double(c.true_positives + c.false_positives));
    const double recall =
        c.true_positives / std::max(1.0, double(c.true_positives + c.false_negatives));
    std::cout << CategoryName(category) << ": precision " << precision << ", recall " << recall
              << " (" << c.true_positives << " right, " << c.false_positives << " wrong, "
              << c.false_negatives << " missed)\n";
    EXPECT_GE(precision, 0.98) << CategoryName(category);
    EXPECT_GE(recall, 0.98) << CategoryName(category);
  }
}

}  // namespace
}  // namespace chaukas::filters::pii_redaction
