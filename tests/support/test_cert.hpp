// A throwaway self-signed TLS certificate for test servers on the loopback.
#pragma once

#include <filesystem>
#include <string>

namespace cove::test {

struct TestCert {
  std::string cert, key;  // PEM files
};

// Writes cert.pem and key.pem into `dir` with openssl: a self-signed certificate (also usable
// as its own CA) for the subjectAltName `san`. Throws when openssl fails.
TestCert make_test_cert(const std::filesystem::path& dir,
                        const std::string& san = "DNS:localhost,IP:127.0.0.1");

}  // namespace cove::test
