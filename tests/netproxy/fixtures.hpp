// Shared pieces of the netproxy tests: the node peers (origin server, git server), a throwaway
// TLS certificate, and shell helpers on the host.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "tests/net/node_peer.hpp"

namespace cove::test {

inline std::string netproxy_script(const std::string& name) {
  return source_dir() + "/tests/netproxy/" + name;
}

// Runs `command` with /bin/sh on the host; returns its exit code.
inline int host_sh(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline void host_sh_or_throw(const std::string& command) {
  if (host_sh(command) != 0) throw std::runtime_error("host command failed: " + command);
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// A self-signed certificate for localhost and 127.0.0.1 (also usable as its own CA).
struct TestCert {
  std::string cert, key;
};
inline TestCert make_test_cert(const std::string& dir) {
  TestCert c{dir + "/cert.pem", dir + "/key.pem"};
  host_sh_or_throw(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
      c.key + " -out " + c.cert + " 2>/dev/null");
  return c;
}

inline std::string b64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned val = 0;
  int bits = -6;
  for (unsigned char c : in) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out += k[(val >> bits) & 0x3F];
      bits -= 6;
    }
  }
  if (bits > -6) out += k[((val << 8) >> (bits + 8)) & 0x3F];
  while (out.size() % 4)
    out += '=';
  return out;
}

}  // namespace cove::test
