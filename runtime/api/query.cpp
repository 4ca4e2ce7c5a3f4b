#include "runtime/api/query.hpp"

#include <cctype>
#include <charconv>

#include "base/clock.hpp"
#include "runtime/api/error.hpp"

namespace cove::api {

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() &&
               std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

Query::Query(std::string_view raw) {
  while (!raw.empty()) {
    auto amp = raw.find('&');
    auto part = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view{} : raw.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string key = percent_decode(part.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : percent_decode(part.substr(eq + 1));
    values_.emplace(std::move(key), std::move(value));
  }
}

std::optional<std::string> Query::get(const std::string& name) const {
  auto [b, e] = values_.equal_range(name);
  if (b == e) return std::nullopt;
  return std::prev(e)->second;
}

std::vector<std::string> Query::all(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& key : {name, name + "[]"}) {
    auto [b, e] = values_.equal_range(key);
    for (auto it = b; it != e; ++it)
      out.push_back(it->second);
  }
  return out;
}

std::optional<bool> Query::boolean(const std::string& name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  bad_request(name + " must be true or false");
}

std::optional<int64_t> Query::integer(const std::string& name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size()) bad_request(name + " must be an integer");
  return out;
}

int Query::limit(int default_limit, int max_limit) const {
  auto v = integer("limit");
  if (!v) return default_limit;
  if (*v < 1 || *v > max_limit)
    bad_request("limit must be between 1 and " + std::to_string(max_limit));
  return static_cast<int>(*v);
}

std::string make_cursor(int64_t position, bool descending) {
  return std::string(descending ? "page_d" : "page_a") + std::to_string(position);
}

int64_t read_cursor(const std::string& cursor, bool descending) {
  if (cursor.size() < 7 || cursor.compare(0, 5, "page_") != 0 ||
      (cursor[5] != 'a' && cursor[5] != 'd'))
    bad_request("page is not a cursor this server issued");
  if ((cursor[5] == 'd') != descending) bad_request("page cursor was issued for another order");
  int64_t pos = 0;
  auto [p, ec] = std::from_chars(cursor.data() + 6, cursor.data() + cursor.size(), pos);
  if (ec != std::errc() || p != cursor.data() + cursor.size() || pos < 0)
    bad_request("page is not a cursor this server issued");
  return pos;
}

TimeRange created_range(const Query& query) {
  TimeRange r;
  auto bound = [&](const char* op) -> std::optional<int64_t> {
    auto name = std::string("created_at[") + op + "]";
    auto v = query.get(name);
    if (!v) return std::nullopt;
    auto ms = parse_rfc3339(*v);
    if (!ms) bad_request(name + " must be an RFC 3339 timestamp");
    return ms;
  };
  if (auto v = bound("gte")) r.min_ms = *v;
  if (auto v = bound("gt")) r.min_ms = *v + 1;
  if (auto v = bound("lte")) r.max_ms = *v;
  if (auto v = bound("lt")) r.max_ms = *v - 1;
  return r;
}

}  // namespace cove::api
