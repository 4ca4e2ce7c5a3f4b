// Pointing a session checkout's remote at another URL (the sandbox's git proxy).
#include <fcntl.h>
#include <git2.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mounts/git_support.hpp"
#include "mounts/handles.hpp"

namespace cove::mounts {
namespace {

// The checkout's .git/config, opened without following a symlink anywhere below the
// checkout. Throws RepoError unless it is a regular file.
UniqueFd open_config(const std::filesystem::path& checkout, const std::string& url) {
  auto fail = [&](const std::string& why) {
    throw RepoError(RepoErrorKind::checkout, url, (checkout / ".git/config").string() + ": " + why);
  };
  UniqueFd dir(::open(checkout.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) fail(std::strerror(errno));
  open_how how{};
  how.flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  UniqueFd config(
      static_cast<int>(::syscall(SYS_openat2, dir.get(), ".git/config", &how, sizeof how)));
  if (!config)
    fail(errno == ELOOP ? "a symbolic link on the way (cove does not follow links in a checkout)"
                        : std::strerror(errno));
  struct stat st {};
  if (::fstat(config.get(), &st) != 0) fail(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail("not a regular file");
  return config;
}

}  // namespace

void set_remote_url(const std::filesystem::path& checkout, const std::string& remote,
                    const std::string& url, Owner owner) {
  ensure_libgit2();
  // libgit2 writes the config through symlinks (.git or .git/config), and as root: refuse
  // them first. A link swapped in between this check and libgit2's write would still be
  // followed; nothing but the runtime can write the checkout then (its layer is fresh and
  // the session's sandbox does not run yet), see docs/mounts.md.
  open_config(checkout, url);
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
  // libgit2 replaced the file; give the new one back to the checkout's owner.
  UniqueFd config = open_config(checkout, url);
  if (::fchown(config.get(), owner.uid, owner.gid) != 0)
    throw RepoError(RepoErrorKind::checkout, url,
                    "chown " + config_path.string() + ": " + std::strerror(errno));
}

}  // namespace cove::mounts
