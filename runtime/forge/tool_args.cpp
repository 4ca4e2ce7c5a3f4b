// Argument checks for the forge's MCP tools (see tool_schemas.hpp).
#include <cmath>
#include <limits>
#include <stdexcept>

#include "runtime/forge/tool_schemas.hpp"

namespace cove::forge {

using json = nlohmann::json;

namespace {

std::string json_type(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

bool has_type(const json& v, const std::string& type) {
  if (type == "number") return v.is_number();
  if (type == "integer")
    return v.is_number_integer() || v.is_number_unsigned() ||
           (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  return json_type(v) == type;
}

std::string shown(const json& v) {
  auto s = v.dump();
  if (s.size() > 60) {
    // Shortened in place: GCC 12 misreports substr(...) + "..." here (-Warray-bounds).
    s.resize(57);
    s += "...";
  }
  return s;
}

std::optional<std::string> check(const json& schema, const json& value, const std::string& name) {
  if (schema.contains("anyOf")) {
    std::optional<std::string> first;
    for (const auto& alt : schema["anyOf"]) {
      auto problem = check(alt, value, name);
      if (!problem) return std::nullopt;
      if (!first) first = problem;
    }
    return first;
  }
  if (schema.contains("type")) {
    auto type = schema["type"].get<std::string>();
    if (!has_type(value, type))
      return "parameter " + name + " is not of type " + type + ", is " + json_type(value);
  }
  if (schema.contains("enum")) {
    const auto& options = schema["enum"];
    if (std::find(options.begin(), options.end(), value) == options.end()) {
      std::string list;
      for (const auto& o : options)
        list += (list.empty() ? "" : ", ") + (o.is_string() ? o.get<std::string>() : o.dump());
      return "parameter " + name + " must be one of: " + list + " (got " + shown(value) + ")";
    }
  }
  if (value.is_number()) {
    double d = value.get<double>();
    if (schema.contains("minimum") && d < schema["minimum"].get<double>())
      return "parameter " + name + " must be at least " + schema["minimum"].dump();
    if (schema.contains("maximum") && d > schema["maximum"].get<double>())
      return "parameter " + name + " must be at most " + schema["maximum"].dump();
  }
  if (value.is_string() && schema.contains("minLength") &&
      value.get<std::string>().size() < schema["minLength"].get<std::size_t>())
    return "parameter " + name + " must not be empty";
  if (value.is_array() && schema.contains("items")) {
    for (std::size_t i = 0; i < value.size(); ++i)
      if (auto p = check(schema["items"], value[i], name + "[" + std::to_string(i) + "]")) return p;
  }
  if (value.is_object() && schema.contains("properties")) {
    const auto& props = schema["properties"];
    if (schema.contains("required")) {
      for (const auto& r : schema["required"]) {
        auto key = r.get<std::string>();
        std::string full = name.empty() ? key : name + "." + key;
        if (!value.contains(key) || value[key].is_null())
          return "missing required parameter: " + full;
        // Like GitHub's server, an empty required string counts as missing, except file
        // content (an empty file is a file).
        if (value[key].is_string() && value[key].get<std::string>().empty() && key != "content")
          return "missing required parameter: " + full;
      }
    }
    for (const auto& [key, v] : value.items()) {
      std::string full = name.empty() ? key : name + "." + key;
      if (props.contains(key)) {
        if (v.is_null() && !props[key].contains("anyOf")) continue;  // null: not given
        if (auto p = check(props[key], v, full)) return p;
      } else if (schema.value("additionalProperties", true) == false) {
        return "parameter " + name + " has unknown property '" + key + "'";
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> validate_arguments(const json& schema, const json& arguments) {
  if (!arguments.is_object()) return "arguments must be an object";
  return check(schema, arguments, "");
}

std::string str_arg(const json& args, const std::string& name, const std::string& fallback) {
  auto it = args.find(name);
  if (it == args.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

std::optional<std::string> opt_str_arg(const json& args, const std::string& name) {
  auto it = args.find(name);
  if (it == args.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

int int_arg(const json& args, const std::string& name, int fallback) {
  auto it = args.find(name);
  if (it == args.end() || it->is_null()) return fallback;
  if (!it->is_number())
    throw std::invalid_argument("parameter " + name + " is not of type number, is " +
                                json_type(*it));
  double d = it->get<double>();
  if (!std::isfinite(d) || std::floor(d) != d)
    throw std::invalid_argument("parameter " + name +
                                " is not a valid number: non-integer "
                                "numeric value: " +
                                it->dump());
  if (d < std::numeric_limits<int>::min() || d > std::numeric_limits<int>::max())
    throw std::invalid_argument("parameter " + name + " is not a valid number: out of range");
  return static_cast<int>(d);
}

std::optional<bool> opt_bool_arg(const json& args, const std::string& name) {
  auto it = args.find(name);
  if (it == args.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

std::vector<std::string> list_arg(const json& args, const std::string& name) {
  std::vector<std::string> out;
  auto it = args.find(name);
  if (it == args.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace cove::forge
