// `cove ps`, `cove interrupt`, `cove rm` and `cove prune`: the sessions of a running daemon,
// listed and managed the way docker and kubectl users expect.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <stdexcept>

#include "base/clock.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/cli/daemon_target.hpp"
#include "runtime/cli/duration.hpp"
#include "runtime/domain/event_types.hpp"

namespace cove::cli {

namespace {

using json = nlohmann::json;
namespace status = domain::session_status;

// Every session of the listing `query` selects, following the cursor from page to page.
json list_sessions(client::ApiClient& api, const std::string& query) {
  json all = json::array();
  std::string page;
  for (;;) {
    auto list = api.get("/v1/sessions?limit=100&" + query + (page.empty() ? "" : "&page=" + page));
    for (auto& s : list["data"])
      all.push_back(std::move(s));
    if (!list["next_page"].is_string()) return all;
    page = list["next_page"];
  }
}

int64_t age_ms(const json& session, const char* field) {
  auto t = parse_rfc3339(session.value(field, ""));
  return t ? now_ms() - *t : 0;
}

bool is_working(const json& session) {
  auto st = session.value("status", "");
  return st == status::kRunning || st == status::kRescheduling;
}

// One row of `cove ps`: id, status, age, tokens in/out, mount paths, title.
std::vector<std::string> ps_row(const json& s) {
  std::string mounts;
  for (const auto& r : s.value("resources", json::array()))
    mounts += (mounts.empty() ? "" : ",") + r.value("mount_path", "");
  const json& usage = s.value("usage", json::object());
  std::string tokens = std::to_string(usage.value("input_tokens", int64_t{0})) + "/" +
                       std::to_string(usage.value("output_tokens", int64_t{0}));
  std::string title =
      s.contains("title") && s["title"].is_string() ? s["title"].get<std::string>() : "";
  std::replace_if(
      title.begin(), title.end(), [](char c) { return c == '\n' || c == '\t'; }, ' ');
  if (title.size() > 40) title = title.substr(0, 37) + "...";
  std::string st = s.value("status", "");
  if (s.contains("archived_at") && !s["archived_at"].is_null()) st += " (archived)";
  return {s.value("id", ""),
          st,
          short_age(age_ms(s, "created_at")),
          tokens,
          mounts.empty() ? "-" : mounts,
          title};
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i)
      line +=
          i + 1 == row.size() ? row[i] : row[i] + std::string(width[i] - row[i].size() + 2, ' ');
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    std::cout << line << "\n";
  }
}

struct PsArgs {
  DaemonFlags daemon;
  bool all = false;
  bool json_output = false;
};

int ps(client::ApiClient& api, const PsArgs& a) {
  auto sessions = list_sessions(api, a.all ? "include_archived=true"
                                           : "statuses%5B%5D=running&statuses%5B%5D=idle&"
                                             "statuses%5B%5D=rescheduling");
  if (a.json_output) {
    std::cout << sessions.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"ID", "STATUS", "AGE", "TOKENS IN/OUT", "REPOSITORIES", "TITLE"}};
  for (const auto& s : sessions)
    rows.push_back(ps_row(s));
  print_table(rows);
  return 0;
}

struct RmArgs {
  DaemonFlags daemon;
  std::vector<std::string> ids;
  bool force = false;
};

// Deletes each session; a running one only with --force. Goes on past an id that fails
// (like `docker rm`) and exits 1 if any did; stops at once when the daemon is unreachable.
int rm(client::ApiClient& api, const DaemonTarget& target, const RmArgs& a) {
  int failed = 0;
  for (const auto& id : a.ids) {
    try {
      check_id(id);
      auto s = api.get("/v1/sessions/" + id);
      if (!a.force && is_working(s)) {
        std::cerr << "cove rm: session " << id << " is " << s.value("status", "")
                  << "; stop it first with `cove interrupt " << id << "`, or use --force\n";
        ++failed;
        continue;
      }
      api.del("/v1/sessions/" + id);
      std::cout << id << "\n";
    } catch (const client::ApiClientError& e) {
      if (e.status() == 0) throw;
      std::cerr << "cove rm: " << daemon_error(target, e) << "\n";
      ++failed;
    } catch (const std::invalid_argument& e) {
      std::cerr << "cove rm: " << e.what() << "\n";
      ++failed;
    }
  }
  return failed ? 1 : 0;
}

struct PruneArgs {
  DaemonFlags daemon;
  std::string older_than = "24h";
  bool all = false;
  bool dry_run = false;
};

// Deletes the idle and terminated sessions (archived ones included) whose last change is
// older than the threshold, or all of them with --all; running sessions are never touched.
int prune(client::ApiClient& api, const PruneArgs& a) {
  auto threshold = parse_duration(a.older_than);
  if (!threshold)
    throw std::invalid_argument("--older-than: '" + a.older_than +
                                "' is not a duration; give a number and a unit, e.g. 30m, 12h "
                                "or 7d");
  int64_t min_ms = a.all ? 0 : std::chrono::milliseconds(*threshold).count();
  int count = 0;
  for (const auto& s : list_sessions(api, "include_archived=true")) {
    std::string id = s.value("id", "");
    int64_t idle_ms = age_ms(s, "updated_at");
    if (is_working(s) || idle_ms < min_ms) continue;
    if (!a.dry_run) api.del("/v1/sessions/" + id);
    std::cout << (a.dry_run ? "would remove " : "removed ") << id << " (" << s.value("status", "")
              << " for " << short_age(idle_ms) << ")\n";
    ++count;
  }
  if (count == 0)
    std::cout << "nothing to prune: no idle or terminated session"
              << (a.all ? "" : " unchanged for " + a.older_than) << "\n";
  return 0;
}

// Sends user.interrupt to a running session; says so, and changes nothing, when it is not.
int interrupt(client::ApiClient& api, const std::string& id) {
  check_id(id);
  auto s = api.get("/v1/sessions/" + id);
  if (!is_working(s)) {
    std::cout << "session " << id << " is " << s.value("status", "")
              << "; there is nothing to interrupt\n";
    return 0;
  }
  json body = {{"events", json::array({{{"type", domain::event_type::kUserInterrupt}}})}};
  api.post("/v1/sessions/" + id + "/events", body);
  std::cout << "interrupted " << id << "\n";
  return 0;
}

void add_ps(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<PsArgs>();
  auto* cmd = app.add_subcommand(
      "ps", "List sessions: id, status, age, tokens, repositories (running and idle; -a: all)");
  cmd->add_flag("-a,--all", a->all, "also terminated and archived sessions");
  cmd->add_flag("--json", a->json_output, "print the sessions as the API returns them");
  add_daemon_flags(*cmd, a->daemon);
  cmd->callback([a, &exit_code] {
    exit_code = with_daemon("ps", a->daemon, [&](auto& api, auto&) { return ps(api, *a); });
  });
}

void add_rm(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<RmArgs>();
  auto* cmd = app.add_subcommand("rm", "Delete sessions (their events, workspace and sandbox)");
  cmd->add_option("id", a->ids, "session ids")->required();
  cmd->add_flag("-f,--force", a->force, "also delete sessions that are running");
  add_daemon_flags(*cmd, a->daemon);
  cmd->callback([a, &exit_code] {
    exit_code = with_daemon("rm", a->daemon, [&](auto& api, auto& t) { return rm(api, t, *a); });
  });
}

void add_prune(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<PruneArgs>();
  auto* cmd = app.add_subcommand(
      "prune", "Delete idle and terminated sessions unchanged for a while (asks nothing)");
  cmd->add_option("--older-than", a->older_than,
                  "only sessions unchanged for this long (30m, 12h, 7d; default 24h)");
  cmd->add_flag("--all", a->all, "every idle and terminated session, whatever its age");
  cmd->add_flag("--dry-run", a->dry_run, "print what would be deleted, delete nothing");
  add_daemon_flags(*cmd, a->daemon);
  cmd->callback([a, &exit_code] {
    exit_code = with_daemon("prune", a->daemon, [&](auto& api, auto&) { return prune(api, *a); });
  });
}

void add_interrupt(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<std::pair<DaemonFlags, std::string>>();
  auto* cmd = app.add_subcommand(
      "interrupt", "Stop a session's current turn (sends user.interrupt); the session stays");
  cmd->add_option("id", a->second, "session id")->required();
  add_daemon_flags(*cmd, a->first);
  cmd->callback([a, &exit_code] {
    exit_code = with_daemon("interrupt", a->first,
                            [&](auto& api, auto&) { return interrupt(api, a->second); });
  });
}

}  // namespace

void add_session_commands(CLI::App& app, int& exit_code) {
  add_ps(app, exit_code);
  add_interrupt(app, exit_code);
  add_rm(app, exit_code);
  add_prune(app, exit_code);
}

}  // namespace cove::cli
