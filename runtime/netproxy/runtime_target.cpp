#include "runtime/netproxy/runtime_target.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "net/url.hpp"
#include "runtime/netproxy/egress_policy.hpp"

namespace cove::netproxy {

namespace {

constexpr const char* kClosedTo = "URLs from API clients";

struct AddrinfoFree {
  void operator()(addrinfo* a) const { ::freeaddrinfo(a); }
};

// The host's addresses, or the resolver's error.
std::vector<IpAddress> resolve(const std::string& host, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &raw);
  std::unique_ptr<addrinfo, AddrinfoFree> list(raw);
  std::vector<IpAddress> out;
  if (rc != 0) {
    *error = ::gai_strerror(rc);
    return out;
  }
  for (const addrinfo* a = list.get(); a; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      auto* sin = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      out.push_back(IpAddress::v4(ntohl(sin->sin_addr.s_addr)));
    } else if (a->ai_family == AF_INET6) {
      std::array<uint8_t, 16> bytes;
      std::memcpy(bytes.data(),
                  reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr.s6_addr, 16);
      out.push_back(IpAddress::v6(bytes));
    }
  }
  if (out.empty()) *error = "no addresses";
  return out;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  auto ip = IpAddress::parse(host);
  return ip && classify(*ip) == AddressClass::loopback;
}

}  // namespace

std::optional<std::string> runtime_target_refusal(const std::string& url,
                                                  const TargetPolicy& policy) {
  net::Url u;
  try {
    u = net::parse_url(url);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  if (policy.offline) {
    if (is_loopback_host(u.host)) return std::nullopt;
    return "cove runs offline and reaches only loopback addresses; " + u.host + " is not one";
  }
  std::string error;
  auto addresses = resolve(u.host, &error);
  if (addresses.empty()) return "cannot resolve " + u.host + ": " + error;
  const auto own = host_interface_addresses();
  const bool literal = IpAddress::parse(u.host).has_value();
  for (const auto& ip : addresses) {
    auto why = address_refusal_reason(ip, own, policy.allow_private, kClosedTo);
    if (!why) continue;
    // Loopback and private addresses are the operator's to open; link-local never is.
    if (!address_refusal_reason(ip, own, true, kClosedTo))
      *why += "; cove serve --allow-private-targets opens them";
    if (literal) return ip.str() + " is " + *why;
    return u.host + " resolves to " + ip.str() + ", " + *why;
  }
  return std::nullopt;
}

}  // namespace cove::netproxy
