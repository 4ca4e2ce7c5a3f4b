#include "runtime/api/session_types.hpp"

#include <algorithm>
#include <set>

#include "net/url.hpp"

namespace cove::api {

namespace {

std::string repo_name(const std::string& url) {
  std::string u = url;
  while (!u.empty() && u.back() == '/')
    u.pop_back();
  auto slash = u.rfind('/');
  std::string name = slash == std::string::npos ? u : u.substr(slash + 1);
  if (name.size() > 4 && name.compare(name.size() - 4, 4, ".git") == 0)
    name.resize(name.size() - 4);
  return name.empty() || name == "." || name == ".." ? "repo" : name;
}

// Repositories are mounted below /workspace; files also below /mnt/session (the default for
// uploads). Anything else would cover a directory of the sandbox's own system.
std::string mount_path(const json& params, const std::string& path, const std::string& fallback,
                       std::initializer_list<std::string_view> roots) {
  // The fallback, made of a name from the URL, is checked like a given path.
  auto m = optional_string(params, "mount_path", path, 4096);
  if (!m) m = fallback;
  auto field = join_path(path, "mount_path");
  if (m->empty() || m->front() != '/') bad_request(field + " must be absolute");
  for (unsigned char ch : *m)
    if (ch < 0x20 || ch == 0x7f) bad_request(field + " must not contain control characters");
  if (m->size() > 1 && m->back() == '/') bad_request(field + " must not end with /");
  for (std::size_t start = 1; m->size() > 1 && start <= m->size();) {
    auto end = std::min(m->find('/', start), m->size());
    auto segment = std::string_view(*m).substr(start, end - start);
    if (segment.empty()) bad_request(field + " must not contain //");
    if (segment == "." || segment == "..") bad_request(field + " must not contain . or ..");
    start = end + 1;
  }
  for (auto root : roots)
    if (m->size() > root.size() && m->starts_with(root)) return *m;
  std::string allowed;
  for (auto root : roots)
    allowed += std::string(allowed.empty() ? "" : " or ") + std::string(root);
  bad_request(field + " must be below " + allowed);
}

// A token in the URL's userinfo would be stored and shown with the URL.
std::string repository_url(const json& params, const std::string& path) {
  auto field = join_path(path, "url");
  auto url = require_string(params, "url", path, 1, 4096);
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
    bad_request(field + " must be an http(s) URL");
  if (net::has_userinfo(url))
    bad_request(field + " must not contain credentials; pass the token as authorization_token");
  return url;
}

void check_content(const json& params, const std::string& path, bool required) {
  const json* content = member(params, "content");
  if (!content || content->is_null()) {
    if (required) bad_request(join_path(path, "content") + " is required");
    return;
  }
  auto cpath = join_path(path, "content");
  if (!content->is_array()) bad_request(cpath + " must be an array");
  if (required && content->empty()) bad_request(cpath + " must not be empty");
  static const std::set<std::string> kinds = {"text", "image", "document", "search_result",
                                              "redacted"};
  for (std::size_t i = 0; i < content->size(); ++i) {
    auto bpath = index_path(cpath, i);
    const json& block = require_object((*content)[i], bpath);
    auto type = require_string(block, "type", bpath);
    if (!kinds.count(type))
      bad_request(bpath + ".type must be text, image, document, search_result or redacted");
    if (type == "text") require_string(block, "text", bpath, 0);
    if ((type == "image" || type == "document")) {
      const json* src = member(block, "source");
      if (!src || !src->is_object()) bad_request(bpath + ".source must be an object");
    }
  }
}

}  // namespace

json resource_from_params(const json& params, const std::string& path, const std::string& id,
                          int64_t now, std::optional<std::string>* token) {
  require_object(params, path);
  auto type = require_string(params, "type", path);
  json r = {{"id", id}, {"type", type}};
  if (type == "github_repository") {
    auto url = repository_url(params, path);
    r["url"] = url;
    r["mount_path"] = mount_path(params, path, "/workspace/" + repo_name(url), {"/workspace/"});
    const json* checkout = member(params, "checkout");
    if (checkout && !checkout->is_null()) {
      auto cpath = join_path(path, "checkout");
      require_object(*checkout, cpath);
      auto ctype = require_string(*checkout, "type", cpath);
      if (ctype == "branch")
        r["checkout"] = {{"type", "branch"}, {"name", require_string(*checkout, "name", cpath)}};
      else if (ctype == "commit")
        r["checkout"] = {{"type", "commit"}, {"sha", require_string(*checkout, "sha", cpath)}};
      else
        bad_request(cpath + ".type must be branch or commit");
    } else {
      r["checkout"] = nullptr;
    }
    *token = optional_string(params, "authorization_token", path, 8192);
  } else if (type == "file") {
    auto file_id = require_string(params, "file_id", path);
    r["file_id"] = file_id;
    r["mount_path"] = mount_path(params, path, "/mnt/session/uploads/" + file_id,
                                 {"/workspace/", "/mnt/session/"});
  } else if (type == "memory_store") {
    bad_request(join_path(path, "type") + " memory_store is not supported by this server");
  } else {
    bad_request(join_path(path, "type") + " must be github_repository or file");
  }
  r["created_at"] = r["updated_at"] = rfc3339(now);
  return r;
}

json session_view(Services& s, const store::Object& session) {
  json view = session.body;
  store::ObjectQuery q;
  q.kind = "resource";
  q.parent = session.id;
  q.limit = 1000;
  json resources = json::array();
  for (auto& r : s.store.list(q, nullptr))
    resources.push_back(std::move(r.body));
  view["resources"] = std::move(resources);
  return view;
}

json event_from_params(const json& params, const std::string& path) {
  require_object(params, path);
  auto type = require_string(params, "type", path);
  json e = params;
  if (type == "user.message") {
    check_content(params, path, true);
  } else if (type == "user.interrupt") {
    optional_string(params, "session_thread_id", path);
  } else if (type == "user.tool_confirmation") {
    require_string(params, "tool_use_id", path);
    auto result = require_string(params, "result", path);
    if (result != "allow" && result != "deny")
      bad_request(join_path(path, "result") + " must be allow or deny");
    if (optional_string(params, "deny_message", path) && result != "deny")
      bad_request(join_path(path, "deny_message") + " is only allowed with result deny");
  } else if (type == "user.custom_tool_result") {
    require_string(params, "custom_tool_use_id", path);
    check_content(params, path, false);
    optional_bool(params, "is_error", path);
  } else if (type == "user.tool_result") {
    require_string(params, "tool_use_id", path);
    check_content(params, path, false);
    optional_bool(params, "is_error", path);
  } else if (type == "user.define_outcome") {
    require_string(params, "description", path);
    const json* rubric = member(params, "rubric");
    if (!rubric || !rubric->is_object())
      bad_request(join_path(path, "rubric") + " must be an object");
    const json* mi = member(params, "max_iterations");
    if (mi && !mi->is_null() && (!mi->is_number_integer() || *mi < 1 || *mi > 20))
      bad_request(join_path(path, "max_iterations") + " must be an integer from 1 to 20");
    e["max_iterations"] = mi && !mi->is_null() ? *mi : json(3);
    e["outcome_id"] = new_id("outc");
  } else if (type == "system.message") {
    check_content(params, path, true);
  } else {
    bad_request(join_path(path, "type") +
                " must be user.message, user.interrupt, user.tool_confirmation, "
                "user.custom_tool_result, user.tool_result, user.define_outcome or system.message");
  }
  e["id"] = new_id("sevt");
  e["processed_at"] = nullptr;
  return e;
}

std::vector<std::string> append_user_events(store::WriteBatch& batch, const std::string& session_id,
                                            const std::vector<json>& events, int64_t now) {
  std::vector<std::string> ids;
  for (const auto& e : events) {
    std::string id = e["id"];
    batch.append_event(session_id, id, e["type"], now, e);
    ids.push_back(std::move(id));
  }
  return ids;
}

}  // namespace cove::api
