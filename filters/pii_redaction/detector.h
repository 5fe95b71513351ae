#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "filters/pii_redaction/category.h"
#include "filters/pii_redaction/multi_pattern_scanner.h"

namespace chaukas::filters::pii_redaction {

// One item of PII in a text: bytes [begin, end).
struct Finding {
  size_t begin = 0;
  size_t end = 0;
  Category category = Category::kEmail;

  friend bool operator==(const Finding&, const Finding&) = default;
};

// Where a text sits, for detectors whose rules depend on it: the Struct key whose value it is
// ("ssn", "phone", "password", "created_at"), empty for free text and message fields.
struct TextContext {
  std::string_view key;
};

// Finds one category in two stages. Its triggers join every other detector's in one
// Hyperscan pass; only where a trigger ends does the detector look at the text itself, find
// the exact span and validate it (checksums, ranges, context words). Clean text therefore
// costs one pass, however many categories there are.
class Detector {
 public:
  virtual ~Detector() = default;

  virtual Category category() const = 0;

  // Patterns whose match ends mark where an item may be: cheap, and never missing one.
  virtual std::vector<MultiPatternScanner::Pattern> Triggers() const = 0;

  // Appends the items of this category around `trigger_end`, an offset where one of its
  // triggers' matches ended. Returns how far it looked: later trigger ends up to there are not
  // passed again (a \d{13,19} trigger ends at every digit of a long number).
  virtual size_t Extract(std::string_view text, size_t trigger_end, const TextContext& context,
                         std::vector<Finding>& findings) const = 0;
};

}  // namespace chaukas::filters::pii_redaction
