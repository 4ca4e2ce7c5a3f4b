// net::block_on for tests: runs one coroutine to completion on an io_context from a plain test
// function. The product's block_on takes only coroutines that return a value; tests also run
// ones that return nothing, which this overload wraps.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "net/block_on.hpp"

namespace cove::test {

using net::block_on;

inline void block_on(boost::asio::io_context& io, boost::asio::awaitable<void> task) {
  auto with_value = [](boost::asio::awaitable<void> t) -> boost::asio::awaitable<bool> {
    co_await std::move(t);
    co_return true;
  };
  net::block_on(io, with_value(std::move(task)));
}

}  // namespace cove::test
