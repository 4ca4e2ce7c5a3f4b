// RAII wrappers for SQLite handles: one connection, its prepared statements (cached by SQL
// text), and a statement cursor that resets itself. Errors throw SqliteError carrying the
// SQLite result code and message.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace cove::store {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }
  bool is_constraint() const;

 private:
  int code_;
};

class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement();  // resets the statement and clears its bindings (the cache keeps it)
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, int64_t value);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);
  // true while a row is available; false when done.
  bool step();
  void run();  // step to completion, expecting no rows

  int64_t column_int(int index) const;
  std::string column_text(int index) const;
  std::string column_blob(int index) const;
  bool column_is_blob(int index) const;
  bool column_is_null(int index) const;

 private:
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  // Opens (creating if needed) the database file. Throws SqliteError.
  explicit Connection(const std::string& path, bool read_only = false);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void exec(const std::string& sql);
  // A cached prepared statement; one user at a time (connections are not shared).
  Statement prepare(const std::string& sql);
  int64_t changes() const;

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace cove::store
