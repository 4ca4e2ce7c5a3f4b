// The SQLite backend of Store: one writer thread that applies queued batches in group commits
// (one fsync for many batches, each batch in its own savepoint), and a pool of read-only
// connections for concurrent readers (WAL lets them run beside the writer). Secret values are
// sealed by a SecretBox; the files are 0600 and deleted secrets are wiped from pages and WAL.
#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "runtime/store/secret_box.hpp"
#include "runtime/store/sqlite.hpp"
#include "runtime/store/store.hpp"

namespace cove::store {

struct WriteBatch::Op {
  enum class Kind { expect, put, set_field, set_archived, remove, append, set_event_field, secret };
  Kind kind;
  Object object;  // put
  std::string id, session_id, field, type, text;
  nlohmann::json value;
  bool flag = false;
  int64_t ms = 0;
};

WriteBatch::WriteBatch() = default;
WriteBatch::~WriteBatch() = default;
WriteBatch::WriteBatch(WriteBatch&&) noexcept = default;
WriteBatch& WriteBatch::operator=(WriteBatch&&) noexcept = default;

void WriteBatch::expect(std::string id, bool must_be_active) {
  Op op{Op::Kind::expect, {}, std::move(id), {}, {}, {}, {}, {}, must_be_active, 0};
  ops_.push_back(std::move(op));
}
void WriteBatch::put(Object object) {
  Op op{Op::Kind::put, std::move(object), {}, {}, {}, {}, {}, {}, false, 0};
  ops_.push_back(std::move(op));
}
void WriteBatch::set_field(std::string id, std::string field, nlohmann::json value) {
  Op op{Op::Kind::set_field,
        {},
        std::move(id),
        {},
        std::move(field),
        {},
        {},
        std::move(value),
        false,
        0};
  ops_.push_back(std::move(op));
}
void WriteBatch::set_archived(std::string id) {
  Op op{Op::Kind::set_archived, {}, std::move(id), {}, {}, {}, {}, {}, false, 0};
  ops_.push_back(std::move(op));
}
void WriteBatch::remove(std::string id) {
  Op op{Op::Kind::remove, {}, std::move(id), {}, {}, {}, {}, {}, false, 0};
  ops_.push_back(std::move(op));
}
void WriteBatch::append_event(std::string session_id, std::string event_id, std::string type,
                              int64_t created_ms, nlohmann::json body) {
  Op op{
      Op::Kind::append, {},    std::move(event_id), std::move(session_id), {}, std::move(type), {},
      std::move(body),  false, created_ms};
  ops_.push_back(std::move(op));
}
void WriteBatch::set_event_field(std::string session_id, std::string event_id, std::string field,
                                 nlohmann::json value) {
  Op op{Op::Kind::set_event_field,
        {},
        std::move(event_id),
        std::move(session_id),
        std::move(field),
        {},
        {},
        std::move(value),
        false,
        0};
  ops_.push_back(std::move(op));
}
void WriteBatch::put_secret(std::string owner_id, std::string value) {
  Op op{Op::Kind::secret, {}, std::move(owner_id), {}, {}, {}, std::move(value), {}, false, 0};
  ops_.push_back(std::move(op));
}
bool WriteBatch::empty() const {
  return ops_.empty();
}
const std::vector<WriteBatch::Op>& WriteBatch::ops() const {
  return ops_;
}

CommitResult Store::commit(WriteBatch batch) {
  std::promise<CommitResult> promise;
  auto future = promise.get_future();
  commit(std::move(batch), [&promise](CommitResult r) { promise.set_value(std::move(r)); });
  return future.get();
}

namespace {

// Versioned migrations: entry i takes the schema from version i to i+1. Append, never edit.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE objects(
  pos INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  parent TEXT NOT NULL DEFAULT '',
  unique_name TEXT,
  archived INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  body TEXT NOT NULL);
CREATE INDEX objects_by_kind ON objects(kind, pos);
CREATE INDEX objects_by_parent ON objects(parent, kind, pos);
CREATE UNIQUE INDEX objects_unique_name ON objects(kind, unique_name)
  WHERE unique_name IS NOT NULL;
CREATE TABLE events(
  session_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY(session_id, seq)) WITHOUT ROWID;
CREATE INDEX events_by_id ON events(session_id, id);
CREATE TABLE secrets(owner_id TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
)sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

class BatchFailed : public std::runtime_error {
 public:
  BatchFailed(Status s, const std::string& m) : std::runtime_error(m), status(s) {}
  Status status;
};

Object read_object(Statement& st) {
  Object o;
  o.pos = st.column_int(0);
  o.id = st.column_text(1);
  o.kind = st.column_text(2);
  o.parent = st.column_text(3);
  o.unique_name = st.column_is_null(4) ? "" : st.column_text(4);
  o.archived = st.column_int(5) != 0;
  o.created_ms = st.column_int(6);
  o.body = nlohmann::json::parse(st.column_text(7));
  return o;
}

// The database file and its -wal and -shm companions readable by the owner only. SQLite
// creates the companions with the database file's mode, so the database is created 0600
// before SQLite opens it; files left by older versions are tightened.
void restrict_files(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw std::runtime_error("open " + path + ": " + std::strerror(errno));
  int rc = ::fchmod(fd, 0600);
  ::close(fd);
  if (rc != 0) throw std::runtime_error("chmod " + path + ": " + std::strerror(errno));
  for (const char* suffix : {"-wal", "-shm"}) {
    std::string companion = path + suffix;
    if (::chmod(companion.c_str(), 0600) != 0 && errno != ENOENT)
      throw std::runtime_error("chmod " + companion + ": " + std::strerror(errno));
  }
}

std::filesystem::path key_file_for(const std::string& path) {
  return std::filesystem::path(path).parent_path() / "secrets.key";
}

Event read_event(Statement& st) {
  Event e;
  e.session_id = st.column_text(0);
  e.seq = st.column_int(1);
  e.id = st.column_text(2);
  e.type = st.column_text(3);
  e.created_ms = st.column_int(4);
  e.body = nlohmann::json::parse(st.column_text(5));
  return e;
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::string path)
      : path_(std::move(path)), box_(SecretBox::load_or_create(key_file_for(path_))) {
    restrict_files(path_);
    writer_conn_ = std::make_unique<Connection>(path_);
    writer_conn_->exec("PRAGMA journal_mode=WAL");
    writer_conn_->exec("PRAGMA synchronous=FULL");
    writer_conn_->exec("PRAGMA foreign_keys=ON");
    // Deleted rows are overwritten with zeros, so a deleted token leaves no bytes in a page.
    writer_conn_->exec("PRAGMA secure_delete=ON");
    migrate();
    seal_plaintext_secrets();
    restrict_files(path_);
    writer_ = std::thread([this] { write_loop(); });
  }

  ~SqliteStore() override {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    writer_.join();
  }

  std::optional<Object> get(const std::string& id) override {
    auto conn = reader();
    auto st = conn->prepare(
        "SELECT pos,id,kind,parent,unique_name,archived,created_ms,body FROM objects WHERE id=?");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return read_object(st);
  }

  std::vector<Object> list(const ObjectQuery& q, bool* more) override {
    std::string sql =
        "SELECT pos,id,kind,parent,unique_name,archived,created_ms,body FROM objects "
        "WHERE kind=?1";
    if (!q.parent.empty()) sql += " AND parent=?2";
    if (!q.include_archived) sql += " AND archived=0";
    if (q.after_pos) sql += q.descending ? " AND pos<?3" : " AND pos>?3";
    if (q.created_min_ms) sql += " AND created_ms>=?4";
    if (q.created_max_ms) sql += " AND created_ms<=?5";
    int next = 7;
    for (const auto& f : q.filters) {
      sql += " AND json_extract(body, ?" + std::to_string(next++) + ") IN (";
      for (std::size_t i = 0; i < f.values.size(); ++i)
        sql += (i ? ",?" : "?") + std::to_string(next++);
      sql += ")";
    }
    sql += q.descending ? " ORDER BY pos DESC" : " ORDER BY pos ASC";
    sql += " LIMIT ?6";
    auto conn = reader();
    auto st = conn->prepare(sql);
    st.bind(1, q.kind);
    if (!q.parent.empty()) st.bind(2, q.parent);
    if (q.after_pos) st.bind(3, q.after_pos);
    if (q.created_min_ms) st.bind(4, *q.created_min_ms);
    if (q.created_max_ms) st.bind(5, *q.created_max_ms);
    st.bind(6, static_cast<int64_t>(q.limit) + 1);
    next = 7;
    for (const auto& f : q.filters) {
      st.bind(next++, "$." + f.field);
      for (const auto& v : f.values)
        st.bind(next++, v);
    }
    std::vector<Object> out;
    while (st.step())
      out.push_back(read_object(st));
    bool has_more = out.size() > static_cast<std::size_t>(q.limit);
    if (has_more) out.pop_back();
    if (more) *more = has_more;
    return out;
  }

  std::vector<Event> events(const EventQuery& q, bool* more) override {
    std::string sql =
        "SELECT session_id,seq,id,type,created_ms,body FROM events WHERE session_id=?1";
    if (q.after_seq) sql += q.descending ? " AND seq<?2" : " AND seq>?2";
    if (q.created_min_ms) sql += " AND created_ms>=?3";
    if (q.created_max_ms) sql += " AND created_ms<=?4";
    if (!q.types.empty()) {
      sql += " AND type IN (";
      for (std::size_t i = 0; i < q.types.size(); ++i)
        sql += (i ? ",?" : "?") + std::to_string(6 + i);
      sql += ")";
    }
    sql += q.descending ? " ORDER BY seq DESC" : " ORDER BY seq ASC";
    sql += " LIMIT ?5";
    auto conn = reader();
    auto st = conn->prepare(sql);
    st.bind(1, q.session_id);
    if (q.after_seq) st.bind(2, q.after_seq);
    if (q.created_min_ms) st.bind(3, *q.created_min_ms);
    if (q.created_max_ms) st.bind(4, *q.created_max_ms);
    st.bind(5, static_cast<int64_t>(q.limit) + 1);
    for (std::size_t i = 0; i < q.types.size(); ++i)
      st.bind(static_cast<int>(6 + i), q.types[i]);
    std::vector<Event> out;
    while (st.step())
      out.push_back(read_event(st));
    bool has_more = out.size() > static_cast<std::size_t>(q.limit);
    if (has_more) out.pop_back();
    if (more) *more = has_more;
    return out;
  }

  std::optional<Event> event(const std::string& session_id, const std::string& event_id) override {
    auto conn = reader();
    auto st = conn->prepare(
        "SELECT session_id,seq,id,type,created_ms,body FROM events WHERE session_id=? AND id=?");
    st.bind(1, session_id).bind(2, event_id);
    if (!st.step()) return std::nullopt;
    return read_event(st);
  }

  std::optional<std::string> secret(const std::string& owner_id) override {
    auto conn = reader();
    auto st = conn->prepare("SELECT value FROM secrets WHERE owner_id=?");
    st.bind(1, owner_id);
    if (!st.step()) return std::nullopt;
    // Text: written by an older cove after this one sealed the table at open.
    if (!st.column_is_blob(0)) return st.column_text(0);
    return box_.open(owner_id, st.column_blob(0));
  }

  void commit(WriteBatch batch, std::function<void(CommitResult)> done) override {
    {
      std::lock_guard lock(queue_mu_);
      queue_.push_back({std::move(batch), std::move(done)});
    }
    queue_cv_.notify_one();
  }

 private:
  struct Pending {
    WriteBatch batch;
    std::function<void(CommitResult)> done;
  };

  // A read connection borrowed from the pool for one call.
  class Lease {
   public:
    Lease(SqliteStore& s, std::unique_ptr<Connection> c) : store_(s), conn_(std::move(c)) {}
    ~Lease() {
      std::lock_guard lock(store_.pool_mu_);
      store_.pool_.push_back(std::move(conn_));
    }
    Connection* operator->() { return conn_.get(); }

   private:
    SqliteStore& store_;
    std::unique_ptr<Connection> conn_;
  };

  Lease reader() {
    {
      std::lock_guard lock(pool_mu_);
      if (!pool_.empty()) {
        auto c = std::move(pool_.back());
        pool_.pop_back();
        return Lease(*this, std::move(c));
      }
    }
    auto c = std::make_unique<Connection>(path_);
    c->exec("PRAGMA query_only=1");
    return Lease(*this, std::move(c));
  }

  void migrate() {
    auto& db = *writer_conn_;
    int version = 0;
    {
      auto st = db.prepare("PRAGMA user_version");
      if (st.step()) version = static_cast<int>(st.column_int(0));
    }
    if (version > kSchemaVersion)
      throw std::runtime_error(path_ + ": schema version " + std::to_string(version) +
                               " is newer than this cove (" + std::to_string(kSchemaVersion) + ")");
    for (; version < kSchemaVersion; ++version) {
      db.exec("BEGIN IMMEDIATE");
      try {
        db.exec(kMigrations[version]);
        db.exec("PRAGMA user_version=" + std::to_string(version + 1));
        db.exec("COMMIT");
      } catch (...) {
        db.exec("ROLLBACK");
        throw;
      }
    }
  }

  // Secrets stored by versions before sealing are text: seal them now. Also checks that the key
  // opens the sealed ones, so a replaced key file is refused at start, not at some fetch.
  void seal_plaintext_secrets() {
    auto& db = *writer_conn_;
    std::vector<std::pair<std::string, std::string>> plain;
    {
      bool checked = false;
      auto st = db.prepare("SELECT owner_id, value FROM secrets");
      while (st.step()) {
        if (!st.column_is_blob(1)) {
          plain.emplace_back(st.column_text(0), st.column_text(1));
        } else if (!checked) {
          std::string value = box_.open(st.column_text(0), st.column_blob(1));
          OPENSSL_cleanse(value.data(), value.size());
          checked = true;
        }
      }
    }
    if (plain.empty()) return;
    db.exec("BEGIN IMMEDIATE");
    try {
      for (auto& [owner, value] : plain) {
        auto st = db.prepare("UPDATE secrets SET value=? WHERE owner_id=?");
        st.bind_blob(1, box_.seal(owner, value)).bind(2, owner);
        st.run();
        OPENSSL_cleanse(value.data(), value.size());
      }
      db.exec("COMMIT");
    } catch (...) {
      db.exec("ROLLBACK");
      throw;
    }
    wipe_pending_ = true;
    wipe_wal();
  }

  // A deleted or replaced secret's old bytes stay in WAL frames until a checkpoint. TRUNCATE
  // copies the zeroed pages back and empties the WAL (waiting for readers up to the busy
  // timeout); when a reader still keeps it from finishing, it is tried after the next commit.
  void wipe_wal() {
    if (!wipe_pending_) return;
    try {
      auto st = writer_conn_->prepare("PRAGMA wal_checkpoint(TRUNCATE)");
      if (st.step() && st.column_int(0) == 0) wipe_pending_ = false;
    } catch (const SqliteError&) {
    }
  }

  void write_loop() {
    for (;;) {
      std::deque<Pending> work;
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty() && stopping_) return;
        work.swap(queue_);
      }
      std::vector<CommitResult> results(work.size());
      auto& db = *writer_conn_;
      bool committed = false;
      try {
        db.exec("BEGIN IMMEDIATE");
        for (std::size_t i = 0; i < work.size(); ++i)
          results[i] = apply_in_savepoint(work[i].batch);
        db.exec("COMMIT");
        committed = true;
      } catch (...) {
        try {
          db.exec("ROLLBACK");
        } catch (...) {
        }
      }
      if (!committed)
        for (auto& r : results)
          r = CommitResult{Status::failed, "database write failed", {}};
      // Before acknowledging: once a delete returns, the token's bytes are gone from the files.
      wipe_wal();
      for (std::size_t i = 0; i < work.size(); ++i)
        if (work[i].done) work[i].done(std::move(results[i]));
    }
  }

  CommitResult apply_in_savepoint(const WriteBatch& batch) {
    auto& db = *writer_conn_;
    db.exec("SAVEPOINT batch");
    CommitResult result;
    try {
      for (const auto& op : batch.ops())
        apply(op, result);
      db.exec("RELEASE batch");
    } catch (const BatchFailed& e) {
      db.exec("ROLLBACK TO batch");
      db.exec("RELEASE batch");
      return CommitResult{e.status, e.what(), {}};
    } catch (const SqliteError& e) {
      db.exec("ROLLBACK TO batch");
      db.exec("RELEASE batch");
      if (e.is_constraint())
        return CommitResult{Status::conflict, "conflicts with an existing object", {}};
      return CommitResult{Status::failed, "database write failed", {}};
    }
    return result;
  }

  // One operation of a batch, inside the batch's transaction. Throws BatchFailed to undo it.
  void apply(const WriteBatch::Op& op, CommitResult& result) {
    using K = WriteBatch::Op::Kind;
    switch (op.kind) {
      case K::expect:
        return expect(op);
      case K::put:
        return put(op.object);
      case K::set_field:
        return set_field(op);
      case K::set_archived:
        return set_archived(op.id);
      case K::remove:
        return remove(op.id);
      case K::append:
        return result.appended.push_back(append(op));
      case K::set_event_field:
        return set_event_field(op);
      case K::secret:
        return put_secret(op.id, op.text);
    }
  }

  void expect(const WriteBatch::Op& op) {
    auto st = writer_conn_->prepare("SELECT archived FROM objects WHERE id=?");
    st.bind(1, op.id);
    if (!st.step()) throw BatchFailed(Status::not_found, op.id + " does not exist");
    if (op.flag && st.column_int(0)) throw BatchFailed(Status::conflict, op.id + " is archived");
  }

  void put(const Object& o) {
    auto st = writer_conn_->prepare(
        "INSERT INTO objects(id,kind,parent,unique_name,archived,created_ms,body) "
        "VALUES(?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
        "unique_name=excluded.unique_name, archived=excluded.archived, body=excluded.body");
    st.bind(1, o.id).bind(2, o.kind).bind(3, o.parent);
    if (o.unique_name.empty())
      st.bind_null(4);
    else
      st.bind(4, o.unique_name);
    st.bind(5, int64_t{o.archived ? 1 : 0}).bind(6, o.created_ms).bind(7, o.body.dump());
    st.run();
  }

  void set_field(const WriteBatch::Op& op) {
    auto st =
        writer_conn_->prepare("UPDATE objects SET body=json_set(body, ?, json(?)) WHERE id=?");
    st.bind(1, "$." + op.field).bind(2, op.value.dump()).bind(3, op.id);
    st.run();
    if (writer_conn_->changes() == 0)
      throw BatchFailed(Status::not_found, op.id + " does not exist");
  }

  void set_archived(const std::string& id) {
    auto st = writer_conn_->prepare("UPDATE objects SET archived=1 WHERE id=?");
    st.bind(1, id);
    st.run();
  }

  // The object, its children, their secrets and, for a session, its events.
  void remove(const std::string& id) {
    auto& db = *writer_conn_;
    auto children =
        db.prepare("DELETE FROM secrets WHERE owner_id IN (SELECT id FROM objects WHERE parent=?)");
    children.bind(1, id);
    children.run();
    if (db.changes() > 0) wipe_pending_ = true;
    auto own = db.prepare("DELETE FROM secrets WHERE owner_id=?");
    own.bind(1, id);
    own.run();
    if (db.changes() > 0) wipe_pending_ = true;
    auto objects = db.prepare("DELETE FROM objects WHERE id=?1 OR parent=?1");
    objects.bind(1, id);
    objects.run();
    auto events = db.prepare("DELETE FROM events WHERE session_id=?");
    events.bind(1, id);
    events.run();
  }

  // Appends the event with the session's next sequence number.
  Event append(const WriteBatch::Op& op) {
    int64_t seq = 1;
    {
      auto st = writer_conn_->prepare("SELECT MAX(seq) FROM events WHERE session_id=?");
      st.bind(1, op.session_id);
      if (st.step() && !st.column_is_null(0)) seq = st.column_int(0) + 1;
    }
    auto st = writer_conn_->prepare(
        "INSERT INTO events(session_id,seq,id,type,created_ms,body) VALUES(?,?,?,?,?,?)");
    st.bind(1, op.session_id).bind(2, seq).bind(3, op.id).bind(4, op.type).bind(5, op.ms);
    st.bind(6, op.value.dump());
    st.run();
    return Event{op.session_id, seq, op.id, op.type, op.ms, op.value};
  }

  void set_event_field(const WriteBatch::Op& op) {
    auto st = writer_conn_->prepare(
        "UPDATE events SET body=json_set(body, ?, json(?)) WHERE session_id=? AND id=?");
    st.bind(1, "$." + op.field).bind(2, op.value.dump()).bind(3, op.session_id).bind(4, op.id);
    st.run();
  }

  void put_secret(const std::string& owner, const std::string& value) {
    {
      auto old = writer_conn_->prepare("SELECT 1 FROM secrets WHERE owner_id=?");
      old.bind(1, owner);
      if (old.step()) wipe_pending_ = true;  // a rotated token
    }
    auto st = writer_conn_->prepare(
        "INSERT INTO secrets(owner_id,value) VALUES(?,?) "
        "ON CONFLICT(owner_id) DO UPDATE SET value=excluded.value");
    st.bind(1, owner).bind_blob(2, box_.seal(owner, value));
    st.run();
  }

  std::string path_;
  const SecretBox box_;
  std::unique_ptr<Connection> writer_conn_;
  bool wipe_pending_ = false;  // writer thread only (and the constructor)
  std::thread writer_;
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Connection>> pool_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& path) {
  try {
    return std::make_unique<SqliteStore>(path);
  } catch (const SqliteError& e) {
    throw std::runtime_error("store " + path + ": " + e.what());
  } catch (const SecretKeyError& e) {
    throw std::runtime_error("store " + path + ": " + e.what() +
                             " (restore the secrets.key the database was used with)");
  }
}

int sqlite_schema_version() {
  return kSchemaVersion;
}

}  // namespace cove::store
