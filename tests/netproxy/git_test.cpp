// The git smart-HTTP proxy from inside a real sandbox (root): git in the sandbox clones and
// pushes through http://127.0.0.1:7418/<name>.git while the token lives only in the runtime;
// the server behind it is `git http-backend` requiring HTTP Basic with a token it re-reads
// on every request, so tests can rotate and revoke tokens.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>

#include "runtime/netproxy/proxy.hpp"
#include "tests/netproxy/fixtures.hpp"
#include "tests/support/files.hpp"
#include "tests/support/sandbox_harness.hpp"
#include "tests/support/shell.hpp"

namespace np = cove::netproxy;
namespace sb = cove::sandbox;
using cove::test::Output;
using cove::test::sh;
using cove::test::sh_status;

namespace {

const std::string kToken1 = "ghs_FirstTokenAbc123xyz";
const std::string kToken2 = "ghs_SecondTokenDef456uvw";

std::vector<std::string> git_env() {
  return {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8", "GIT_TERMINAL_PROMPT=0",
          "GIT_AUTHOR_NAME=cove", "GIT_AUTHOR_EMAIL=cove@localhost", "GIT_COMMITTER_NAME=cove",
          "GIT_COMMITTER_EMAIL=cove@localhost",
          // What a session's sandbox gets: the egress proxy for the world, never for itself.
          "http_proxy=http://127.0.0.1:3128", "https_proxy=http://127.0.0.1:3128",
          "no_proxy=127.0.0.1,localhost"};
}

// Makes a bare repository ROOT/<name>.git holding `files` small files in one commit.
void make_bare_repo(const std::string& root, const std::string& name, int files) {
  std::string work = root + "/" + name + "-seed";
  cove::test::sh("set -e; mkdir -p " + work + "; cd " + work +
                 "; git init -q -b main; "
                 "python3 -c \"import os\nfor i in range(" +
                 std::to_string(files) +
                 "):\n  d='dir%02d' % (i % 50); os.makedirs(d, exist_ok=True)\n  "
                 "open(os.path.join(d, 'file%05d.txt' % i), 'w').write(('line %d of file "
                 "' % i + str(i) + '\\\\n') * 40)\"; "
                 "git add -A; git -c user.name=seed -c user.email=seed@localhost commit -qm "
                 "seed; git clone -q --bare . " +
                 root + "/" + name + ".git; cd /; rm -rf " + work);
}

class GitProxy : public ::testing::Test {
 protected:
  void SetUp() override {
    make_bare_repo(srv_.path(), "repo", 3);
    set_accepted({kToken1});
    server_ = std::make_unique<cove::test::NodePeer>(
        std::vector<std::string>{cove::test::source_dir() + "/tests/support/git_http_server.mjs"},
        std::vector<std::string>{"GIT_ROOT=" + srv_.path().string(), "TOKENS_FILE=" + tokens_file(),
                                 "LOG_FILE=" + log_file()});
    remotes_["repo"] = {server_->url("/repo.git"), kToken1};
    sb::SandboxSpec spec;
    cove::test::give_to_sandbox_user(ws_.path(), spec);
    spec.binds.push_back({ws_.path(), cove::test::kWorkspace, false});
    box_ = sb::Sandbox::start(spec);
    handle_ = service_.serve_git(np::listen_in_netns(box_->init_pid(), np::kGitPort),
                                 [this](const std::string& name) -> std::optional<np::GitRemote> {
                                   std::lock_guard lock(mu_);
                                   ++lookups_;
                                   auto it = remotes_.find(name);
                                   if (it == remotes_.end()) return std::nullopt;
                                   return it->second;
                                 });
  }

  void set_accepted(const std::vector<std::string>& tokens) {
    std::string text;
    for (const auto& t : tokens)
      text += t + "\n";
    std::ofstream(tokens_file()) << text;
  }
  void set_token(const std::string& name, const std::string& token) {
    std::lock_guard lock(mu_);
    remotes_[name].token = token;
  }
  std::string tokens_file() const { return srv_.path().string() + "/tokens"; }
  std::string log_file() const { return srv_.path().string() + "/requests.log"; }

  Output git(const std::string& script, std::chrono::seconds timeout = std::chrono::seconds(120)) {
    return sh(*box_, script, {.cwd = cove::test::kWorkspace, .timeout = timeout, .env = git_env()});
  }

  cove::test::TempDir srv_{"cove-netproxy-git"};
  cove::test::TempDir ws_{"cove-netproxy-ws"};
  std::unique_ptr<cove::test::NodePeer> server_;
  std::mutex mu_;
  std::map<std::string, np::GitRemote> remotes_;
  int lookups_ = 0;
  np::ProxyService service_{2};
  std::unique_ptr<sb::Sandbox> box_;
  std::unique_ptr<np::ProxyService::Handle> handle_;
};

}  // namespace

TEST_F(GitProxy, CloneCommitPushRotateAndRevoke) {
  testing::internal::CaptureStderr();
  // GIT_TRACE_CURL shows every header and response git exchanges with the proxy.
  Output clone = git("GIT_TRACE_CURL=1 git clone -q http://127.0.0.1:7418/repo.git clone");
  ASSERT_EQ(clone.status.code, 0) << clone.err;
  Output push =
      git("set -e; cd clone; echo one > one.txt; git add one.txt; git commit -qm one; "
          "GIT_TRACE_CURL=1 git push -q origin main");
  ASSERT_EQ(push.status.code, 0) << push.err;
  EXPECT_EQ(
      sh_status("git -C " + srv_.path().string() + "/repo.git log --format=%s -1 | grep -qx one"),
      0);

  // Rotate: the runtime's token changes and the server revokes the old one.
  set_token("repo", kToken2);
  set_accepted({kToken2});
  Output push2 =
      git("set -e; cd clone; echo two > two.txt; git add two.txt; git commit -qm two; "
          "GIT_TRACE_CURL=1 git push -q origin main");
  ASSERT_EQ(push2.status.code, 0) << push2.err;
  EXPECT_EQ(
      sh_status("git -C " + srv_.path().string() + "/repo.git log --format=%s -1 | grep -qx two"),
      0);
  Output fetch = git("cd clone && git fetch -q origin && git status -sb | head -1");
  EXPECT_EQ(fetch.status.code, 0) << fetch.err;

  // A token the server does not accept: the push fails with the proxy's readable message,
  // and git never asks for a password.
  set_token("repo", "ghs_WrongToken000");
  Output refused =
      git("cd clone; echo three > three.txt; git add three.txt; git commit -qm three; "
          "GIT_TRACE_CURL=1 git push origin main");
  EXPECT_NE(refused.status.code, 0);
  EXPECT_NE(refused.err.find("refused the runtime's token for repository repo (HTTP 401)"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.err.find("WWW-Authenticate"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find("Username"), std::string::npos) << refused.err;
  std::string proxy_stderr = testing::internal::GetCapturedStderr();

  // The tokens are nowhere in the sandbox: not in the clone, its config, the environment
  // of processes, nor anything git saw on the wire.
  std::vector<std::string> secrets = {kToken1, kToken2,
                                      cove::test::b64("x-access-token:" + kToken1),
                                      cove::test::b64("x-access-token:" + kToken2), "ghs_"};
  for (const auto& secret : secrets) {
    for (const Output* o : {&clone, &push, &push2, &refused})
      EXPECT_EQ((o->out + o->err).find(secret), std::string::npos) << secret;
    EXPECT_EQ(proxy_stderr.find(secret), std::string::npos) << secret;
    Output grep = git("grep -rasF '" + secret +
                      "' /workspace /tmp; "
                      "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -aF '" +
                      secret + "'; true");
    EXPECT_EQ(grep.out, "") << secret;
  }
  // The server got credentials on every request (from the proxy) and saw the bad token only
  // where it was set.
  std::string log = cove::test::slurp(log_file());
  EXPECT_EQ(log.find("auth=none"), std::string::npos) << log;
  EXPECT_NE(log.find("GET /repo.git/info/refs auth=bad"), std::string::npos) << log;
  EXPECT_NE(log.find("POST /repo.git/git-receive-pack auth=ok"), std::string::npos) << log;
}

TEST_F(GitProxy, LargeChunkedPushAndGzippedFetch) {
  ASSERT_EQ(git("git clone -q http://127.0.0.1:7418/repo.git clone").status.code, 0);
  // 8 MiB of random data: bigger than http.postBuffer, so git sends a chunked POST.
  Output push =
      git("set -e; cd clone; head -c 8388608 /dev/urandom > blob.bin; git add blob.bin; "
          "git commit -qm blob; git push -q origin main");
  ASSERT_EQ(push.status.code, 0) << push.err;
  std::string log = cove::test::slurp(log_file());
  EXPECT_NE(log.find("POST /repo.git/git-receive-pack auth=ok te=chunked"), std::string::npos)
      << log;
  // Fetching it back in a fresh clone brings the same bytes.
  Output again =
      git("set -e; git clone -q http://127.0.0.1:7418/repo clone2; cmp clone/blob.bin "
          "clone2/blob.bin && echo same");
  EXPECT_EQ(again.out, "same\n") << again.err;
  // A fetch from a clone with many local commits sends a long list of "have" lines, which
  // git gzips; the proxy passes the encoded body through as it is.
  Output gz = git(
      "set -e; cd clone2; echo new > new.txt; git add new.txt; git commit -qm 'from clone2'; "
      "git push -q origin main; cd ../clone; for i in $(seq 60); do git commit -q --allow-empty "
      "-m local$i; done; git fetch -q origin; git log -1 --format=%s origin/main");
  EXPECT_EQ(gz.out, "from clone2\n") << gz.err;
  log = cove::test::slurp(log_file());
  EXPECT_NE(log.find("POST /repo.git/git-upload-pack auth=ok te= ce=gzip"), std::string::npos)
      << log;
}

TEST_F(GitProxy, UnknownRepositoriesAndOtherPaths) {
  Output o = git("git clone -q http://127.0.0.1:7418/nope.git nope");
  EXPECT_NE(o.status.code, 0);
  EXPECT_NE(o.err.find("this session has no repository named \"nope\""), std::string::npos)
      << o.err;
  {
    std::lock_guard lock(mu_);
    remotes_["moved"] = {server_->url("/moved"), kToken1};
  }
  Output moved = git("git clone -q http://127.0.0.1:7418/moved.git moved");
  EXPECT_NE(moved.status.code, 0);
  EXPECT_NE(moved.err.find("redirects repository moved to /repo.git/info/refs; the session's "
                           "repository URL needs updating"),
            std::string::npos)
      << moved.err;
  Output p = git("curl -sS -w '\\nstatus=%{http_code}\\n' http://127.0.0.1:7418/repo.git/HEAD");
  EXPECT_EQ(p.at("status"), "404");
  EXPECT_NE(p.out.find("not a git smart-HTTP path"), std::string::npos) << p.out;
  Output m =
      git("curl -sS -w '\\nstatus=%{http_code}\\n' -X POST "
          "'http://127.0.0.1:7418/repo.git/info/refs?service=git-upload-pack'");
  EXPECT_EQ(m.at("status"), "405") << m.out;
}

TEST_F(GitProxy, SandboxCredentialsAreReplacedAndAnonymousRefusalsDoNotPrompt) {
  const std::string refs = "'http://127.0.0.1:7418/repo.git/info/refs?service=git-upload-pack'";
  Output own =
      git("curl -sS -o /dev/null -w 'status=%{http_code}\\n' -H 'Authorization: Basic "
          "eC1hY2Nlc3MtdG9rZW46Ym9ndXM=' " +
          refs);
  EXPECT_EQ(own.at("status"), "200") << own.err;
  set_token("repo", "");
  Output anon = git("curl -sS -D - -w '\\nstatus=%{http_code}\\n' " + refs);
  EXPECT_EQ(anon.at("status"), "403") << anon.out;
  EXPECT_NE(anon.out.find("refused anonymous access"), std::string::npos) << anon.out;
  EXPECT_EQ(anon.out.find("WWW-Authenticate"), std::string::npos) << anon.out;
  EXPECT_EQ(anon.out.find("www-authenticate"), std::string::npos) << anon.out;
  std::string log = cove::test::slurp(log_file());
  EXPECT_NE(log.find("GET /repo.git/info/refs auth=ok"), std::string::npos) << log;
  EXPECT_NE(log.find("GET /repo.git/info/refs auth=none"), std::string::npos) << log;
  EXPECT_EQ(log.find("auth=bad"), std::string::npos) << "the sandbox's own header was dropped";
}

TEST_F(GitProxy, LookupIsCalledPerRequest) {
  ASSERT_EQ(git("git ls-remote http://127.0.0.1:7418/repo.git >/dev/null").status.code, 0);
  int after_one = 0;
  {
    std::lock_guard lock(mu_);
    after_one = lookups_;
  }
  ASSERT_EQ(git("git ls-remote http://127.0.0.1:7418/repo.git >/dev/null").status.code, 0);
  std::lock_guard lock(mu_);
  EXPECT_GE(after_one, 1);
  EXPECT_EQ(lookups_, 2 * after_one);
}

TEST_F(GitProxy, CloneTimingWithThousandsOfFiles) {
  make_bare_repo(srv_.path(), "big", 5000);
  {
    std::lock_guard lock(mu_);
    remotes_["big"] = {server_->url("/big.git"), kToken1};
  }
  const std::string auth = "-c http.extraHeader='Authorization: Basic " +
                           cove::test::b64("x-access-token:" + kToken1) + "'";
  auto ms_since = [](std::chrono::steady_clock::time_point t) {
    return static_cast<long long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
            .count());
  };
  // One clone first warms the server's caches; then the two ways alternate, best of three.
  cove::test::sh("git " + auth + " clone -q " + server_->url("/big.git") + " " +
                 ws_.path().string() + "/warm");
  long long direct = 1LL << 60, proxied = 1LL << 60;
  for (int i = 0; i < 3; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    cove::test::sh("git " + auth + " clone -q " + server_->url("/big.git") + " " +
                   ws_.path().string() + "/direct" + std::to_string(i));
    direct = std::min(direct, ms_since(t0));
    auto t1 = std::chrono::steady_clock::now();
    Output o = git("git clone -q http://127.0.0.1:7418/big.git proxied" + std::to_string(i) +
                   " && git -C proxied" + std::to_string(i) + " ls-files | wc -l");
    proxied = std::min(proxied, ms_since(t1));
    ASSERT_EQ(o.status.code, 0) << o.err;
    EXPECT_EQ(o.out, "5000\n");
  }
  std::printf(
      "[ git clone ] 5000 files, best of 3: direct on the host %lld ms, through the "
      "proxy from the sandbox %lld ms\n",
      direct, proxied);
}
