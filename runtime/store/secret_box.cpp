#include "runtime/store/secret_box.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "base/unique_fd.hpp"

namespace cove::store {

namespace {

constexpr unsigned char kVersion = 1;
constexpr int kNonceSize = 12;
constexpr int kTagSize = 16;

[[noreturn]] void fail_errno(const std::string& what, const std::filesystem::path& file) {
  throw std::runtime_error(what + " " + file.string() + ": " + std::strerror(errno));
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  return ctx;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

unsigned char* bytes(std::string& s, std::size_t at = 0) {
  return reinterpret_cast<unsigned char*>(s.data() + at);
}

// Writes a fresh random key to `file` unless it exists already.
void create_key(const std::filesystem::path& file) {
  std::array<unsigned char, 32> key{};
  if (RAND_bytes(key.data(), key.size()) != 1) throw std::runtime_error("RAND_bytes failed");
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) {
    OPENSSL_cleanse(key.data(), key.size());
    if (errno == EEXIST) return;  // another process made it first; read theirs
    fail_errno("create", file);
  }
  bool ok = ::write(fd.get(), key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
            ::fsync(fd.get()) == 0;
  OPENSSL_cleanse(key.data(), key.size());
  if (!ok) fail_errno("write", file);
}

}  // namespace

SecretBox SecretBox::load_or_create(const std::filesystem::path& key_file) {
  create_key(key_file);
  UniqueFd fd(::open(key_file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) fail_errno("open", key_file);
  if (::fchmod(fd.get(), 0600) != 0) fail_errno("chmod", key_file);
  SecretBox box;
  box.key_file_ = key_file.filename().string();  // messages may reach API clients
  std::array<unsigned char, 33> buf{};
  ssize_t n = ::read(fd.get(), buf.data(), buf.size());
  if (n < 0) fail_errno("read", key_file);
  if (n != 32) {
    OPENSSL_cleanse(buf.data(), buf.size());
    throw std::runtime_error(key_file.string() +
                             " must hold 32 bytes (the key cove created); it holds " +
                             (n == 33 ? std::string("more") : std::to_string(n)));
  }
  std::memcpy(box.key_.data(), buf.data(), 32);
  OPENSSL_cleanse(buf.data(), buf.size());
  return box;
}

SecretBox::~SecretBox() {
  OPENSSL_cleanse(key_.data(), key_.size());
}

std::string SecretBox::seal(std::string_view owner_id, std::string_view value) const {
  std::string out(1 + kNonceSize + value.size() + kTagSize, '\0');
  out[0] = static_cast<char>(kVersion);
  if (RAND_bytes(bytes(out, 1), kNonceSize) != 1) throw std::runtime_error("RAND_bytes failed");
  auto ctx = new_ctx();
  int len = 0;
  bool ok =
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), bytes(out, 1)) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(owner_id),
                        static_cast<int>(owner_id.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), bytes(out, 1 + kNonceSize), &len, bytes(value),
                        static_cast<int>(value.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), bytes(out, 1 + kNonceSize + len), &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          bytes(out, out.size() - kTagSize)) == 1;
  if (!ok) throw std::runtime_error("AES-256-GCM encryption failed");
  return out;
}

std::string SecretBox::open(std::string_view owner_id, std::string_view sealed) const {
  const auto refuse = [&](const std::string& why) {
    return SecretKeyError("the secret of " + std::string(owner_id) + " does not open with " +
                          key_file_ + ": " + why);
  };
  if (sealed.size() < 1 + kNonceSize + kTagSize || sealed[0] != static_cast<char>(kVersion))
    throw refuse("not a sealed value of a version this cove knows");
  const std::size_t size = sealed.size() - 1 - kNonceSize - kTagSize;
  std::string out(size, '\0');
  std::string tag(sealed.substr(sealed.size() - kTagSize));
  auto ctx = new_ctx();
  int len = 0;
  bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(),
                               bytes(sealed.substr(1))) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(owner_id),
                              static_cast<int>(owner_id.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), bytes(out), &len, bytes(sealed.substr(1 + kNonceSize)),
                              static_cast<int>(size)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, bytes(tag)) == 1;
  int final_len = 0;
  if (!ok ||
      EVP_DecryptFinal_ex(ctx.get(), bytes(out, static_cast<std::size_t>(len)), &final_len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    throw refuse("it is not the key the secret was stored with, or the value is damaged");
  }
  return out;
}

}  // namespace cove::store
