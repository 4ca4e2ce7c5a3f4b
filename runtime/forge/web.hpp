// The forge's read-only web pages, rendered on the server as plain HTML (every value
// escaped): the repository list, a repository (files of a branch), directories, files, raw
// files, commits, pull requests (list, page, .diff) and issues. Access checks happen before.
#pragma once

#include <string>
#include <string_view>

#include "net/http_server.hpp"
#include "runtime/forge/forge_home.hpp"

namespace cove::forge {

// "/" : the public repositories.
net::ServerResponse web_index(ForgeHome& home, const std::string& base);
// A page below a repository: `rest` is "" or "/tree/…", "/blob/…", "/raw/…", "/commit/SHA",
// "/pulls", "/pull/N", "/pull/N.diff", "/issues", "/issues/N". 404 page when unknown.
net::ServerResponse web_page(ForgeHome& home, const std::string& base, const RepoRow& repo,
                             const std::string& rest, const std::string& query);

// Text made safe for HTML element content and attribute values.
std::string html_escape(std::string_view text);
// A unified diff as HTML: one <span> per line, classed add / del / hunk / meta.
std::string diff_to_html(std::string_view diff);

}  // namespace cove::forge
