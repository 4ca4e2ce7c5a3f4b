#include "runtime/domain/user_event.hpp"

#include <set>

#include "runtime/domain/event_types.hpp"

namespace cove::domain {

namespace {

void check_content(const json& params, const std::string& path, bool required) {
  auto cpath = join_path(path, "content");
  const json& content = member_or_null(params, "content");
  if (content.is_null()) {
    if (required) invalid(cpath, "is required");
    return;
  }
  if (!content.is_array()) invalid(cpath, "must be an array");
  if (required && content.empty()) invalid(cpath, "must not be empty");
  static const std::set<std::string> kinds = {"text", "image", "document", "search_result",
                                              "redacted"};
  for (std::size_t i = 0; i < content.size(); ++i) {
    auto bpath = index_path(cpath, i);
    const json& block = require_object(content[i], bpath);
    auto type = require_string(block, "type", bpath);
    if (!kinds.count(type))
      invalid(bpath + ".type", "must be text, image, document, search_result or redacted");
    if (type == "text") require_string(block, "text", bpath, 0);
    if ((type == "image" || type == "document") && !member_or_null(block, "source").is_object())
      invalid(bpath + ".source", "must be an object");
  }
}

void check_confirmation(const json& params, const std::string& path) {
  require_string(params, "tool_use_id", path);
  auto result = require_string(params, "result", path);
  if (result != "allow" && result != "deny")
    invalid(join_path(path, "result"), "must be allow or deny");
  if (optional_string(params, "deny_message", path) && result != "deny")
    invalid(join_path(path, "deny_message"), "is only allowed with result deny");
}

void check_outcome(json& e, const std::string& path) {
  require_string(e, "description", path);
  if (!member_or_null(e, "rubric").is_object())
    invalid(join_path(path, "rubric"), "must be an object");
  const json& mi = member_or_null(e, "max_iterations");
  if (!mi.is_null() && (!mi.is_number_integer() || mi < 1 || mi > 20))
    invalid(join_path(path, "max_iterations"), "must be an integer from 1 to 20");
  e["max_iterations"] = mi.is_null() ? json(3) : json(mi);
}

}  // namespace

UserEvent parse_user_event(const json& params, const std::string& path) {
  namespace t = event_type;
  require_object(params, path);
  UserEvent e{require_string(params, "type", path), params};
  if (e.type == t::kUserMessage || e.type == t::kSystemMessage) {
    check_content(params, path, true);
  } else if (e.type == t::kUserInterrupt) {
    optional_string(params, "session_thread_id", path);
  } else if (e.type == t::kUserToolConfirmation) {
    check_confirmation(params, path);
  } else if (e.type == t::kUserCustomToolResult || e.type == t::kUserToolResult) {
    require_string(params, e.type == t::kUserToolResult ? "tool_use_id" : "custom_tool_use_id",
                   path);
    check_content(params, path, false);
    optional_bool(params, "is_error", path);
  } else if (e.type == t::kUserDefineOutcome) {
    check_outcome(e.body, path);
  } else {
    invalid(join_path(path, "type"),
            "must be user.message, user.interrupt, user.tool_confirmation, "
            "user.custom_tool_result, user.tool_result, user.define_outcome or system.message");
  }
  return e;
}

void to_json(json& out, const UserEvent& e) {
  out = e.body;
  out["type"] = e.type;
}

void from_json(const json& in, UserEvent& e) {
  e = parse_user_event(in, "event");
}

}  // namespace cove::domain
