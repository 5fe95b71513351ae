#include "filters/pii_redaction/multi_pattern_scanner.h"

#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"

namespace chaukas::filters::pii_redaction {
namespace {

std::atomic<uint64_t> next_generation{1};

// This thread's Hyperscan scratch space. One scratch serves every database it has been grown
// for, so a thread holds one whatever the number of scanners (a config reload makes new ones).
struct ThreadScratch {
  ~ThreadScratch() { hs_free_scratch(scratch); }
  hs_scratch_t* scratch = nullptr;
  uint64_t sized_for = 0;  // the generation of the last database it was checked against
};

hs_scratch_t* ScratchFor(const hs_database_t* database, uint64_t generation) {
  thread_local ThreadScratch local;
  if (local.sized_for != generation) {
    // Grows the scratch when this database needs more; cheap when it does not.
    if (hs_alloc_scratch(database, &local.scratch) != HS_SUCCESS) return nullptr;
    local.sized_for = generation;
  }
  return local.scratch;
}

struct ScanContext {
  absl::FunctionRef<void(size_t, size_t)> on_match;
};

int OnMatch(unsigned int id, unsigned long long /*from*/, unsigned long long to,
            unsigned int /*flags*/, void* context) {
  static_cast<ScanContext*>(context)->on_match(id, static_cast<size_t>(to));
  return 0;  // go on
}

}  // namespace

absl::StatusOr<std::unique_ptr<MultiPatternScanner>> MultiPatternScanner::Create(
    std::span<const Pattern> patterns) {
  if (patterns.empty()) return absl::InvalidArgumentError("no patterns to scan for");
  std::vector<const char*> expressions;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (size_t i = 0; i < patterns.size(); ++i) {
    expressions.push_back(patterns[i].regex.c_str());
    // DOTALL: "." also crosses newlines, as it does in every other field of an event.
    flags.push_back(HS_FLAG_DOTALL | (patterns[i].caseless ? HS_FLAG_CASELESS : 0u));
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* database = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                       static_cast<unsigned>(patterns.size()), HS_MODE_BLOCK, nullptr, &database,
                       &error) != HS_SUCCESS) {
    std::string message =
        error->expression >= 0
            ? absl::StrCat("pattern ", patterns[static_cast<size_t>(error->expression)].regex, ": ",
                           error->message)
            : std::string(error->message);
    hs_free_compile_error(error);
    return absl::InvalidArgumentError(message);
  }
  const uint64_t generation = next_generation.fetch_add(1);
  // Sized once here, so a failure to allocate shows at load rather than on the first event.
  if (ScratchFor(database, generation) == nullptr) {
    hs_free_database(database);
    return absl::ResourceExhaustedError("cannot allocate Hyperscan scratch space");
  }
  return std::unique_ptr<MultiPatternScanner>(new MultiPatternScanner(database, generation));
}

MultiPatternScanner::MultiPatternScanner(hs_database* database, uint64_t generation)
    : database_(database), generation_(generation) {}

MultiPatternScanner::~MultiPatternScanner() { hs_free_database(database_); }

absl::Status MultiPatternScanner::Scan(
    std::string_view text, absl::FunctionRef<void(size_t id, size_t end)> on_match) const {
  hs_scratch_t* scratch = ScratchFor(database_, generation_);
  if (scratch == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate Hyperscan scratch space");
  }
  ScanContext context{on_match};
  // Hyperscan takes an unsigned int length. No event field comes near 4 GiB: gRPC messages stop
  // at 2 GiB, and the listeners' limits far below that.
  const size_t length = std::min<size_t>(text.size(), std::numeric_limits<unsigned int>::max());
  const hs_error_t result = hs_scan(database_, text.data(), static_cast<unsigned int>(length), 0,
                                    scratch, OnMatch, &context);
  if (result != HS_SUCCESS) return absl::InternalError(absl::StrCat("Hyperscan error ", result));
  return absl::OkStatus();
}

}  // namespace chaukas::filters::pii_redaction
