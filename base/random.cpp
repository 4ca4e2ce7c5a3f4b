#include "base/random.hpp"

#include <openssl/rand.h>

#include <random>
#include <stdexcept>

namespace cove {

std::string new_id(std::string_view prefix) {
  static constexpr char kAlphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id(prefix);
  id += '_';
  std::uniform_int_distribution<int> pick(0, 57);
  for (int i = 0; i < 24; ++i)
    id += kAlphabet[pick(rng)];
  return id;
}

std::string random_token(std::string_view prefix, std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token(prefix);
  for (unsigned char b : raw) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  return token;
}

}  // namespace cove
