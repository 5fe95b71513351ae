#pragma once

#include <string>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace chaukas {

// Calls `on_change` on its own thread whenever the file at `path` looks different from when
// the watcher was made (another modification time, size or inode, which covers both in-place
// edits and the rename that tools and Kubernetes secret mounts use), checking every
// `interval`. Polling rather than inotify: it sees through symlink swaps and works on every
// filesystem.
class FileWatcher {
 public:
  FileWatcher(std::string path, absl::Duration interval, absl::AnyInvocable<void()> on_change);
  ~FileWatcher();  // stops the thread; `on_change` is not called after it returns
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

 private:
  struct Signature {
    int64_t mtime_ns = -1;
    int64_t size = -1;
    uint64_t inode = 0;
    friend bool operator==(const Signature&, const Signature&) = default;
  };
  Signature Read() const;
  void Run(Signature last);

  const std::string path_;
  const absl::Duration interval_;
  absl::AnyInvocable<void()> on_change_;
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace chaukas
