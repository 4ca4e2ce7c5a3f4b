// The file tools (read, write, edit, glob, grep) against a real sandbox: every path stays
// inside the sandbox's root, the sandbox user's permissions apply, and each tool's results
// and error messages are what a model is told to expect.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "runtime/tools/tools.hpp"
#include "sandbox/id_map.hpp"
#include "tests/support/files.hpp"
#include "tests/support/sandbox_harness.hpp"

namespace sb = cove::sandbox;
namespace fs = std::filesystem;
using cove::test::slurp;
using cove::tools::json;
using cove::tools::ToolLimits;
using cove::tools::ToolOutput;
using cove::tools::Workspace;

namespace {

std::string text(const ToolOutput& out) {
  return out.content.at(0).at("text").get<std::string>();
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    box_ = sb::Sandbox::start(cove::test::probe_spec(ws_.path()));
    ws_tools_ = make_workspace();
  }

  std::unique_ptr<Workspace> make_workspace(ToolLimits limits = {}) {
    auto tools = std::make_unique<Workspace>(*box_, cove::test::kWorkspace, limits);
    tools->start();
    return tools;
  }

  std::string host(const std::string& rel) const { return ws_.path().string() + "/" + rel; }
  uid_t user() const { return cove::sandbox::sandbox_user_on_host(box_->spec().identity).uid; }
  gid_t group() const { return cove::sandbox::sandbox_user_on_host(box_->spec().identity).gid; }

  // Creates a file in the workspace from the host side, by default owned by the sandbox user.
  void put(const std::string& rel, const std::string& content, mode_t mode = 0644, int uid = -1) {
    fs::path p = host(rel);
    fs::create_directories(p.parent_path());
    for (fs::path d = p.parent_path(); d.string().size() > ws_.path().string().size();
         d = d.parent_path())
      ASSERT_EQ(::chown(d.c_str(), user(), group()), 0);
    std::ofstream(p) << content;
    uid_t owner = uid < 0 ? user() : static_cast<uid_t>(uid);
    gid_t group_owner = uid < 0 ? group() : static_cast<gid_t>(uid);
    ASSERT_EQ(::chown(p.c_str(), owner, group_owner), 0);
    ASSERT_EQ(::chmod(p.c_str(), mode), 0);
  }

  void set_mtime(const std::string& rel, time_t seconds) {
    timespec times[2] = {{seconds, 0}, {seconds, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, host(rel).c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
  }

  cove::test::TempDir ws_;
  std::unique_ptr<sb::Sandbox> box_;
  std::unique_ptr<Workspace> ws_tools_;

  void TearDown() override { ws_tools_.reset(); }  // before the sandbox
};

// The runtime's own resident memory (kB) and open file descriptors.
long runtime_rss_kb() {
  std::string status = slurp("/proc/self/status");
  auto at = status.find("VmRSS:");
  return at == std::string::npos ? -1 : std::stol(status.substr(at + 6));
}
std::size_t runtime_fds() {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator()));
}

}  // namespace

// ---- containment ---------------------------------------------------------------------

TEST_F(Files, AbsoluteAndDotDotPathsStayInTheSandbox) {
  // The sandbox's /etc/passwd is synthetic (root, cove, nobody); the host's has daemon etc.
  ASSERT_TRUE(contains(slurp("/etc/passwd"), "daemon:"));
  for (std::string path : {"/etc/passwd", "../../etc/passwd", "../../../../../../../etc/passwd",
                           "/workspace/../../../etc/passwd"}) {
    ToolOutput out = ws_tools_->read({{"file_path", path}});
    ASSERT_FALSE(out.is_error) << path << ": " << text(out);
    EXPECT_TRUE(contains(text(out), "cove:x:1000:1000:cove sandbox user")) << text(out);
    EXPECT_FALSE(contains(text(out), "daemon:")) << path;
  }
  // The host's temp directory is not visible: the sandbox has its own /tmp.
  ToolOutput host_path = ws_tools_->read({{"file_path", host("x")}});
  EXPECT_TRUE(host_path.is_error);
}

TEST_F(Files, SymlinksResolveInsideTheRoot) {
  ASSERT_EQ(::symlink("/etc", host("etc_link").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../../../etc", host("relative_up").c_str()), 0);
  // A chain: c -> b/passwd, b -> a, a -> /etc.
  ASSERT_EQ(::symlink("/etc", host("a").c_str()), 0);
  ASSERT_EQ(::symlink("a", host("b").c_str()), 0);
  ASSERT_EQ(::symlink("b/passwd", host("c").c_str()), 0);
  for (std::string path : {"etc_link/passwd", "relative_up/passwd", "c"}) {
    ToolOutput out = ws_tools_->read({{"file_path", path}});
    ASSERT_FALSE(out.is_error) << path << ": " << text(out);
    EXPECT_TRUE(contains(text(out), "cove sandbox user")) << path;
    EXPECT_FALSE(contains(text(out), "daemon:")) << path;
  }
}

TEST_F(Files, ProcMagicLinksAreRefused) {
  ASSERT_EQ(::symlink("/proc/1/root", host("init_root").c_str()), 0);
  ASSERT_EQ(::symlink("/proc/self/root", host("self_root").c_str()), 0);
  ASSERT_EQ(::symlink("/proc/1/cwd", host("init_cwd").c_str()), 0);
  for (std::string path :
       {"init_root/etc/passwd", "self_root/etc/passwd", "init_cwd", "/proc/1/root/etc/passwd"}) {
    ToolOutput out = ws_tools_->read({{"file_path", path}});
    EXPECT_TRUE(out.is_error) << path << ": " << text(out);
    EXPECT_FALSE(contains(text(out), "daemon:")) << path;
  }
  // Refused twice over: init is not dumpable (EACCES for the sandbox user), and magic links
  // are not followed (ELOOP).
  std::string refusal = text(ws_tools_->read({{"file_path", "init_root/etc/passwd"}}));
  EXPECT_TRUE(contains(refusal, "link into /proc") || contains(refusal, "Permission denied"))
      << refusal;
  std::string self = text(ws_tools_->read({{"file_path", "self_root/etc/passwd"}}));
  EXPECT_TRUE(contains(self, "link into /proc")) << self;
  ToolOutput written = ws_tools_->write({{"file_path", "init_root/tmp/x"}, {"content", "x"}});
  EXPECT_TRUE(written.is_error) << text(written);
}

TEST_F(Files, WritesThroughSymlinksLandInsideTheSandbox) {
  std::string escape = "/tmp/cove-tools-escape-" + std::to_string(::getpid());
  ASSERT_EQ(::symlink(escape.c_str(), host("out").c_str()), 0);
  ASSERT_EQ(::symlink("/tmp", host("tmp_link").c_str()), 0);
  ToolOutput a = ws_tools_->write({{"file_path", "out"}, {"content", "via link"}});
  ASSERT_FALSE(a.is_error) << text(a);
  ToolOutput b = ws_tools_->write({{"file_path", "tmp_link/deep/er/f"}, {"content", "x"}});
  ASSERT_FALSE(b.is_error) << text(b);
  EXPECT_FALSE(fs::exists(escape)) << "a write escaped to the host";
  EXPECT_FALSE(fs::exists("/tmp/deep/er/f")) << "a write escaped to the host";
  EXPECT_EQ(cove::test::sh(*box_, "cat " + escape + " /tmp/deep/er/f").out, "via linkx");
}

// ---- permissions -----------------------------------------------------------------------

TEST_F(Files, TheSandboxUsersPermissionsApply) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs files of other users, which only root can make; rootless, the "
                    "sandbox user is the caller (the escape suite checks root's /etc/shadow)";
  put("root_secret", "root only\n", 0600, 0);
  put("other_secret", "uid 2000 only\n", 0600, static_cast<int>(user()) + 1000);
  put("readonly", "look, don't touch\n", 0644, 0);
  for (std::string path : {"root_secret", "other_secret", "/etc/shadow"}) {
    ToolOutput out = ws_tools_->read({{"file_path", path}});
    EXPECT_TRUE(out.is_error) << path;
    EXPECT_TRUE(contains(text(out), "Permission denied")) << text(out);
  }
  ToolOutput ro_edit =
      ws_tools_->edit({{"file_path", "readonly"}, {"old_string", "look"}, {"new_string", "LOOK"}});
  EXPECT_TRUE(ro_edit.is_error);
  EXPECT_TRUE(contains(text(ro_edit), "/workspace/repo/readonly: Permission denied"))
      << text(ro_edit);
  ToolOutput ro_write = ws_tools_->write({{"file_path", "readonly"}, {"content", "x"}});
  EXPECT_TRUE(ro_write.is_error);
  EXPECT_EQ(slurp(host("readonly")), "look, don't touch\n");
  // A directory the user may not write into.
  fs::create_directory(host("rootdir"));
  ToolOutput in_rootdir = ws_tools_->write({{"file_path", "rootdir/sub/f"}, {"content", "x"}});
  EXPECT_TRUE(in_rootdir.is_error);
  EXPECT_TRUE(contains(text(in_rootdir), "rootdir/sub: Permission denied")) << text(in_rootdir);
  // Read-only parts of the sandbox.
  ToolOutput usr = ws_tools_->write({{"file_path", "/usr/new"}, {"content", "x"}});
  EXPECT_TRUE(usr.is_error);
  EXPECT_TRUE(contains(text(usr), "/usr/new")) << text(usr);
}

TEST_F(Files, NewFilesBelongToTheSandboxUser) {
  ToolOutput out = ws_tools_->write({{"file_path", "new/dir/file.txt"}, {"content", "hi"}});
  ASSERT_FALSE(out.is_error) << text(out);
  for (std::string rel : {"new", "new/dir", "new/dir/file.txt"}) {
    struct stat st;
    ASSERT_EQ(::stat(host(rel).c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, user()) << rel;
    EXPECT_EQ(st.st_gid, group()) << rel;
    EXPECT_EQ(st.st_mode & 07777, S_ISDIR(st.st_mode) ? 0755u : 0644u) << rel;
  }
  // Inside the sandbox the file is the user's too.
  EXPECT_EQ(cove::test::sh(*box_, "stat -c %U:%a /workspace/repo/new/dir/file.txt").out,
            "cove:644\n");
}

// The file tools act exactly as the sandbox's own commands do: the sandbox user's ids (all
// four), no capabilities at all, no_new_privs, the seccomp filter, the sandbox's cgroups.
TEST_F(Files, TheToolsRunAsTheSandboxUserAndNothingMore) {
  std::string status = text(ws_tools_->read({{"file_path", "/proc/self/status"}}));
  for (const char* line :
       {"Uid:\t1000\t1000\t1000\t1000", "Gid:\t1000\t1000\t1000\t1000", "CapInh:\t0000000000000000",
        "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000", "CapAmb:\t0000000000000000",
        "NoNewPrivs:\t1", "Seccomp:\t2"})
    EXPECT_TRUE(contains(status, line)) << line << " missing from\n" << status;
  std::string cgroup = text(ws_tools_->read({{"file_path", "/proc/self/cgroup"}}));
  std::string shell_cgroup = cove::test::sh(*box_, "cat /proc/self/cgroup").out;
  EXPECT_TRUE(contains(cgroup, shell_cgroup.substr(0, shell_cgroup.find('\n'))))
      << cgroup << " vs the sandbox's " << shell_cgroup;
  // The runtime's own thread never changes identity any more.
  std::string self = slurp("/proc/thread-self/status");
  std::string uid = std::to_string(::geteuid());
  EXPECT_TRUE(contains(self, "\nUid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid + "\n"))
      << self;
}

// The security review's finding 1: the write tool changed host sysctls (core_pattern: host
// root code execution; hostname) and read showed kernel addresses. Nothing the sandbox's
// bash cannot do.
TEST_F(Files, KernelKnobsAreOutOfReach) {
  std::string host_hostname = slurp("/proc/sys/kernel/hostname");
  std::string host_core = slurp("/proc/sys/kernel/core_pattern");
  for (std::string knob : {"/proc/sys/kernel/hostname", "/proc/sys/kernel/core_pattern",
                           "/proc/sys/net/ipv4/ip_forward", "/proc/sysrq-trigger"}) {
    ToolOutput w = ws_tools_->write({{"file_path", knob}, {"content", "cove-was-here"}});
    EXPECT_TRUE(w.is_error) << knob << ": " << text(w);
    ToolOutput e = ws_tools_->edit(
        {{"file_path", knob}, {"old_string", "core"}, {"new_string", "cove-was-here"}});
    EXPECT_TRUE(e.is_error) << knob << ": " << text(e);
  }
  EXPECT_EQ(slurp("/proc/sys/kernel/hostname"), host_hostname);
  EXPECT_EQ(slurp("/proc/sys/kernel/core_pattern"), host_core);
  // Reads resolve in the sandbox's namespaces, with its user's rights.
  EXPECT_EQ(text(ws_tools_->read({{"file_path", "/proc/sys/kernel/hostname"}})), "     1\tcove\n");
  ToolOutput kallsyms = ws_tools_->read({{"file_path", "/proc/kallsyms"}, {"view_range", {1, 3}}});
  if (!kallsyms.is_error) {
    EXPECT_TRUE(contains(text(kallsyms), "\t0000000000000000 ")) << text(kallsyms);
  }
  EXPECT_TRUE(ws_tools_->read({{"file_path", "/proc/1/environ"}}).is_error);
  EXPECT_TRUE(ws_tools_->read({{"file_path", "/proc/1/stack"}}).is_error);
}

TEST_F(Files, ConcurrentCallsKeepTheirOwnIdentity) {
  put("shared", "line\n");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        std::string name = "t" + std::to_string(t) + "_" + std::to_string(i);
        if (ws_tools_->write({{"file_path", name}, {"content", name}}).is_error) ++failures;
        if (ws_tools_->read({{"file_path", "shared"}}).is_error) ++failures;
      }
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures, 0);
  struct stat st;
  ASSERT_EQ(::stat(host("t3_29").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, user());
}

// ---- read ------------------------------------------------------------------------------

TEST_F(Files, ReadNumbersLinesLikeCatN) {
  put("f.txt", "first\nsecond\n\nfourth");
  EXPECT_EQ(text(ws_tools_->read({{"file_path", "f.txt"}})),
            "     1\tfirst\n     2\tsecond\n     3\t\n     4\tfourth\n");
  EXPECT_EQ(text(ws_tools_->read({{"file_path", "/workspace/repo/f.txt"}, {"view_range", {2, 3}}})),
            "     2\tsecond\n     3\t\n");
  EXPECT_EQ(text(ws_tools_->read({{"file_path", "f.txt"}, {"view_range", {3, 0}}})),
            "     3\t\n     4\tfourth\n");
  EXPECT_EQ(text(ws_tools_->read({{"file_path", "f.txt"}, {"view_range", {4, -1}}})),
            "     4\tfourth\n");
  EXPECT_EQ(text(ws_tools_->read({{"file_path", "f.txt"}, {"view_range", {4, 99}}})),
            "     4\tfourth\n");
}

TEST_F(Files, ReadErrorsSayWhatToDo) {
  put("f.txt", "a\nb\n");
  put("empty", "");
  put("bin", std::string("\x7f"
                         "ELF\0\0\1",
                         7));
  fs::create_directory(host("dir"));
  struct Case {
    json input;
    std::string expected;
  } cases[] = {
      {{{"file_path", "missing.txt"}}, "/workspace/repo/missing.txt: No such file or directory"},
      {{{"file_path", "dir"}}, "/workspace/repo/dir is a directory"},
      {{{"file_path", "bin"}}, "/workspace/repo/bin is a binary file"},
      {{{"file_path", "f.txt"}, {"view_range", {5, 0}}},
       "starts at line 5 but /workspace/repo/f.txt has 2 lines"},
      {{{"file_path", "f.txt"}, {"view_range", {3, 1}}}, "is before start_line"},
      {{{"file_path", "f.txt"}, {"view_range", {0, 1}}}, "1 or more"},
      {{{"file_path", "f.txt"}, {"view_range", "1-2"}},
       "view_range must be [start_line, end_line]"},
      {json::object(), "file_path is required"},
      {{{"file_path", 7}}, "file_path must be a string"},
  };
  for (const auto& c : cases) {
    ToolOutput out = ws_tools_->read(c.input);
    EXPECT_TRUE(out.is_error) << c.input.dump();
    EXPECT_TRUE(contains(text(out), c.expected)) << c.input.dump() << " -> " << text(out);
  }
  ToolOutput empty = ws_tools_->read({{"file_path", "empty"}});
  EXPECT_FALSE(empty.is_error);
  EXPECT_EQ(text(empty), "/workspace/repo/empty is empty");
}

TEST_F(Files, ReadLimitsAndEncodings) {
  std::string big;
  for (int i = 1; big.size() <= 300 * 1024; ++i)
    big += "line " + std::to_string(i) + "\n";
  put("big.txt", big);
  ToolOutput whole = ws_tools_->read({{"file_path", "big.txt"}});
  EXPECT_TRUE(whole.is_error);
  EXPECT_TRUE(contains(text(whole), "over the 256 KiB read limit")) << text(whole);
  EXPECT_TRUE(contains(text(whole), "view_range")) << text(whole);
  EXPECT_TRUE(contains(text(whole), "lines)")) << text(whole);
  ToolOutput part = ws_tools_->read({{"file_path", "big.txt"}, {"view_range", {20000, 20001}}});
  ASSERT_FALSE(part.is_error) << text(part);
  EXPECT_EQ(text(part), " 20000\tline 20000\n 20001\tline 20001\n");
  ToolOutput to_end = ws_tools_->read({{"file_path", "big.txt"}, {"view_range", {1, 0}}});
  EXPECT_TRUE(contains(text(to_end), "[output stopped after line")) << text(to_end).substr(0, 200);
  // Invalid UTF-8 comes back repaired, never as a result that cannot be serialized.
  put("latin1.txt", "caf\xe9\n");
  ToolOutput latin1 = ws_tools_->read({{"file_path", "latin1.txt"}});
  EXPECT_EQ(text(latin1), "     1\tcaf\xEF\xBF\xBD\n");
  EXPECT_NO_THROW(latin1.content.dump());
}

// ---- write and edit ----------------------------------------------------------------------

TEST_F(Files, WriteCreatesAndOverwrites) {
  ToolOutput out = ws_tools_->write({{"file_path", "a/b.txt"}, {"content", "hello"}});
  EXPECT_FALSE(out.is_error);
  EXPECT_EQ(text(out), "wrote 5 bytes to /workspace/repo/a/b.txt");
  EXPECT_EQ(slurp(host("a/b.txt")), "hello");
  put("script.sh", "#!/bin/sh\necho a long old body\n", 0755);
  ToolOutput over = ws_tools_->write({{"file_path", "script.sh"}, {"content", "#!/bin/sh\n"}});
  EXPECT_EQ(text(over), "wrote 10 bytes to /workspace/repo/script.sh");
  EXPECT_EQ(slurp(host("script.sh")), "#!/bin/sh\n");
  struct stat st;
  ASSERT_EQ(::stat(host("script.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u) << "overwriting keeps the mode";
  EXPECT_EQ(text(ws_tools_->write({{"file_path", "/tmp/empty"}, {"content", ""}})),
            "wrote 0 bytes to /tmp/empty");
  fs::create_directory(host("d"));
  ToolOutput dir = ws_tools_->write({{"file_path", "d"}, {"content", "x"}});
  EXPECT_TRUE(dir.is_error);
  EXPECT_TRUE(contains(text(dir), "/workspace/repo/d")) << text(dir);
  put("file", "x");
  ToolOutput under_file = ws_tools_->write({{"file_path", "file/child"}, {"content", "x"}});
  EXPECT_TRUE(under_file.is_error);
  EXPECT_TRUE(contains(text(under_file), "Not a directory")) << text(under_file);
  EXPECT_TRUE(contains(text(ws_tools_->write({{"file_path", "x"}})), "content is required"));
}

TEST_F(Files, EditReplacesExactlyOnce) {
  put("code.py", "def f():\n    return 1\n\ndef g():\n    return 1\n", 0750);
  ToolOutput twice = ws_tools_->edit(
      {{"file_path", "code.py"}, {"old_string", "return 1"}, {"new_string", "return 2"}});
  EXPECT_TRUE(twice.is_error);
  EXPECT_TRUE(contains(text(twice), "found 2 times")) << text(twice);
  EXPECT_TRUE(contains(text(twice), "replace_all")) << text(twice);
  ToolOutput missing =
      ws_tools_->edit({{"file_path", "code.py"}, {"old_string", "return 3"}, {"new_string", "x"}});
  EXPECT_TRUE(missing.is_error);
  EXPECT_TRUE(contains(text(missing), "not found in /workspace/repo/code.py")) << text(missing);
  ToolOutput once = ws_tools_->edit({{"file_path", "code.py"},
                                     {"old_string", "def g():\n    return 1"},
                                     {"new_string", "def g():\n    return 2"}});
  ASSERT_FALSE(once.is_error) << text(once);
  EXPECT_TRUE(contains(text(once), "replaced 1 occurrence")) << text(once);
  EXPECT_TRUE(contains(text(once), "     5\t    return 2\n")) << text(once);
  EXPECT_EQ(slurp(host("code.py")), "def f():\n    return 1\n\ndef g():\n    return 2\n");
  ToolOutput all = ws_tools_->edit({{"file_path", "code.py"},
                                    {"old_string", "return"},
                                    {"new_string", "yield"},
                                    {"replace_all", true}});
  EXPECT_EQ(text(all), "edited /workspace/repo/code.py: replaced 2 occurrences");
  EXPECT_EQ(slurp(host("code.py")), "def f():\n    yield 1\n\ndef g():\n    yield 2\n");
  struct stat st;
  ASSERT_EQ(::stat(host("code.py").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u) << "edit keeps the mode";
  // Shrinking truncates.
  ws_tools_->edit(
      {{"file_path", "code.py"}, {"old_string", "\ndef g():\n    yield 2\n"}, {"new_string", ""}});
  EXPECT_EQ(slurp(host("code.py")), "def f():\n    yield 1\n");
}

TEST_F(Files, EditErrors) {
  put("f", "abc");
  put("bin", std::string("a\0b", 3));
  put("big", std::string(300 * 1024, 'x'));
  struct Case {
    json input;
    std::string expected;
  } cases[] = {
      {{{"file_path", "f"}, {"old_string", "abc"}, {"new_string", "abc"}}, "are the same"},
      {{{"file_path", "f"}, {"old_string", ""}, {"new_string", "x"}}, "old_string is empty"},
      {{{"file_path", "bin"}, {"old_string", "a"}, {"new_string", "x"}}, "binary file"},
      {{{"file_path", "big"}, {"old_string", "x"}, {"new_string", "y"}},
       "over the 256 KiB edit limit"},
      {{{"file_path", "nope"}, {"old_string", "x"}, {"new_string", "y"}}, "nope: No such file"},
      {{{"file_path", "f"}, {"old_string", "a"}}, "new_string is required"},
      {{{"file_path", "f"}, {"old_string", "a"}, {"new_string", "b"}, {"replace_all", "yes"}},
       "replace_all must be true or false"},
  };
  for (const auto& c : cases) {
    ToolOutput out = ws_tools_->edit(c.input);
    EXPECT_TRUE(out.is_error) << c.input.dump();
    EXPECT_TRUE(contains(text(out), c.expected)) << c.input.dump() << " -> " << text(out);
  }
  EXPECT_EQ(slurp(host("f")), "abc");
}

// ---- glob ------------------------------------------------------------------------------

TEST_F(Files, GlobDoublestarNewestFirst) {
  put("src/main.c", "");
  put("src/util/str.c", "");
  put("src/util/str.h", "");
  put("top.c", "");
  put(".hidden/x.c", "");
  put(".git/objects/y.c", "");
  set_mtime("src/main.c", 1000);
  set_mtime("src/util/str.c", 3000);
  set_mtime("src/util/str.h", 500);
  set_mtime("top.c", 2000);
  set_mtime(".hidden/x.c", 100);
  EXPECT_EQ(text(ws_tools_->glob({{"pattern", "**/*.c"}})),
            "/workspace/repo/src/util/str.c\n/workspace/repo/top.c\n"
            "/workspace/repo/src/main.c\n/workspace/repo/.hidden/x.c\n");
  EXPECT_EQ(text(ws_tools_->glob({{"pattern", "src/**/*.{h,c}"}})),
            "/workspace/repo/src/util/str.c\n/workspace/repo/src/main.c\n"
            "/workspace/repo/src/util/str.h\n");
  EXPECT_EQ(text(ws_tools_->glob({{"pattern", "*.c"}, {"path", "src/util"}})),
            "/workspace/repo/src/util/str.c\n");
  EXPECT_EQ(text(ws_tools_->glob({{"pattern", "/workspace/repo/src/*"}})),
            "/workspace/repo/src/util\n/workspace/repo/src/main.c\n");  // util: mtime now
  // .git is entered only when named.
  EXPECT_EQ(text(ws_tools_->glob({{"pattern", ".git/**/*.c"}})),
            "/workspace/repo/.git/objects/y.c\n");
  EXPECT_EQ(text(ws_tools_->glob({{"pattern", "**/*.rs"}})),
            "no files match **/*.rs in /workspace/repo\n");
  ToolOutput missing = ws_tools_->glob({{"pattern", "*"}, {"path", "nowhere"}});
  EXPECT_TRUE(missing.is_error);
  EXPECT_TRUE(contains(text(missing), "/workspace/repo/nowhere: No such file")) << text(missing);
}

TEST_F(Files, GlobCapsAtTwoHundredNewest) {
  for (int i = 0; i < 250; ++i) {
    put("many/f" + std::to_string(i), "");
    set_mtime("many/f" + std::to_string(i), 10000 + i);
  }
  std::string out = text(ws_tools_->glob({{"pattern", "many/*"}}));
  EXPECT_EQ(out.substr(0, 26), "/workspace/repo/many/f249\n");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 201);
  EXPECT_TRUE(contains(out, "[showing the 200 most recently modified of 250 matches")) << out;
  EXPECT_TRUE(contains(out, "/workspace/repo/many/f50\n"));
  EXPECT_FALSE(contains(out, "/workspace/repo/many/f49\n"));
}

TEST_F(Files, GlobDoesNotFollowSymlinksOut) {
  put("in/a.txt", "");
  ASSERT_EQ(::symlink("/", host("in/root_link").c_str()), 0);
  std::string out = text(ws_tools_->glob({{"pattern", "**/passwd"}}));
  EXPECT_EQ(out, "no files match **/passwd in /workspace/repo\n");
}

// ---- grep ------------------------------------------------------------------------------

TEST_F(Files, GrepFindsLinesRecursively) {
  put("a.txt", "alpha\nbeta 42\ngamma\n");
  put("sub/b.md", "Beta\nno digits\nbeta 7");
  put("bin.dat", std::string("beta\0", 5));
  put(".git/config", "beta 1\n");
  EXPECT_EQ(text(ws_tools_->grep({{"pattern", "beta \\d+"}})),
            "/workspace/repo/a.txt:2:beta 42\n/workspace/repo/sub/b.md:3:beta 7\n");
  EXPECT_EQ(text(ws_tools_->grep({{"pattern", "beta"}, {"path", "bin.dat"}})),
            "/workspace/repo/bin.dat is a binary file; grep searches text files only\n");
  EXPECT_EQ(text(ws_tools_->grep({{"pattern", "(?i)^beta$"}, {"path", "sub"}})),
            "/workspace/repo/sub/b.md:1:Beta\n");
  EXPECT_EQ(text(ws_tools_->grep({{"pattern", "^(alpha|gamma)"}, {"path", "a.txt"}})),
            "/workspace/repo/a.txt:1:alpha\n/workspace/repo/a.txt:3:gamma\n");
  EXPECT_EQ(text(ws_tools_->grep({{"pattern", "zeta"}})),
            "no matches for \"zeta\" in /workspace/repo\n");
  ToolOutput bad = ws_tools_->grep({{"pattern", "(unclosed"}});
  EXPECT_TRUE(bad.is_error);
  EXPECT_TRUE(contains(text(bad), "invalid regular expression \"(unclosed\"")) << text(bad);
  ToolOutput missing = ws_tools_->grep({{"pattern", "x"}, {"path", "nope"}});
  EXPECT_TRUE(missing.is_error);
  EXPECT_TRUE(contains(text(missing), "/workspace/repo/nope: No such file")) << text(missing);
}

TEST_F(Files, GrepHonoursPermissions) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs files of other users, which only root can make; rootless, the "
                    "sandbox user is the caller (the escape suite checks root's /etc/shadow)";
  put("secret", "needle\n", 0600, 0);
  put("open", "needle\n");
  std::string out = text(ws_tools_->grep({{"pattern", "needle"}}));
  EXPECT_TRUE(contains(out, "/workspace/repo/open:1:needle\n")) << out;
  EXPECT_FALSE(contains(out, "secret:1")) << out;
  EXPECT_TRUE(contains(out, "1 file or directory could not be read")) << out;
}

TEST_F(Files, GrepCapsOutputAndTime) {
  std::string many;
  for (int i = 0; i < 20000; ++i)
    many += "match number " + std::to_string(i) + "\n";
  put("many.txt", many);
  ToolOutput capped = ws_tools_->grep({{"pattern", "match"}});
  std::string out = text(capped);
  EXPECT_FALSE(capped.is_error);
  EXPECT_LE(out.size(), 100 * 1024 + 200);
  EXPECT_TRUE(contains(out, "[output capped at 100 KiB; narrow the pattern or the path]"))
      << out.substr(out.size() - 200);
  EXPECT_TRUE(contains(out, "/workspace/repo/many.txt:1:match number 0\n"));

  auto quick = make_workspace({.grep_timeout = std::chrono::milliseconds(0)});
  EXPECT_TRUE(contains(text(quick->grep({{"pattern", "match"}})), "results are partial"));

  std::stop_source stop;
  stop.request_stop();
  ToolOutput stopped = ws_tools_->grep({{"pattern", "match"}}, stop.get_token());
  EXPECT_TRUE(stopped.is_error);
  EXPECT_TRUE(contains(text(stopped), "[interrupted"));
}

TEST_F(Files, GrepLongLinesAreCut) {
  put("min.js", std::string(5000, 'x') + "needle" + "\n");
  std::string out = text(ws_tools_->grep({{"pattern", "needle"}}));
  EXPECT_TRUE(contains(out, "[... line truncated]")) << out.size();
  EXPECT_LT(out.size(), 1200u);
}

// ---- exhaustion: one call must not exhaust the runtime (security review, findings 2, 3) ---

// A tree 3,000 levels deep of 200-character names: the walks used to hold a path per level
// in a set (memory quadratic in depth: 4.4 GB) and an fd per level (EMFILE for the whole
// runtime at depth 20,000). Now the walk runs in the sandbox, stops at a depth limit and
// says so, and the runtime's memory and fds stay flat.
TEST_F(Files, DeepTreesAreWalkedWithinBounds) {
  put("deep/.keep", "");
  int dir = ::open(host("deep").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  const std::string name(200, 'd');
  for (int i = 0; i < 3000; ++i) {
    ASSERT_EQ(::mkdirat(dir, name.c_str(), 0755), 0) << i;
    int sub = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ::close(dir);
    ASSERT_GE(sub, 0) << i;
    dir = sub;
  }
  ASSERT_EQ(
      ::write(::openat(dir, "needle.txt", O_WRONLY | O_CREAT | O_CLOEXEC, 0644), "needle\n", 7), 7);
  ::close(dir);
  long rss = runtime_rss_kb();
  std::size_t fds = runtime_fds();
  for (const json& call : {json{{"tool", "glob"}, {"pattern", "**/nomatch"}, {"path", "deep"}},
                           json{{"tool", "glob"}, {"pattern", "deep/**"}},
                           json{{"tool", "grep"}, {"pattern", "needle"}, {"path", "deep"}}}) {
    json input = call;
    input.erase("tool");
    ToolOutput out = call["tool"] == "glob" ? ws_tools_->glob(input) : ws_tools_->grep(input);
    EXPECT_FALSE(out.is_error) << call << ": " << text(out);
    EXPECT_TRUE(contains(text(out), "levels deep were not searched")) << call << ": " << text(out);
  }
  EXPECT_LT(runtime_rss_kb() - rss, 32 * 1024) << "the runtime's memory grew with the tree";
  EXPECT_EQ(runtime_fds(), fds) << "the runtime holds fds of the walk";
}

// glibc's regexec is quadratic on (a|aa)*c: 57 s for a 200 KB line. RE2 is linear.
TEST_F(Files, GrepTimeIsLinearInTheInput) {
  put("one_line.txt", std::string(1 << 20, 'a') + "\n");
  auto start = std::chrono::steady_clock::now();
  ToolOutput out = ws_tools_->grep({{"pattern", "(a|aa)*c"}, {"path", "one_line.txt"}});
  EXPECT_FALSE(out.is_error) << text(out);
  EXPECT_TRUE(contains(text(out), "no matches")) << text(out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  // Constructs RE2 cannot run in linear time are refused, with the reason.
  ToolOutput backref = ws_tools_->grep({{"pattern", "(a)\\1"}});
  EXPECT_TRUE(backref.is_error);
  EXPECT_TRUE(contains(text(backref), "backreferences are not supported")) << text(backref);
}

// A 1 PiB sparse file whose first line never ends: read used to burn a runtime core for ever,
// deaf to interrupts, session deletion and SIGTERM. Now a stop kills the server at once, the
// server's own time limit ends the read, and the next call gets a fresh server.
TEST_F(Files, EndlessReadsStopOnInterruptAndTimeLimit) {
  ASSERT_EQ(cove::test::sh(*box_,
                           "head -c 8192 /dev/zero | tr '\\0' a > /tmp/big && "
                           "truncate -s 1P /tmp/big")
                .status.code,
            0);
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.request_stop();
  });
  auto start = std::chrono::steady_clock::now();
  ToolOutput stopped =
      ws_tools_->read({{"file_path", "/tmp/big"}, {"view_range", {1, 0}}}, stop.get_token());
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(stopped.is_error);
  EXPECT_TRUE(contains(text(stopped), "[interrupted")) << text(stopped);
  EXPECT_EQ(cove::test::sh(*box_, "pgrep -xc cove-tools").out, "0\n")
      << "the stopped server is still running";

  auto quick = make_workspace({.grep_timeout = std::chrono::milliseconds(500)});
  ToolOutput limited = quick->read({{"file_path", "/tmp/big"}, {"view_range", {1, 0}}});
  EXPECT_TRUE(limited.is_error);
  EXPECT_TRUE(contains(text(limited), "the time limit")) << text(limited);
  EXPECT_FALSE(ws_tools_->read({{"file_path", "/etc/hostname"}}).is_error) << "no fresh server";
}

// ---- latency -----------------------------------------------------------------------------

TEST_F(Files, ReadLatency) {
  put("small.txt", "one\ntwo\nthree\n");
  std::vector<double> us;
  for (int i = 0; i < 300; ++i) {
    auto start = std::chrono::steady_clock::now();
    ToolOutput out = ws_tools_->read({{"file_path", "small.txt"}});
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                     .count());
    ASSERT_FALSE(out.is_error);
  }
  std::sort(us.begin(), us.end());
  std::printf("read of a small file: p50 %.0f us, p99 %.0f us\n", us[us.size() / 2],
              us[us.size() * 99 / 100]);
  EXPECT_LT(us[us.size() / 2], 2000) << "the loop's budget is 2 ms per tool call";
}
