#include "sandbox/init_image.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "sandbox/error.hpp"

// Produced by `ld -r -b binary cove-init` (see sandbox/CMakeLists.txt).
extern "C" const char _binary_cove_init_start[];
extern "C" const char _binary_cove_init_end[];

namespace cove::sandbox {

int sealed_program(const char* name, std::string_view image) {
  int fd = ::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) throw_errno(name, "memfd_create", errno);
  while (!image.empty()) {
    ssize_t n = ::write(fd, image.data(), image.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      throw_errno(name, std::string("write ") + name + " image", err);
    }
    image.remove_prefix(static_cast<size_t>(n));
  }
  // F_SEAL_FUTURE_WRITE, not F_SEAL_WRITE: both refuse every write, truncation and writable
  // mapping from now on, but F_SEAL_WRITE first waits for the kernel's transient references
  // to the pages just written and fails with EBUSY when they outlive its wait (seen under
  // load). The memfd was never mapped, so there is no older writable mapping to exclude.
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) !=
      0) {
    int err = errno;
    ::close(fd);
    throw_errno(name, std::string("seal ") + name + " image", err);
  }
  return fd;
}

int init_image_fd() {
  static const int fd = sealed_program(
      "cove-init",
      std::string_view(_binary_cove_init_start,
                       static_cast<size_t>(_binary_cove_init_end - _binary_cove_init_start)));
  return fd;
}

}  // namespace cove::sandbox
