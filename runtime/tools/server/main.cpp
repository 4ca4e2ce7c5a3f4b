// cove-tools: the file tools' server. cove starts it inside a session's sandbox through the
// sandbox's init, like any command: as the sandbox user, with no capabilities, under the
// seccomp filter and in the sandbox's cgroups. It answers one request at a time on its
// stdin/stdout (one socket) until the runtime closes it, and holds nothing else.
//
//   cove-tools --cwd DIR --max-output N --max-file N --max-glob N --time-limit-ms N
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "runtime/tools/server/files.hpp"
#include "runtime/tools/tool_wire.hpp"

namespace tools = cove::tools;

namespace {

bool read_exact(int fd, char* p, std::size_t n) {
  while (n > 0) {
    ssize_t got = ::read(fd, p, n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

bool write_all(int fd, const std::string& data) {
  const char* p = data.data();
  std::size_t n = data.size();
  while (n > 0) {
    ssize_t put = ::write(fd, p, n);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    p += put;
    n -= static_cast<std::size_t>(put);
  }
  return true;
}

// The next request's body; false at the end of the stream or on a malformed frame.
bool next_request(std::string& body) {
  unsigned char header[4];
  if (!read_exact(0, reinterpret_cast<char*>(header), sizeof header)) return false;
  std::size_t n = tools::wire::frame_length(header);
  if (n > tools::wire::kMaxRequestBytes) return false;
  body.resize(n);
  return read_exact(0, body.data(), n);
}

tools::ToolOutput answer(const std::string& body, tools::Files& files) {
  auto request = tools::json::parse(body, nullptr, false);
  if (!request.is_object() || !request.contains("tool") || !request["tool"].is_string())
    return tools::ToolOutput::text("malformed request to the file tools' server", true);
  return files.call(request["tool"].get<std::string>(),
                    request.value("input", tools::json::object()));
}

std::size_t number(const char* flag, const char* value) {
  char* end = nullptr;
  unsigned long long n = std::strtoull(value, &end, 10);
  if (!end || *end || !*value) {
    std::fprintf(stderr, "cove-tools: %s needs a number, not '%s'\n", flag, value);
    std::exit(2);
  }
  return static_cast<std::size_t>(n);
}

}  // namespace

int main(int argc, char** argv) {
  std::string cwd = "/";
  tools::ToolLimits limits;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--cwd")
      cwd = value;
    else if (flag == "--max-output")
      limits.max_output_bytes = number(argv[i], value);
    else if (flag == "--max-file")
      limits.max_file_bytes = number(argv[i], value);
    else if (flag == "--max-glob")
      limits.max_glob_results = number(argv[i], value);
    else if (flag == "--time-limit-ms")
      limits.grep_timeout = std::chrono::milliseconds(number(argv[i], value));
    else {
      std::fprintf(stderr, "cove-tools: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  try {
    tools::Files files(cwd, limits);
    std::string body;
    while (next_request(body)) {
      tools::ToolOutput out = answer(body, files);
      tools::json reply = {{"content", out.content}, {"is_error", out.is_error}};
      if (!write_all(1, tools::wire::frame(
                            reply.dump(-1, ' ', false, tools::json::error_handler_t::replace))))
        return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cove-tools: %s\n", e.what());
    return 1;
  }
  return 0;
}
