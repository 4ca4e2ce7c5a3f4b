// /v1/vaults and their credentials. Credential secrets (static bearer tokens, environment
// variable values) go to the secrets table; responses describe a credential, never its value.
#include "runtime/api/routes.hpp"

namespace cove::api {

namespace {

const json kNull = nullptr;

Reply page_of(Services& s, Call& c, const std::string& kind, const std::string& parent) {
  store::ObjectQuery q;
  q.kind = kind;
  q.parent = parent;
  q.include_archived = c.query.boolean("include_archived").value_or(false);
  q.limit = c.query.limit(20, 1000);
  return forward_page(s, c, std::move(q));
}

Reply create_vault(Services& s, Call& c) {
  auto name = require_string(c.body, "display_name", "", 1, 256);
  int64_t now = now_ms();
  std::string id = new_id("vlt");
  const json* md = member(c.body, "metadata");
  json v = {{"type", "vault"},
            {"id", id},
            {"display_name", name},
            {"metadata", metadata_value(md ? *md : kNull, "metadata")}};
  v["created_at"] = v["updated_at"] = rfc3339(now);
  v["archived_at"] = nullptr;
  store::WriteBatch b;
  b.put(store::Object{"vault", id, "", "", false, now, 0, v});
  check_commit(s.log.commit(std::move(b)), "vault", id);
  return {200, v, nullptr};
}

Reply get_vault(Services& s, Call& c) {
  return {200, load(s, "vault", c.params[0], "vault", "vault_not_found").body, nullptr};
}

Reply update_vault(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto v = load(s, "vault", c.params[0], "vault", "vault_not_found");
  if (v.archived) bad_request("vault " + v.id + " is archived", "vault_archived");
  if (member(c.body, "display_name") && !c.body["display_name"].is_null())
    v.body["display_name"] = require_string(c.body, "display_name", "", 1, 256);
  if (const json* m = member(c.body, "metadata"))
    v.body["metadata"] = patch_metadata(v.body["metadata"], *m, "metadata");
  v.body["updated_at"] = rfc3339(now_ms());
  store::WriteBatch b;
  b.put(v);
  check_commit(s.log.commit(std::move(b)), "vault", v.id);
  return {200, v.body, nullptr};
}

Reply archive_object(Services& s, store::Object o, const std::string& what) {
  if (o.archived) return {200, o.body, nullptr};
  auto now = rfc3339(now_ms());
  o.body["archived_at"] = o.body["updated_at"] = now;
  o.archived = true;
  store::WriteBatch b;
  b.put(o);
  check_commit(s.log.commit(std::move(b)), what, o.id);
  return {200, o.body, nullptr};
}

Reply archive_vault(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  return archive_object(s, load(s, "vault", c.params[0], "vault", "vault_not_found"), "vault");
}

Reply delete_vault(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto v = load(s, "vault", c.params[0], "vault", "vault_not_found");
  store::WriteBatch b;
  b.remove(v.id);
  check_commit(s.log.commit(std::move(b)), "vault", v.id);
  return {200, {{"id", v.id}, {"type", "vault_deleted"}}, nullptr};
}

json networking(const json* v, const std::string& path) {
  if (!v || v->is_null()) return {{"type", "unrestricted"}};
  require_object(*v, path);
  auto type = require_string(*v, "type", path);
  if (type == "unrestricted") return {{"type", type}};
  if (type != "limited") bad_request(path + ".type must be unrestricted or limited");
  const json* hosts = member(*v, "allowed_hosts");
  if (!hosts || !hosts->is_array()) bad_request(path + ".allowed_hosts must be an array");
  for (std::size_t i = 0; i < hosts->size(); ++i)
    if (!(*hosts)[i].is_string())
      bad_request(index_path(path + ".allowed_hosts", i) + " must be a string");
  return {{"type", type}, {"allowed_hosts", *hosts}};
}

// The response form of `auth` and the secret it carries.
json resolve_auth(const json& auth, const json& current, std::optional<std::string>* secret) {
  require_object(auth, "auth");
  auto type = require_string(auth, "type", "auth");
  bool update = !current.is_null();
  if (update && current["type"] != type) bad_request("auth.type cannot change");
  if (type == "static_bearer") {
    json out = update ? current
                      : json{{"type", type},
                             {"mcp_server_url", require_string(auth, "mcp_server_url", "auth")}};
    if (update)
      *secret = optional_string(auth, "token", "auth", 16384);
    else
      *secret = require_string(auth, "token", "auth", 1, 16384);
    return out;
  }
  if (type == "environment_variable") {
    json out = update ? current : json{{"type", type}};
    if (!update) out["secret_name"] = require_string(auth, "secret_name", "auth", 1, 256);
    if (!update || member(auth, "networking"))
      out["networking"] = networking(member(auth, "networking"), "auth.networking");
    json loc = update ? current["injection_location"] : json{{"body", false}, {"header", true}};
    if (const json* l = member(auth, "injection_location"); l && !l->is_null()) {
      require_object(*l, "auth.injection_location");
      if (auto b = optional_bool(*l, "body", "auth.injection_location")) loc["body"] = *b;
      if (auto h = optional_bool(*l, "header", "auth.injection_location")) loc["header"] = *h;
    }
    out["injection_location"] = loc;
    if (update)
      *secret = optional_string(auth, "secret_value", "auth", 65536);
    else
      *secret = require_string(auth, "secret_value", "auth", 1, 65536);
    return out;
  }
  bad_request(
      "auth.type must be static_bearer or environment_variable (mcp_oauth is not supported yet)");
}

store::Object load_credential(Services& s, const std::string& vault_id, const std::string& id) {
  auto o = s.store.get(id);
  if (!o || o->kind != "credential" || o->parent != vault_id)
    not_found("credential", id, "credential_not_found");
  return std::move(*o);
}

Reply create_credential(Services& s, Call& c) {
  auto vault = load(s, "vault", c.params[0], "vault", "vault_not_found");
  if (vault.archived) bad_request("vault " + vault.id + " is archived", "vault_archived");
  const json* auth = member(c.body, "auth");
  if (!auth || auth->is_null()) bad_request("auth is required");
  std::optional<std::string> secret;
  json resolved = resolve_auth(*auth, kNull, &secret);
  int64_t now = now_ms();
  std::string id = new_id("vcrd");
  const json* md = member(c.body, "metadata");
  auto display = optional_string(c.body, "display_name", "", 256);
  json cred = {{"type", "vault_credential"},
               {"id", id},
               {"vault_id", vault.id},
               {"auth", resolved},
               {"display_name", display ? json(*display) : kNull},
               {"metadata", metadata_value(md ? *md : kNull, "metadata")}};
  cred["created_at"] = cred["updated_at"] = rfc3339(now);
  cred["archived_at"] = nullptr;
  store::WriteBatch b;
  b.expect(vault.id, true);
  b.put(store::Object{"credential", id, vault.id, "", false, now, 0, cred});
  b.put_secret(id, *secret);
  check_commit(s.log.commit(std::move(b)), "vault", vault.id);
  return {200, cred, nullptr};
}

Reply list_credentials(Services& s, Call& c) {
  auto vault = load(s, "vault", c.params[0], "vault", "vault_not_found");
  return page_of(s, c, "credential", vault.id);
}

Reply get_credential(Services& s, Call& c) {
  return {200, load_credential(s, c.params[0], c.params[1]).body, nullptr};
}

Reply update_credential(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto cred = load_credential(s, c.params[0], c.params[1]);
  if (cred.archived) bad_request("credential " + cred.id + " is archived", "credential_archived");
  std::optional<std::string> secret;
  if (const json* auth = member(c.body, "auth"); auth && !auth->is_null())
    cred.body["auth"] = resolve_auth(*auth, cred.body["auth"], &secret);
  if (member(c.body, "display_name")) {
    auto d = optional_string(c.body, "display_name", "", 256);
    cred.body["display_name"] = d ? json(*d) : kNull;
  }
  if (const json* m = member(c.body, "metadata"))
    cred.body["metadata"] = patch_metadata(cred.body["metadata"], *m, "metadata");
  cred.body["updated_at"] = rfc3339(now_ms());
  store::WriteBatch b;
  b.put(cred);
  if (secret) b.put_secret(cred.id, *secret);
  check_commit(s.log.commit(std::move(b)), "credential", cred.id);
  return {200, cred.body, nullptr};
}

Reply archive_credential(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  return archive_object(s, load_credential(s, c.params[0], c.params[1]), "credential");
}

Reply delete_credential(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto cred = load_credential(s, c.params[0], c.params[1]);
  store::WriteBatch b;
  b.remove(cred.id);
  check_commit(s.log.commit(std::move(b)), "credential", cred.id);
  return {200, {{"id", cred.id}, {"type", "vault_credential_deleted"}}, nullptr};
}

Reply list_vaults(Services& s, Call& c) {
  return page_of(s, c, "vault", "");
}

}  // namespace

void add_vault_routes(std::vector<Route>& routes) {
  routes.push_back({"POST", "/v1/vaults", create_vault});
  routes.push_back({"GET", "/v1/vaults", list_vaults});
  routes.push_back({"GET", "/v1/vaults/{}", get_vault});
  routes.push_back({"POST", "/v1/vaults/{}", update_vault});
  routes.push_back({"DELETE", "/v1/vaults/{}", delete_vault});
  routes.push_back({"POST", "/v1/vaults/{}/archive", archive_vault});
  routes.push_back({"POST", "/v1/vaults/{}/credentials", create_credential});
  routes.push_back({"GET", "/v1/vaults/{}/credentials", list_credentials});
  routes.push_back({"GET", "/v1/vaults/{}/credentials/{}", get_credential});
  routes.push_back({"POST", "/v1/vaults/{}/credentials/{}", update_credential});
  routes.push_back({"DELETE", "/v1/vaults/{}/credentials/{}", delete_credential});
  routes.push_back({"POST", "/v1/vaults/{}/credentials/{}/archive", archive_credential});
}

}  // namespace cove::api
