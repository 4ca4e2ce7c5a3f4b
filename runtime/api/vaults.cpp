// /v1/vaults and their credentials. Credential secrets (static bearer tokens, environment
// variable values) go to the secrets table; responses describe a credential, never its value.
#include "runtime/api/routes.hpp"
#include "runtime/domain/vault_credential.hpp"

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
  domain::VaultCredential cred;
  std::optional<std::string> secret;
  cred.auth = domain::parse_credential_auth(*auth, nullptr, &secret);
  int64_t now = now_ms();
  std::string id = cred.id = new_id("vcrd");
  cred.vault_id = vault.id;
  cred.display_name = optional_string(c.body, "display_name", "", 256);
  cred.metadata = domain::parse_metadata(domain::member_or_null(c.body, "metadata"), "metadata");
  cred.created_at = cred.updated_at = rfc3339(now);
  store::WriteBatch b;
  b.expect(vault.id, true);
  b.put(store::Object{"credential", id, vault.id, "", false, now, 0, json(cred)});
  b.put_secret(id, *secret);
  check_commit(s.log.commit(std::move(b)), "vault", vault.id);
  return {200, json(cred), nullptr};
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
  auto typed = cred.body.get<domain::VaultCredential>();
  std::optional<std::string> secret;
  if (const json* auth = member(c.body, "auth"); auth && !auth->is_null())
    typed.auth = domain::parse_credential_auth(*auth, &typed.auth, &secret);
  if (member(c.body, "display_name"))
    typed.display_name = optional_string(c.body, "display_name", "", 256);
  if (const json* m = member(c.body, "metadata"))
    typed.metadata = domain::patch_metadata(typed.metadata, *m, "metadata");
  typed.updated_at = rfc3339(now_ms());
  cred.body = typed;
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
