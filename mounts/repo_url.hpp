// Repository URLs as the cache sees them: normalised for keys, stripped of credentials.
#pragma once

#include <string>

namespace cove::mounts {

// The URL without user:password, with a lower-case scheme and host, no trailing '/'.
// Local paths become file:// URLs.
std::string clean_url(const std::string& url);

// The identity of a repository: clean_url without a trailing ".git".
std::string normalise_url(const std::string& url);

// A stable directory name for the repository: hex sha256 prefix of normalise_url.
std::string repo_key(const std::string& url);

// The text with the userinfo ("user:token@") of every "scheme://" URL in it removed: for
// messages, which must never quote a credential.
std::string without_userinfo(std::string text);

// The host part of a URL ("" for file:// and paths).
std::string url_host(const std::string& url);

}  // namespace cove::mounts
