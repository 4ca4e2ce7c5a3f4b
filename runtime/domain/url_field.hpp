// URL fields of requests (repository URLs, MCP server URLs): http(s) only, and never with
// credentials in the userinfo, which would be stored and shown with the URL.
#pragma once

#include <string>
#include <string_view>

#include "runtime/domain/fields.hpp"

namespace cove::domain {

// True when the URL has a userinfo part (user[:password]@host).
bool url_has_userinfo(std::string_view url);

// The URL at object[key]; FieldError "<path>.<key> must be an http(s) URL" or "... must not
// contain credentials; <where_the_token_goes>".
std::string require_http_url(const json& object, std::string_view key, const std::string& path,
                             const std::string& where_the_token_goes,
                             std::size_t max_len = 1u << 20);

}  // namespace cove::domain
