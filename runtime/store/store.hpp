// The store: where every API object, session event and secret lives. An interface, so a
// PostgreSQL backend can replace the embedded SQLite one later.
//
// Contract:
// - Objects are JSON documents with a few indexed columns (kind, parent, unique name,
//   archived, creation time). `pos` orders them by insertion and is what cursors are made of.
// - Events form one append-only log per session; the store assigns each a sequence number
//   (1, 2, 3, ... per session) inside the transaction that writes it.
// - Writes are grouped in a WriteBatch, applied atomically: all of a batch or none of it.
//   When commit's callback runs, the batch is durable (fsynced); nothing may be acknowledged
//   or streamed before that.
// - Secrets (tokens, credential values) live in their own table, keyed by the id of the
//   object that owns them; they are never part of an object's body.
// - Every method is thread-safe. Commit callbacks run on the store's writer thread, in commit
//   order; they must be short and must not wait for another commit.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cove::store {

struct Object {
  std::string kind;         // "agent", "environment", "session", "resource", ...
  std::string id;           // globally unique
  std::string parent;       // id of the owning object, "" for top-level objects
  std::string unique_name;  // "" = none; otherwise unique per kind (409 on clash)
  bool archived = false;
  int64_t created_ms = 0;  // Unix milliseconds
  int64_t pos = 0;         // assigned by the store
  nlohmann::json body;
};

// A string-equality filter on a top-level body field: body[field] is one of `values`.
struct FieldFilter {
  std::string field;
  std::vector<std::string> values;
};

struct ObjectQuery {
  std::string kind;
  std::string parent;  // "" = any parent
  bool include_archived = true;
  bool descending = false;
  int64_t after_pos = 0;  // exclusive; in iteration order (0 = from the start)
  std::optional<int64_t> created_min_ms, created_max_ms;  // inclusive bounds
  std::vector<FieldFilter> filters;
  int limit = 100;
};

struct Event {
  std::string session_id;
  int64_t seq = 0;  // per-session sequence number, from 1
  std::string id;   // "sevt_..."
  std::string type;
  int64_t created_ms = 0;
  nlohmann::json body;
};

struct EventQuery {
  std::string session_id;
  bool descending = false;
  int64_t after_seq = 0;           // exclusive, in iteration order; 0 = from the start
  std::vector<std::string> types;  // empty = all
  std::optional<int64_t> created_min_ms, created_max_ms;
  int limit = 100;
};

class WriteBatch {
 public:
  struct Op;
  WriteBatch();
  ~WriteBatch();
  WriteBatch(WriteBatch&&) noexcept;
  WriteBatch& operator=(WriteBatch&&) noexcept;

  // Fails the whole batch (Status::not_found / conflict) unless the object exists and,
  // when must_be_active, is not archived.
  void expect(std::string id, bool must_be_active);
  // Inserts, or replaces the body/archived/unique_name of an existing object (pos is kept).
  void put(Object object);
  // Sets one top-level body field, leaving the rest as the store has it.
  void set_field(std::string id, std::string field, nlohmann::json value);
  // Marks the object archived (list queries skip it unless include_archived).
  void set_archived(std::string id);
  // Removes the object, its children (parent = id), their secrets and, for a session, its
  // events.
  void remove(std::string id);
  // Appends to a session's log; the store assigns the sequence number.
  void append_event(std::string session_id, std::string event_id, std::string type,
                    int64_t created_ms, nlohmann::json body);
  void set_event_field(std::string session_id, std::string event_id, std::string field,
                       nlohmann::json value);
  void put_secret(std::string owner_id, std::string value);

  bool empty() const;
  const std::vector<Op>& ops() const;

 private:
  std::vector<Op> ops_;
};

enum class Status { ok, not_found, conflict, failed };

struct CommitResult {
  Status status = Status::ok;
  std::string message;          // for not_found/conflict/failed; never contains values
  std::vector<Event> appended;  // the batch's events, with their sequence numbers
};

class Store {
 public:
  virtual ~Store() = default;

  virtual std::optional<Object> get(const std::string& id) = 0;
  // Up to query.limit objects; `more` says whether the next page is non-empty.
  virtual std::vector<Object> list(const ObjectQuery& query, bool* more) = 0;
  virtual std::vector<Event> events(const EventQuery& query, bool* more) = 0;
  virtual std::optional<Event> event(const std::string& session_id,
                                     const std::string& event_id) = 0;
  virtual std::optional<std::string> secret(const std::string& owner_id) = 0;

  // Applies the batch durably, then calls done (on the writer thread).
  virtual void commit(WriteBatch batch, std::function<void(CommitResult)> done) = 0;
  // Convenience: commit and wait.
  CommitResult commit(WriteBatch batch);
};

// The embedded backend: SQLite in WAL mode, synchronous=FULL, at `path` (created if absent,
// migrated to the current schema). Its files are 0600. Secret values are sealed with the key
// in "secrets.key" beside `path` (created on first open; see SecretBox); plaintext secrets of
// older versions are sealed at open. Deleted and replaced secrets are zeroed (secure_delete)
// and the WAL is checkpointed and truncated after them. Throws std::runtime_error naming the
// path on failure, also when the key does not open the stored secrets.
std::unique_ptr<Store> open_sqlite_store(const std::string& path);

// The schema version a freshly migrated database reports.
int sqlite_schema_version();

}  // namespace cove::store
