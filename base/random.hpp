// Random names: object ids (unique, not secret) and tokens (secret).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cove {

// "<prefix>_" + 24 random base58 characters. Unique for practical purposes; not a secret
// (ids appear in URLs and logs). Thread-safe.
std::string new_id(std::string_view prefix);

// `prefix` + `bytes` bytes from OpenSSL's CSPRNG, hex-encoded: API keys and other secrets.
// Throws std::runtime_error when the CSPRNG fails. Thread-safe.
std::string random_token(std::string_view prefix, std::size_t bytes);

}  // namespace cove
