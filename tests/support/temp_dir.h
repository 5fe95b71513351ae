#pragma once

#include <filesystem>
#include <string>

namespace chaukas::testing {

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path Join(const std::string& name) const { return path_ / name; }
  // Writes `content` to `name` inside the directory and returns the full path.
  std::filesystem::path WriteFile(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

// The whole content of a file ("" when it does not exist).
std::string ReadFile(const std::filesystem::path& path);

}  // namespace chaukas::testing
