#include "filters/pii_redaction/pii_scanner.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "gateway/common/status_macros.h"

namespace chaukas::filters::pii_redaction {
namespace {

// Sorts `findings` and merges overlapping ones into their union, keeping the most specific
// category (the smallest Category value).
void MergeOverlaps(std::vector<Finding>& findings) {
  std::sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  size_t kept = 0;
  for (const Finding& finding : findings) {
    if (kept > 0 && finding.begin < findings[kept - 1].end) {
      Finding& last = findings[kept - 1];
      last.end = std::max(last.end, finding.end);
      last.category = std::min(last.category, finding.category);
      continue;
    }
    findings[kept++] = finding;
  }
  findings.resize(kept);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PiiScanner>> PiiScanner::Create(
    std::vector<std::unique_ptr<Detector>> detectors) {
  std::vector<MultiPatternScanner::Pattern> triggers;
  std::vector<size_t> detector_of_trigger;
  for (size_t i = 0; i < detectors.size(); ++i) {
    for (MultiPatternScanner::Pattern& trigger : detectors[i]->Triggers()) {
      triggers.push_back(std::move(trigger));
      detector_of_trigger.push_back(i);
    }
  }
  CHAUKAS_ASSIGN_OR_RETURN(std::unique_ptr<MultiPatternScanner> scanner,
                           MultiPatternScanner::Create(triggers));
  return std::unique_ptr<PiiScanner>(
      new PiiScanner(std::move(detectors), std::move(detector_of_trigger), std::move(scanner)));
}

PiiScanner::PiiScanner(std::vector<std::unique_ptr<Detector>> detectors,
                       std::vector<size_t> detector_of_trigger,
                       std::unique_ptr<MultiPatternScanner> scanner)
    : detectors_(std::move(detectors)),
      detector_of_trigger_(std::move(detector_of_trigger)),
      scanner_(std::move(scanner)) {}

absl::Status PiiScanner::Find(std::string_view text, const TextContext& context,
                              std::vector<Finding>& findings) const {
  findings.clear();
  // Per detector, how far it has already looked.
  absl::InlinedVector<size_t, kCategoryCount> looked_until(detectors_.size(), 0);
  CHAUKAS_RETURN_IF_ERROR(scanner_->Scan(text, [&](size_t trigger, size_t end) {
    const size_t detector = detector_of_trigger_[trigger];
    if (end <= looked_until[detector]) return;
    looked_until[detector] = detectors_[detector]->Extract(text, end, context, findings);
  }));
  MergeOverlaps(findings);
  return absl::OkStatus();
}

}  // namespace chaukas::filters::pii_redaction
