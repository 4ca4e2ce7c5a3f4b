// ProxyService: the io_context and threads that serve every sandbox's proxies, the accept
// loops, and handles that stop a listener and close its connections.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "runtime/netproxy/relay.hpp"

namespace cove::netproxy {
namespace {

using namespace detail;

thread_local const void* current_service = nullptr;  // set on the service's own threads

using ConnectionHandler = std::function<asio::awaitable<void>(std::shared_ptr<Link>)>;

// One listening socket and the connections accepted from it.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(Context& ctx, UniqueFd fd, ConnectionHandler handler)
      : ctx_(ctx),
        strand_(asio::make_strand(ctx.io)),
        acceptor_(strand_),
        handler_(std::move(handler)) {
    beast::error_code ec;
    acceptor_.assign(tcp::v4(), fd.get(), ec);
    if (ec) throw std::system_error(ec, "netproxy: cannot use the listening socket");
    fd.release();
  }

  void start() { asio::co_spawn(strand_, accept_loop(shared_from_this()), asio::detached); }

  // Stops accepting and closes every open connection; waits up to a second for the listening
  // socket to be closed (not at all on a proxy thread, which would wait for itself).
  void stop() {
    std::vector<std::shared_ptr<Link>> open;
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      for (auto& [key, weak] : links_)
        if (auto link = weak.lock()) open.push_back(std::move(link));
    }
    auto closed = std::make_shared<std::promise<void>>();
    auto done = closed->get_future();
    asio::post(strand_, [self = shared_from_this(), closed] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
      closed->set_value();
    });
    for (auto& link : open)
      asio::post(link->executor(), [link] { link->close(); });
    if (!ctx_.on_proxy_thread()) done.wait_for(std::chrono::seconds(1));
  }

 private:
  static asio::awaitable<void> accept_loop(std::shared_ptr<Listener> self) {
    for (;;) {
      asio::any_io_executor strand = asio::make_strand(self->ctx_.io);
      auto [ec, socket] = co_await self->acceptor_.async_accept(strand, use_tuple);
      if (!self->acceptor_.is_open() || ec == asio::error::operation_aborted) co_return;
      if (ec) {  // out of fds or similar: wait instead of spinning
        asio::steady_timer pause(self->strand_, std::chrono::milliseconds(100));
        co_await pause.async_wait(use_tuple);
        continue;
      }
      auto link = std::make_shared<Link>(strand, tcp::socket(std::move(socket)));
      {
        std::lock_guard lock(self->mu_);
        if (self->stopped_) co_return;
        if (self->links_.size() >= static_cast<size_t>(self->ctx_.options.max_connections))
          continue;  // over the limit: `link` goes, closing the socket
        self->links_[link.get()] = link;
      }
      asio::co_spawn(strand, run(self, link), [](std::exception_ptr) {});
    }
  }

  static asio::awaitable<void> run(std::shared_ptr<Listener> self, std::shared_ptr<Link> link) {
    link->start_watchdog();
    try {
      co_await self->handler_(link);
    } catch (...) {
      // A connection's failure ends that connection only.
    }
    link->close();
    std::lock_guard lock(self->mu_);
    self->links_.erase(link.get());
  }

  Context& ctx_;
  asio::strand<asio::io_context::executor_type> strand_;
  tcp::acceptor acceptor_;
  ConnectionHandler handler_;
  std::mutex mu_;
  bool stopped_ = false;
  std::unordered_map<const Link*, std::weak_ptr<Link>> links_;
};

class ListenerHandle : public ProxyService::Handle {
 public:
  explicit ListenerHandle(std::shared_ptr<Listener> listener) : listener_(std::move(listener)) {}
  ~ListenerHandle() override { listener_->stop(); }

 private:
  std::shared_ptr<Listener> listener_;
};

asio::ssl::context make_tls_context(const ProxyOptions& options) {
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_default_verify_paths();
  if (!options.extra_ca_file.empty()) {
    beast::error_code ec;
    tls.load_verify_file(options.extra_ca_file, ec);
    if (ec)
      throw std::runtime_error("netproxy: loading CA file " + options.extra_ca_file + ": " +
                               ec.message());
  }
  tls.set_verify_mode(asio::ssl::verify_peer);
  return tls;
}

}  // namespace

bool detail::Context::on_proxy_thread() const {
  return current_service == &io;
}

struct ProxyService::Impl {
  explicit Impl(ProxyOptions opts)
      : tls(make_tls_context(opts)), ctx{io, tls, std::move(opts)}, work(io.get_executor()) {
    const int n = std::max(1, ctx.options.threads);
    for (int i = 0; i < n; ++i)
      threads.emplace_back([this] {
        current_service = &io;
        io.run();
      });
  }
  ~Impl() {
    work.reset();
    io.stop();
    for (auto& t : threads)
      t.join();
  }

  asio::ssl::context tls;  // before io: streams in pending coroutines refer to it
  asio::io_context io;
  Context ctx;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::vector<std::thread> threads;
};

namespace {
ProxyOptions with_threads(int threads) {
  ProxyOptions options;
  options.threads = threads;
  return options;
}
}  // namespace

ProxyService::ProxyService(int threads) : ProxyService(with_threads(threads)) {}

ProxyService::ProxyService(ProxyOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

ProxyService::~ProxyService() = default;

std::unique_ptr<ProxyService::Handle> ProxyService::serve_egress(UniqueFd listener,
                                                                 NetworkPolicy policy) {
  auto shared = std::make_shared<const NetworkPolicy>(std::move(policy));
  Context& ctx = impl_->ctx;
  auto l = std::make_shared<Listener>(
      ctx, std::move(listener), [&ctx, shared](std::shared_ptr<Link> link) {
        return serve_egress_connection(ctx, shared, std::move(link));
      });
  l->start();
  return std::make_unique<ListenerHandle>(std::move(l));
}

std::unique_ptr<ProxyService::Handle> ProxyService::serve_git(UniqueFd listener,
                                                              RemoteLookup lookup) {
  if (!lookup) throw std::invalid_argument("serve_git: the RemoteLookup is empty");
  auto shared = std::make_shared<const RemoteLookup>(std::move(lookup));
  Context& ctx = impl_->ctx;
  auto l = std::make_shared<Listener>(ctx, std::move(listener),
                                      [&ctx, shared](std::shared_ptr<Link> link) {
                                        return serve_git_connection(ctx, shared, std::move(link));
                                      });
  l->start();
  return std::make_unique<ListenerHandle>(std::move(l));
}

FetchResult ProxyService::fetch(const NetworkPolicy& policy, const std::string& url,
                                std::size_t max_bytes, std::chrono::milliseconds timeout) {
  if (impl_->ctx.on_proxy_thread())
    throw std::logic_error("ProxyService::fetch called from a proxy thread (it would block it)");
  auto future =
      asio::co_spawn(asio::make_strand(impl_->io),
                     fetch_url(impl_->ctx, policy, url, max_bytes, timeout), asio::use_future);
  // The coroutine enforces the timeout itself; this margin only guards against a stuck
  // name resolution.
  if (future.wait_for(timeout + std::chrono::seconds(5)) != std::future_status::ready)
    throw std::runtime_error("web_fetch: " + url + ": no answer within " +
                             std::to_string(timeout.count()) + " ms");
  return future.get();
}

}  // namespace cove::netproxy
