#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace chaukas::upstream {

// An append-only file of records that rotates by size. The active file is always `path`;
// when the next record would take it past `max_bytes`, it is renamed to `path.N` (N one above the
// highest existing, so rotated files are never renamed again) and a new `path` is started. With
// `max_files` > 0, the oldest rotated files beyond that count are deleted.
// Used by one writer thread: not thread-safe.
class RotatingFile {
 public:
  RotatingFile(std::string path, int64_t max_bytes, int64_t max_files);
  ~RotatingFile();
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  // Creates missing parent directories and opens `path` for appending.
  [[nodiscard]] absl::Status Open();

  struct AppendResult {
    size_t records_written = 0;
    absl::Status status;
  };

  // Appends `records` in order, rotating between records so that no file grows past
  // max_bytes (except by a single record larger than that). On failure, the first
  // `records_written` records are in the files and none of the others are (a partly written
  // record is truncated away), so a retry of the rest never leaves a torn or duplicated
  // record.
  [[nodiscard]] AppendResult Append(std::span<const std::string_view> records);

  int64_t size() const { return size_; }
  uint64_t rotations() const { return rotations_; }

 private:
  // Writes all of `records` to the current file, or none of them.
  [[nodiscard]] absl::Status WriteAll(std::span<const std::string_view> records);
  [[nodiscard]] absl::Status Rotate();
  void DeleteOldRotatedFiles();

  const std::string path_;
  const int64_t max_bytes_;
  const int64_t max_files_;
  int fd_ = -1;
  int64_t size_ = 0;
  uint64_t next_index_ = 1;
  uint64_t rotations_ = 0;
};

}  // namespace chaukas::upstream
