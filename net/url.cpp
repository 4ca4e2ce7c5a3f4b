#include "net/url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <stdexcept>
#include <utility>

namespace cove::net {
namespace {

// [start, end) of the userinfo including its '@', or npos. The authority runs to the first
// '/', '?' or '#'; its last '@' ends the userinfo (a backslash does not end the authority, so
// "http://host\@other/" counts as userinfo: some clients read it so).
std::pair<std::size_t, std::size_t> userinfo_span(std::string_view text) {
  auto sep = text.find("://");
  if (sep == std::string_view::npos) return {std::string_view::npos, 0};
  std::size_t start = sep + 3;
  auto end = text.find_first_of("/?#", start);
  auto authority = text.substr(start, end == std::string_view::npos ? end : end - start);
  auto at = authority.rfind('@');
  if (at == std::string_view::npos) return {std::string_view::npos, 0};
  return {start, start + at + 1};
}

Url from_boost(const boost::urls::url_view& u, std::string_view text) {
  Url out;
  out.scheme = std::string(u.scheme());
  for (auto& c : out.scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (out.scheme != "http" && out.scheme != "https")
    throw std::invalid_argument("URL '" + without_userinfo(text) +
                                "': scheme must be http or https");
  if (u.has_userinfo())
    throw std::invalid_argument("URL '" + without_userinfo(text) +
                                "': credentials in the URL are not allowed; use a header");
  if (u.host_type() == boost::urls::host_type::ipv6)
    out.host = std::string(u.host_address());
  else
    out.host = std::string(u.encoded_host());
  if (out.host.empty())
    throw std::invalid_argument("URL '" + without_userinfo(text) + "': no host");
  if (u.has_port()) {
    if (u.port_number() == 0)
      throw std::invalid_argument("URL '" + without_userinfo(text) + "': bad port");
    out.port = u.port_number();
  } else {
    out.port = out.tls() ? 443 : 80;
  }
  out.target = std::string(u.encoded_path());
  if (out.target.empty()) out.target = "/";
  if (u.has_query()) out.target += "?" + std::string(u.encoded_query());
  return out;
}

}  // namespace

std::string Url::origin() const {
  return scheme + "://" + host_header();
}

std::string Url::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls() ? 443 : 80)) h += ":" + std::to_string(port);
  return h;
}

std::string Url::str() const {
  return origin() + target;
}

bool has_userinfo(std::string_view text) {
  return userinfo_span(text).first != std::string_view::npos;
}

std::string without_userinfo(std::string_view text) {
  auto [start, end] = userinfo_span(text);
  if (start == std::string_view::npos) return std::string(text);
  return std::string(text.substr(0, start)) + std::string(text.substr(end));
}

Url parse_url(std::string_view text) {
  auto r = boost::urls::parse_uri(text);
  if (!r)
    throw std::invalid_argument("URL '" + without_userinfo(text) + "': " + r.error().message());
  return from_boost(*r, text);
}

Url resolve_url(const Url& base, std::string_view reference) {
  const std::string base_text = base.str();
  auto b = boost::urls::parse_uri(base_text);
  auto ref = boost::urls::parse_uri_reference(reference);
  if (!b || !ref)
    throw std::invalid_argument("URL reference '" + without_userinfo(reference) + "' is invalid");
  boost::urls::url out;
  auto r = boost::urls::resolve(*b, *ref, out);
  if (!r)
    throw std::invalid_argument("URL reference '" + without_userinfo(reference) +
                                "': " + r.error().message());
  return from_boost(out, out.buffer());
}

}  // namespace cove::net
