// The SQLite store against a real database file: migrations, atomic batches, per-session
// sequence numbers, secrets, cascading removal, and recovery of sessions left running.
#include "runtime/store/store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "runtime/sessions/event_log.hpp"
#include "runtime/sessions/session_runner.hpp"

namespace fs = std::filesystem;
using cove::store::Object;
using cove::store::Status;
using cove::store::WriteBatch;

namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cove-store-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "cove.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string path_;
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

TEST_F(StoreTest, RunningSessionsComeBackIdleWithAnError) {
  {
    auto s = cove::store::open_sqlite_store(path_);
    WriteBatch b;
    b.put(session("sesn_run", "running"));
    b.put(session("sesn_idle", "idle"));
    ASSERT_EQ(s->commit(std::move(b)).status, Status::ok);
  }
  auto s = cove::store::open_sqlite_store(path_);
  cove::sessions::EventLog log(*s);
  cove::sessions::SessionRunner runner(log);
  EXPECT_EQ(runner.recover_after_restart(), 1);
  EXPECT_EQ(s->get("sesn_run")->body["status"], "idle");
  cove::store::EventQuery q;
  q.session_id = "sesn_run";
  auto events = s->events(q, nullptr);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "session.error");
  EXPECT_EQ(events[1].type, "session.status_idle");
  q.session_id = "sesn_idle";
  EXPECT_TRUE(s->events(q, nullptr).empty());
}

}  // namespace
