// libgit2 plumbing shared by the mounts/ sources: process-wide setup, error capture,
// credentials and progress callbacks. Internal to the layer.
#pragma once

#include <git2.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

#include "mounts/repo_cache.hpp"

namespace cove::mounts {

// git_libgit2_init once per process, with cove's settings: no owner validation (the runtime
// runs as root and reads checkouts owned by sandbox uids) and a socket stream with
// timeouts registered for every http(s) connection.
void ensure_libgit2();

// Process-wide idle timeout of network reads and writes (the last RepoCache wins).
void set_network_timeout(std::chrono::milliseconds timeout);

// A failed libgit2 call: its return code, error class and message.
struct GitFailure : std::runtime_error {
  GitFailure(int code, int klass, const std::string& message)
      : std::runtime_error(message), code(code), klass(klass) {}
  int code;
  int klass;
};

// Throws GitFailure("<what>: <libgit2 message>") when rc < 0.
void git_check(int rc, const char* what);

// State of one network operation, shared with libgit2's callbacks through the payload.
struct RemoteSession {
  std::string url;    // clean URL
  std::string host;   // credentials are only offered to this host
  std::string token;  // empty: anonymous
  const std::function<void(const FetchProgress&)>* progress = nullptr;
  int credential_requests = 0;  // how often servers asked for credentials, in total
  int attempts = 0;             // credentials handed out in the current operation
  bool token_rejected = false;
  bool wrong_host = false;

  // Fills callbacks with the credential and progress callbacks bound to this session;
  // starts a new operation (one try of the token per operation).
  void bind(git_remote_callbacks& callbacks);
};

// Maps a failed remote operation to a RepoError kind and a readable reason.
RepoError remote_error(const RemoteSession& session, const GitFailure& failure,
                       RepoErrorKind otherwise);

}  // namespace cove::mounts
