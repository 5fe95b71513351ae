#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

struct hs_database;

namespace chaukas::filters::pii_redaction {

// One pass over a text for many regular expressions at once (Hyperscan, block mode): it reports
// where matches end, not where they start, which is what keeps it at gigabytes per second on
// clean text. Finding the exact span is the caller's second stage, around each end.
//
// Hyperscan's automata never backtrack, so no input can make a scan slow. Immutable once
// built and safe to share between threads: each thread scans with its own scratch space.
class MultiPatternScanner {
 public:
  struct Pattern {
    std::string regex;  // PCRE syntax, without lookaround or backreferences
    bool caseless = false;
  };

  // Compiles `patterns`; pattern i is reported as id i. An invalid pattern fails the whole set
  // with an error naming it, so configs are rejected at load, never at scan time.
  static absl::StatusOr<std::unique_ptr<MultiPatternScanner>> Create(
      std::span<const Pattern> patterns);
  ~MultiPatternScanner();

  // Calls `on_match(id, end)` for the end offset of every match of every pattern, in order of
  // `end` (for one end, in no particular order of id). A pattern that can end at several
  // offsets of one candidate (\d{13,19}) is reported at each of them. An error (no memory for
  // scratch space) means the text was not scanned: callers must fail closed.
  [[nodiscard]] absl::Status Scan(std::string_view text,
                                  absl::FunctionRef<void(size_t id, size_t end)> on_match) const;

 private:
  MultiPatternScanner(hs_database* database, uint64_t generation);

  hs_database* const database_;
  // Unique in the process, so a thread's scratch space knows which databases it was sized for.
  const uint64_t generation_;
};

}  // namespace chaukas::filters::pii_redaction
