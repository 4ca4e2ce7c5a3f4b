#include "runtime/domain/url_field.hpp"

namespace cove::domain {

// The same reading as net::has_userinfo (the domain sits below net's users and takes no
// dependency on it): an '@' in the authority, between "://" and the first / ? or #.
bool url_has_userinfo(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return false;
  auto start = sep + 3;
  auto end = url.find_first_of("/?#", start);
  auto authority = url.substr(start, end == std::string_view::npos ? end : end - start);
  return authority.find('@') != std::string_view::npos;
}

std::string require_http_url(const json& object, std::string_view key, const std::string& path,
                             const std::string& where_the_token_goes, std::size_t max_len) {
  auto url = require_string(object, key, path, 1, max_len);
  auto field = join_path(path, key);
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
    invalid(field, "must be an http(s) URL");
  if (url_has_userinfo(url))
    invalid(field, "must not contain credentials; " + where_the_token_goes);
  return url;
}

}  // namespace cove::domain
