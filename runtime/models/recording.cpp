// Recording: any provider's replies (and failures) appended to a model script that the
// `scripted` provider replays exactly.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "runtime/models/errors.hpp"
#include "runtime/models/script.hpp"

namespace cove::models {

namespace {

// An append-only file descriptor, closed on destruction.
class AppendFile {
 public:
  explicit AppendFile(const std::filesystem::path& path)
      : fd_(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) {}
  ~AppendFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  bool ok() const { return fd_ >= 0; }
  // One write of the whole line (O_APPEND keeps lines whole); false with errno set on failure.
  bool append(const std::string& line) {
    std::size_t done = 0;
    while (done < line.size()) {
      auto n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

 private:
  int fd_;
};

class RecordingProvider : public Provider {
 public:
  RecordingProvider(std::unique_ptr<Provider> inner, std::filesystem::path file)
      : inner_(std::move(inner)), path_(std::move(file)), file_(prepare(path_)) {}

  Task<ModelReply> complete(const ModelRequest& request, const StreamSink& sink,
                            std::stop_token stop) override {
    ModelReply reply;
    try {
      reply = co_await inner_->complete(request, sink, stop);
    } catch (const ModelError& e) {
      // An interrupt is the user's doing, not the model's: a replay must not repeat it.
      if (e.kind() != ModelErrorKind::interrupted) record(script_turn_json(e));
      throw;
    }
    record(script_turn_json(reply));
    co_return reply;
  }

 private:
  static std::unique_ptr<AppendFile> prepare(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec)
      throw std::invalid_argument("model recording directory '" + path.parent_path().string() +
                                  "' cannot be created: " + ec.message());
    auto file = std::make_unique<AppendFile>(path);
    if (!file->ok())
      throw std::invalid_argument("model recording '" + path.string() +
                                  "' cannot be opened: " + std::strerror(errno));
    return file;
  }

  void record(const json& turn) {
    if (!file_->append(turn.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"))
      throw ModelError(
          ModelErrorKind::request_failed,
          "recording the model reply to '" + path_.string() + "' failed: " + std::strerror(errno));
  }

  std::unique_ptr<Provider> inner_;
  std::filesystem::path path_;
  std::unique_ptr<AppendFile> file_;
};

}  // namespace

std::unique_ptr<Provider> make_recording_provider(std::unique_ptr<Provider> inner,
                                                  std::filesystem::path file) {
  return std::make_unique<RecordingProvider>(std::move(inner), std::move(file));
}

}  // namespace cove::models
