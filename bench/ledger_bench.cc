// ledger_bench: the ledger in process, without HTTP. Append + project with
// N concurrent appenders (every ack durable, every answer projected: what a
// POST waits for), and request reads from the state store (what a GET does).
// Counters: items_per_second (events or reads), p50_us / p99_us per call.
//
// Data goes to a temporary directory under $TMPDIR (or /tmp); fsync costs
// what that disk costs. The catalog is $LEDGER_CATALOG or the shipped one.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>

#include <benchmark/benchmark.h>

#include "bench/traffic.h"
#include "commands/command_service.h"
#include "events/event_types.h"
#include "projections/state_store.h"
#include "src/app/projection_runner.h"
#include "log/embedded/embedded_log.h"

namespace ledger::bench {
namespace {

using Clock = std::chrono::steady_clock;

const std::shared_ptr<const catalog::Catalog>& ShippedCatalogPtr() {
  static const std::shared_ptr<const catalog::Catalog> catalog = [] {
    const char* env = std::getenv("LEDGER_CATALOG");
    auto loaded = catalog::Catalog::Load(env ? env : LEDGER_SOURCE_DIR "/config/catalog.toml");
    if (!loaded.ok()) {
      std::fprintf(stderr, "ledger_bench: %s\n", loaded.error().message.c_str());
      std::exit(2);
    }
    return *loaded;
  }();
  return catalog;
}

const catalog::Catalog& ShippedCatalog() { return *ShippedCatalogPtr(); }

// Log, state store, projection runner and command service wired as
// `ledger serve` wires them, in a temporary data directory.
class InProcessLedger {
 public:
  InProcessLedger() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ledger-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) Die("mkdtemp failed");
    dir_ = pattern;
    auto log = log::OpenEmbeddedLog({dir_ + "/log", false, 4096});
    if (!log.ok()) Die(log.error().message);
    log_ = std::move(*log);
    auto store = projections::StateStore::Open(dir_ + "/state", projections::OpenMode::kReadWrite,
                                               ShippedCatalogPtr());
    if (!store.ok()) Die(store.error().message);
    store_ = std::move(*store);
    runner_ = std::make_unique<app::ProjectionRunner>(*log_, *store_, 2048);
    commands_ = std::make_unique<commands::CommandService>(
        ShippedCatalog(), *log_, *store_, [this](commands::Positions targets, std::function<void()> done) {
          runner_->WhenProjected(std::move(targets), std::move(done));
        });
    runner_->Start();
  }

  // The order of app/ledger.h: runner, log, store.
  ~InProcessLedger() {
    runner_->Stop();
    runner_.reset();
    commands_.reset();
    log_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Appends and waits until the records are durable and projected; "" or the error.
  std::string AppendProjected(std::vector<events::AppendRecord> records) {
    std::promise<std::string> outcome;
    log_->Append(std::move(records), [&](base::Result<std::vector<events::StoredEvent>> r) {
      if (!r.ok()) return outcome.set_value(r.error().message);
      app::Positions targets;
      for (const auto& e : *r)
        if (e.where.topic == events::topics::kRequests || e.where.topic == events::topics::kContacts)
          targets[e.where] = std::max(targets[e.where], e.offset + 1);
      runner_->WhenProjected(std::move(targets), [&] { outcome.set_value(""); });
    });
    return outcome.get_future().get();
  }

  commands::CommandService& commands() { return *commands_; }
  projections::StateStore& store() { return *store_; }

 private:
  [[noreturn]] static void Die(const std::string& message) {
    std::fprintf(stderr, "ledger_bench: %s\n", message.c_str());
    std::exit(1);
  }

  std::string dir_;
  std::unique_ptr<events::EventLog> log_;
  std::unique_ptr<projections::StateStore> store_;
  std::unique_ptr<app::ProjectionRunner> runner_;
  std::unique_ptr<commands::CommandService> commands_;
};

// Per-call latencies of every thread of one benchmark run.
class Latencies {
 public:
  void Clear() {
    std::lock_guard lock(mu_);
    micros_.clear();
  }
  void Add(Clock::time_point start) {
    double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    std::lock_guard lock(mu_);
    micros_.push_back(us);
  }
  // Sets p50_us and p99_us. REQUIRES: every thread's loop has ended.
  void Report(benchmark::State& state) {
    std::lock_guard lock(mu_);
    if (micros_.empty()) return;
    std::sort(micros_.begin(), micros_.end());
    auto at = [&](double q) { return micros_[std::min(micros_.size() - 1, size_t(q * micros_.size()))]; };
    state.counters["p50_us"] = at(0.50);
    state.counters["p99_us"] = at(0.99);
  }

 private:
  std::mutex mu_;
  std::vector<double> micros_;
};

// Shared by the threads of one run: thread 0 sets it up before the loop
// and tears it down after; the loop's start and end are barriers.
std::unique_ptr<InProcessLedger> g_ledger;
Latencies g_latencies;

void StartRun(benchmark::State& state) {
  if (state.thread_index() != 0) return;
  g_ledger = std::make_unique<InProcessLedger>();
  g_latencies.Clear();
}

void EndRun(benchmark::State& state, int64_t items_per_iteration = 1) {
  state.SetItemsProcessed(state.iterations() * items_per_iteration);
  if (state.thread_index() != 0) return;
  g_latencies.Report(state);
  g_ledger.reset();
}

TrafficOptions ThreadTraffic(const benchmark::State& state) {
  return {.seed = 1000 + uint64_t(state.thread_index())};
}

// The raw write path: one ready event (from the simulated center) per
// append, acknowledged once durable and projected.
void BM_AppendProject(benchmark::State& state) {
  StartRun(state);
  Traffic traffic(ShippedCatalog(), ThreadTraffic(state));
  for (auto _ : state) {
    std::vector<events::AppendRecord> records;
    records.push_back(traffic.NextEvent());
    auto start = Clock::now();
    if (auto error = g_ledger->AppendProjected(std::move(records)); !error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
    g_latencies.Add(start);
  }
  EndRun(state);
}

// Runs one command through the CommandService and waits for its answer.
template <typename Issue>
std::string RunCommand(Issue issue, commands::CommandOutcome* outcome) {
  std::promise<std::string> done;
  issue([&](base::Result<commands::CommandOutcome> r) {
    if (r.ok()) *outcome = std::move(*r);
    done.set_value(r.ok() ? "" : r.error().message);
  });
  return done.get_future().get();
}

commands::CommandContext Context(const std::string& source) {
  return {events::NowMs(), "key:bench", source};
}

// What POST /v1/requests does below HTTP: decide, append, wait for projection.
void BM_SubmitRequest(benchmark::State& state) {
  StartRun(state);
  Traffic traffic(ShippedCatalog(), ThreadTraffic(state));
  commands::CommandOutcome outcome;
  for (auto _ : state) {
    Json body = traffic.SubmitBody();
    auto start = Clock::now();
    std::string error = RunCommand(
        [&](commands::CommandCallback cb) {
          g_ledger->commands().SubmitRequest(std::move(body), Context("/v1/requests"), std::move(cb));
        },
        &outcome);
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
    g_latencies.Add(start);
  }
  EndRun(state);
}

// A desk's mix of commands: submit a request, a follow-up contact about it,
// then its lifecycle (assign, in_progress, resolve, close, ...), repeat.
void BM_CommandMix(benchmark::State& state) {
  StartRun(state);
  Traffic traffic(ShippedCatalog(), ThreadTraffic(state));
  commands::CommandOutcome outcome;
  std::string request_id;
  std::vector<Json> next;  // the current request's remaining command bodies
  for (auto _ : state) {
    auto start = Clock::now();
    std::string error;
    if (next.empty()) {
      error = RunCommand([&](commands::CommandCallback cb) {
        g_ledger->commands().SubmitRequest(traffic.SubmitBody(), Context("/v1/requests"), std::move(cb));
      }, &outcome);
      if (error.empty()) {
        request_id = outcome.request_id;
        next = traffic.LifecycleBodies(outcome.stored.front().event.data["department"]);
        next.push_back(traffic.ContactBody(request_id));
        std::reverse(next.begin(), next.end());  // taken from the back: the contact first
      }
    } else {
      Json body = std::move(next.back());
      next.pop_back();
      error = RunCommand([&](commands::CommandCallback cb) {
        if (body.contains("outcome"))
          g_ledger->commands().RecordContact(std::move(body), Context("/v1/contacts"), std::move(cb));
        else
          g_ledger->commands().ApplyCommand(request_id, std::move(body),
                                            Context("/v1/requests/" + request_id + "/events"), std::move(cb));
      }, &outcome);
    }
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
    g_latencies.Add(start);
  }
  EndRun(state);
}

// A ledger holding the requests of a simulated center (100,000 events),
// built on first use and removed at exit.
class SeededLedger {
 public:
  static SeededLedger& Get() {
    static SeededLedger seeded;
    return seeded;
  }
  InProcessLedger& ledger() { return ledger_; }
  const std::vector<std::string>& request_ids() const { return request_ids_; }

 private:
  SeededLedger() {
    Traffic traffic(ShippedCatalog(), {.seed = 7});
    constexpr size_t kEvents = 100'000, kBatch = 5'000;
    for (size_t done = 0; done < kEvents; done += kBatch) {
      std::vector<events::AppendRecord> batch;
      for (size_t i = 0; i < kBatch; ++i) {
        batch.push_back(traffic.NextEvent());
        if (batch.back().event.type == events::types::kRequestSubmitted)
          request_ids_.push_back(batch.back().event.subject);
      }
      if (auto error = ledger_.AppendProjected(std::move(batch)); !error.empty()) {
        std::fprintf(stderr, "ledger_bench: seeding failed: %s\n", error.c_str());
        std::exit(1);
      }
    }
  }

  InProcessLedger ledger_;
  std::vector<std::string> request_ids_;
};

// What GET /v1/requests/{id} does below HTTP: read the view and its links.
void BM_GetRequest(benchmark::State& state) {
  SeededLedger& seeded = SeededLedger::Get();
  const auto& ids = seeded.request_ids();
  if (state.thread_index() == 0) g_latencies.Clear();
  size_t i = size_t(state.thread_index()) * 7919;
  for (auto _ : state) {
    const std::string& id = ids[i++ % ids.size()];
    auto start = Clock::now();
    auto view = seeded.ledger().store().GetRequest(id);
    if (!view.ok() || !*view) {
      state.SkipWithError(("no request " + id).c_str());
      break;
    }
    g_latencies.Add(start);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() != 0) return;
  g_latencies.Report(state);
  state.counters["requests_stored"] = double(ids.size());
}

BENCHMARK(BM_AppendProject)->Threads(1)->Iterations(300)->UseRealTime();
BENCHMARK(BM_AppendProject)->Threads(16)->Iterations(200)->UseRealTime();
BENCHMARK(BM_AppendProject)->Threads(64)->Iterations(100)->UseRealTime();
BENCHMARK(BM_SubmitRequest)->Threads(1)->Iterations(300)->UseRealTime();
BENCHMARK(BM_SubmitRequest)->Threads(16)->Iterations(200)->UseRealTime();
BENCHMARK(BM_SubmitRequest)->Threads(64)->Iterations(100)->UseRealTime();
BENCHMARK(BM_CommandMix)->Threads(64)->Iterations(100)->UseRealTime();
BENCHMARK(BM_GetRequest)->Threads(1)->UseRealTime();
BENCHMARK(BM_GetRequest)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace ledger::bench

BENCHMARK_MAIN();
