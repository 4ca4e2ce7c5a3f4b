// The session runner after a restart: sessions the store still shows running come back idle,
// with a session.error saying their turn was abandoned.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "runtime/sessions/event_log.hpp"
#include "runtime/sessions/session_runner.hpp"
#include "runtime/store/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using cove::store::Object;
using cove::store::Status;
using cove::store::WriteBatch;

namespace {

class RunnerTest : public ::testing::Test {
 protected:
  cove::test::TempDir tmp_{"cove-runner-test"};
  fs::path dir_ = tmp_.path();
  std::string path_ = (dir_ / "cove.db").string();
};

Object session(const std::string& id, const std::string& status) {
  return Object{"session", id, "", "", false, 1000, 0, {{"id", id}, {"status", status}}};
}

TEST_F(RunnerTest, RunningSessionsComeBackIdleWithAnError) {
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
