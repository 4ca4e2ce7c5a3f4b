// Host matching and address classification for the egress proxy (see egress_policy.hpp).
#include "runtime/netproxy/egress_policy.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <mutex>

namespace cove::netproxy {
namespace {

constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool in_v4(uint32_t a, uint32_t net, int prefix) {
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (a & mask) == (net & mask);
}

constexpr uint32_t v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d;
}

uint32_t read_v4(const uint8_t* p) {
  return v4(p[0], p[1], p[2], p[3]);
}

AddressClass classify_v4(uint32_t a) {
  if (a == v4(169, 254, 169, 254) || a == v4(100, 100, 100, 200)) return AddressClass::metadata;
  if (in_v4(a, v4(0, 0, 0, 0), 8)) return AddressClass::unspecified;
  if (in_v4(a, v4(127, 0, 0, 0), 8)) return AddressClass::loopback;
  if (in_v4(a, v4(169, 254, 0, 0), 16)) return AddressClass::link_local;
  if (in_v4(a, v4(10, 0, 0, 0), 8) || in_v4(a, v4(172, 16, 0, 0), 12) ||
      in_v4(a, v4(192, 168, 0, 0), 16))
    return AddressClass::private_range;
  if (in_v4(a, v4(100, 64, 0, 0), 10)) return AddressClass::shared_cgnat;
  if (in_v4(a, v4(224, 0, 0, 0), 4)) return AddressClass::multicast;
  if (in_v4(a, v4(240, 0, 0, 0), 4)) return AddressClass::reserved;  // includes broadcast
  return AddressClass::global;
}

bool all_zero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text.substr(0, text.find('%')));  // drop an IPv6 zone id
  IpAddress out;
  in_addr a4{};
  if (::inet_pton(AF_INET, s.c_str(), &a4) == 1) return v4(ntohl(a4.s_addr));
  in6_addr a6{};
  if (::inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    std::memcpy(out.bytes.data(), a6.s6_addr, 16);
    return out;
  }
  return std::nullopt;
}

IpAddress IpAddress::v4(uint32_t a) {
  IpAddress out;
  std::copy(kMappedPrefix.begin(), kMappedPrefix.end(), out.bytes.begin());
  out.bytes[12] = static_cast<uint8_t>(a >> 24);
  out.bytes[13] = static_cast<uint8_t>(a >> 16);
  out.bytes[14] = static_cast<uint8_t>(a >> 8);
  out.bytes[15] = static_cast<uint8_t>(a);
  return out;
}

bool IpAddress::is_v4() const {
  return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes.begin());
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    ::inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  } else {
    ::inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

std::vector<uint32_t> embedded_ipv4(const IpAddress& address) {
  const uint8_t* b = address.bytes.data();
  if (address.is_v4()) return {};
  if (all_zero(b, 15) && (b[15] == 0 || b[15] == 1)) return {};  // :: and ::1 are themselves
  // ::/96 (v4-compatible) and ::ffff:0:0/96 (SIIT, RFC 6145).
  static constexpr uint8_t kSiit[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
  if (all_zero(b, 12) || std::memcmp(b, kSiit, 12) == 0) return {read_v4(b + 12)};
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kNat64, 12) == 0) return {read_v4(b + 12)};
  if (b[0] == 0x20 && b[1] == 0x02) return {read_v4(b + 2)};  // 6to4 2002:aabb:ccdd::/48
  // RFC 8215 local-use NAT64, 64:ff9b:1::/48: the operator picks a prefix of 48 to 96 bits,
  // so the IPv4 address sits where any RFC 6052 layout puts it. Every layout whose reserved
  // octet (bits 64..71) and suffix are zero is a candidate; /96 always is, unless its field is
  // all zero and a shorter layout fits.
  static constexpr uint8_t kLocalNat64[6] = {0, 0x64, 0xff, 0x9b, 0, 1};
  if (std::memcmp(b, kLocalNat64, 6) != 0) return {};
  struct Layout {
    int at[4];
    int suffix_from;
  };
  static constexpr Layout kLayouts[] = {
      {{6, 7, 9, 10}, 11}, {{7, 9, 10, 11}, 12}, {{9, 10, 11, 12}, 13}};
  std::vector<uint32_t> out;
  if (b[8] == 0)
    for (const auto& l : kLayouts)
      if (all_zero(b + l.suffix_from, 16 - l.suffix_from))
        out.push_back(v4(b[l.at[0]], b[l.at[1]], b[l.at[2]], b[l.at[3]]));
  if (out.empty() || !all_zero(b + 12, 4)) out.push_back(read_v4(b + 12));
  return out;
}

namespace {

// How closed an address class is: the higher, the fewer policies let it through.
int strictness(AddressClass c) {
  switch (c) {
    case AddressClass::global:
      return 0;
    case AddressClass::shared_cgnat:
      return 1;
    case AddressClass::private_range:
      return 2;
    case AddressClass::unspecified:
      return 3;
    case AddressClass::loopback:
      return 4;
    case AddressClass::reserved:
      return 5;
    case AddressClass::multicast:
      return 6;
    case AddressClass::link_local:
      return 7;
    case AddressClass::metadata:
      return 8;
  }
  return 8;
}

// The class of an address, and the embedded IPv4 address it was decided by (if any).
struct Classified {
  AddressClass c = AddressClass::global;
  std::optional<uint32_t> via;
};

Classified classify_detail(const IpAddress& address) {
  const uint8_t* b = address.bytes.data();
  if (address.is_v4()) return {classify_v4(read_v4(b + 12)), std::nullopt};
  if (all_zero(b, 16)) return {AddressClass::unspecified, std::nullopt};
  if (all_zero(b, 15) && b[15] == 1) return {AddressClass::loopback, std::nullopt};
  // An address carrying an IPv4 address reaches it through a translator: the strictest class
  // among the candidates decides.
  auto candidates = embedded_ipv4(address);
  if (!candidates.empty()) {
    Classified out{classify_v4(candidates[0]), candidates[0]};
    for (uint32_t a : candidates)
      if (strictness(classify_v4(a)) > strictness(out.c)) out = {classify_v4(a), a};
    return out;
  }
  static constexpr uint8_t kEc2Metadata[16] = {0xfd, 0, 0x0e, 0xc2, 0, 0, 0,    0,
                                               0,    0, 0,    0,    0, 0, 0x02, 0x54};
  if (std::memcmp(b, kEc2Metadata, 16) == 0) return {AddressClass::metadata, std::nullopt};
  AddressClass c = AddressClass::global;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) c = AddressClass::link_local;     // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) c = AddressClass::private_range;  // fec0::/10
  if ((b[0] & 0xfe) == 0xfc) c = AddressClass::private_range;                  // fc00::/7
  if (b[0] == 0xff) c = AddressClass::multicast;
  return {c, std::nullopt};
}

}  // namespace

AddressClass classify(const IpAddress& address) {
  return classify_detail(address).c;
}

std::string_view describe(AddressClass c) {
  switch (c) {
    case AddressClass::global:
      return "a public address";
    case AddressClass::loopback:
      return "a loopback address";
    case AddressClass::unspecified:
      return "the unspecified address";
    case AddressClass::link_local:
      return "a link-local address";
    case AddressClass::metadata:
      return "the cloud metadata address";
    case AddressClass::private_range:
      return "a private-network address";
    case AddressClass::shared_cgnat:
      return "a carrier-grade NAT address";
    case AddressClass::multicast:
      return "a multicast address";
    case AddressClass::reserved:
      return "a reserved address";
  }
  return "an unknown kind of address";
}

std::optional<std::string> address_refusal_reason(const IpAddress& address,
                                                  const std::vector<IpAddress>& host_addresses,
                                                  bool allow_private_addresses,
                                                  std::string_view closed_to) {
  const Classified k = classify_detail(address);
  // "the IPv6 form of 127.0.0.1, " when an embedded IPv4 address decided.
  const std::string form =
      k.via ? "the IPv6 form of " + IpAddress::v4(*k.via).str() + ", " : std::string();
  const std::string closed =
      " (local and private addresses are closed to " + std::string(closed_to) + ")";
  switch (k.c) {
    case AddressClass::link_local:
    case AddressClass::metadata:
      return form + std::string(describe(k.c)) + ", which " + std::string(closed_to) +
             " may never reach";
    case AddressClass::multicast:
    case AddressClass::reserved:
      return form + std::string(describe(k.c)) + ", not a host to connect to";
    case AddressClass::loopback:
    case AddressClass::unspecified:
    case AddressClass::private_range:
    case AddressClass::shared_cgnat:
      if (allow_private_addresses) return std::nullopt;
      return form + std::string(describe(k.c)) + closed;
    case AddressClass::global:
      break;
  }
  if (allow_private_addresses) return std::nullopt;
  auto own = [&](const IpAddress& a) {
    return std::find(host_addresses.begin(), host_addresses.end(), a) != host_addresses.end();
  };
  if (own(address)) return "an address of this machine" + closed;
  for (uint32_t embedded : embedded_ipv4(address))
    if (own(IpAddress::v4(embedded)))
      return "the IPv6 form of " + IpAddress::v4(embedded).str() + ", an address of this machine" +
             closed;
  return std::nullopt;
}

std::optional<std::string> address_refusal(const IpAddress& address,
                                           const std::vector<IpAddress>& host_addresses,
                                           bool allow_private_addresses) {
  auto why = address_refusal_reason(address, host_addresses, allow_private_addresses);
  if (!why) return std::nullopt;
  return address.str() + " is " + *why;
}

std::optional<std::string> normalize_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (!IpAddress::parse(host) || host.find('%') != std::string_view::npos) return std::nullopt;
    std::string out(host);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
  }
  if (host.find(':') != std::string_view::npos) {  // a bare IPv6 literal
    if (host.find('%') != std::string_view::npos || !IpAddress::parse(host)) return std::nullopt;
    std::string out(host);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.size() > 253) return std::nullopt;
  std::string out;
  out.reserve(host.size());
  size_t label = 0;
  for (char c : host) {
    c = lower(c);
    if (c == '.') {
      if (label == 0) return std::nullopt;
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
      if (++label > 63) return std::nullopt;
    } else {
      return std::nullopt;
    }
    out += c;
  }
  if (label == 0) return std::nullopt;
  return out;
}

bool host_allowed(const NetworkPolicy& policy, std::string_view host) {
  if (policy.unrestricted) return true;
  for (const auto& raw : policy.allowed_hosts) {
    std::string_view entry = raw;
    if (!entry.empty() && entry.back() == '.') entry.remove_suffix(1);
    if (entry.size() > 2 && entry.substr(0, 2) == "*.") {
      std::string_view suffix = entry.substr(1);  // ".example.com"
      if (host.size() > suffix.size() && iequals(host.substr(host.size() - suffix.size()), suffix))
        return true;
    } else if (entry.size() > 2 && entry.front() == '[' && entry.back() == ']') {
      if (iequals(host, entry.substr(1, entry.size() - 2))) return true;
    } else if (iequals(host, entry)) {
      return true;
    }
  }
  return false;
}

const std::vector<std::string>& package_manager_hosts() {
  static const std::vector<std::string> hosts = {
      "deb.debian.org",        "security.debian.org",  "archive.ubuntu.com",
      "security.ubuntu.com",   "ports.ubuntu.com",     "crates.io",
      "index.crates.io",       "static.crates.io",     "rubygems.org",
      "index.rubygems.org",    "proxy.golang.org",     "sum.golang.org",
      "registry.npmjs.org",    "registry.yarnpkg.com", "pypi.org",
      "files.pythonhosted.org"};
  return hosts;
}

std::optional<HostPort> parse_authority(std::string_view authority) {
  std::string_view host, port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos || close + 1 >= authority.size() ||
        authority[close + 1] != ':')
      return std::nullopt;
    host = authority.substr(0, close + 1);
    port = authority.substr(close + 2);
  } else {
    size_t colon = authority.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // v6 needs brackets
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
    return std::nullopt;
  auto normalized = normalize_host(host);
  if (!normalized) return std::nullopt;
  return HostPort{*normalized, static_cast<uint16_t>(value)};
}

std::vector<IpAddress> host_interface_addresses() {
  static std::mutex mu;
  static std::vector<IpAddress> cached;
  static std::chrono::steady_clock::time_point fetched;
  std::lock_guard lock(mu);
  auto now = std::chrono::steady_clock::now();
  if (!cached.empty() && now - fetched < std::chrono::seconds(5)) return cached;
  std::vector<IpAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (ifaddrs* i = list; i; i = i->ifa_next) {
      if (!i->ifa_addr) continue;
      if (i->ifa_addr->sa_family == AF_INET) {
        auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
        out.push_back(IpAddress::v4(ntohl(sin->sin_addr.s_addr)));
      } else if (i->ifa_addr->sa_family == AF_INET6) {
        auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
        std::array<uint8_t, 16> bytes;
        std::memcpy(bytes.data(), sin6->sin6_addr.s6_addr, 16);
        out.push_back(IpAddress::v6(bytes));
      }
    }
    ::freeifaddrs(list);
  }
  cached = std::move(out);
  fetched = now;
  return cached;
}

}  // namespace cove::netproxy
