#include "git_fixture.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace cove::mounts::testing {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int sh_status(const std::string& cmd, std::string* output) {
  std::string full = "(" + cmd + ") 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
    out.append(buf.data(), n);
  int status = ::pclose(p);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string sh(const std::string& cmd) {
  FILE* p = ::popen(
      ("(" + cmd + ") 2>/tmp/cove-mounts-test-stderr." + std::to_string(getpid())).c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
    out.append(buf.data(), n);
  int status = ::pclose(p);
  std::string err_path = "/tmp/cove-mounts-test-stderr." + std::to_string(getpid());
  std::stringstream err;
  err << std::ifstream(err_path).rdbuf();
  ::unlink(err_path.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("command failed: " + cmd + "\n" + err.str());
  }
  return out;
}

void setup_git_environment() {
  ::setenv("GIT_AUTHOR_NAME", "Cove Test", 1);
  ::setenv("GIT_AUTHOR_EMAIL", "test@cove.invalid", 1);
  ::setenv("GIT_COMMITTER_NAME", "Cove Test", 1);
  ::setenv("GIT_COMMITTER_EMAIL", "test@cove.invalid", 1);
  ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  ::setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
  ::setenv("GIT_TERMINAL_PROMPT", "0", 1);
  ::setenv("GIT_CONFIG_COUNT", "2", 1);
  ::setenv("GIT_CONFIG_KEY_0", "safe.directory", 1);
  ::setenv("GIT_CONFIG_VALUE_0", "*", 1);
  ::setenv("GIT_CONFIG_KEY_1", "protocol.file.allow", 1);
  ::setenv("GIT_CONFIG_VALUE_1", "always", 1);
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/cove-mounts-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
  fs::permissions(path_, fs::perms(0755));  // the checkout owner must reach the mirror
}

TempDir::~TempDir() {
  // Anything still mounted below (a failed test) is detached first.
  sh_status("grep -o ' " + path_.string() +
            "[^ ]*' /proc/self/mounts | sort -r | "
            "xargs -r -n1 umount -l");
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void make_source_repo(const fs::path& dir) {
  auto d = quote(dir.string());
  sh("git init -q -b main " + d);
  sh("cd " + d +
     " && printf 'hello\\n' > README.md && mkdir -p src/lib"
     " && printf 'int main() { return 0; }\\n' > src/lib/main.c"
     " && printf '#!/bin/sh\\necho hi\\n' > run.sh && chmod +x run.sh"
     " && ln -s README.md link"
     " && head -c 8192 /dev/urandom > blob.bin"
     " && git add -A && git commit -q -m one"
     " && git tag v1 && git tag -a v1-annotated -m annotated"
     " && git checkout -q -b feature && printf 'f\\n' > feature.txt && git add feature.txt"
     " && git commit -q -m feature"
     " && git checkout -q main && printf 'two\\n' >> README.md && git commit -q -am two"
     " && git merge -q --no-ff feature -m merge"
     " && git update-index --add --cacheinfo 160000,$(git rev-parse HEAD~1),vendor/sub"
     " && printf '[submodule \"vendor/sub\"]\\n\\tpath = vendor/sub\\n"
     "\\turl = https://example.invalid/sub.git\\n' > .gitmodules"
     " && git add .gitmodules && git commit -q -m submodule");
}

std::string add_commit(const fs::path& dir, const std::string& branch, int files) {
  auto d = quote(dir.string());
  static int counter = 0;
  ++counter;
  sh("cd " + d + " && git checkout -q " + branch + " && mkdir -p gen && for i in $(seq 1 " +
     std::to_string(files) + "); do echo " + std::to_string(counter) +
     " > gen/f$i.txt; done && git add -A && git commit -q -m 'commit " + std::to_string(counter) +
     "' && git checkout -q main");
  return rev_parse(dir, branch);
}

std::string rev_parse(const fs::path& repo, const std::string& rev) {
  auto out = sh("git -C " + quote(repo.string()) + " rev-parse " + rev);
  while (!out.empty() && (out.back() == '\n'))
    out.pop_back();
  return out;
}

GitHttpServer::GitHttpServer(const fs::path& root, const std::string& token,
                             const std::string& forbidden_token) {
  log_ = root / "requests.log";
  ::setenv("COVE_TEST_TOKEN", token.c_str(), 1);
  ::setenv("COVE_TEST_FORBIDDEN_TOKEN", forbidden_token.c_str(), 1);
  ::setenv("COVE_TEST_LOG", log_.c_str(), 1);
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  auto err = (root / "server.err").string();
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string script = COVE_TEST_GIT_SERVER;
  std::string root_s = root.string();
  std::vector<char*> argv{const_cast<char*>("python3"), script.data(), root_s.data(), nullptr};
  int rc = posix_spawnp(&pid_, "python3", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::unsetenv("COVE_TEST_TOKEN");
  ::unsetenv("COVE_TEST_FORBIDDEN_TOKEN");
  ::close(out[1]);
  if (rc != 0) throw std::runtime_error("cannot start the git http server");
  std::string line;
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n')
    line += c;
  ::close(out[0]);
  port_ = std::stoi(line);
}

GitHttpServer::~GitHttpServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string GitHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

int GitHttpServer::count_requests(const std::string& needle) const {
  std::ifstream in(log_);
  std::string line;
  int n = 0;
  while (std::getline(in, line))
    n += line.find(needle) != std::string::npos;
  return n;
}

std::vector<std::string> files_containing(const fs::path& dir, const std::string& needle) {
  std::vector<std::string> hits;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (content.find(needle) != std::string::npos) hits.push_back(it->path().string());
  }
  return hits;
}

std::vector<int> processes_with_argument(const std::string& needle) {
  std::vector<int> pids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    // Plain read(2): a process may exit while we read it (ESRCH).
    int fd = ::open((entry.path() / "cmdline").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    std::string content;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
      content.append(buf, static_cast<size_t>(n));
    ::close(fd);
    if (content.find(needle) != std::string::npos) pids.push_back(std::stoi(name));
  }
  return pids;
}

}  // namespace cove::mounts::testing
