#include "base/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace cove {
namespace {

int open_lock_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
  return fd;
}

int flock_op(FileLock::Mode mode) {
  return mode == FileLock::Mode::shared ? LOCK_SH : LOCK_EX;
}

}  // namespace

FileLock::FileLock(const std::filesystem::path& path, Mode mode) : fd_(open_lock_file(path)) {
  while (::flock(fd_.get(), flock_op(mode)) != 0) {
    if (errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "flock " + path.string());
    }
  }
}

FileLock FileLock::try_lock(const std::filesystem::path& path, Mode mode) {
  FileLock lock;
  UniqueFd fd(open_lock_file(path));
  if (::flock(fd.get(), flock_op(mode) | LOCK_NB) == 0) lock.fd_ = std::move(fd);
  return lock;
}

void FileLock::change(Mode mode) {
  while (::flock(fd_.get(), flock_op(mode)) != 0) {
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "flock");
  }
}

void FileLock::write(const std::string& text) {
  if (::ftruncate(fd_.get(), 0) != 0 ||
      ::pwrite(fd_.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    throw std::system_error(errno, std::generic_category(), "write lock file");
  }
}

}  // namespace cove
