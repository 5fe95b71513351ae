#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "filters/pii_redaction/detector.h"
#include "filters/pii_redaction/multi_pattern_scanner.h"

namespace chaukas::filters::pii_redaction {

// Finds the PII of every configured category in a text: one Hyperscan pass over the detectors'
// triggers, then each detector around its own trigger hits. Immutable; safe to share between
// threads.
class PiiScanner {
 public:
  static absl::StatusOr<std::unique_ptr<PiiScanner>> Create(
      std::vector<std::unique_ptr<Detector>> detectors);

  // Replaces `findings` with the PII in `text`, sorted and disjoint: findings whose spans
  // overlap merge into their union, reported as the most specific of their categories. An
  // error means the text could not be scanned (the caller fails closed).
  [[nodiscard]] absl::Status Find(std::string_view text, const TextContext& context,
                                  std::vector<Finding>& findings) const;

 private:
  PiiScanner(std::vector<std::unique_ptr<Detector>> detectors,
             std::vector<size_t> detector_of_trigger, std::unique_ptr<MultiPatternScanner> scanner);

  const std::vector<std::unique_ptr<Detector>> detectors_;
  const std::vector<size_t> detector_of_trigger_;  // trigger id -> index into detectors_
  const std::unique_ptr<MultiPatternScanner> scanner_;
};

}  // namespace chaukas::filters::pii_redaction
