// The `scripted` provider: replays a model script, one turn per call, deterministically.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "runtime/models/script.hpp"
#include "runtime/models/stop_relay.hpp"

namespace cove::models {

namespace {

namespace asio = boost::asio;

class ScriptedProvider : public Provider {
 public:
  ScriptedProvider(std::string name, std::vector<ScriptTurn> turns)
      : name_(std::move(name)), turns_(std::move(turns)) {}

  Task<ModelReply> complete(const ModelRequest&, const StreamSink& sink,
                            std::stop_token stop) override {
    if (stop.stop_requested()) throw interrupted();
    if (next_ >= turns_.size())
      throw ModelError(ModelErrorKind::request_failed,
                       "model script '" + name_ + "' has " + std::to_string(turns_.size()) +
                           " turns; request " + std::to_string(next_ + 1) + " has none left");
    const ScriptTurn& turn = turns_[next_++];
    if (turn.delay.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, turn.delay);
      StopRelay relay(timer.get_executor(), stop, [&timer] { timer.cancel(); });
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (stop.stop_requested()) throw interrupted();
    if (turn.error) throw script_error(*turn.error);
    stream(*turn.reply, sink);
    co_return *turn.reply;
  }

 private:
  ModelError interrupted() const {
    return ModelError(ModelErrorKind::interrupted,
                      "scripted model request interrupted (script '" + name_ + "')");
  }

  static void stream(const ModelReply& reply, const StreamSink& sink) {
    int index = 0;
    for (const auto& block : reply.content) {
      const auto& type = block["type"].get_ref<const std::string&>();
      if (sink.on_block_start) sink.on_block_start(index, type);
      if (type == "text" && sink.on_text_delta)
        for (auto piece : split_for_stream(block["text"].get_ref<const std::string&>()))
          sink.on_text_delta(index, piece);
      ++index;
    }
  }

  std::string name_;
  std::vector<ScriptTurn> turns_;
  std::size_t next_ = 0;
};

}  // namespace

std::unique_ptr<Provider> make_scripted_provider(std::string name, std::vector<ScriptTurn> turns) {
  return std::make_unique<ScriptedProvider>(std::move(name), std::move(turns));
}

}  // namespace cove::models
