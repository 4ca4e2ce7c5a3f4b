// Runs one coroutine to completion on an io_context from a plain (test) function.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>

namespace cove::test {

template <class T>
T run_task(boost::asio::io_context& ctx, boost::asio::awaitable<T> task) {
  std::exception_ptr failure;
  bool done = false;
  ctx.restart();  // a previous task may have left the context stopped (out of work)
  if constexpr (std::is_void_v<T>) {
    boost::asio::co_spawn(ctx, std::move(task), [&](std::exception_ptr e) {
      failure = e;
      done = true;
    });
    while (!done)
      ctx.run_one();
    if (failure) std::rethrow_exception(failure);
  } else {
    std::optional<T> value;
    boost::asio::co_spawn(ctx, std::move(task), [&](std::exception_ptr e, T v) {
      failure = e;
      if (!e) value = std::move(v);
      done = true;
    });
    while (!done)
      ctx.run_one();
    if (failure) std::rethrow_exception(failure);
    return std::move(*value);
  }
}

}  // namespace cove::test
