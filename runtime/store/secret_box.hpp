// Secret values at rest: sealed with AES-256-GCM under a key that lives in its own file
// (0600) beside the database, so a copy of the database alone, or of its WAL, does not give
// the tokens away.
//
// A sealed value is bytes: a version byte (1), a random 12-byte nonce, the ciphertext and
// the 16-byte tag. The owner id is authenticated with it, so a value copied to another row
// does not open. Thread-safe: a SecretBox is immutable once loaded.
#pragma once

#include <array>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cove::store {

// The key does not open a sealed value: another key, or damaged data.
class SecretKeyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SecretBox {
 public:
  // Reads the 32-byte key at `key_file`, creating it (0600, random) when it does not exist,
  // and tightens its mode to 0600. Throws std::runtime_error naming the file when it cannot
  // be created or read, or does not hold exactly 32 bytes.
  static SecretBox load_or_create(const std::filesystem::path& key_file);

  SecretBox(const SecretBox&) = default;
  ~SecretBox();

  std::string seal(std::string_view owner_id, std::string_view value) const;
  // Throws SecretKeyError naming the key file when the value does not open.
  std::string open(std::string_view owner_id, std::string_view sealed) const;

 private:
  SecretBox() = default;
  std::array<unsigned char, 32> key_{};
  std::string key_file_;  // its name, for messages
};

}  // namespace cove::store
