// Runs one coroutine (with or without a result) to completion on an io_context driven by the
// calling thread, for code that blocks by design (a session's worker thread, the CLI). Other work
// queued on the context (timers, background reads) runs meanwhile.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>

namespace cove::net {

template <class T>
T block_on(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> result;
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
    done = true;
  });
  io.restart();
  while (!done)
    io.run_one();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline void block_on(boost::asio::io_context& io, boost::asio::awaitable<void> task) {
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) {
    error = e;
    done = true;
  });
  io.restart();
  while (!done)
    io.run_one();
  if (error) std::rethrow_exception(error);
}

}  // namespace cove::net
