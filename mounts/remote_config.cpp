// Pointing a session checkout's remote at another URL (the sandbox's git proxy).
#include <git2.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mounts/git_support.hpp"
#include "mounts/handles.hpp"

namespace cove::mounts {

void set_remote_url(const std::filesystem::path& checkout, const std::string& remote,
                    const std::string& url, Owner owner) {
  ensure_libgit2();
  auto config_path = checkout / ".git" / "config";
  try {
    git_config* raw = nullptr;
    git_check(git_config_open_ondisk(&raw, config_path.c_str()), "open config");
    GitConfig cfg(raw);
    std::string key = "remote." + remote + ".url";
    git_check(git_config_set_string(raw, key.c_str(), url.c_str()), "set remote url");
  } catch (const GitFailure& f) {
    throw RepoError(RepoErrorKind::checkout, url, f.what());
  }
  // libgit2 replaced the file; give it back to the checkout's owner.
  if (::chown(config_path.c_str(), owner.uid, owner.gid) != 0)
    throw RepoError(RepoErrorKind::checkout, url,
                    "chown " + config_path.string() + ": " + std::strerror(errno));
}

}  // namespace cove::mounts
