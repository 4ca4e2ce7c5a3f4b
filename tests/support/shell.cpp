#include "tests/support/shell.hpp"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <stdexcept>

#include "tests/support/files.hpp"

namespace cove::test {

namespace {

int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs `command` through popen; returns its exit code and leaves its stdout in *out.
int capture(const std::string& command, std::string* out) {
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    out->append(buf.data(), n);
  return exit_code(::pclose(p));
}

}  // namespace

int sh_status(const std::string& command, std::string* output) {
  if (!output) return exit_code(std::system(command.c_str()));
  output->clear();
  return capture("(" + command + ") 2>&1", output);
}

std::string sh(const std::string& command) {
  char err_path[] = "/tmp/cove-test-stderr.XXXXXX";
  int fd = ::mkstemp(err_path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  std::string out;
  int code = capture("(" + command + ") 2>" + err_path, &out);
  std::string err = slurp(err_path);
  ::unlink(err_path);
  if (code != 0) throw std::runtime_error("command failed: " + command + "\n" + err);
  return out;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace cove::test
