// Entry point of the sandbox's init (see init.hpp). The containment steps run in this order;
// each either succeeds or ends the sandbox with one line saying what failed.
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "sandbox/init/init.hpp"

namespace w = cove::sandbox::wire;
using namespace cove::sandbox::init;

namespace {

// Waits for the supervisor to put init into its cgroups (it does so while init builds the
// root); false if the supervisor gave up.
bool await_cgroups(int sock) {
  std::string msg;
  std::vector<int> fds;
  if (!receive(sock, msg, fds)) return false;
  w::Reader r(msg);
  return r.type() == w::Type::kCgroupsJoined;
}

void contain(int sock, const w::Setup& s, const std::vector<int>& sources) {
  become(s.init_uid, s.init_gid, s.clear_groups != 0);  // ids now map; never host root
  if (::sethostname(s.hostname.data(), s.hostname.size()) != 0) fail("uts: sethostname", errno);
  disable_nested_user_namespaces();  // the sysctl is this user namespace's own; before the
                                     // root, where /proc/sys is mounted read-only
  // Before the new root covers anything (it is attached over /tmp): sources may lie there.
  build_root(s.mounts, s.init_captures_sources ? capture_host_sources(s.mounts) : sources);
  bring_up_loopback();
  // Commands must not be able to inspect or signal their init.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) fail("prctl(PR_SET_DUMPABLE)", errno);
  if (!await_cgroups(sock)) ::_exit(1);
  if (::unshare(CLONE_NEWCGROUP) != 0) fail("cgroup namespace: unshare", errno);
}

}  // namespace

int main() {
  const int sock = w::kControlFd;
  // Die with the supervisor; hold nothing of it but the control socket.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  ::prctl(PR_SET_NAME, "cove-init", 0, 0, 0);
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd)
    ::dup2(null, fd);
  ::close_range(sock + 1, ~0U, 0);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_SETMASK, &chld, nullptr);  // only SIGCHLD, read via signalfd
  ::signal(SIGPIPE, SIG_IGN);

  std::string msg;
  std::vector<int> fds;
  if (!receive(sock, msg, fds)) return 1;
  w::Reader r(msg);
  w::Setup setup;
  if (r.type() != w::Type::kSetup || !w::decode(r, setup)) {
    send(sock, failure_message(w::Type::kSetupFailed, 0, Failure{"init: malformed setup message"}));
    return 1;
  }
  try {
    contain(sock, setup, fds);
  } catch (const Failure& f) {
    send(sock, failure_message(w::Type::kSetupFailed, 0, f));
    return 1;
  } catch (const std::exception& e) {
    // As pid 1, init cannot even abort(): every error must end here.
    send(sock,
         failure_message(w::Type::kSetupFailed, 0, Failure{std::string("init: ") + e.what()}));
    return 1;
  }
  send(sock, w::Writer(w::Type::kReady).bytes());
  std::string().swap(msg);
  std::vector<w::MountOp>().swap(setup.mounts);  // applied; not needed any more
  serve(sock, setup);
}
