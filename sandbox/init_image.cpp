#include "sandbox/init_image.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "sandbox/error.hpp"

// Produced by `ld -r -b binary cove-init` (see sandbox/CMakeLists.txt).
extern "C" const char _binary_cove_init_start[];
extern "C" const char _binary_cove_init_end[];

namespace cove::sandbox {
namespace {

int make_image() {
  int fd = ::memfd_create("cove-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) throw_errno("init", "memfd_create", errno);
  const char* p = _binary_cove_init_start;
  size_t left = static_cast<size_t>(_binary_cove_init_end - _binary_cove_init_start);
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("init", "write init image", errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    throw_errno("init", "seal init image", errno);
  return fd;
}

}  // namespace

int init_image_fd() {
  static const int fd = make_image();
  return fd;
}

}  // namespace cove::sandbox
