// Normal work inside the sandbox keeps working, and the Sandbox API behaves as documented.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "sandbox/id_map.hpp"
#include "tests/support/files.hpp"
#include "tests/support/sandbox_harness.hpp"

namespace sb = cove::sandbox;
using cove::test::Output;
using cove::test::sh;

namespace {

class Work : public ::testing::Test {
 protected:
  void SetUp() override { box_ = sb::Sandbox::start(cove::test::probe_spec(ws_.path())); }
  cove::test::TempDir ws_;
  std::unique_ptr<sb::Sandbox> box_;
};

// Runs the cove binary with `args`; returns {exit code, stdout, stderr}.
struct Cli {
  int code;
  std::string out, err;
};
Cli cove_cli(const std::vector<std::string>& args, const std::string& input = "") {
  cove::test::TempDir tmp;
  std::string cmd = cove::test::cove_binary();
  for (const auto& a : args)
    cmd += " '" + a + "'";
  std::string in = tmp.path().string() + "/in", out = tmp.path().string() + "/out",
              err = tmp.path().string() + "/err";
  std::ofstream(in) << input;
  int status = std::system((cmd + " <" + in + " >" + out + " 2>" + err).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, cove::test::slurp(out),
          cove::test::slurp(err)};
}

}  // namespace

TEST_F(Work, BashPipesAndExitCodes) {
  EXPECT_EQ(sh(*box_, "echo a b c | tr ' ' '\\n' | sort -r | head -1").out, "c\n");
  EXPECT_EQ(sh(*box_, "exit 7").status.code, 7);
  Output killed = sh(*box_, "kill -9 $$");
  EXPECT_EQ(killed.status.signal, SIGKILL);
  EXPECT_EQ(killed.status.shell_code(), 137);
}

TEST_F(Work, CompilerAndPython) {
  Output cc = sh(*box_,
                 "cd /tmp && printf '#include <stdio.h>\\nint main(void){puts(\"built\");}' > "
                 "h.c && gcc -O1 -o h h.c && ./h");
  EXPECT_EQ(cc.out, "built\n") << cc.err;
  Output py = cove::test::run(*box_, {"python3", "-c", "import sys; print(sum(range(10)))"});
  EXPECT_EQ(py.out, "45\n") << py.err;
}

TEST_F(Work, GitInTheBoundCheckoutOwnedByTheSandboxUser) {
  Output o = sh(*box_,
                "set -e; cd /workspace/repo; git init -q -b main .; echo hello > README; "
                "git add README; git -c user.name=cove -c user.email=cove@localhost commit -qm "
                "first; git status --porcelain; git log --format=%s",
                {.cwd = "/workspace/repo"});
  EXPECT_EQ(o.status.code, 0) << o.err;
  EXPECT_EQ(o.out, "first\n");
  // On the host, the files belong to the sandbox user's host uid, never to root.
  struct stat st;
  ASSERT_EQ(::stat((ws_.path().string() + "/README").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, sb::sandbox_user_on_host(box_->spec().identity).uid);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(Work, TmpIsPrivateAndWritable) {
  EXPECT_EQ(sh(*box_, "echo x > /tmp/f && cat /tmp/f && stat -c %a /tmp").out, "x\n1777\n");
  auto other = sb::Sandbox::start(cove::test::probe_spec(""));
  EXPECT_NE(sh(*other, "test -e /tmp/f").status.code, 0) << "each sandbox has its own /tmp";
}

TEST_F(Work, StdinEnvCwdAndHostname) {
  Output o = cove::test::run(*box_, {"cat"}, {.input = "piped\n"});
  EXPECT_EQ(o.out, "piped\n");
  Output e = sh(*box_, "echo $FOO:$PWD:$(hostname):$(id -un)",
                {.cwd = "/workspace/repo", .env = {"FOO=bar", "PATH=/usr/bin:/bin"}});
  EXPECT_EQ(e.out, "bar:/workspace/repo:cove:cove\n");
}

TEST_F(Work, LoopbackWorksAndNothingElseExists) {
  Output o = cove::test::run(
      *box_, {"python3", "-c",
              "import socket\n"
              "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)\n"
              "c = socket.create_connection(s.getsockname()); print('loopback ok')\n"
              "print(open('/proc/net/dev').read().count(':'))"});
  EXPECT_EQ(o.out, "loopback ok\n1\n") << o.err;
}

TEST_F(Work, SpawnErrorsAreClear) {
  try {
    cove::test::run(*box_, {"no-such-command"});
    FAIL() << "expected SpawnError";
  } catch (const sb::SpawnError& e) {
    EXPECT_EQ(e.error(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("exec no-such-command"), std::string::npos) << e.what();
  }
  try {
    cove::test::run(*box_, {"true"}, {.cwd = "/does/not/exist"});
    FAIL() << "expected SpawnError";
  } catch (const sb::SpawnError& e) {
    EXPECT_NE(std::string(e.what()).find("chdir /does/not/exist"), std::string::npos);
  }
  // The sandbox is unaffected.
  EXPECT_EQ(sh(*box_, "echo fine").out, "fine\n");
}

TEST_F(Work, TimeoutKillsTheProcessGroup) {
  auto start = std::chrono::steady_clock::now();
  Output o = sh(*box_, "sleep 100 & sleep 100", {.timeout = std::chrono::milliseconds(300)});
  EXPECT_TRUE(o.status.timed_out);
  EXPECT_EQ(o.status.signal, SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(sh(*box_, "pgrep -c sleep || true").out, "0\n");
}

TEST_F(Work, SignalReachesTheCommand) {
  sb::SpawnRequest req;
  req.argv = {"/bin/sleep", "100"};
  auto cmd = box_->spawn(req);
  box_->signal(cmd, SIGTERM);
  EXPECT_EQ(box_->wait(cmd).signal, SIGTERM);
}

TEST_F(Work, ConcurrentCommandsFromManyThreads) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        Output o = sh(*box_, "echo " + std::to_string(t * 100 + i));
        if (o.out == std::to_string(t * 100 + i) + "\n") ++ok;
      }
    });
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(ok.load(), 40);
}

TEST(SandboxSetup, FailsWithOneLineNamingTheLayer) {
  sb::SandboxSpec spec;
  spec.hostname = std::string(100, 'h');  // longer than the kernel allows
  try {
    sb::Sandbox::start(spec);
    FAIL() << "expected SandboxError";
  } catch (const sb::SandboxError& e) {
    EXPECT_EQ(e.step(), "uts");
    EXPECT_NE(std::string(e.what()).find("sethostname"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
  sb::SandboxSpec bad_bind;
  bad_bind.binds.push_back({"/nonexistent-cove-src", "/workspace/x", false});
  EXPECT_THROW(sb::Sandbox::start(bad_bind), sb::SandboxError);
}

TEST(SandboxSetup, CgroupsAreRemovedWithTheSandbox) {
  std::vector<std::string> dirs;
  {
    auto box = sb::Sandbox::start(cove::test::probe_spec(""));
    COVE_REQUIRE_CGROUPS(*box);
    dirs = box->cgroup()->dirs();
    ASSERT_EQ(dirs.size(), 3u);
    for (const auto& d : dirs)
      EXPECT_EQ(::access(d.c_str(), F_OK), 0) << d;
  }
  for (const auto& d : dirs)
    EXPECT_NE(::access(d.c_str(), F_OK), 0) << d;
}

// Removes the test's own cgroup directories however the test ends (waiting for killed
// processes to leave them).
struct RemoveCgroups {
  std::vector<std::string> dirs;
  ~RemoveCgroups() {
    for (const auto& d : dirs)
      for (int i = 0; i < 500 && ::rmdir(d.c_str()) != 0 && errno == EBUSY; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
};

// A daemon killed with -9 leaves its sandboxes' cgroups behind, empty: each sandbox's init
// died with it, and everything inside with init. The same session's next sandbox (same
// name) replaces them.
TEST(SandboxSetup, LeftoverEmptyCgroupsOfTheSameNameAreReplaced) {
  auto spec = cove::test::probe_spec("");
  spec.name = "cove-test-leftover-" + std::to_string(::getpid());
  RemoveCgroups cleanup;
  auto& dirs = cleanup.dirs;
  {
    auto box = sb::Sandbox::start(spec);
    COVE_REQUIRE_CGROUPS(*box);
    dirs = box->cgroup()->dirs();
  }
  for (const auto& d : dirs)
    ASSERT_EQ(::mkdir(d.c_str(), 0755), 0) << d;  // what the killed daemon left
  {
    auto box = sb::Sandbox::start(spec);
    EXPECT_EQ(box->cgroup()->dirs(), dirs);
    EXPECT_EQ(sh(*box, "echo ok").out, "ok\n");
  }
  for (const auto& d : dirs)
    EXPECT_NE(::access(d.c_str(), F_OK), 0) << d;
}

// One that still holds processes belongs to a live sandbox: one clear line, nothing killed.
TEST(SandboxSetup, ALeftoverCgroupWithProcessesFailsWithOneLine) {
  auto spec = cove::test::probe_spec("");
  spec.name = "cove-test-busy-" + std::to_string(::getpid());
  RemoveCgroups cleanup;
  auto& dirs = cleanup.dirs;
  {
    auto box = sb::Sandbox::start(spec);
    COVE_REQUIRE_CGROUPS(*box);
    dirs = box->cgroup()->dirs();
  }
  for (const auto& d : dirs)
    ASSERT_EQ(::mkdir(d.c_str(), 0755), 0) << d;
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  for (const auto& d : dirs)
    std::ofstream(d + "/cgroup.procs") << child;
  try {
    sb::Sandbox::start(spec);
    ADD_FAILURE() << "expected SandboxError";
  } catch (const sb::SandboxError& e) {
    EXPECT_EQ(e.step(), "cgroup");
    EXPECT_NE(std::string(e.what()).find("still holds processes"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
  EXPECT_EQ(::kill(child, 0), 0);  // not killed
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

// The README's `cove sandbox shell --bind "$PWD:/workspace/repo"`: the caller's own checkout
// is the sandbox user's inside and writable, and what the sandbox makes there stays the
// caller's on the host (docker and bwrap users expect it). As root, an id-mapped mount;
// rootless, the caller is the sandbox user. Setuid bits cannot be set there: on the host the
// file would be the caller's (root's) setuid program.
TEST(CoveCli, BindsGiveTheCallersOwnFilesToTheSandboxUser) {
  cove::test::TempDir dir;
  std::ofstream(dir.path().string() + "/mine") << "mine\n";
  Cli c = cove_cli({"sandbox", "run", "--bind", dir.path().string() + ":/workspace/repo", "--",
                    "sh", "-c",
                    "stat -c %u:%g /workspace/repo/mine; echo new > /workspace/repo/new && "
                    "echo more >> /workspace/repo/mine && echo written; "
                    "chmod u+s /workspace/repo/new || echo no-setuid"});
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out, "1000:1000\nwritten\nno-setuid\n") << c.err;
  struct stat st;
  ASSERT_EQ(::stat((dir.path().string() + "/new").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::geteuid());
  EXPECT_EQ(st.st_gid, ::getegid());
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(cove::test::slurp(dir.path().string() + "/mine"), "mine\nmore\n");
}

TEST(CoveCli, RunPassesStdioAndExitCodes) {
  Cli echo = cove_cli({"sandbox", "run", "--", "sh", "-c", "cat; echo err >&2; exit 3"}, "in\n");
  EXPECT_EQ(echo.code, 3);
  EXPECT_EQ(echo.out, "in\n");
  EXPECT_EQ(echo.err, "err\n");
  EXPECT_EQ(cove_cli({"sandbox", "run", "sh", "-c", "kill -TERM $$"}).code, 128 + SIGTERM);
  Cli nf = cove_cli({"sandbox", "run", "no-such-cmd"});
  EXPECT_EQ(nf.code, 127);
  EXPECT_EQ(nf.err, "cove: spawn: exec no-such-cmd: No such file or directory\n");
}

TEST(CoveCli, OptionsApply) {
  cove::test::TempDir ws;
  cove::test::give_to_sandbox_user(ws.path(), sb::SandboxSpec{});  // only :ro stops writes
  Cli o = cove_cli({"sandbox", "run", "--bind", ws.path().string() + ":/workspace/w:ro",
                    "--hostname", "box1", "--env", "A=1", "--memory", "300M", "--pids", "77",
                    "--workdir", "/workspace", "--", "sh", "-c",
                    "echo $A $(hostname) $PWD; touch w/x 2>&1 | grep -c 'Read-only'"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "1 box1 /workspace\n1\n");
}

TEST(CoveCli, BadInputExitsNonZeroWithAClearLine) {
  Cli bind = cove_cli({"sandbox", "run", "--bind", "/nonexistent-x:/w", "--", "true"});
  EXPECT_EQ(bind.code, 2);
  EXPECT_NE(bind.err.find("--bind /nonexistent-x:/w"), std::string::npos) << bind.err;
  Cli mem = cove_cli({"sandbox", "run", "--memory", "lots", "--", "true"});
  EXPECT_EQ(mem.code, 2);
  EXPECT_NE(mem.err.find("--memory lots"), std::string::npos) << mem.err;
  Cli layer = cove_cli({"sandbox", "run", "--bind", "/tmp:/etc/x", "--", "true"});
  EXPECT_EQ(layer.code, 125);
  EXPECT_EQ(layer.err,
            "cove: sandbox: mount plan: bind /tmp:/etc/x: target is inside system directory "
            "/etc\n");
  EXPECT_EQ(cove_cli({"sandbox", "run"}).code, 2);
}

TEST(CoveCli, ShellGetsATerminalOfTheSandboxsOwn) {
  // script(1) gives cove a terminal, as a user's would be.
  std::string inner = cove::test::cove_binary() + " sandbox shell -- /bin/sh -c 'tty; exit 3'";
  Cli o = [&] {
    cove::test::TempDir tmp;
    std::string out = tmp.path().string() + "/out";
    int status =
        std::system(("script -qec \"" + inner + "\" /dev/null </dev/null >" + out).c_str());
    std::ifstream f(out);
    return Cli{WIFEXITED(status) ? WEXITSTATUS(status) : -1,
               std::string(std::istreambuf_iterator<char>(f), {}), ""};
  }();
  EXPECT_EQ(o.code, 3);
  EXPECT_NE(o.out.find("/dev/pts/0"), std::string::npos) << o.out;
}
