#include "gateway/upstream/delivery_tracker.h"

#include <utility>

namespace chaukas::upstream {

DeliveryTracker::DeliveryTracker(size_t events, DeliveryCallback done)
    : remaining_(events), done_(std::move(done)) {}

void DeliveryTracker::Accept(size_t /*index*/) {
  std::optional<Completion> completion;
  {
    absl::MutexLock lock(&mutex_);
    if (remaining_ > 0) --remaining_;
    completion = TakeIfDone();
  }
  if (completion) std::move(*completion).Run();
}

void DeliveryTracker::Reject(size_t index, std::string reason) {
  std::optional<Completion> completion;
  {
    absl::MutexLock lock(&mutex_);
    if (!done_) return;
    report_.rejected.emplace_back(index, std::move(reason));
    if (remaining_ > 0) --remaining_;
    completion = TakeIfDone();
  }
  if (completion) std::move(*completion).Run();
}

void DeliveryTracker::Fail(absl::Status status) {
  std::optional<Completion> completion;
  {
    absl::MutexLock lock(&mutex_);
    if (!done_) return;
    report_.status = std::move(status);
    remaining_ = 0;
    completion = TakeIfDone();
  }
  if (completion) std::move(*completion).Run();
}

std::optional<DeliveryTracker::Completion> DeliveryTracker::TakeIfDone() {
  if (remaining_ > 0 || !done_) return std::nullopt;
  return Completion{std::exchange(done_, nullptr), std::move(report_)};
}

}  // namespace chaukas::upstream
