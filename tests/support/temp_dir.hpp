// A fresh directory under /tmp for one test, removed with everything below it when the test is
// done.
#pragma once

#include <filesystem>
#include <string>

namespace cove::test {

class TempDir {
 public:
  // Creates /tmp/<prefix>.XXXXXX (mode 0700, as mkdtemp makes it). Throws when it cannot.
  explicit TempDir(const std::string& prefix = "cove-test");
  // Detaches whatever a failed test left mounted below the directory, then removes it:
  // removing through a mount would delete the mounted files.
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace cove::test
