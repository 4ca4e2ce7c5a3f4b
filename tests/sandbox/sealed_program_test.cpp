// Programs cove carries run from sealed memfds: once made, nothing can change them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "sandbox/init_image.hpp"

namespace sb = cove::sandbox;

namespace {

TEST(SealedProgram, RefusesEveryChange) {
  std::string image(300000, 'x');
  int fd = sb::sealed_program("test-image", image);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::lseek(fd, 0, SEEK_END), static_cast<off_t>(image.size()));
  EXPECT_EQ(::pwrite(fd, "y", 1, 0), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::ftruncate(fd, 10), -1);
  EXPECT_EQ(::ftruncate(fd, 1 << 20), -1);
  EXPECT_EQ(::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), MAP_FAILED);
  EXPECT_EQ(::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);  // the seals are sealed
  char c = 0;
  EXPECT_EQ(::pread(fd, &c, 1, 0), 1);
  EXPECT_EQ(c, 'x');
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  ::close(fd);
}

}  // namespace
