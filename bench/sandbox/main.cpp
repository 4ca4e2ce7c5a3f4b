// scripts/bench sandbox: cove's session sandbox against bubblewrap, measured in one run.
//
// Every latency series is pooled from interleaved rounds so that machine noise (other
// tenants, kernel work left over from earlier rounds) hits cove and bwrap alike. See
// docs/bench-sandbox.md for what each figure means and how it compares with research.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/sandbox/host.hpp"
#include "bench/sandbox/stats.hpp"
#include "sandbox/id_map.hpp"
#include "sandbox/sandbox.hpp"

namespace sb = cove::sandbox;
using namespace cove::bench;

namespace {

constexpr const char* kWorkspace = "/workspace/repo";

// Sample counts. The defaults take about a minute on a quiet 2-vCPU machine (three under heavy
// load); --quick is a smoke run of about 15 s.
struct Plan {
  int rounds = 5;
  int baseline = 100;    // fork/exec of /bin/true, per round
  int cold = 150;        // cold starts per series per round
  int warm = 300;        // warm spawns in one cove sandbox per round
  int nsenter = 150;     // nsenter runs into one bwrap sandbox per round
  int throughput = 150;  // sandboxes per throughput trial per round
  int idle = 50;         // idle sandboxes held at once for the memory figures
  int warmup = 5;        // untimed runs before each series
};

Plan quick_plan() {
  return Plan{.rounds = 2,
              .baseline = 20,
              .cold = 30,
              .warm = 60,
              .nsenter = 30,
              .throughput = 40,
              .idle = 10,
              .warmup = 2};
}

struct Tools {
  std::string cove;     // the cove CLI
  std::string bwrap;    // "" when bubblewrap is not installed
  std::string nsenter;  // "" when util-linux's nsenter is missing
};

// A throwaway checkout stand-in, owned by the sandbox user as cove requires.
class Workspace {
 public:
  explicit Workspace(uid_t owner) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/cove-bench-ws-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp: " + pattern);
    path_ = pattern;
    // 0755: bwrap (root mapped to root) may enter it without owning it.
    if (::chown(path_.c_str(), owner, owner) != 0 || ::chmod(path_.c_str(), 0755) != 0)
      throw std::runtime_error("chown/chmod " + path_ + ": " + std::strerror(errno));
  }
  ~Workspace() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

sb::SandboxSpec session_spec(const Workspace& ws) {
  sb::SandboxSpec spec;
  spec.binds.push_back({ws.path(), kWorkspace, false});
  return spec;
}

sb::SpawnRequest true_request() {
  return sb::SpawnRequest{.argv = {"/bin/true"}, .env = {"PATH=/usr/bin:/bin"}, .cwd = kWorkspace};
}

void expect_success(const sb::ExitStatus& st) {
  if (st.code != 0)
    throw std::runtime_error("/bin/true in a cove sandbox: exit " + std::to_string(st.code) +
                             ", signal " + std::to_string(st.signal));
}

std::vector<std::string> cove_cli_argv(const Tools& t, const Workspace& ws) {
  // No "--" before the command: see docs/bench-sandbox.md (CLI11 hands it to the parent app).
  return {t.cove, "sandbox", "run", "--bind", ws.path() + ":" + kWorkspace, "/bin/true"};
}

// research/sandbox.md §3.1: bwrap --unshare-all $BWCORE CMD.
std::vector<std::string> bwrap_argv(const Tools& t, const Workspace& ws,
                                    const std::vector<std::string>& command, bool info_fd = false) {
  std::vector<std::string> a = {t.bwrap,         "--unshare-all", "--die-with-parent",
                                "--new-session", "--cap-drop",    "ALL",
                                "--ro-bind",     "/usr",          "/usr",
                                "--symlink",     "usr/bin",       "/bin",
                                "--symlink",     "usr/lib",       "/lib",
                                "--symlink",     "usr/lib64",     "/lib64",
                                "--symlink",     "usr/sbin",      "/sbin",
                                "--ro-bind",     "/etc",          "/etc",
                                "--proc",        "/proc",         "--dev",
                                "/dev",          "--tmpfs",       "/tmp",
                                "--bind",        ws.path(),       kWorkspace,
                                "--chdir",       kWorkspace,      "--clearenv",
                                "--setenv",      "PATH",          "/usr/bin:/bin",
                                "--hostname",    "sandbox"};
  if (info_fd) a.insert(a.end(), {"--info-fd", "3"});
  a.insert(a.end(), command.begin(), command.end());
  return a;
}

bool has_payload(pid_t bwrap) {
  for (pid_t p : descendants_of(bwrap))
    if (comm_of(p) == "sleep") return true;
  return false;
}

// A long-lived bwrap sandbox (sleep infinity), for nsenter and the idle-memory figures.
class BwrapSession {
 public:
  BwrapSession(const Launcher& launcher, const Tools& t, const Workspace& ws) {
    int info[2];
    if (::pipe2(info, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    pid_ = launcher.spawn(bwrap_argv(t, ws, {"/bin/sleep", "infinity"}, true), info[1]);
    ::close(info[1]);
    std::string json;
    char buf[256];
    for (ssize_t n; (n = ::read(info[0], buf, sizeof buf)) != 0;)
      if (n > 0)
        json.append(buf, static_cast<size_t>(n));
      else if (errno != EINTR)
        break;
    ::close(info[0]);
    size_t key = json.find("\"child-pid\"");
    if (key != std::string::npos)
      child_ = static_cast<pid_t>(std::strtol(json.c_str() + json.find(':', key) + 1, nullptr, 10));
    if (child_ <= 0) throw std::runtime_error("bwrap --info-fd gave no child-pid: " + json);
    // bwrap reports the pid before it builds the root; the sandbox is ready once sleep runs.
    auto deadline = Clock::now() + std::chrono::seconds(5);
    while (!has_payload(pid_))
      if (Clock::now() > deadline)
        throw std::runtime_error("bwrap sandbox did not start sleep within 5 s");
      else
        std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ~BwrapSession() {
    // Kill the sandbox's pid 1 too: as root with --cap-drop, bwrap's inner process loses its
    // parent-death signal when it drops capabilities, so --die-with-parent does not reach it.
    ::kill(child_, SIGKILL);
    ::kill(pid_, SIGKILL);
    wait_for(pid_);
  }
  BwrapSession(const BwrapSession&) = delete;
  BwrapSession& operator=(const BwrapSession&) = delete;

  pid_t pid() const { return pid_; }
  // The sandbox's pid 1, as seen from the host.
  pid_t child() const { return child_; }

 private:
  pid_t pid_ = -1;
  pid_t child_ = -1;
};

// research/sandbox.md §3.1 #12: exec in an existing sandbox with nsenter.
std::vector<std::string> nsenter_argv(const Tools& t, pid_t target) {
  return {
      t.nsenter, "-t",       std::to_string(target), "-U", "-m", "-p", "-n", "-i", "-u", "--root",
      "--wd",    "/bin/true"};
}

// CPU time per launch, summed over the P=1 throughput trials.
struct CpuPerLaunch {
  double ms = 0;
  long launches = 0;
  double per_launch() const { return launches ? ms / static_cast<double>(launches) : 0; }
};

struct Results {
  Samples baseline;
  Samples cold, cold_start, cold_run, cold_destroy;  // cove in-process
  Samples cold_cli, cold_bwrap;
  Samples warm, warm_nsenter;
  Rates cove_p1, cove_p2, cli_p1, cli_p2, bwrap_p1, bwrap_p2;
  CpuPerLaunch cove_cpu, cli_cpu, bwrap_cpu;
  Memory cove_init;          // summed over the idle sandboxes, fresh
  Memory cove_init_used;     // the same sandboxes after each ran one command
  long cove_growth_kib = 0;  // the benchmark process's own RSS growth
  Memory bwrap_procs;        // the bwrap processes of the idle sandboxes
  Memory bwrap_payload;      // their `sleep` payloads
  int bwrap_per_sandbox = 0;
};

class Bench {
 public:
  Bench(Plan plan, Tools tools, const Workspace& ws)
      : plan_(plan), tools_(std::move(tools)), ws_(ws), spec_(session_spec(ws)) {}

  void check() {
    expect_success(sb::Sandbox::start(spec_)->run(true_request()));
    launcher_.run(cove_cli_argv(tools_, ws_));
    if (has_bwrap()) launcher_.run(bwrap_argv(tools_, ws_, {"/bin/true"}));
  }

  void round() {
    baseline();
    cold_in_process();
    cold_cli();
    if (has_bwrap()) cold_bwrap();
    warm_cove();
    if (has_bwrap() && !tools_.nsenter.empty()) warm_nsenter();
    throughput();
  }

  void idle_memory() {
    idle_cove();
    if (has_bwrap()) idle_bwrap();
  }

  const Results& results() const { return r_; }
  bool has_bwrap() const { return !tools_.bwrap.empty(); }
  bool has_nsenter() const { return has_bwrap() && !tools_.nsenter.empty(); }

 private:
  template <class F>
  void repeat(int n, F f) {
    for (int i = 0; i < n; ++i)
      f();
  }

  void baseline() {
    repeat(plan_.warmup, [&] { launcher_.run({"/bin/true"}); });
    repeat(plan_.baseline, [&] {
      auto t = Clock::now();
      launcher_.run({"/bin/true"});
      r_.baseline.add(ms_since(t));
    });
  }

  // start + run(/bin/true) + destroy, each part timed.
  void one_cold(bool record) {
    auto t0 = Clock::now();
    auto box = sb::Sandbox::start(spec_);
    auto t1 = Clock::now();
    expect_success(box->run(true_request()));
    auto t2 = Clock::now();
    box.reset();
    auto t3 = Clock::now();
    if (!record) return;
    auto ms = [](auto a, auto b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    r_.cold_start.add(ms(t0, t1));
    r_.cold_run.add(ms(t1, t2));
    r_.cold_destroy.add(ms(t2, t3));
    r_.cold.add(ms(t0, t3));
  }

  void cold_in_process() {
    repeat(plan_.warmup, [&] { one_cold(false); });
    repeat(plan_.cold, [&] { one_cold(true); });
  }

  void timed_command(const std::vector<std::string>& argv, int n, Samples& out) {
    repeat(plan_.warmup, [&] { launcher_.run(argv); });
    repeat(n, [&] {
      auto t = Clock::now();
      launcher_.run(argv);
      out.add(ms_since(t));
    });
  }

  void cold_cli() { timed_command(cove_cli_argv(tools_, ws_), plan_.cold, r_.cold_cli); }
  void cold_bwrap() {
    timed_command(bwrap_argv(tools_, ws_, {"/bin/true"}), plan_.cold, r_.cold_bwrap);
  }

  void warm_cove() {
    auto box = sb::Sandbox::start(spec_);
    sb::SpawnRequest req = true_request();
    repeat(plan_.warmup, [&] { expect_success(box->run(req)); });
    repeat(plan_.warm, [&] {
      auto t = Clock::now();
      expect_success(box->run(req));
      r_.warm.add(ms_since(t));
    });
  }

  void warm_nsenter() {
    BwrapSession session(launcher_, tools_, ws_);
    timed_command(nsenter_argv(tools_, session.child()), plan_.nsenter, r_.warm_nsenter);
  }

  // Runs `one` plan_.throughput times over `threads` threads; records rate (and CPU at P=1).
  template <class F>
  void trial(int threads, Rates& rates, CpuPerLaunch* cpu, F one) {
    int per_thread = plan_.throughput / threads;
    double cpu_before = cpu_ms();
    rates.add(run_parallel(threads, per_thread, one));
    if (cpu) {
      cpu->ms += cpu_ms() - cpu_before;
      cpu->launches += threads * per_thread;
    }
  }

  void throughput() {
    auto in_process = [&] { expect_success(sb::Sandbox::start(spec_)->run(true_request())); };
    trial(1, r_.cove_p1, &r_.cove_cpu, in_process);
    trial(2, r_.cove_p2, nullptr, in_process);
    auto cli = [&, argv = cove_cli_argv(tools_, ws_)] { launcher_.run(argv); };
    trial(1, r_.cli_p1, &r_.cli_cpu, cli);
    trial(2, r_.cli_p2, nullptr, cli);
    if (!has_bwrap()) return;
    auto bwrap = [&, argv = bwrap_argv(tools_, ws_, {"/bin/true"})] { launcher_.run(argv); };
    trial(1, r_.bwrap_p1, &r_.bwrap_cpu, bwrap);
    trial(2, r_.bwrap_p2, nullptr, bwrap);
  }

  void idle_cove() {
    long before = memory_of(::getpid()).rss_kib;
    std::vector<std::unique_ptr<sb::Sandbox>> boxes;
    for (int i = 0; i < plan_.idle; ++i)
      boxes.push_back(sb::Sandbox::start(spec_));
    r_.cove_growth_kib = memory_of(::getpid()).rss_kib - before;
    auto sum_inits = [&](Memory& sum) {
      for (const auto& box : boxes) {
        Memory m = memory_of(box->init_pid());
        sum.rss_kib += m.rss_kib;
        sum.pss_kib += m.pss_kib;
      }
    };
    sum_inits(r_.cove_init);
    // A session's sandbox sits idle between commands, so measure that state too.
    for (const auto& box : boxes)
      expect_success(box->run(true_request()));
    sum_inits(r_.cove_init_used);
  }

  void idle_bwrap() {
    std::vector<std::unique_ptr<BwrapSession>> sessions;
    for (int i = 0; i < plan_.idle; ++i)
      sessions.push_back(std::make_unique<BwrapSession>(launcher_, tools_, ws_));
    int bwrap_procs = 0;
    for (const auto& s : sessions) {
      std::vector<pid_t> tree = descendants_of(s->pid());
      tree.push_back(s->pid());
      for (pid_t p : tree) {
        bool is_bwrap = comm_of(p) == "bwrap";
        Memory m = memory_of(p);
        Memory& sum = is_bwrap ? r_.bwrap_procs : r_.bwrap_payload;
        sum.rss_kib += m.rss_kib;
        sum.pss_kib += m.pss_kib;
        bwrap_procs += is_bwrap;
      }
    }
    r_.bwrap_per_sandbox = bwrap_procs / plan_.idle;
  }

  Plan plan_;
  Tools tools_;
  const Workspace& ws_;
  sb::SandboxSpec spec_;
  Launcher launcher_;
  Results r_;
};

// ---- report ----

void latency_row(const char* what, const Samples& s) {
  if (s.size() == 0) {
    std::printf("  %-44s %6s   (not measured)\n", what, "-");
    return;
  }
  std::printf("  %-44s %6zu %8.2f %8.2f %8.2f\n", what, s.size(), s.p50(), s.percentile(90),
              s.percentile(99));
}

void rate_row(const char* what, const Rates& r, const CpuPerLaunch* cpu = nullptr) {
  if (r.median() == 0) {
    std::printf("  %-44s %8s   (not measured)\n", what, "-");
    return;
  }
  std::printf("  %-44s %8.0f %8.0f", what, r.median(), r.best());
  if (cpu) std::printf(" %10.2f", cpu->per_launch());
  std::printf("\n");
}

void ratio_row(const char* what, double cove, double bwrap, const char* better) {
  if (bwrap <= 0) {
    std::printf("  %-44s %8s\n", what, "-");
    return;
  }
  std::printf("  %-44s %8.2f   (%.2f vs %.2f; %s is better)\n", what, cove / bwrap, cove, bwrap,
              better);
}

void target_row(const char* what, bool met, const std::string& measured) {
  std::printf("  %-44s %-8s %s\n", what, met ? "met" : "NOT MET", measured.c_str());
}

std::string fmt(const char* f, double a, double b = 0) {
  char buf[128];
  std::snprintf(buf, sizeof buf, f, a, b);
  return buf;
}

void report(const Results& r, const Plan& plan) {
  double n = plan.idle;
  double cove_rss = r.cove_init.rss_kib / n / 1024, cove_pss = r.cove_init.pss_kib / n / 1024;
  double growth = std::max(0L, r.cove_growth_kib) / n / 1024;
  double used_rss = r.cove_init_used.rss_kib / n / 1024;
  double used_pss = r.cove_init_used.pss_kib / n / 1024;
  double bw_rss = r.bwrap_procs.rss_kib / n / 1024, bw_pss = r.bwrap_procs.pss_kib / n / 1024;

  std::printf("\nlatency, ms (pooled over %d rounds)             n      p50      p90      p99\n",
              plan.rounds);
  latency_row("baseline: fork/exec /bin/true", r.baseline);
  latency_row("cold, cove in-process (start+true+destroy)", r.cold);
  latency_row("  of which Sandbox::start", r.cold_start);
  latency_row("  of which run(/bin/true)", r.cold_run);
  latency_row("  of which ~Sandbox", r.cold_destroy);
  latency_row("cold, cove CLI (cove sandbox run)", r.cold_cli);
  latency_row("cold, bwrap --unshare-all BWCORE", r.cold_bwrap);
  latency_row("warm spawn, cove run(/bin/true)", r.warm);
  latency_row("warm spawn, nsenter into bwrap sandbox", r.warm_nsenter);

  std::printf("\nthroughput, sandboxes/s (start+true+destroy)   median     best  CPU ms/launch\n");
  rate_row("cove in-process, P=1", r.cove_p1, &r.cove_cpu);
  rate_row("cove in-process, P=2", r.cove_p2);
  rate_row("cove CLI, P=1", r.cli_p1, &r.cli_cpu);
  rate_row("cove CLI, P=2", r.cli_p2);
  rate_row("bwrap, P=1", r.bwrap_p1, &r.bwrap_cpu);
  rate_row("bwrap, P=2", r.bwrap_p2);

  std::printf("\nidle memory per sandbox, MiB (%d held at once)      RSS      PSS\n", plan.idle);
  std::printf("  %-44s %8.2f %8.2f\n", "cove: init process, fresh", cove_rss, cove_pss);
  std::printf("  %-44s %8.2f %8.2f\n", "cove: init process, after one command", used_rss, used_pss);
  std::printf("  %-44s %8.2f\n", "cove: growth of the supervisor (this process)", growth);
  if (r.bwrap_per_sandbox > 0) {
    std::printf("  %-44s %8.2f %8.2f\n",
                fmt("bwrap: its %.0f bwrap processes", r.bwrap_per_sandbox).c_str(), bw_rss,
                bw_pss);
    std::printf("  %-44s %8.2f %8.2f\n", "bwrap: the payload (sleep), not counted",
                r.bwrap_payload.rss_kib / n / 1024, r.bwrap_payload.pss_kib / n / 1024);
  }

  std::printf("\nratio cove/bwrap\n");
  ratio_row("cold p50, in-process", r.cold.p50(), r.cold_bwrap.p50(), "lower");
  ratio_row("cold p99, in-process", r.cold.percentile(99), r.cold_bwrap.percentile(99), "lower");
  ratio_row("cold p50, CLI vs CLI", r.cold_cli.p50(), r.cold_bwrap.p50(), "lower");
  ratio_row("cold p99, CLI vs CLI", r.cold_cli.percentile(99), r.cold_bwrap.percentile(99),
            "lower");
  ratio_row("warm spawn p50 (vs nsenter)", r.warm.p50(), r.warm_nsenter.p50(), "lower");
  ratio_row("warm spawn p99 (vs nsenter)", r.warm.percentile(99), r.warm_nsenter.percentile(99),
            "lower");
  ratio_row("sandboxes/s P=1, in-process", r.cove_p1.median(), r.bwrap_p1.median(), "higher");
  ratio_row("sandboxes/s P=2, in-process", r.cove_p2.median(), r.bwrap_p2.median(), "higher");
  ratio_row("sandboxes/s P=2, CLI vs CLI", r.cli_p2.median(), r.bwrap_p2.median(), "higher");
  ratio_row("CPU ms per launch, in-process", r.cove_cpu.per_launch(), r.bwrap_cpu.per_launch(),
            "lower");
  ratio_row("idle RSS per sandbox (fresh init vs bwrap)", cove_rss, bw_rss, "lower");
  ratio_row("idle RSS per sandbox (used init vs bwrap)", used_rss, bw_rss, "lower");
  ratio_row("idle PSS per sandbox (fresh init vs bwrap)", cove_pss, bw_pss, "lower");

  double rate = std::max(r.cove_p1.median(), r.cove_p2.median());
  std::printf("\ntargets (issue 2; cove in-process)\n");
  target_row("cold <= 3 ms p50", r.cold.p50() <= 3,
             fmt("%.2f ms (CLI %.2f ms)", r.cold.p50(), r.cold_cli.p50()));
  target_row("cold <= 8 ms p99", r.cold.percentile(99) <= 8,
             fmt("%.2f ms (CLI %.2f ms)", r.cold.percentile(99), r.cold_cli.percentile(99)));
  target_row("warm spawn <= 1 ms p50", r.warm.p50() <= 1, fmt("%.2f ms", r.warm.p50()));
  target_row(">= 400 sandboxes/s", rate >= 400, fmt("%.0f /s (best of P=1, P=2 medians)", rate));
  double worst = std::max(cove_rss, used_rss) + growth;
  target_row("<= 2 MiB RSS per idle sandbox", worst <= 2,
             fmt("%.2f MiB (init fresh %.2f", worst, cove_rss) +
                 fmt(", after a command %.2f; + supervisor growth)", used_rss));
}

[[noreturn]] void usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: cove-bench-sandbox --cove PATH [--quick] [--rounds N]\n"
               "  --cove PATH  the cove CLI to measure (run.sh passes build/bin/cove)\n"
               "  --quick      a smoke run of about 15 s instead of about a minute\n"
               "  --rounds N   interleaved rounds (default 5)\n");
  std::exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  Plan plan;
  Tools tools;
  int rounds = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {
      plan = quick_plan();
    } else if (a == "--cove" && i + 1 < argc) {
      tools.cove = argv[++i];
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
      if (rounds < 1) usage(2);
    } else {
      usage(a == "--help" || a == "-h" ? 0 : 2);
    }
  }
  if (rounds) plan.rounds = rounds;
  if (tools.cove.empty()) usage(2);
  tools.bwrap = find_program("bwrap");
  tools.nsenter = find_program("nsenter");
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  utsname u{};
  ::uname(&u);
  std::printf("cove sandbox benchmark: %u CPUs, Linux %s, %s; %d interleaved rounds%s\n",
              std::thread::hardware_concurrency(), u.release,
              tools.bwrap.empty() ? "bwrap not installed (peer figures skipped)"
                                  : first_line_of(tools.bwrap + " --version").c_str(),
              plan.rounds, plan.idle < 50 ? " (--quick)" : "");
  try {
    Workspace ws(sb::sandbox_user_on_host(sb::SandboxSpec{}.identity).uid);
    std::printf("workspace %s bound at %s; load average %s\n", ws.path().c_str(), kWorkspace,
                first_line_of("cut -d' ' -f1-3 /proc/loadavg").c_str());
    Bench bench(plan, tools, ws);
    bench.check();
    auto start = Clock::now();
    for (int i = 0; i < plan.rounds; ++i) {
      bench.round();
      std::printf("round %d/%d done (%.1f s)\n", i + 1, plan.rounds, ms_since(start) / 1000);
    }
    bench.idle_memory();
    report(bench.results(), plan);
    std::printf("\ntotal %.1f s\n", ms_since(start) / 1000);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench sandbox: %s\n", e.what());
    return 1;
  }
}
