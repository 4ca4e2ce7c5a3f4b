#include "tests/support/temp_dir.hpp"

#include <stdlib.h>
#include <sys/mount.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <vector>

namespace cove::test {

namespace {

// Mount points at or below `dir`, deepest first. /proc/self/mounts escapes blanks in paths;
// test directories have none.
std::vector<std::string> mounts_below(const std::string& dir) {
  std::vector<std::string> found;
  std::ifstream mounts("/proc/self/mounts");
  std::string source, target, rest;
  while (mounts >> source >> target && std::getline(mounts, rest))
    if (target == dir || target.starts_with(dir + "/")) found.push_back(target);
  std::sort(found.begin(), found.end(), std::greater<>());
  return found;
}

}  // namespace

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl + " failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  for (const auto& target : mounts_below(path_.string()))
    ::umount2(target.c_str(), MNT_DETACH);
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace cove::test
