// What a session keeps on the host between its sandboxes: its directory
// ($COVE_HOME/sessions/<id>: the id slot and /workspace) and the layers of its repository
// checkouts (repos/sessions/<id>-<resource id>). They live as long as the session: a sandbox
// torn down (idle, the daemon stopping or dying) leaves them for the next one, which mounts
// them again; deleting the session removes them. A sandbox's cgroups are named after the
// session, so those a dead daemon left are found again too.
//
// Threading: call for one session from one thread at a time, with no sandbox of it running.
#pragma once

#include <functional>
#include <set>
#include <string>

namespace cove::store {
class Store;
}

namespace cove::sessions {

struct RunnerShared;

// The name of the session's sandbox (and of its cgroups).
std::string sandbox_name(const std::string& session_id);

// The id of the checkout of the session's repository resource in the repository cache.
std::string checkout_id(const std::string& session_id, const std::string& resource_id);

// What earlier sandboxes of the session had, read from its set-up events: what must be on
// disk again (or be reported lost).
struct EarlierSetup {
  bool workspace = false;              // a sandbox was built, so /workspace existed
  std::set<std::string> repositories;  // URLs that were checked out
};
EarlierSetup earlier_setup(store::Store& store, const std::string& session_id);

// Removes everything of the session on the host: its checkouts (unmounted, layers deleted),
// its directory, and cgroups a dead daemon left for it. Errors are swallowed (what cannot be
// removed is found again by the next start's sweep).
void remove_session_storage(RunnerShared& shared, const std::string& session_id);

// Run at start-up, before any session runs: what daemons that stopped or died left on the
// host. Checkout mounts of sessions that still exist (`exists`) are unmounted and kept for
// their next sandbox, and their leftover cgroups removed; everything of sessions that no
// longer exist is removed; stray mounts below the session directories are unmounted.
// Returns how many sessions' storage was removed.
int sweep_session_storage(RunnerShared& shared,
                          const std::function<bool(const std::string&)>& exists);

}  // namespace cove::sessions
