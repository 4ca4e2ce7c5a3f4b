// The lock-file primitive: flock between threads and processes, 0600 files, released when the
// holder dies.
#include "base/file_lock.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/temp_dir.hpp"

using namespace cove;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(FileLock, ExclusiveExcludesOthersSharedSharesWithShared) {
  cove::test::TempDir tmp("cove-lock");
  std::filesystem::path lock_path = tmp.path() / "lock";
  {
    FileLock held(lock_path, FileLock::Mode::exclusive);
    EXPECT_FALSE(FileLock::try_lock(lock_path, FileLock::Mode::shared).owns_lock());
    std::atomic<bool> got{false};
    std::thread waiter([&] {
      FileLock l(lock_path, FileLock::Mode::exclusive);
      got = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(got);
    held.change(FileLock::Mode::shared);  // downgrading lets the waiter... not yet
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(got);
    { FileLock moved = std::move(held); }  // released here
    waiter.join();
    EXPECT_TRUE(got);
  }
  {
    FileLock a(lock_path, FileLock::Mode::shared);
    EXPECT_TRUE(FileLock::try_lock(lock_path, FileLock::Mode::shared).owns_lock());
    EXPECT_FALSE(FileLock::try_lock(lock_path, FileLock::Mode::exclusive).owns_lock());
  }
}

TEST(FileLock, CreatesTheFile0600WhateverTheUmask) {
  cove::test::TempDir tmp("cove-lock");
  mode_t old = ::umask(0);
  FileLock held = FileLock::try_lock(tmp.path() / "lock", FileLock::Mode::exclusive);
  ::umask(old);
  ASSERT_TRUE(held.owns_lock());
  struct stat st {};
  ASSERT_EQ(::stat((tmp.path() / "lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(FileLock, WriteReplacesTheContentForOthersToRead) {
  cove::test::TempDir tmp("cove-lock");
  FileLock held = FileLock::try_lock(tmp.path() / "lock", FileLock::Mode::exclusive);
  held.write("123456\n");
  held.write("42\n");
  EXPECT_EQ(slurp(tmp.path() / "lock"), "42\n");
}

TEST(FileLock, AnotherProcessIsRefusedUntilTheHolderDies) {
  cove::test::TempDir tmp("cove-lock");
  auto path = tmp.path() / "lock";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    FileLock held(path, FileLock::Mode::exclusive);
    char c = 'x';
    (void)!::write(ready[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  EXPECT_FALSE(FileLock::try_lock(path, FileLock::Mode::exclusive).owns_lock());
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(FileLock::try_lock(path, FileLock::Mode::exclusive).owns_lock());
}
