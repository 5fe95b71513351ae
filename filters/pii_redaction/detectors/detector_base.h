#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "filters/pii_redaction/detector.h"

// What the built-in detectors share: a fixed category and trigger list, and reading the text
// around a candidate without running off either end.
namespace chaukas::filters::pii_redaction {

class DetectorBase : public Detector {
 public:
  DetectorBase(Category category, std::vector<MultiPatternScanner::Pattern> triggers)
      : category_(category), triggers_(std::move(triggers)) {}
  Category category() const override { return category_; }
  std::vector<MultiPatternScanner::Pattern> Triggers() const override { return triggers_; }

 private:
  const Category category_;
  const std::vector<MultiPatternScanner::Pattern> triggers_;
};

// The character at `i`, or '\0' outside the text: boundary checks read past both ends.
inline char At(std::string_view text, size_t i) { return i < text.size() ? text[i] : '\0'; }
// The character before `i`, or '\0' at the start.
inline char Before(std::string_view text, size_t i) { return i > 0 ? text[i - 1] : '\0'; }

}  // namespace chaukas::filters::pii_redaction
