#include "gateway/upstream/rotating_file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/common/log.h"
#include "gateway/common/strings.h"

namespace chaukas::upstream {
namespace {

absl::Status ErrnoError(std::string_view action, const std::string& path, int error) {
  return absl::UnavailableError(
      absl::StrCat(ToAbsl(action), " ", path, ": ", std::strerror(error)));
}

// The rotation indexes N of existing "<path>.N" files, ascending.
std::vector<uint64_t> RotatedIndexes(const std::filesystem::path& path) {
  std::vector<uint64_t> indexes;
  std::error_code error;
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  const std::string prefix = path.filename().string() + ".";
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    uint64_t index = 0;
    const char* begin = name.data() + prefix.size();
    const char* end = name.data() + name.size();
    auto [parsed_end, ec] = std::from_chars(begin, end, index);
    if (ec == std::errc() && parsed_end == end) indexes.push_back(index);
  }
  std::sort(indexes.begin(), indexes.end());
  return indexes;
}

}  // namespace

RotatingFile::RotatingFile(std::string path, int64_t max_bytes, int64_t max_files)
    : path_(std::move(path)), max_bytes_(max_bytes), max_files_(max_files) {}

RotatingFile::~RotatingFile() {
  if (fd_ >= 0) close(fd_);
}

absl::Status RotatingFile::Open() {
  const std::filesystem::path path(path_);
  std::error_code error;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create directory for ", path_, ": ", error.message()));
  }
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return ErrnoError("cannot open", path_, errno);
  struct stat info {};
  if (fstat(fd_, &info) != 0) return ErrnoError("cannot stat", path_, errno);
  size_ = info.st_size;
  const std::vector<uint64_t> indexes = RotatedIndexes(path);
  next_index_ = indexes.empty() ? 1 : indexes.back() + 1;
  return absl::OkStatus();
}

RotatingFile::AppendResult RotatingFile::Append(std::span<const std::string_view> records) {
  AppendResult result;
  while (result.records_written < records.size()) {
    // The run of records that fits in the current file; an empty file takes at least one.
    size_t end = result.records_written;
    int64_t bytes = 0;
    while (end < records.size()) {
      const auto record = static_cast<int64_t>(records[end].size());
      const bool fits = max_bytes_ == 0 || size_ + bytes + record <= max_bytes_;
      if (!fits && size_ + bytes > 0) break;
      bytes += record;
      ++end;
    }
    if (end == result.records_written) {
      result.status = Rotate();
      if (!result.status.ok()) return result;
      continue;
    }
    result.status = WriteAll(records.subspan(result.records_written, end - result.records_written));
    if (!result.status.ok()) return result;
    result.records_written = end;
  }
  return result;
}

absl::Status RotatingFile::WriteAll(std::span<const std::string_view> records) {
  std::vector<iovec> vectors;
  vectors.reserve(records.size());
  for (std::string_view record : records) {
    if (!record.empty()) vectors.push_back({const_cast<char*>(record.data()), record.size()});
  }
  const int64_t start_size = size_;
  size_t next = 0;
  while (next < vectors.size()) {
    const int count = static_cast<int>(std::min<size_t>(vectors.size() - next, IOV_MAX));
    const ssize_t written = writev(fd_, &vectors[next], count);
    if (written < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      // Cut the partial record so a retry appends it whole, exactly once.
      if (ftruncate(fd_, start_size) == 0) size_ = start_size;
      return ErrnoError("cannot write", path_, error);
    }
    size_ += written;
    size_t remaining = static_cast<size_t>(written);
    while (next < vectors.size() && remaining >= vectors[next].iov_len) {
      remaining -= vectors[next].iov_len;
      ++next;
    }
    if (remaining > 0) {
      vectors[next].iov_base = static_cast<char*>(vectors[next].iov_base) + remaining;
      vectors[next].iov_len -= remaining;
    }
  }
  return absl::OkStatus();
}

absl::Status RotatingFile::Rotate() {
  const std::string rotated = absl::StrCat(path_, ".", next_index_);
  if (rename(path_.c_str(), rotated.c_str()) != 0) {
    return ErrnoError("cannot rotate", path_, errno);
  }
  close(fd_);
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return ErrnoError("cannot open", path_, errno);
  size_ = 0;
  ++next_index_;
  ++rotations_;
  DeleteOldRotatedFiles();
  return absl::OkStatus();
}

void RotatingFile::DeleteOldRotatedFiles() {
  if (max_files_ <= 0) return;
  std::vector<uint64_t> indexes = RotatedIndexes(path_);
  while (static_cast<int64_t>(indexes.size()) > max_files_) {
    const std::string oldest = absl::StrCat(path_, ".", indexes.front());
    if (unlink(oldest.c_str()) != 0) {
      Log(LogLevel::kWarning,
          absl::StrCat("cannot delete rotated file ", oldest, ": ", std::strerror(errno)));
    }
    indexes.erase(indexes.begin());
  }
}

}  // namespace chaukas::upstream
