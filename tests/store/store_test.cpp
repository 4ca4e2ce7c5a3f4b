// The SQLite store against a real database file: migrations, atomic batches, per-session
// sequence numbers, secrets, cascading removal, and recovery of sessions left running.
#include "runtime/store/store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "runtime/store/sqlite.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using cove::store::Object;
using cove::store::Status;
using cove::store::WriteBatch;

namespace {

class StoreTest : public ::testing::Test {
 protected:
  cove::test::TempDir tmp_{"cove-store-test"};
  fs::path dir_ = tmp_.path();
  std::string path_ = (dir_ / "cove.db").string();
};

Object session(const std::string& id, const std::string& status = "idle") {
  return Object{"session", id, "", "", false, 1000, 0, {{"id", id}, {"status", status}}};
}

TEST_F(StoreTest, MigratesAndReopens) {
  {
    auto s = cove::store::open_sqlite_store(path_);
    WriteBatch b;
    b.put(session("sesn_1"));
    ASSERT_EQ(s->commit(std::move(b)).status, Status::ok);
  }
  auto s = cove::store::open_sqlite_store(path_);
  auto o = s->get("sesn_1");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->body["status"], "idle");
  EXPECT_GE(cove::store::sqlite_schema_version(), 1);
}

TEST_F(StoreTest, EventsGetPerSessionSequenceNumbers) {
  auto s = cove::store::open_sqlite_store(path_);
  WriteBatch b;
  b.put(session("sesn_a"));
  b.put(session("sesn_b"));
  b.append_event("sesn_a", "sevt_1", "user.message", 1, {{"n", 1}});
  b.append_event("sesn_a", "sevt_2", "user.message", 2, {{"n", 2}});
  b.append_event("sesn_b", "sevt_3", "user.message", 3, {{"n", 3}});
  auto r = s->commit(std::move(b));
  ASSERT_EQ(r.status, Status::ok);
  ASSERT_EQ(r.appended.size(), 3u);
  EXPECT_EQ(r.appended[0].seq, 1);
  EXPECT_EQ(r.appended[1].seq, 2);
  EXPECT_EQ(r.appended[2].seq, 1);
  cove::store::EventQuery q;
  q.session_id = "sesn_a";
  q.after_seq = 1;
  bool more = true;
  auto events = s->events(q, &more);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "sevt_2");
  EXPECT_FALSE(more);
}

TEST_F(StoreTest, AFailedBatchLeavesNothingBehind) {
  auto s = cove::store::open_sqlite_store(path_);
  WriteBatch first;
  first.put(Object{"environment", "env_1", "", "same-name", false, 1, 0, nlohmann::json::object()});
  ASSERT_EQ(s->commit(std::move(first)).status, Status::ok);
  WriteBatch second;
  second.put(session("sesn_x"));
  second.put(
      Object{"environment", "env_2", "", "same-name", false, 1, 0, nlohmann::json::object()});
  EXPECT_EQ(s->commit(std::move(second)).status, Status::conflict);
  EXPECT_FALSE(s->get("sesn_x")) << "the batch must be all or nothing";
  WriteBatch third;
  third.expect("sesn_missing", false);
  third.put(session("sesn_y"));
  EXPECT_EQ(s->commit(std::move(third)).status, Status::not_found);
  EXPECT_FALSE(s->get("sesn_y"));
}

TEST_F(StoreTest, RemoveCascadesToChildrenSecretsAndEvents) {
  auto s = cove::store::open_sqlite_store(path_);
  WriteBatch b;
  b.put(session("sesn_1"));
  b.put(Object{"resource", "sesrsc_1", "sesn_1", "", false, 1, 0, {{"id", "sesrsc_1"}}});
  b.put_secret("sesrsc_1", "ghp_token");
  b.append_event("sesn_1", "sevt_1", "user.message", 1, {{"id", "sevt_1"}});
  ASSERT_EQ(s->commit(std::move(b)).status, Status::ok);
  EXPECT_EQ(s->secret("sesrsc_1").value_or(""), "ghp_token");
  WriteBatch rm;
  rm.remove("sesn_1");
  ASSERT_EQ(s->commit(std::move(rm)).status, Status::ok);
  EXPECT_FALSE(s->get("sesrsc_1"));
  EXPECT_FALSE(s->secret("sesrsc_1"));
  cove::store::EventQuery q;
  q.session_id = "sesn_1";
  EXPECT_TRUE(s->events(q, nullptr).empty());
}

TEST_F(StoreTest, SetFieldPatchesOneFieldOnly) {
  auto s = cove::store::open_sqlite_store(path_);
  WriteBatch b;
  b.put(session("sesn_1"));
  ASSERT_EQ(s->commit(std::move(b)).status, Status::ok);
  WriteBatch p;
  p.set_field("sesn_1", "title", "hello");
  ASSERT_EQ(s->commit(std::move(p)).status, Status::ok);
  auto o = s->get("sesn_1");
  EXPECT_EQ(o->body["title"], "hello");
  EXPECT_EQ(o->body["status"], "idle");
}

}  // namespace

// --- secrets at rest ---

namespace {

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Which of the database's files (those that exist) contain `needle`.
std::string files_containing(const std::string& db, const std::string& needle) {
  std::string found;
  for (const char* suffix : {"", "-wal", "-shm"})
    if (fs::exists(db + suffix) && file_bytes(db + suffix).find(needle) != std::string::npos)
      found += " cove.db" + std::string(suffix);
  return found;
}

// The stored form of a secret, read past the store.
std::string stored_secret(const std::string& db, const std::string& owner) {
  cove::store::Connection c(db, true);
  auto st = c.prepare("SELECT value FROM secrets WHERE owner_id=?");
  st.bind(1, owner);
  if (!st.step()) return "";
  return st.column_is_blob(0) ? st.column_blob(0) : st.column_text(0);
}

Object resource(const std::string& id) {
  return Object{"resource", id, "sesn_1", "", false, 1000, 0, {{"id", id}}};
}

}  // namespace

TEST_F(StoreTest, SecretsAreNotInTheFilesAndLeaveNoTraceWhenDeleted) {
  const std::string token = "ghp_AT_REST_0123456789abcdef";
  const std::string rotated = "ghp_ROTATED_9876543210fedcba";
  std::string sealed, sealed_rotated;
  {
    auto s = cove::store::open_sqlite_store(path_);
    WriteBatch b;
    b.put(session("sesn_1"));
    b.put(resource("sesrsc_1"));
    b.put_secret("sesrsc_1", token);
    ASSERT_EQ(s->commit(std::move(b)).status, Status::ok);
    EXPECT_EQ(s->secret("sesrsc_1").value_or(""), token);
    EXPECT_EQ(files_containing(path_, token), "") << "with the store open";
    sealed = stored_secret(path_, "sesrsc_1");
    ASSERT_FALSE(sealed.empty());
    EXPECT_EQ(sealed.find(token), std::string::npos);
    for (const char* suffix : {"", "-wal", "-shm"}) {
      struct stat st {};
      ASSERT_EQ(::stat((path_ + suffix).c_str(), &st), 0) << suffix;
      EXPECT_EQ(st.st_mode & 0777, 0600u) << "cove.db" << suffix;
    }
  }
  EXPECT_EQ(files_containing(path_, token), "") << "after close";
  {
    // Reopened: the sealed value now sits in cove.db's pages. Rotate, then delete.
    auto s = cove::store::open_sqlite_store(path_);
    WriteBatch rotate;
    rotate.put_secret("sesrsc_1", rotated);
    ASSERT_EQ(s->commit(std::move(rotate)).status, Status::ok);
    EXPECT_EQ(s->secret("sesrsc_1").value_or(""), rotated);
    EXPECT_EQ(files_containing(path_, sealed), "") << "the replaced value, store open";
    sealed_rotated = stored_secret(path_, "sesrsc_1");
    WriteBatch del;
    del.remove("sesn_1");
    ASSERT_EQ(s->commit(std::move(del)).status, Status::ok);
    EXPECT_FALSE(s->secret("sesrsc_1"));
    EXPECT_EQ(files_containing(path_, sealed_rotated), "") << "the deleted value, store open";
    EXPECT_EQ(files_containing(path_, rotated), "");
  }
  EXPECT_EQ(files_containing(path_, sealed), "") << "after close";
  EXPECT_EQ(files_containing(path_, sealed_rotated), "") << "after close";
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "secrets.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
}

TEST_F(StoreTest, PlaintextSecretsOfOlderVersionsAreSealedAtOpen) {
  const std::string token = "ghp_OLD_PLAINTEXT_0123456789";
  {
    auto s = cove::store::open_sqlite_store(path_);
    WriteBatch b;
    b.put(session("sesn_1"));
    ASSERT_EQ(s->commit(std::move(b)).status, Status::ok);
  }
  {
    // What an older cove wrote: the value as text.
    cove::store::Connection c(path_);
    auto st = c.prepare("INSERT INTO secrets(owner_id,value) VALUES(?,?)");
    st.bind(1, "sesn_1").bind(2, token);
    st.run();
  }
  ASSERT_NE(files_containing(path_, token), "");
  {
    auto s = cove::store::open_sqlite_store(path_);
    EXPECT_EQ(s->secret("sesn_1").value_or(""), token);
    EXPECT_EQ(stored_secret(path_, "sesn_1").find(token), std::string::npos);
    EXPECT_EQ(files_containing(path_, token), "") << "with the store open";
  }
  EXPECT_EQ(files_containing(path_, token), "") << "after close";
  auto s = cove::store::open_sqlite_store(path_);
  EXPECT_EQ(s->secret("sesn_1").value_or(""), token);
}

TEST_F(StoreTest, AnotherKeyIsAClearErrorAtOpen) {
  {
    auto s = cove::store::open_sqlite_store(path_);
    WriteBatch b;
    b.put(session("sesn_1"));
    b.put_secret("sesn_1", "ghp_SOME_TOKEN_1");
    ASSERT_EQ(s->commit(std::move(b)).status, Status::ok);
  }
  {
    std::ofstream key(dir_ / "secrets.key", std::ios::binary | std::ios::trunc);
    key << std::string(32, 'k');
  }
  try {
    cove::store::open_sqlite_store(path_);
    FAIL() << "opened with another key";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("secrets.key"), std::string::npos) << what;
    EXPECT_NE(what.find("not the key"), std::string::npos) << what;
  }
  {
    std::ofstream key(dir_ / "secrets.key", std::ios::binary | std::ios::trunc);
    key << "short";
  }
  try {
    cove::store::open_sqlite_store(path_);
    FAIL() << "opened with a 5-byte key";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("32 bytes"), std::string::npos) << e.what();
  }
}
