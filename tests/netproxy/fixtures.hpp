// Shared pieces of the netproxy tests: the node peers (origin server, git server), the origin
// servers of a whole suite, and Basic credentials.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tests/support/node_peer.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_cert.hpp"

namespace cove::test {

inline std::string netproxy_script(const std::string& name) {
  return source_dir() + "/tests/netproxy/" + name;
}

// A suite whose tests share tests/netproxy/origin.mjs over HTTP (origin_) and, with a
// throwaway certificate for localhost and 127.0.0.1 (cert_), over HTTPS (tls_origin_), started
// once for the whole suite.
class OriginsSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new TempDir("cove-netproxy-cert");
    cert_ = make_test_cert(certs_->path());
    origin_ = new NodePeer({netproxy_script("origin.mjs"), "http"}, {});
    tls_origin_ = new NodePeer({netproxy_script("origin.mjs"), "https", cert_.cert, cert_.key}, {});
  }
  static void TearDownTestSuite() {
    delete tls_origin_;
    delete origin_;
    delete certs_;
  }

  static inline TempDir* certs_ = nullptr;
  static inline TestCert cert_;
  static inline NodePeer* origin_ = nullptr;
  static inline NodePeer* tls_origin_ = nullptr;
};

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
