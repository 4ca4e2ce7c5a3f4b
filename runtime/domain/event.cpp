#include "runtime/domain/event.hpp"

namespace cove::domain {

void to_json(json& out, const ServerEvent& e) {
  out = e.fields.is_object() ? e.fields : json::object();
  out["id"] = e.id;
  out["type"] = e.type;
  out["processed_at"] = e.processed_at;
}

void from_json(const json& in, ServerEvent& e) {
  require_object(in, "event");
  e.id = require_string(in, "id", "event");
  e.type = require_string(in, "type", "event");
  e.processed_at = optional_string(in, "processed_at", "event").value_or("");
  e.fields = in;
  for (const char* key : {"id", "type", "processed_at"})
    e.fields.erase(key);
}

json server_event(std::string type, std::string id, std::string processed_at, json fields) {
  return ServerEvent{std::move(id), std::move(type), std::move(processed_at), std::move(fields)};
}

json session_error_fields(const std::string& error_type, const std::string& message,
                          const std::string& retry, json extra) {
  extra["type"] = error_type;
  extra["message"] = message;
  extra["retry_status"] = {{"type", retry}};
  return {{"error", std::move(extra)}};
}

std::string repository_error_type(std::string_view kind) {
  return "repository_" + std::string(kind) + "_error";
}

json idle_fields(json stop_reason) {
  return {{"stop_reason", std::move(stop_reason)}, {"stop_details", nullptr}};
}

}  // namespace cove::domain
