// The network a sandbox sees. Its net namespace has only `lo`; the runtime opens listeners
// inside it for
//  - an egress HTTP proxy (CONNECT tunnels and absolute-URI requests) that applies the
//    environment's networking policy, resolving names itself and refusing addresses that
//    are loopback, link-local, cloud metadata, private or the host's own, and
//  - a git smart-HTTP proxy: http://127.0.0.1:<git port>/<name>.git/... is forwarded to the
//    real remote of repository <name>, with the session's current token added by the
//    runtime, so git fetch/push work inside the sandbox while the token never enters it.
// Both are served by a ProxyService (one per daemon) on its own threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"

namespace cove::netproxy {

// Where the proxies listen inside every sandbox (each sandbox has its own namespace).
inline constexpr uint16_t kEgressPort = 3128;
inline constexpr uint16_t kGitPort = 7418;

// A listening TCP socket on 127.0.0.1:port inside the network namespace of process `pid`
// (a sandbox's init). Throws std::system_error naming the step.
UniqueFd listen_in_netns(pid_t pid, uint16_t port);

struct NetworkPolicy {
  bool unrestricted = false;
  // For limited: host names (exact, case-insensitive) or "*.example.com" (any subdomain).
  std::vector<std::string> allowed_hosts;
  // Lets loopback and private addresses through (never link-local or metadata). Off by
  // default; for tests and air-gapped setups whose services live on this machine.
  bool allow_private_addresses = false;
};

// A request the policy refuses; what() says which host and why.
class PolicyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct GitRemote {
  std::string url;    // e.g. https://github.com/owner/repo or http://127.0.0.1:8421/o/r.git
  std::string token;  // empty: anonymous. Sent as HTTP Basic x-access-token:<token>
};
// Looked up on every request, so a rotated token takes effect on the next one. `name` is the
// first path segment without ".git". Called from the proxy's threads.
using RemoteLookup = std::function<std::optional<GitRemote>(const std::string& name)>;

struct FetchResult {
  int status = 0;
  std::string content_type;
  std::string body;  // text; HTML reduced to readable text
  bool truncated = false;
};

struct ProxyOptions {
  int threads = 1;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};  // per address tried
  // A connection with no bytes moving either way for this long is closed (tunnels, transfers,
  // a git server preparing a pack: git sends keepalives every few seconds meanwhile).
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  // How long a client connection may wait before (or while) sending a request head.
  std::chrono::milliseconds header_timeout{std::chrono::seconds(60)};
  // A PEM file trusted for upstream TLS (git remotes, fetch) in addition to the system CAs.
  std::string extra_ca_file;
  // Open connections one listener (one sandbox's proxy) may hold; more are closed at once, so
  // a sandbox cannot use up the runtime's file descriptors.
  int max_connections = 256;
};

class ProxyService {
 public:
  // The proxy serves until its handle is destroyed; destruction stops accepting, closes the
  // proxy's open connections and returns within about a second. Destroy every handle before
  // the ProxyService.
  class Handle {
   public:
    virtual ~Handle() = default;
  };

  explicit ProxyService(int threads = 1);
  explicit ProxyService(ProxyOptions options);
  ~ProxyService();
  ProxyService(const ProxyService&) = delete;
  ProxyService& operator=(const ProxyService&) = delete;

  std::unique_ptr<Handle> serve_egress(UniqueFd listener, NetworkPolicy policy);
  std::unique_ptr<Handle> serve_git(UniqueFd listener, RemoteLookup lookup);

  // web_fetch: GET `url` from the runtime under the same policy checks as the egress proxy.
  // Follows up to 5 redirects, checking each hop. `body` holds at most max_bytes. Throws
  // PolicyError when refused, std::runtime_error on network failure, a bad URL or the timeout.
  // Blocks the caller; never call it from a proxy thread.
  FetchResult fetch(const NetworkPolicy& policy, const std::string& url, std::size_t max_bytes,
                    std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cove::netproxy
