// `cove logs ID [-f]` (a session's events, readable or as JSON lines, following them across
// dropped connections) and `cove attach ID` (a live session's output until it stops, with
// the exit status `cove run` gives).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "runtime/cli/cli.hpp"
#include "runtime/cli/daemon_target.hpp"
#include "runtime/client/follow.hpp"
#include "runtime/client/progress.hpp"
#include "runtime/client/terminal.hpp"
#include "runtime/domain/event_types.hpp"

namespace cove::cli {

namespace {

using json = nlohmann::json;
namespace event_type = domain::event_type;
namespace status = domain::session_status;

struct LogsArgs {
  DaemonFlags daemon;
  std::string id;
  bool follow = false;
  bool json_output = false;
};

// Prints events as `cove run` does, or as JSON lines (stored events only: previews are
// pieces of the agent.message that follows them).
class EventPrinter {
 public:
  explicit EventPrinter(bool json_output)
      : json_(json_output), progress_(std::cout, client::use_color(STDOUT_FILENO), true) {}
  void print(const json& e) {
    std::string type = e.value("type", "");
    if (!json_) {
      progress_.print(e);
    } else if (type != "event_start" && type != "event_delta") {
      std::cout << e.dump() << "\n" << std::flush;
    }
  }
  void resumed() { progress_.resumed(); }

 private:
  bool json_;
  client::ProgressPrinter progress_;
};

void notice(const char* cmd, const std::string& text) {
  std::cerr << "cove " << cmd << ": " << text << "\n";
}

int logs(client::ApiClient& api, const LogsArgs& a) {
  check_id(a.id);
  EventPrinter printer(a.json_output);
  if (a.follow) {
    // From the first stored event on; each reconnection resumes after the last one printed.
    client::FollowOptions options{0, !a.json_output};
    client::FollowCallbacks cb;
    cb.on_open = [&](bool) {
      printer.resumed();
      return true;
    };
    cb.on_event = [&](const json& e) {
      printer.print(e);
      return true;
    };
    cb.on_notice = [](const std::string& text) { notice("logs", text); };
    client::follow_session(api, a.id, options, cb);
    return 0;
  }
  std::string page;
  for (;;) {
    auto list = api.get("/v1/sessions/" + a.id + "/events?limit=1000" +
                        (page.empty() ? "" : "&page=" + page));
    for (const auto& e : list["data"])
      printer.print(e);
    if (!list["next_page"].is_string()) return 0;
    page = list["next_page"];
  }
}

// The stop reason of the session's last turn ("" when it never ran one).
std::string last_stop_reason(client::ApiClient& api, const std::string& id) {
  auto list = api.get("/v1/sessions/" + id +
                      "/events?order=desc&limit=1&types%5B%5D=" + event_type::kSessionStatusIdle);
  if (list["data"].empty()) return "";
  return list["data"][0].value("stop_reason", json::object()).value("type", "");
}

// `cove run`'s exit status for how a turn ended: 0 end_turn, 3 waiting for the client, 1
// otherwise, with a line saying why.
int stop_exit_code(const std::string& stop, const std::string& id) {
  if (stop == domain::stop_reason::kEndTurn || stop.empty()) return 0;
  if (stop == domain::stop_reason::kRequiresAction) {
    notice("attach",
           "the session waits for a tool confirmation or a custom tool result (" + id + ")");
    return 3;
  }
  notice("attach", "the session stopped: " + stop);
  return 1;
}

int attach(client::ApiClient& api, const LogsArgs& a) {
  check_id(a.id);
  EventPrinter printer(a.json_output);
  std::string stop;
  bool was_stopped = false;
  client::FollowCallbacks cb;
  // Live events only; until one has arrived there is no position to resume from, so each
  // (re)connection first asks whether the session still works.
  cb.on_open = [&](bool resuming) {
    printer.resumed();
    if (resuming) return true;
    auto s = api.get("/v1/sessions/" + a.id);
    std::string st = s.value("status", "");
    if (st != status::kIdle && st != status::kTerminated) return true;
    was_stopped = true;
    stop = st == status::kIdle ? last_stop_reason(api, a.id) : "terminated";
    return false;
  };
  cb.on_event = [&](const json& e) {
    printer.print(e);
    std::string type = e.value("type", "");
    if (type == event_type::kSessionStatusIdle)
      stop = e.value("stop_reason", json::object()).value("type", "");
    else if (type == event_type::kSessionStatusTerminated || type == event_type::kSessionDeleted)
      stop = "terminated";
    return stop.empty();
  };
  cb.on_notice = [](const std::string& text) { notice("attach", text); };
  client::follow_session(api, a.id, {std::nullopt, !a.json_output}, cb);
  if (was_stopped)
    notice("attach", "session " + a.id + " is not running (" +
                         (stop.empty() ? std::string("it has not run yet") : stop) + ")");
  return stop_exit_code(stop, a.id);
}

constexpr const char* kColourNote =
    "Colours only on a terminal; NO_COLOR (set, not empty) turns them off.";

}  // namespace

void add_log_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<LogsArgs>();
  auto* cmd = app.add_subcommand("logs", "Print a session's events (-f: and follow new ones)");
  cmd->add_option("id", a->id, "session id")->required();
  cmd->add_flag("-f,--follow", a->follow,
                "keep printing new events; reconnects and resumes if the connection drops");
  cmd->add_flag("--json", a->json_output, "one event per line, as the API returns it");
  add_daemon_flags(*cmd, a->daemon);
  cmd->footer(kColourNote);
  cmd->callback([a, &exit_code] {
    exit_code = with_daemon("logs", a->daemon, [&](auto& api, auto&) { return logs(api, *a); });
  });

  auto b = std::make_shared<LogsArgs>();
  auto* at = app.add_subcommand(
      "attach", "Follow a session's output from now until it stops (exit status as `cove run`)");
  at->add_option("id", b->id, "session id")->required();
  at->add_flag("--json", b->json_output, "one event per line, as the API returns it");
  add_daemon_flags(*at, b->daemon);
  at->footer(std::string("Exit status: 0 when the turn ends (end_turn), 3 when the session waits "
                         "for a tool confirmation or a custom tool result, 1 otherwise. ") +
             kColourNote);
  at->callback([b, &exit_code] {
    exit_code = with_daemon("attach", b->daemon, [&](auto& api, auto&) { return attach(api, *b); });
  });
}

}  // namespace cove::cli
