#include "runtime/api/common.hpp"

#include <charconv>
#include <chrono>
#include <ctime>
#include <random>

#include "runtime/domain/metadata.hpp"

namespace cove::api {

void bad_request(const std::string& message, const std::string& error_code) {
  throw ApiError(400, "invalid_request_error", message, error_code);
}

void not_found(const std::string& what, const std::string& id, const std::string& error_code) {
  // Ids are echoed only when they look like ids: the path could carry anything.
  std::string shown = id.size() <= 64 ? id : id.substr(0, 64) + "...";
  for (char& c : shown)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '?';
  throw ApiError(404, "not_found_error", what + " " + shown + " not found", error_code);
}

void conflict(const std::string& message, const std::string& error_code) {
  throw ApiError(409, "conflict_error", message, error_code);
}

std::string new_id(std::string_view prefix) {
  static constexpr char kAlphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id(prefix);
  id += '_';
  std::uniform_int_distribution<int> pick(0, 57);
  for (int i = 0; i < 24; ++i)
    id += kAlphabet[pick(rng)];
  return id;
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string rfc3339(int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

std::optional<int64_t> parse_rfc3339(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|±HH:MM)
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    if (pos + len > t.size()) return false;
    auto [p, ec] = std::from_chars(t.data() + pos, t.data() + pos + len, out);
    return ec == std::errc() && p == t.data() + pos + len;
  };
  int y, mo, d, h, mi, s;
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' ||
      (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || t[13] != ':' || t[16] != ':')
    return std::nullopt;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) ||
      !num(17, 2, s))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  std::size_t pos = 19;
  int ms = 0;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < t.size() && std::isdigit(static_cast<unsigned char>(t[pos]))) {
      if (digits < 3) ms = ms * 10 + (t[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i)
      ms *= 10;
  }
  int offset_min = 0;
  if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    int oh, om;
    if (pos + 6 != t.size() || t[pos + 3] != ':' || !num(pos + 1, 2, oh) || !num(pos + 4, 2, om))
      return std::nullopt;
    offset_min = (oh * 60 + om) * (t[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  // Days from civil (Howard Hinnant's algorithm, public domain).
  int yy = y - (mo <= 2);
  int era = (yy >= 0 ? yy : yy - 399) / 400;
  int yoe = yy - era * 400;
  int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = static_cast<int64_t>(era) * 146097 + doe - 719468;
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + s - offset_min * 60;
  return secs * 1000 + ms;
}

json metadata_value(const json& value, const std::string& path) {
  return domain::parse_metadata(value, path);
}

json patch_metadata(const json& current, const json& patch, const std::string& path,
                    bool empty_deletes) {
  auto base = current.is_object() ? current.get<domain::Metadata>() : domain::Metadata{};
  return domain::patch_metadata(std::move(base), patch, path, empty_deletes);
}

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
