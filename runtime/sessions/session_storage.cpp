#include "runtime/sessions/session_storage.hpp"

#include <sys/mount.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "mounts/repo_cache.hpp"
#include "runtime/domain/event_types.hpp"
#include "runtime/sessions/agent_session.hpp"
#include "sandbox/sandbox.hpp"

namespace cove::sessions {

namespace fs = std::filesystem;

namespace {

// The session a runtime checkout id belongs to; empty for other checkouts (`cove repo
// checkout`'s), which the runtime leaves alone.
std::string session_of_checkout(const std::string& id) {
  if (id.rfind("sesn_", 0) != 0) return "";
  return id.substr(0, id.find('-'));
}

// A mountinfo path field with its octal escapes (\040 for a space) decoded.
std::string unescape(const std::string& field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

// Mount points of this mount namespace below `dir`'s entries for sessions, deepest first.
std::vector<std::string> session_mounts_below(const fs::path& dir) {
  std::vector<std::string> found;
  std::string prefix = dir.string() + "/sesn_";
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string field;
    for (int i = 0; i < 5 && fields >> field; ++i) {
    }
    std::string point = unescape(field);
    if (point.rfind(prefix, 0) == 0) found.push_back(point);
  }
  std::sort(found.rbegin(), found.rend());
  return found;
}

void remove_checkouts(mounts::RepoCache& repos, const std::string& session_id) {
  for (const auto& id : repos.session_checkouts()) {
    if (session_of_checkout(id) != session_id) continue;
    try {
      repos.release(id);
    } catch (const std::exception&) {
    }
  }
}

}  // namespace

std::string sandbox_name(const std::string& session_id) {
  return "sess-" + session_id.substr(session_id.size() > 12 ? session_id.size() - 12 : 0);
}

std::string checkout_id(const std::string& session_id, const std::string& resource_id) {
  return session_id + "-" + resource_id;
}

EarlierSetup earlier_setup(store::Store& store, const std::string& session_id) {
  EarlierSetup earlier;
  store::EventQuery q;
  q.session_id = session_id;
  q.types = {domain::event_type::kSpanSetupStepEnd};
  q.limit = 1000;
  for (;;) {
    bool more = false;
    auto events = store.events(q, &more);
    for (const auto& e : events) {
      if (e.body.value("is_error", true)) continue;
      std::string step = e.body.value("step", "");
      if (step == "sandbox") earlier.workspace = true;
      if (step == "repository") earlier.repositories.insert(e.body.value("name", ""));
    }
    if (!more || events.empty()) break;
    q.after_seq = events.back().seq;
  }
  return earlier;
}

void remove_session_storage(RunnerShared& shared, const std::string& session_id) {
  const auto& home = shared.config.home;
  if (home.empty()) return;
  if (fs::exists(home / "repos" / "sessions")) remove_checkouts(shared.repos(), session_id);
  sandbox::remove_leftover_cgroups(sandbox_name(session_id));
  std::error_code ec;
  fs::remove_all(home / "sessions" / session_id, ec);
}

int sweep_session_storage(RunnerShared& shared,
                          const std::function<bool(const std::string&)>& exists) {
  const auto& home = shared.config.home;
  if (home.empty()) return 0;
  std::set<std::string> gone;
  if (fs::exists(home / "repos" / "sessions")) {
    auto& repos = shared.repos();
    for (const auto& id : repos.session_checkouts()) {
      std::string session = session_of_checkout(id);
      if (session.empty()) continue;
      try {
        if (exists(session)) {
          repos.detach(id);
        } else {
          gone.insert(session);
          repos.release(id);
        }
      } catch (const std::exception&) {
      }
    }
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(home / "sessions", ec)) {
    std::string session = entry.path().filename().string();
    if (session.rfind("sesn_", 0) != 0) continue;
    sandbox::remove_leftover_cgroups(sandbox_name(session));
    if (exists(session)) continue;
    gone.insert(session);
    fs::remove_all(entry.path(), ec);
  }
  // Whatever is still mounted there is no kept checkout's: a daemon died while making it.
  for (const auto* dir : {"repos/sessions", "sessions"})
    for (const auto& point : session_mounts_below(home / dir))
      ::umount2(point.c_str(), MNT_DETACH);
  return static_cast<int>(gone.size());
}

}  // namespace cove::sessions
