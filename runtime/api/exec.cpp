// cove's own endpoints, outside the Managed Agents API's paths: a command in a session's own
// sandbox (`cove exec`) and copies of a file out of and into its /workspace (`cove cp`).
// Each answers with an SSE stream: `output` events ({stream: "stdout"|"stderr", data:
// base64}) as the command prints, then one `exit` ({exit_code, signal}) or `error`
// ({message}) event. The command runs as the sandbox user inside the sandbox, like the
// agent's tools (runtime/sessions/session_exec.hpp).
#include "base/base64.hpp"
#include "net/http_server.hpp"
#include "net/sse_writer.hpp"
#include "runtime/api/routes.hpp"

namespace cove::api {

namespace {

// The session, which must exist and not be archived (its sandbox is gone for good).
void check_session(Services& s, const std::string& id) {
  auto o = load(s, "session", id, "session", "session_not_found");
  if (o.archived) bad_request("session " + id + " is archived; its sandbox is gone");
}

std::string workspace_path(const json& body) {
  auto path = require_string(body, "path", "");
  if ((path != "/workspace" && path.rfind("/workspace/", 0) != 0) || path.size() > 4096)
    bad_request("path must be below /workspace/ (got " + path.substr(0, 200) + ")");
  return path;
}

Reply run(Services& s, const std::string& session_id, sessions::ExecRequest request) {
  auto out = std::make_shared<net::ResponseStream>();
  out->set_heartbeat(std::chrono::milliseconds(s.heartbeat_ms), net::sse_comment("ping"));
  s.runner.exec(
      session_id, std::move(request),
      [out](int stream, std::string_view data) {
        json e = {{"stream", stream == 1 ? "stdout" : "stderr"}, {"data", base64_encode(data)}};
        return out->push(net::sse_frame("output", e.dump()));
      },
      [out](const sessions::SessionRunner::ExecResult& r) {
        if (r.ran)
          out->push(net::sse_frame(
              "exit",
              json{{"exit_code", r.status.shell_code()}, {"signal", r.status.signal}}.dump()));
        else
          out->push(net::sse_frame("error", json{{"message", r.error}}.dump()));
        out->close();
      });
  return {200, nullptr, out};
}

Reply exec(Services& s, Call& c) {
  check_session(s, c.params[0]);
  sessions::ExecRequest request;
  const json* command = member(c.body, "command");
  if (!command || !command->is_array() || command->empty())
    bad_request("command must be a non-empty array of strings");
  for (const auto& word : *command) {
    if (!word.is_string()) bad_request("command must be a non-empty array of strings");
    request.argv.push_back(word.get<std::string>());
  }
  if (const json* input = member(c.body, "stdin"); input && !input->is_null()) {
    auto bytes = input->is_string() ? base64_decode(input->get<std::string>()) : std::nullopt;
    if (!bytes) bad_request("stdin must be base64");
    request.input = std::move(*bytes);
  }
  return run(s, c.params[0], std::move(request));
}

Reply read_file(Services& s, Call& c) {
  check_session(s, c.params[0]);
  return run(s, c.params[0], {sessions::copy_out_argv(workspace_path(c.body)), ""});
}

Reply write_file(Services& s, Call& c) {
  check_session(s, c.params[0]);
  auto content = base64_decode(require_string(c.body, "content", ""));
  if (!content) bad_request("content must be base64");
  std::string name;
  if (const json* n = member(c.body, "name"); n && !n->is_null()) {
    name = n->is_string() ? n->get<std::string>() : "";
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
      bad_request("name must be a file name (no '/', not . or ..)");
  }
  auto argv = sessions::copy_in_argv(workspace_path(c.body), name);
  return run(s, c.params[0], {std::move(argv), std::move(*content)});
}

}  // namespace

void add_exec_routes(std::vector<Route>& routes) {
  routes.push_back({"POST", "/cove/v1/sessions/{}/exec", exec});
  routes.push_back({"POST", "/cove/v1/sessions/{}/files/read", read_file});
  routes.push_back({"POST", "/cove/v1/sessions/{}/files/write", write_file});
}

}  // namespace cove::api
