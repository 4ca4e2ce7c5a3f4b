#include "runtime/sessions/stored_objects.hpp"

#include <stdexcept>

#include "runtime/domain/vault_credential.hpp"

namespace cove::sessions {

namespace {

// The object's body as T; a body that does not parse names the object and the field.
template <class T>
T parse(const store::Object& object) {
  try {
    return object.body.get<T>();
  } catch (const std::exception& e) {
    throw std::runtime_error("the stored " + object.kind + " " + object.id +
                             " does not parse: " + e.what());
  }
}

std::vector<store::Object> children(store::Store& store, const std::string& kind,
                                    const std::string& parent, bool include_archived) {
  store::ObjectQuery q;
  q.kind = kind;
  q.parent = parent;
  q.include_archived = include_archived;
  q.limit = 1000;
  return store.list(q, nullptr);
}

}  // namespace

domain::Session read_session(const store::Object& session) {
  return parse<domain::Session>(session);
}

std::vector<domain::Resource> read_resources(store::Store& store, const std::string& session_id) {
  std::vector<domain::Resource> resources;
  for (const auto& r : children(store, "resource", session_id, true))
    resources.push_back(parse<domain::Resource>(r));
  return resources;
}

domain::EnvironmentConfig read_environment_config(store::Store& store,
                                                  const std::string& environment_id) {
  auto environment = store.get(environment_id);
  if (!environment) return domain::parse_environment_config(nullptr);
  try {
    return domain::parse_environment_config(domain::member(environment->body, "config"));
  } catch (const std::exception& e) {
    throw std::runtime_error("the stored environment " + environment_id +
                             " does not parse: " + e.what());
  }
}

std::string mcp_token(store::Store& store, const std::vector<std::string>& vault_ids,
                      const std::string& mcp_server_url) {
  for (const auto& vault_id : vault_ids)
    for (const auto& object : children(store, "credential", vault_id, false))
      if (parse<domain::VaultCredential>(object).bears_token_for(mcp_server_url))
        if (auto secret = store.secret(object.id)) return *secret;
  return "";
}

}  // namespace cove::sessions
