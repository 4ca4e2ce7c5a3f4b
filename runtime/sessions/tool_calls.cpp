#include "runtime/sessions/tool_calls.hpp"

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "mcp/client.hpp"
#include "net/block_on.hpp"
#include "runtime/netproxy/proxy.hpp"
#include "runtime/sessions/agent_session.hpp"
#include "runtime/sessions/session_environment.hpp"

namespace cove::sessions {

namespace {

namespace event_type = domain::event_type;

std::string permission_name(Policy p) {
  return p == Policy::allow ? "allow" : p == Policy::ask ? "ask" : "deny";
}

json mcp_content(const mcp::ToolResult& r) {
  json out = json::array();
  for (const auto& c : r.content) {
    if (c.type == "text")
      out.push_back({{"type", "text"}, {"text", c.text}});
    else if (c.type == "image")
      out.push_back(
          {{"type", "image"},
           {"source", {{"type", "base64"}, {"media_type", c.mime_type}, {"data", c.data}}}});
    else if (c.type == "resource" && !c.text.empty())
      out.push_back({{"type", "text"}, {"text", c.text}});
    else
      out.push_back({{"type", "text"}, {"text", c.raw.dump()}});
  }
  if (out.empty() && r.structured_content)
    out.push_back({{"type", "text"}, {"text", r.structured_content->dump()}});
  return out;
}

class SandboxTools final : public ToolRunner {
 public:
  SandboxTools(SessionEnvironment& env, McpClients& mcp, boost::asio::io_context& io,
               RunnerShared& shared)
      : env_(env), mcp_(mcp), io_(io), shared_(shared) {}

  tools::ToolOutput run(const PendingTool& call, std::stop_token stop) override {
    try {
      if (call.event_type == event_type::kAgentMcpToolUse)
        return call_mcp(call.server, call.name, call.input, stop);
      auto it = builtins().find(call.name);
      if (it == builtins().end()) return tools::ToolOutput::text("unknown tool " + call.name, true);
      return (this->*it->second)(call.input, stop);
    } catch (const std::exception& e) {
      return tools::ToolOutput::text(call.name + " failed: " + e.what(), true);
    }
  }

 private:
  using Builtin = tools::ToolOutput (SandboxTools::*)(const json&, std::stop_token);

  // The built-in tools by name: the shell, the workspace's file tools, and the web.
  static const std::map<std::string, Builtin>& builtins() {
    static const std::map<std::string, Builtin> table = {
        {"bash", &SandboxTools::bash},           {"read", &SandboxTools::read},
        {"write", &SandboxTools::write},         {"edit", &SandboxTools::edit},
        {"glob", &SandboxTools::glob},           {"grep", &SandboxTools::grep},
        {"web_fetch", &SandboxTools::web_fetch}, {"web_search", &SandboxTools::web_search},
    };
    return table;
  }

  tools::ToolOutput bash(const json& in, std::stop_token s) { return env_.shell().run(in, s); }
  tools::ToolOutput read(const json& in, std::stop_token s) { return env_.workspace().read(in, s); }
  tools::ToolOutput write(const json& in, std::stop_token s) {
    return env_.workspace().write(in, s);
  }
  tools::ToolOutput edit(const json& in, std::stop_token s) { return env_.workspace().edit(in, s); }
  tools::ToolOutput glob(const json& in, std::stop_token s) { return env_.workspace().glob(in, s); }
  tools::ToolOutput grep(const json& in, std::stop_token s) { return env_.workspace().grep(in, s); }

  tools::ToolOutput web_search(const json&, std::stop_token) {
    return tools::ToolOutput::text(
        "web_search is not available: cove has no search backend configured. Use web_fetch "
        "with a known URL instead.",
        true);
  }

  tools::ToolOutput web_fetch(const json& input, std::stop_token) {
    std::string url = input.value("url", "");
    if (url.empty()) return tools::ToolOutput::text("web_fetch needs a url", true);
    try {
      auto r = shared_.proxies().fetch(env_.policy(), url, 100 * 1024, std::chrono::seconds(30));
      std::string text = r.body;
      if (r.truncated) text += "\n[... content truncated at 100 KiB ...]";
      bool error = r.status >= 400;
      if (error) text = "HTTP " + std::to_string(r.status) + "\n" + text;
      return tools::ToolOutput::text(text, error);
    } catch (const netproxy::PolicyError& e) {
      return tools::ToolOutput::text(std::string("refused by the network policy: ") + e.what(),
                                     true);
    }
  }

  tools::ToolOutput call_mcp(const std::string& server, const std::string& name, const json& input,
                             std::stop_token stop) {
    auto it = mcp_.find(server);
    if (it == mcp_.end())
      return tools::ToolOutput::text("MCP server " + server + " is not connected", true);
    mcp::CallOptions options;
    options.stop = stop;
    auto result = net::block_on(io_, it->second->call_tool(name, input, options));
    tools::ToolOutput out;
    out.content = mcp_content(result);
    out.is_error = result.is_error;
    return out;
  }

  SessionEnvironment& env_;
  McpClients& mcp_;
  boost::asio::io_context& io_;
  RunnerShared& shared_;
};

}  // namespace

ToolCall record_tool_use(EventWriter::Batch& b, const Toolbox& toolbox, const json& block) {
  std::string name = block.value("name", "");
  json input = block.value("input", json::object());
  Decision d = toolbox.decide(name, input);
  const ToolEntry* entry = toolbox.find(name);
  ToolCall c{{{}, {}, name, {}, input}, d.policy, d.reason};
  if (entry && entry->kind == ToolKind::custom) {
    c.use.event_type = event_type::kAgentCustomToolUse;
    c.use.event_id =
        b.add(EventWriter::make_event(c.use.event_type, {{"name", name}, {"input", input}}));
    return c;
  }
  json ev = {{"input", input}, {"evaluated_permission", permission_name(d.policy)}};
  if (!d.evaluation.is_null()) ev["evaluation"] = d.evaluation;
  if (entry && entry->kind == ToolKind::mcp) {
    c.use.event_type = event_type::kAgentMcpToolUse;
    c.use.name = entry->name;
    c.use.server = entry->server;
    ev["mcp_server_name"] = entry->server;
    ev["name"] = entry->name;
  } else {
    c.use.event_type = event_type::kAgentToolUse;
    ev["name"] = name;
  }
  c.use.event_id = b.add(EventWriter::make_event(c.use.event_type, ev));
  return c;
}

void record_result(EventWriter& events, const PendingTool& call, const tools::ToolOutput& out,
                   bool deferred) {
  json fields = {{"content", out.content}, {"is_error", out.is_error}};
  if (call.event_type == event_type::kAgentMcpToolUse) {
    fields["mcp_tool_use_id"] = call.event_id;
    events.defer(EventWriter::make_event(event_type::kAgentMcpToolResult, fields));
  } else {
    fields["tool_use_id"] = call.event_id;
    events.defer(EventWriter::make_event(event_type::kAgentToolResult, fields));
  }
  if (!deferred) events.commit_deferred();
}

void cancel_pending(EventWriter& events, const std::string& why) {
  auto pending = events.conversation().pending;
  for (const auto& p : pending)
    record_result(events, p, tools::ToolOutput::text(why, true));
}

std::unique_ptr<ToolRunner> make_sandbox_tools(SessionEnvironment& env, McpClients& mcp,
                                               boost::asio::io_context& io, RunnerShared& shared) {
  return std::make_unique<SandboxTools>(env, mcp, io, shared);
}

}  // namespace cove::sessions
