#include "runtime/store/sqlite.hpp"

#include <sqlite3.h>

namespace cove::store {

namespace {

[[noreturn]] void fail(sqlite3* db, int code, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw SqliteError(code, message);
}

}  // namespace

bool SqliteError::is_constraint() const {
  return (code_ & 0xff) == SQLITE_CONSTRAINT;
}

Statement::~Statement() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Statement& Statement::bind(int index, std::string_view text) {
  int rc =
      sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), rc, "sqlite3_bind_text");
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), rc, "sqlite3_bind_int64");
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  int rc = sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                             SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), rc, "sqlite3_bind_blob");
  return *this;
}

Statement& Statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), rc, "sqlite3_bind_null");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(sqlite3_db_handle(stmt_), rc, "sqlite3_step");
}

void Statement::run() {
  while (step()) {
  }
}

int64_t Statement::column_int(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

std::string Statement::column_text(int index) const {
  auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  if (!text) return {};
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::string Statement::column_blob(int index) const {
  auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
  if (!data) return {};
  return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}

bool Statement::column_is_blob(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_BLOB;
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

Connection::Connection(const std::string& path, bool read_only) {
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "sqlite3_open_v2 " + path;
    sqlite3* db = db_;
    db_ = nullptr;
    try {
      fail(db, rc, message);
    } catch (...) {
      sqlite3_close(db);
      throw;
    }
  }
  sqlite3_busy_timeout(db_, 10000);
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_)
    sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

void Connection::exec(const std::string& sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = std::string("sqlite3_exec: ") + (error ? error : sqlite3_errstr(rc));
    sqlite3_free(error);
    throw SqliteError(rc, message);
  }
}

Statement Connection::prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Statement(it->second);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, "sqlite3_prepare_v3");
  cache_.emplace(sql, stmt);
  return Statement(stmt);
}

int64_t Connection::changes() const {
  return sqlite3_changes64(db_);
}

}  // namespace cove::store
