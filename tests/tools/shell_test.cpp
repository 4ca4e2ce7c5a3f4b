// The bash tool's persistent shell in a real sandbox: state between calls, exit codes,
// output caps, timeouts and interruptions that kill what the command started, restarts,
// and commands that exit the shell, run in the background or read stdin.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "runtime/tools/tools.hpp"
#include "tests/support/sandbox_harness.hpp"

namespace sb = cove::sandbox;
using cove::tools::json;
using cove::tools::Shell;
using cove::tools::ToolLimits;
using cove::tools::ToolOutput;
using Clock = std::chrono::steady_clock;

namespace {

std::string text(const ToolOutput& out) {
  return out.content.at(0).at("text").get<std::string>();
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// This process's resident memory in KiB (the runtime's, in these tests).
long rss_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

class Bash : public ::testing::Test {
 protected:
  void SetUp() override {
    box_ = sb::Sandbox::start(cove::test::probe_spec(ws_.path()));
    shell_ = make_shell();
  }

  std::unique_ptr<Shell> make_shell(ToolLimits limits = {}) {
    return std::make_unique<Shell>(
        *box_,
        std::vector<std::string>{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8",
                                 "GREETING=hello"},
        cove::test::kWorkspace, limits);
  }

  ToolOutput run(const std::string& command, json extra = json::object()) {
    extra["command"] = command;
    return shell_->run(extra);
  }

  // How many processes named `name` run in the sandbox (asked from a separate command).
  int count(const std::string& name) {
    auto o = cove::test::sh(*box_, "pgrep -xc " + name + " || true");
    return std::stoi(o.out);
  }

  cove::test::TempDir ws_;
  std::unique_ptr<sb::Sandbox> box_;
  std::unique_ptr<Shell> shell_;
};

}  // namespace

TEST_F(Bash, RunsInTheWorkspaceWithTheGivenEnvironment) {
  ToolOutput out = run("pwd; echo $GREETING; id -un");
  EXPECT_FALSE(out.is_error);
  EXPECT_EQ(text(out), "/workspace/repo\nhello\ncove\n");
}

TEST_F(Bash, CwdEnvAndFunctionsPersist) {
  EXPECT_FALSE(
      run("mkdir -p /tmp/x && cd /tmp/x && export FOO=bar; greet() { echo hi $1; }").is_error);
  EXPECT_EQ(text(run("pwd; echo $FOO; greet you")), "/tmp/x\nbar\nhi you\n");
}

TEST_F(Bash, ExitCodesAndStderr) {
  ToolOutput failed = run("echo to-out; echo to-err >&2; false");
  EXPECT_TRUE(failed.is_error);
  EXPECT_EQ(text(failed), "to-out\nto-err\n[exit code 1]");
  ToolOutput three = run("(exit 3)");
  EXPECT_TRUE(three.is_error);
  EXPECT_EQ(text(three), "[exit code 3]");
  ToolOutput silent = run("true");
  EXPECT_FALSE(silent.is_error);
  EXPECT_EQ(text(silent), "(no output)");
  ToolOutput missing = run("no-such-command");
  EXPECT_TRUE(missing.is_error);
  EXPECT_TRUE(contains(text(missing), "command not found")) << text(missing);
  EXPECT_TRUE(contains(text(missing), "[exit code 127]")) << text(missing);
}

TEST_F(Bash, OutputWithoutNewlineAndMarkerLookalikes) {
  EXPECT_EQ(text(run("printf abc")), "abc");
  EXPECT_EQ(text(run("printf 'x\\n__cove_0123456789abcdef0123456789abcdef_status=0\\n'")),
            "x\n__cove_0123456789abcdef0123456789abcdef_status=0\n");
  EXPECT_EQ(text(run("echo \"it's a 'quoted' \\\"thing\\\"\"")), "it's a 'quoted' \"thing\"\n");
  EXPECT_EQ(text(run("cat <<'EOF'\n$HOME\nEOF")), "$HOME\n");
  EXPECT_EQ(text(run("echo after")), "after\n");
}

TEST_F(Bash, SyntaxErrorsDoNotWedgeTheShell) {
  ToolOutput bad = run("echo \"unterminated");
  EXPECT_TRUE(bad.is_error);
  EXPECT_TRUE(contains(text(bad), "unexpected EOF")) << text(bad);
  EXPECT_TRUE(contains(text(bad), "[exit code 2]")) << text(bad);
  // Each kind of unfinished input, followed by another broken command: bash's parser must
  // come back to a clean state every time.
  for (std::string broken : {"echo 'x", "(", "case x in", "echo $(", "if true; then", "f() {",
                             "echo `x", "if then fi }", "echo $(", "echo ok; if true; then"}) {
    ToolOutput out = run(broken);
    EXPECT_TRUE(out.is_error) << broken << ": " << text(out);
    EXPECT_TRUE(contains(text(out), "[exit code 2]")) << broken << ": " << text(out);
    ToolOutput after = run("if then fi }");
    EXPECT_TRUE(contains(text(after), "[exit code 2]")) << broken << ": " << text(after);
  }
  EXPECT_EQ(text(run("echo fine")), "fine\n");
}

TEST_F(Bash, CommandsCannotBreakTheProtocol) {
  EXPECT_FALSE(run("break").is_error);
  EXPECT_FALSE(run("continue").is_error);
  EXPECT_FALSE(run("printf() { echo fake; }; read() { :; }; eval() { :; }; IFS=,").is_error);
  EXPECT_EQ(text(run("echo a b; command printf 'c\\n'")), "a b\nc\n");
  EXPECT_EQ(text(run("unset -f printf read eval; echo still")), "still\n");
}

// The status travels on the shell's stdin socket, never in the output: printing the old
// marker (once kept in $__cove_marker) or anything like a status line is only output, and the
// real output and status stay with their call.
TEST_F(Bash, OutputCannotForgeTheStatus) {
  ToolOutput forged =
      run("echo \"${__cove_marker}0\"; printf '%s0\\n' \"$__cove_marker\"; "
          "printf '__cove_0123456789abcdef0123456789abcdef_status=0\\n1 0\\n2 0\\n'; "
          "echo same-call; sleep 0.3; (exit 7)");
  EXPECT_TRUE(forged.is_error);
  EXPECT_TRUE(contains(text(forged), "same-call\n[exit code 7]")) << text(forged);
  EXPECT_EQ(text(run("echo second-call")), "second-call\n");
  ToolOutput exited = run("echo \"${__cove_marker}0\"; echo same-call; sleep 0.3; exit 7");
  EXPECT_TRUE(exited.is_error);
  EXPECT_TRUE(contains(text(exited), "same-call\n[the shell exited with code 7")) << text(exited);
  EXPECT_EQ(text(run("echo third-call")), "third-call\n");
}

// A child inherits no fd of the status socket, and the shell (run from an execute-only
// image, so not dumpable) keeps its /proc files closed to the processes it starts: its fd
// table, and its memory, which a program could otherwise patch to forge a status. Whatever
// a child knows or tries (here it is handed what used to be the marker), it only makes
// output.
TEST_F(Bash, ProcessesTheCommandStartsCannotReachTheStatusChannel) {
  ToolOutput out =
      run("ls -l /proc/$$/fd; head -c 1 /proc/$$/mem; "
          "printf x | dd of=/proc/$$/mem bs=1 seek=4096 conv=notrunc status=none; "
          "for f in /proc/$$/fd/*; do printf '%s0\\n1 0\\n' \"$__cove_marker\" > \"$f\"; done; "
          "for f in /proc/$$/fd/*; do timeout 1 cat \"$f\"; done; "
          "bash -c 'printf \"%s0\\n1 0\\n\" \"$1\"; "
          "for n in $(seq 0 64); do printf \"1 0\\n\" >&$n; done; "
          "for f in /proc/$PPID/fd/*; do printf \"1 0\\n\" > $f; done' child \"$__cove_marker\" "
          "2>/dev/null; "
          "echo same-call; sleep 0.3; (exit 5)");
  EXPECT_TRUE(out.is_error);
  EXPECT_TRUE(contains(text(out), "/fd': Permission denied")) << text(out);
  EXPECT_TRUE(contains(text(out), "head: cannot open '/proc/")) << text(out);
  EXPECT_TRUE(contains(text(out), "dd: failed to open '/proc/")) << text(out);
  EXPECT_TRUE(contains(text(out), "same-call\n[exit code 5]")) << text(out);
  EXPECT_EQ(text(run("echo next")), "next\n");
}

// Code running in the shell process itself can write to bash's saved copy of the socket
// (here by trying every fd; a documented limit). The real status then arrives out of turn;
// the next call says so instead of taking it for its own.
TEST_F(Bash, AStatusWrittenFromInsideTheShellIsCaughtByTheNextCall) {
  const std::string forge =
      "for n in {3..60}; do { builtin printf '%s 0\\n' \"$__cove_call\" >&$n; } 2>/dev/null; "
      "done; sleep 0.3; (exit 4)";
  run(forge);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  ToolOutput later = run("echo later");
  EXPECT_TRUE(contains(text(later), "[the previous shell wrote a status nobody asked for"))
      << text(later);
  EXPECT_TRUE(contains(text(later), "]\nlater\n")) << text(later);
  // Asked at once, the next call gets the late status during its own run.
  run(forge);
  ToolOutput next = run("echo next");
  EXPECT_TRUE(next.is_error);
  // Call 1 of this shell was `echo later`. The late status is read alone ("the status of
  // call 2 during call 3") or together with the next one ("more than one line").
  EXPECT_TRUE(contains(text(next),
                       "[the shell's status channel carried something other than "
                       "this command's status ("))
      << text(next);
  EXPECT_TRUE(contains(text(next), "the status of call 2 during call 3") ||
              contains(text(next), "(more than one line)"))
      << text(next);
  EXPECT_EQ(text(run("echo third")), "third\n");
}

// Functions named like what the loop calls, disabled builtins and closed fds: the loop
// either keeps working or ends the shell, which the call reports; it never waits for the
// timeout.
TEST_F(Bash, RedefiningOrClosingWhatTheLoopUsesCannotForgeOrHang) {
  json quick = {{"timeout_ms", 10000}};
  auto start = Clock::now();
  EXPECT_EQ(text(run("builtin() { echo fake; }; command() { :; }; printf() { echo 0; }; "
                     "read() { :; }; unset() { :; }; break() { :; }; echo defined",
                     quick)),
            "defined\n");
  EXPECT_EQ(text(run("echo still; (exit 3)", quick)), "still\n[exit code 3]");
  EXPECT_EQ(text(run("unset -f command printf read unset break; set -o posix; "
                     "builtin() { :; }; echo posix",
                     quick)),
            "posix\n");
  EXPECT_EQ(text(run("shopt -qo posix && echo still-posix; set +o posix", quick)), "still-posix\n");
  EXPECT_EQ(text(run("exec 0<&- 3>&- 4>&-; echo closed", quick)), "closed\n");
  EXPECT_EQ(text(run("echo next", quick)), "next\n");
  ToolOutput disabled = run("enable -n printf; echo disabled", quick);
  EXPECT_TRUE(contains(text(disabled), "disabled\n")) << text(disabled);
  EXPECT_TRUE(contains(text(disabled), "[the shell exited")) << text(disabled);
  ToolOutput closed =
      run("for n in $(seq 3 30); do eval \"exec $n>&-\"; done; echo closed-all", quick);
  EXPECT_TRUE(contains(text(closed), "closed-all\n")) << text(closed);
  EXPECT_TRUE(contains(text(closed), "[the shell exited")) << text(closed);
  EXPECT_LT(seconds_since(start), 8.0);
  EXPECT_EQ(text(run("echo fresh")), "fresh\n");
}

// 300 MB without a newline, after what used to be the marker's prefix: the runtime keeps
// only the capped output.
TEST_F(Bash, AnEndlessLineKeepsTheRuntimesMemoryBounded) {
  shell_->start();
  long before = rss_kib();
  ToolOutput out =
      run("printf '%s' \"$__cove_marker\" __cove_; head -c 300000000 /dev/zero | tr '\\0' a",
          {{"timeout_ms", 60000}});
  long grown = rss_kib() - before;
  std::string s = text(out);
  EXPECT_FALSE(out.is_error) << s.substr(s.size() - std::min<std::size_t>(s.size(), 300));
  EXPECT_LE(s.size(), 100 * 1024 + 200);
  EXPECT_TRUE(contains(s, "[... 299897607 bytes truncated ...]")) << s.substr(50 * 1024, 100);
  EXPECT_LT(grown, 64 * 1024) << "KiB of resident memory added by one call";
}

TEST_F(Bash, LargeOutputKeepsHeadAndTail) {
  ToolOutput out = run("seq 1 100000");
  std::string s = text(out);
  EXPECT_FALSE(out.is_error);
  EXPECT_LE(s.size(), 100 * 1024 + 100);
  EXPECT_EQ(s.substr(0, 8), "1\n2\n3\n4\n");
  EXPECT_EQ(s.substr(s.size() - 13), "99999\n100000\n");
  EXPECT_TRUE(contains(s, " bytes truncated ...]")) << s.substr(50 * 1024 - 100, 200);
  // Invalid UTF-8 from a command still makes a serializable result.
  ToolOutput binary = run("printf 'a\\xff\\xfeb'");
  EXPECT_EQ(text(binary),
            "a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b");
  EXPECT_NO_THROW(binary.content.dump());
}

TEST_F(Bash, LongCommands) {
  std::string payload(200 * 1024, 'y');
  ToolOutput out = run("printf %s '" + payload + "' | wc -c");
  EXPECT_EQ(text(out), "204800\n");
}

TEST_F(Bash, TimeoutKillsTheCommandAndRestartsTheShell) {
  run("cd /tmp && export KEEP=1");
  auto start = Clock::now();
  ToolOutput out = run("echo started; sleep 100; echo never", {{"timeout_ms", 500}});
  EXPECT_LT(seconds_since(start), 5.0);
  EXPECT_TRUE(out.is_error);
  EXPECT_TRUE(contains(text(out), "started\n")) << text(out);
  EXPECT_TRUE(contains(text(out), "command timed out after 500 ms")) << text(out);
  EXPECT_TRUE(contains(text(out), "cwd and environment are reset")) << text(out);
  EXPECT_FALSE(contains(text(out), "never"));
  EXPECT_EQ(count("sleep"), 0) << "the timed-out command's process survived";
  // The next call gets a fresh shell.
  EXPECT_EQ(text(run("pwd; echo ${KEEP:-unset}")), "/workspace/repo\nunset\n");
}

TEST_F(Bash, TimeoutAlsoKillsBackgroundChildren) {
  ToolOutput out = run("sleep 100 & sleep 100", {{"timeout_ms", 300}});
  EXPECT_TRUE(contains(text(out), "timed out")) << text(out);
  EXPECT_EQ(count("sleep"), 0);
}

TEST_F(Bash, DefaultTimeoutComesFromTheLimits) {
  auto quick = make_shell({.default_timeout = std::chrono::milliseconds(300)});
  ToolOutput out = quick->run({{"command", "sleep 10"}, {"timeout_ms", 0}});
  EXPECT_TRUE(contains(text(out), "command timed out after 300 ms")) << text(out);
}

TEST_F(Bash, StopTokenInterruptsPromptly) {
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.request_stop();
  });
  auto start = Clock::now();
  ToolOutput out = shell_->run({{"command", "echo going; sleep 100"}}, stop.get_token());
  double took = seconds_since(start);
  stopper.join();
  EXPECT_LT(took, 1.3);
  EXPECT_TRUE(out.is_error);
  EXPECT_TRUE(contains(text(out), "going\n")) << text(out);
  EXPECT_TRUE(contains(text(out), "[interrupted;")) << text(out);
  EXPECT_EQ(count("sleep"), 0);
  EXPECT_EQ(text(run("echo back")), "back\n");
  // A token already stopped runs nothing.
  ToolOutput skipped = shell_->run({{"command", "touch /tmp/ran"}}, stop.get_token());
  EXPECT_TRUE(skipped.is_error);
  EXPECT_NE(cove::test::sh(*box_, "test -e /tmp/ran").status.code, 0);
}

TEST_F(Bash, Restart) {
  run("export GONE=1; cd /tmp");
  ToolOutput out = shell_->run({{"restart", true}});
  EXPECT_FALSE(out.is_error);
  EXPECT_EQ(text(out), "shell restarted");
  EXPECT_EQ(text(run("echo ${GONE:-unset}; pwd")), "unset\n/workspace/repo\n");
  ToolOutput both = shell_->run({{"restart", true}, {"command", "echo again"}});
  EXPECT_EQ(text(both), "[shell restarted]\nagain\n");
}

TEST_F(Bash, ExitEndsTheShellAndTheNextCallStartsAnother) {
  run("cd /tmp");
  ToolOutput out = run("echo bye; exit 3");
  EXPECT_TRUE(out.is_error);
  EXPECT_EQ(text(out),
            "bye\n[the shell exited with code 3; the next command starts a new shell: cwd and "
            "environment are reset]");
  EXPECT_EQ(text(run("pwd")), "/workspace/repo\n");
  ToolOutput clean = run("exit");
  EXPECT_FALSE(clean.is_error) << text(clean);
  ToolOutput set_e = run("set -e; false; echo unreachable");
  EXPECT_TRUE(contains(text(set_e), "the shell exited with code 1")) << text(set_e);
  ToolOutput killed = run("kill -9 $$");
  EXPECT_TRUE(contains(text(killed), "the shell was killed by signal 9")) << text(killed);
  EXPECT_EQ(text(run("echo alive")), "alive\n");
}

TEST_F(Bash, ShellDeathBetweenCallsIsReported) {
  ASSERT_FALSE(run("echo $$ > /tmp/shell.pid").is_error);
  cove::test::sh(*box_, "kill -9 $(cat /tmp/shell.pid)");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ToolOutput out = run("echo fresh");
  EXPECT_EQ(text(out),
            "[the previous shell was killed by signal 9; this command runs in a new shell: cwd "
            "and environment are reset]\nfresh\n");
}

TEST_F(Bash, BackgroundJobsDoNotBlock) {
  auto start = Clock::now();
  ToolOutput out = run("sleep 100 & echo started $!");
  EXPECT_LT(seconds_since(start), 2.0);
  EXPECT_FALSE(out.is_error);
  EXPECT_TRUE(contains(text(out), "started ")) << text(out);
  EXPECT_EQ(count("sleep"), 1);
  // Output a background job writes later shows up with a later call.
  run("(sleep 0.2; echo late) &");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(text(run("echo now")), "late\nnow\n");
  // Destroying the shell kills what it left running.
  shell_.reset();
  EXPECT_EQ(count("sleep"), 0);
}

TEST_F(Bash, CommandsReadingStdinDoNotHang) {
  auto start = Clock::now();
  EXPECT_EQ(text(run("cat")), "(no output)");
  EXPECT_EQ(text(run("read line; echo \"got:$line\"")), "got:\n");
  EXPECT_EQ(text(run("head -c 10 - | wc -c")), "0\n");
  EXPECT_LT(seconds_since(start), 3.0);
  EXPECT_EQ(text(run("echo next")), "next\n");
}

TEST_F(Bash, InputErrors) {
  EXPECT_TRUE(contains(text(shell_->run(json::object())), "command is required"));
  EXPECT_TRUE(contains(text(shell_->run({{"command", 5}})), "command must be a string"));
  EXPECT_TRUE(contains(text(shell_->run({{"command", "true"}, {"timeout_ms", -1}})),
                       "timeout_ms must be a number"));
  EXPECT_TRUE(contains(text(shell_->run({{"command", std::string("a\0b", 3)}})), "NUL"));
}

TEST_F(Bash, TimeoutHasACeiling) {
  for (json bad : {json(600001), json(86400000), json(1.5), json(-1), json("60000")}) {
    ToolOutput out = shell_->run({{"command", "touch /tmp/ran"}, {"timeout_ms", bad}});
    EXPECT_TRUE(out.is_error) << bad;
    EXPECT_TRUE(contains(text(out),
                         "timeout_ms must be a number of milliseconds, a whole "
                         "number from 0 to 600000 (10 minutes)"))
        << text(out);
  }
  EXPECT_NE(cove::test::sh(*box_, "test -e /tmp/ran").status.code, 0);
  EXPECT_EQ(text(run("echo ok", {{"timeout_ms", 600000}})), "ok\n");
  EXPECT_EQ(text(run("echo ok", {{"timeout_ms", 600000.0}})), "ok\n");
}

TEST_F(Bash, OneCommandAtATimeFromManyThreads) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string word = std::to_string(t * 100 + i);
        ToolOutput out = run("x=" + word + "; sleep 0.01; echo $x");
        if (text(out) == word + "\n")
          ++ok;
        else
          ADD_FAILURE() << "command " << word << " answered (is_error " << out.is_error
                        << "): " << out.content.dump();
      }
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok, 40);
}

TEST_F(Bash, StartFailsClearly) {
  Shell broken(*box_, {"PATH=/usr/bin:/bin"}, "/no/such/directory");
  EXPECT_THROW(broken.start(), sb::SandboxError);
  ToolOutput out = broken.run({{"command", "true"}});
  EXPECT_TRUE(out.is_error);
  EXPECT_TRUE(contains(text(out), "could not start the shell")) << text(out);
}

TEST_F(Bash, RoundTripLatency) {
  shell_->start();
  std::vector<double> us;
  for (int i = 0; i < 300; ++i) {
    auto start = Clock::now();
    ToolOutput out = run("true");
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    ASSERT_FALSE(out.is_error);
  }
  std::sort(us.begin(), us.end());
  std::printf("bash `true` round trip: p50 %.0f us, p99 %.0f us\n", us[us.size() / 2],
              us[us.size() * 99 / 100]);
  EXPECT_LT(us[us.size() / 2], 2000) << "the loop's budget is 2 ms per tool call";
}
