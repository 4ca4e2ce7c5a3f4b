#include "git_fixture.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <vector>

namespace cove::mounts::testing {

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
                             const std::string& forbidden_token)
    : log_(root / "requests.log") {
  // Token files beside the repositories: never in argv, never under the cache's home.
  std::ofstream(root / "tokens") << token << "\n";
  std::ofstream(root / "forbidden-tokens") << forbidden_token << "\n";
  peer_ = std::make_unique<cove::test::NodePeer>(
      std::vector<std::string>{cove::test::source_dir() + "/tests/support/git_http_server.mjs"},
      std::vector<std::string>{"GIT_ROOT=" + root.string(),
                               "TOKENS_FILE=" + (root / "tokens").string(),
                               "FORBIDDEN_TOKENS_FILE=" + (root / "forbidden-tokens").string(),
                               "LOG_FILE=" + log_.string()});
}

std::string GitHttpServer::url(const std::string& path) const {
  return peer_->url(path);
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
