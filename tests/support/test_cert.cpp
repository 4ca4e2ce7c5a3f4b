#include "tests/support/test_cert.hpp"

#include <stdexcept>

#include "tests/support/shell.hpp"

namespace cove::test {

TestCert make_test_cert(const std::filesystem::path& dir, const std::string& san) {
  TestCert c{(dir / "cert.pem").string(), (dir / "key.pem").string()};
  std::string output;
  if (sh_status("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cove-test"
                " -addext subjectAltName=" +
                    quote(san) + " -keyout " + quote(c.key) + " -out " + quote(c.cert),
                &output) != 0)
    throw std::runtime_error("openssl could not make a test certificate: " + output);
  return c;
}

}  // namespace cove::test
