#include "gateway/common/file_watcher.h"

#include <sys/stat.h>

namespace chaukas {

FileWatcher::FileWatcher(std::string path, absl::Duration interval,
                         absl::AnyInvocable<void()> on_change)
    : path_(std::move(path)), interval_(interval), on_change_(std::move(on_change)) {
  // Taken here, not on the thread: a change made right after construction must be seen.
  thread_ = std::thread([this, first = Read()] { Run(first); });
}

FileWatcher::~FileWatcher() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  thread_.join();
}

FileWatcher::Signature FileWatcher::Read() const {
  struct stat info {};
  if (::stat(path_.c_str(), &info) != 0) return {};
  return {static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec,
          static_cast<int64_t>(info.st_size), static_cast<uint64_t>(info.st_ino)};
}

void FileWatcher::Run(Signature last) {
  absl::MutexLock lock(&mutex_);
  while (!mutex_.AwaitWithTimeout(absl::Condition(&stopping_), interval_)) {
    const Signature now = Read();
    if (now == last) continue;
    last = now;
    mutex_.Unlock();
    on_change_();
    mutex_.Lock();
  }
}

}  // namespace chaukas
