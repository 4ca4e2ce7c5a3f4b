// `cove exec ID -- CMD...` (a command in a session's own sandbox, as the sandbox user; its
// output streamed, its exit status returned) and `cove cp` (a file out of or into a
// session's /workspace). Both go through the daemon (/cove/v1/sessions/ID/...), which runs
// them inside the session's sandbox, waking it when it was torn down.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

#include "base/base64.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/client/api_client.hpp"

namespace cove::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct DaemonArgs {
  std::string url;
  std::string api_key;
  std::string home;
};

void add_daemon_options(CLI::App* cmd, DaemonArgs& a) {
  cmd->add_option("--url", a.url, "daemon URL (env COVE_URL, default http://127.0.0.1:8420)");
  cmd->add_option("--api-key", a.api_key, "daemon API key (env COVE_API_KEY, or the home's)");
  cmd->add_option("--home", a.home, "state directory whose key to use (env COVE_HOME)");
}

client::ApiClient connect(const DaemonArgs& a) {
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
  std::string url = !a.url.empty() ? a.url : env("COVE_URL");
  if (url.empty()) url = "http://127.0.0.1:8420";
  std::string key = !a.api_key.empty() ? a.api_key : env("COVE_API_KEY");
  if (key.empty()) key = read_key(a.home.empty() ? default_home() : a.home);
  return client::ApiClient(url, key);
}

struct Outcome {
  int exit_code = 0;
  std::string error;
};

// Runs one of the daemon's exec endpoints; stdout/stderr go to the given streams.
Outcome stream(client::ApiClient& api, const std::string& path, const json& body,
               std::ostream& out) {
  Outcome o;
  o.exit_code = -1;
  api.post_stream(path, body, [&](const std::string& type, const json& data) {
    if (type == "output") {
      auto bytes = base64_decode(data.value("data", "")).value_or("");
      auto& to = data.value("stream", "") == "stderr" ? std::cerr : out;
      to.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      to.flush();
    } else if (type == "exit") {
      o.exit_code = data.value("exit_code", 1);
    } else if (type == "error") {
      o.error = data.value("message", "the command could not run");
    }
  });
  if (o.exit_code < 0 && o.error.empty()) o.error = "the daemon ended the stream without a result";
  return o;
}

std::string session_path(const std::string& id, const std::string& what) {
  return "/cove/v1/sessions/" + id + "/" + what;
}

int run_exec(const DaemonArgs& a, const std::string& id, bool with_stdin, bool tty) {
  if (tty) {
    std::cerr << "cove exec: -t (an interactive terminal) is not supported yet; run the "
                 "command without -t (add -i to pass stdin)\n";
    return 2;
  }
  const auto& command = trailing_args();
  if (command.empty()) {
    std::cerr << "cove exec: no command; give it after --, e.g. cove exec " << id << " -- ls -la\n";
    return 2;
  }
  json body = {{"command", command}};
  if (with_stdin) {
    std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    body["stdin"] = base64_encode(input);
  }
  auto api = connect(a);
  auto o = stream(api, session_path(id, "exec"), body, std::cout);
  if (!o.error.empty()) {
    std::cerr << "cove exec: " << o.error << "\n";
    return 126;
  }
  return o.exit_code;
}

// "sesn_…:/workspace/x" → {session, path}; nothing for a local path.
std::optional<std::pair<std::string, std::string>> remote(const std::string& spec) {
  auto colon = spec.find(':');
  if (spec.rfind("sesn_", 0) != 0 || colon == std::string::npos) return std::nullopt;
  return std::pair{spec.substr(0, colon), spec.substr(colon + 1)};
}

int copy_out(client::ApiClient& api, const std::string& id, const std::string& path,
             fs::path dest) {
  if (fs::is_directory(dest)) dest /= fs::path(path).filename();
  std::ostringstream bytes;
  auto o = stream(api, session_path(id, "files/read"), {{"path", path}}, bytes);
  if (!o.error.empty() || o.exit_code != 0) {
    if (!o.error.empty()) std::cerr << "cove cp: " << o.error << "\n";
    return o.exit_code > 0 ? o.exit_code : 1;
  }
  std::ofstream file(dest, std::ios::binary | std::ios::trunc);
  file << bytes.str();
  if (!file.flush()) {
    std::cerr << "cove cp: cannot write " << dest.string() << "\n";
    return 1;
  }
  return 0;
}

int copy_in(client::ApiClient& api, const fs::path& source, const std::string& id,
            const std::string& path) {
  std::ifstream file(source, std::ios::binary);
  if (!file || !fs::is_regular_file(source)) {
    std::cerr << "cove cp: " << source.string() << " is not a readable file\n";
    return 1;
  }
  std::string content((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  json body = {
      {"path", path}, {"content", base64_encode(content)}, {"name", source.filename().string()}};
  std::ostringstream written;
  auto o = stream(api, session_path(id, "files/write"), body, written);
  if (!o.error.empty()) std::cerr << "cove cp: " << o.error << "\n";
  return o.error.empty() ? o.exit_code : 1;
}

int run_cp(const DaemonArgs& a, const std::string& from, const std::string& to) {
  auto src = remote(from);
  auto dst = remote(to);
  if (src.has_value() == dst.has_value()) {
    std::cerr << "cove cp: exactly one side must be a session's file, SESSION_ID:/workspace/… "
                 "(cove cp sesn_…:/workspace/f.txt . or cove cp f.txt sesn_…:/workspace/)\n";
    return 2;
  }
  auto api = connect(a);
  return src ? copy_out(api, src->first, src->second, to)
             : copy_in(api, from, dst->first, dst->second);
}

template <typename F>
int guarded(const char* name, F&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

void add_exec_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<DaemonArgs>();
  auto id = std::make_shared<std::string>();
  auto flags = std::make_shared<std::pair<bool, bool>>();
  auto* exec = app.add_subcommand(
      "exec", "Run a command in a session's sandbox, as the sandbox user: cove exec ID -- CMD...");
  exec->add_option("session", *id, "session id")->required();
  exec->add_flag("-i,--interactive", flags->first, "pass this process's stdin to the command");
  exec->add_flag("-t,--tty", flags->second, "a terminal (not supported yet)");
  add_daemon_options(exec, *a);
  exec->callback([a, id, flags, &exit_code] {
    exit_code =
        guarded("cove exec", [&] { return run_exec(*a, *id, flags->first, flags->second); });
  });

  auto paths = std::make_shared<std::pair<std::string, std::string>>();
  auto* cp = app.add_subcommand(
      "cp",
      "Copy a file out of or into a session's /workspace: cove cp ID:/workspace/f DIR, "
      "cove cp FILE ID:/workspace/dir");
  cp->add_option("source", paths->first, "FILE or SESSION_ID:/workspace/PATH")->required();
  cp->add_option("dest", paths->second, "DIR, FILE or SESSION_ID:/workspace/PATH")->required();
  add_daemon_options(cp, *a);
  cp->callback([a, paths, &exit_code] {
    exit_code = guarded("cove cp", [&] { return run_cp(*a, paths->first, paths->second); });
  });
}

}  // namespace cove::cli
