// The egress proxy's decisions, free of I/O so they can be tested alone: which host names an
// environment's networking policy lets through, and which resolved addresses a sandbox may
// never reach (loopback, link-local, cloud metadata, private ranges, this host's own).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/netproxy/proxy.hpp"

namespace cove::netproxy {

// An IPv4 or IPv6 address. IPv4 is stored as the IPv4-mapped IPv6 address ::ffff:a.b.c.d.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};

  // Parses a literal ("10.0.0.1", "::1", "fe80::1%eth0" keeps only the address). nullopt when
  // `text` is not an IP literal.
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress v4(uint32_t host_order);
  static IpAddress v6(const std::array<uint8_t, 16>& bytes) { return IpAddress{bytes}; }

  bool is_v4() const;  // an IPv4-mapped address
  std::string str() const;
  bool operator==(const IpAddress&) const = default;
};

// What an address is, for the proxy's purposes. Addresses embedding an IPv4 address
// (v4-mapped, v4-compatible, SIIT ::ffff:0:0:0/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48,
// 6to4 2002::/16) are classified by that IPv4 address, so ::ffff:127.0.0.1 is loopback.
enum class AddressClass {
  global,         // reachable
  loopback,       // 127/8, ::1
  unspecified,    // 0/8, ::
  link_local,     // 169.254/16, fe80::/10
  metadata,       // 169.254.169.254, fd00:ec2::254, 100.100.100.200: cloud instance metadata
  private_range,  // 10/8, 172.16/12, 192.168/16, fc00::/7 (ULA), fec0::/10
  shared_cgnat,   // 100.64/10
  multicast,      // 224/4, ff00::/8
  reserved,       // 240/4 and 255.255.255.255
};

AddressClass classify(const IpAddress& address);

// The IPv4 addresses an IPv6 address stands for through a translator (see AddressClass),
// empty for other addresses and for IPv4 (v4-mapped) ones. Several for 64:ff9b:1::/48, whose
// layout depends on the operator's prefix length: the strictest of their classes applies.
std::vector<uint32_t> embedded_ipv4(const IpAddress& address);
// "a loopback address", "the cloud metadata address", ...
std::string_view describe(AddressClass c);

// Why `address` may not be connected to, or nullopt when it may, as a phrase to follow the
// address: "a loopback address (local and private addresses are closed to sandboxes)";
// `closed_to` names who is refused. `host_addresses` are this machine's own interface
// addresses (refused like loopback, also in an IPv6 form that embeds them).
std::optional<std::string> address_refusal_reason(const IpAddress& address,
                                                  const std::vector<IpAddress>& host_addresses,
                                                  bool allow_private_addresses,
                                                  std::string_view closed_to = "sandboxes");
// The same as a sentence: "127.0.0.1 is a loopback address (...)".
std::optional<std::string> address_refusal(const IpAddress& address,
                                           const std::vector<IpAddress>& host_addresses,
                                           bool allow_private_addresses);

// A host name as the proxy compares it: lower case, without a trailing dot, IPv6 literals
// without brackets. nullopt when it is not a syntactically valid DNS name or IP literal.
std::optional<std::string> normalize_host(std::string_view host);

// True when the policy lets connections to `host` (already normalized) through: always for
// unrestricted; for limited when an allowed_hosts entry equals it (case-insensitively) or is
// "*.suffix" and host ends with ".suffix" (the bare suffix itself does not match).
bool host_allowed(const NetworkPolicy& policy, std::string_view host);

// The registries that an environment's allow_package_managers opens under limited networking
// (apt, cargo, gem, go, npm, pip), as allowed_hosts entries to add to the policy.
const std::vector<std::string>& package_manager_hosts();

// Splits "host:port" / "[v6]:port" (a CONNECT target). nullopt when malformed.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
std::optional<HostPort> parse_authority(std::string_view authority);

// The addresses of this machine's interfaces (getifaddrs), cached for a few seconds.
// Thread-safe.
std::vector<IpAddress> host_interface_addresses();

}  // namespace cove::netproxy
