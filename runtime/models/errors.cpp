// Model server failures → ModelError (see errors.hpp).
#include "runtime/models/errors.hpp"

#include <time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace cove::models {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

// A non-negative decimal number ("12", "1.5"); nullopt for anything else.
std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  if (text.empty() || text.size() > 32) return std::nullopt;
  for (char c : text)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return std::nullopt;
  std::string copy(text);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// An HTTP date in any of the three forms RFC 9110 allows.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  std::string copy(trim(text));
  static constexpr std::array formats = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                         "%a %b %e %H:%M:%S %Y"};
  for (const char* format : formats) {
    struct tm tm {};
    const char* end = ::strptime(copy.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    time_t t = ::timegm(&tm);
    if (t == static_cast<time_t>(-1)) continue;
    return std::chrono::system_clock::from_time_t(t);
  }
  return std::nullopt;
}

std::chrono::milliseconds to_ms(double ms) {
  constexpr double max_ms = 7.0 * 24 * 3600 * 1000;  // a week: anything longer is nonsense
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(std::min(ms, max_ms))));
}

struct BodyError {
  std::string type;
  std::string message;
};

std::string json_text(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// The error type and message of a response body, whatever its dialect.
BodyError read_body_error(std::string_view body) {
  BodyError out;
  json doc = json::parse(body, nullptr, false);
  if (doc.is_object()) {
    const json* error = doc.contains("error") ? &doc["error"] : nullptr;
    if (error && error->is_object()) {
      if (error->contains("type") && (*error)["type"].is_string())
        out.type = (*error)["type"].get<std::string>();
      else if (error->contains("code") && !(*error)["code"].is_null())
        out.type = json_text((*error)["code"]);
      if (error->contains("message")) out.message = json_text((*error)["message"]);
    } else if (error && error->is_string()) {
      out.message = error->get<std::string>();
    }
    if (out.message.empty() && doc.contains("message")) out.message = json_text(doc["message"]);
    if (out.message.empty() && doc.contains("detail")) out.message = json_text(doc["detail"]);
    if (out.type.empty() && doc.contains("type") && doc["type"].is_string() &&
        doc["type"] != "error")
      out.type = doc["type"].get<std::string>();
  }
  if (out.message.empty()) {
    auto text = trim(body);
    out.message = text.empty() ? "(empty body)" : std::string(text.substr(0, 300));
    if (text.size() > 300) out.message += "…";
  }
  return out;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(
    const net::Headers& headers, std::chrono::system_clock::time_point now) {
  if (auto ms = net::find_header(headers, "retry-after-ms")) {
    if (auto v = parse_number(*ms)) return to_ms(*v);
  }
  auto value = net::find_header(headers, "retry-after");
  if (!value) return std::nullopt;
  if (auto seconds = parse_number(*value)) return to_ms(*seconds * 1000);
  if (auto when = parse_http_date(*value)) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*when - now);
    return std::max(wait, std::chrono::milliseconds(0));
  }
  return std::nullopt;
}

ModelErrorKind kind_for_status(int status) {
  if (status == 529) return ModelErrorKind::overloaded;
  if (status == 429) return ModelErrorKind::rate_limited;
  if (status >= 400 && status < 500) return ModelErrorKind::request_failed;
  return ModelErrorKind::server;
}

std::optional<ModelErrorKind> kind_for_error_type(std::string_view type) {
  if (!type.empty() && type.size() <= 3 &&
      std::all_of(type.begin(), type.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return kind_for_status(std::atoi(std::string(type).c_str()));  // a numeric code: a status
  if (type == "overloaded_error" || type == "overloaded") return ModelErrorKind::overloaded;
  if (type == "rate_limit_error" || type == "rate_limit_exceeded")
    return ModelErrorKind::rate_limited;
  if (type == "api_error" || type == "server_error" || type == "internal_server_error" ||
      type == "timeout_error")
    return ModelErrorKind::server;
  if (type == "invalid_request_error" || type == "authentication_error" ||
      type == "permission_error" || type == "not_found_error" || type == "request_too_large" ||
      type == "billing_error" || type == "invalid_api_key" || type == "model_not_found" ||
      type == "context_length_exceeded")
    return ModelErrorKind::request_failed;
  return std::nullopt;
}

std::string_view kind_name(ModelErrorKind kind) {
  switch (kind) {
    case ModelErrorKind::overloaded:
      return "overloaded";
    case ModelErrorKind::rate_limited:
      return "rate_limited";
    case ModelErrorKind::server:
      return "server";
    case ModelErrorKind::network:
      return "network";
    case ModelErrorKind::request_failed:
      return "request_failed";
    case ModelErrorKind::interrupted:
      return "interrupted";
  }
  return "server";
}

std::optional<ModelErrorKind> kind_from_name(std::string_view name) {
  for (auto kind :
       {ModelErrorKind::overloaded, ModelErrorKind::rate_limited, ModelErrorKind::server,
        ModelErrorKind::network, ModelErrorKind::request_failed, ModelErrorKind::interrupted})
    if (kind_name(kind) == name) return kind;
  return std::nullopt;
}

std::string redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
    text.replace(at, secret.size(), "[redacted]");
  return text;
}

ModelError error_for_status(std::string_view provider, int status, const net::Headers& headers,
                            std::string_view body, std::string_view secret) {
  auto error = read_body_error(body);
  auto kind = kind_for_status(status);
  if (error.type == "overloaded_error") kind = ModelErrorKind::overloaded;
  std::string message =
      std::string(provider) + " model request failed: HTTP " + std::to_string(status);
  if (!error.type.empty()) message += " " + error.type;
  message += ": " + error.message;
  if (auto id = net::find_header(headers, "request-id"))
    message += " (request-id " + std::string(*id) + ")";
  return ModelError(kind, redact(std::move(message), secret), status, parse_retry_after(headers));
}

ModelError error_for_stream_error(std::string_view provider, const json& error,
                                  std::string_view secret) {
  std::string type, message;
  if (error.is_object()) {
    if (error.contains("type") && error["type"].is_string()) type = error["type"];
    if (type.empty() && error.contains("code") && !error["code"].is_null())
      type = json_text(error["code"]);
    if (error.contains("message")) message = json_text(error["message"]);
  } else if (!error.is_null()) {
    message = json_text(error);
  }
  if (message.empty()) message = "(no message)";
  auto kind = kind_for_error_type(type).value_or(ModelErrorKind::server);
  std::string text = std::string(provider) + " model stream reported an error";
  if (!type.empty()) text += " " + type;
  text += ": " + message;
  return ModelError(kind, redact(std::move(text), secret));
}

}  // namespace cove::models
