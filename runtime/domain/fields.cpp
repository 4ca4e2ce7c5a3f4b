#include "runtime/domain/fields.hpp"

namespace cove::domain {

const char* type_name(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return v.is_object() ? "an object" : "a number";
}

std::string join_path(const std::string& base, std::string_view key) {
  return base.empty() ? std::string(key) : base + "." + std::string(key);
}

std::string index_path(const std::string& base, std::size_t index) {
  return base + "[" + std::to_string(index) + "]";
}

const json& require_object(const json& value, const std::string& path) {
  if (!value.is_object())
    invalid(path.empty() ? "request body" : path,
            std::string("must be an object, got ") + type_name(value));
  return value;
}

const json* member(const json& object, std::string_view key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const json& member_or_null(const json& object, std::string_view key) {
  static const json null_value = nullptr;
  const json* v = member(object, key);
  return v ? *v : null_value;
}

std::string require_string(const json& object, std::string_view key, const std::string& path,
                           std::size_t min_len, std::size_t max_len) {
  auto field = join_path(path, key);
  const json* v = member(object, key);
  if (!v || v->is_null()) invalid(field, "is required");
  if (!v->is_string()) invalid(field, std::string("must be a string, got ") + type_name(*v));
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() < min_len)
    invalid(field, min_len == 1 ? "must not be empty"
                                : "must be at least " + std::to_string(min_len) + " characters");
  if (s.size() > max_len)
    invalid(field, "must be at most " + std::to_string(max_len) + " characters");
  return s;
}

std::optional<std::string> optional_string(const json& object, std::string_view key,
                                           const std::string& path, std::size_t max_len) {
  const json* v = member(object, key);
  if (!v || v->is_null()) return std::nullopt;
  auto field = join_path(path, key);
  if (!v->is_string()) invalid(field, std::string("must be a string, got ") + type_name(*v));
  if (v->get_ref<const std::string&>().size() > max_len)
    invalid(field, "must be at most " + std::to_string(max_len) + " characters");
  return v->get<std::string>();
}

std::optional<bool> optional_bool(const json& object, std::string_view key,
                                  const std::string& path) {
  const json* v = member(object, key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_boolean())
    invalid(join_path(path, key), std::string("must be a boolean, got ") + type_name(*v));
  return v->get<bool>();
}

std::vector<std::string> string_list(const json& value, const std::string& path) {
  if (value.is_null()) return {};
  if (!value.is_array()) invalid(path, "must be an array");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) invalid(index_path(path, i), "must be a string");
    out.push_back(value[i].get<std::string>());
  }
  return out;
}

json or_null(const std::optional<std::string>& value) {
  return value ? json(*value) : json(nullptr);
}

}  // namespace cove::domain
