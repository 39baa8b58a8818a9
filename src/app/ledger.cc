#include "src/app/ledger.h"

#include <sys/resource.h>

#include <filesystem>
#include <future>
#include <spdlog/spdlog.h>

#include "catalog/catalog.h"
#include "src/app/performance_publisher.h"
#include "src/app/sla_timer.h"
#include "commands/command_service.h"
#include "events/event_types.h"
#include "projections/state_store.h"
#include "src/app/projection_runner.h"
#include "src/http/api.h"
#include "src/http/server.h"
#include "src/app/log_backend.h"
#include "log/embedded/embedded_log_stats.h"

namespace ledger::app {
namespace {

namespace fs = std::filesystem;

// Events per topic folded in one batch by replay and verify: larger batches
// write each request's row once for more of its events, but the reader's
// batch ahead and the write batch grow with them (32768: a replay of 3M
// events peaked 370 MB higher, and was no faster).
constexpr size_t kRebuildBatchEvents = 8192;
// Request states a replay keeps decoded: a request's events come within
// days of each other, so the recent ones are enough.
constexpr size_t kRebuildCachedRequests = 100'000;
// How often changed department-days are looked for to publish on 311.performance.
constexpr std::chrono::milliseconds kPublishInterval{50};
using base::ErrorCode;
using base::MakeError;

class RunningLedger : public Ledger {
 public:
  base::Status Open(const Settings& s) {
    settings_ = s;
    auto catalog = catalog::Catalog::Load(s.catalog_path);
    if (!catalog.ok()) return catalog.error();
    catalog_ = *catalog;
    std::error_code ec;
    fs::create_directories(s.data_dir, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot create data directory " + s.data_dir + ": " + ec.message());
    ServingState serving{[this]() -> projections::StateStore& { return *store_; },
                         [this] { return runner_->Projected(); }};
    auto log = OpenLog(s, false, catalog_.get(), serving);
    if (!log.ok()) return log.error();
    log_ = std::move(*log);
    auto store = projections::StateStore::Open(s.state_dir(), projections::OpenMode::kReadWrite, catalog_);
    if (!store.ok()) return store.error();
    store_ = std::move(*store);
    runner_ = std::make_unique<ProjectionRunner>(*log_, *store_, s.projection_batch_events);
    commands_ = std::make_unique<commands::CommandService>(
        *catalog_, *log_, *store_,
        [this](commands::Positions targets, std::function<void()> done) {
          runner_->WhenProjected(std::move(targets), std::move(done));
        },
        std::chrono::seconds(s.idempotency_window_seconds));
    http::ApiDeps deps;
    deps.catalog = catalog_.get();
    deps.store = store_.get();
    deps.commands = commands_.get();
    deps.open_reader = [this](const std::string& topic) -> base::Result<std::shared_ptr<events::EventLog>> {
      if (settings_.log_backend != "kafka")  // the embedded log writes every topic itself
        return std::shared_ptr<events::EventLog>(log_.get(), [](events::EventLog*) {});
      auto reader = OpenLog(settings_, true, nullptr, {}, {topic});
      if (!reader.ok()) return reader.error();
      return std::shared_ptr<events::EventLog>(std::move(*reader));
    };
    deps.keys = s.api_keys;
    deps.max_json_depth = s.max_json_depth;
    deps.min_sample = s.min_sample;
    deps.fiscal_year_start = s.fiscal_year_start;
    deps.max_waiting_commands = s.max_waiting_commands;
    deps.clock = [] { return events::NowMs(); };
    deps.health = [this] { return Health(); };
    deps.append_metrics = [this](std::string& out) { AppendMetrics(out); };
    api_ = std::make_unique<http::LedgerApi>(std::move(deps));
    if (auto behind = CheckLogNotBehind(s); !behind.ok()) return behind;
    runner_->Start();
    if (auto caught_up = CatchUp(); !caught_up.ok()) return caught_up;
    if (s.sla_check_interval_ms > 0) {
      sla_timer_ = std::make_unique<SlaTimer>(*store_, *commands_, [] { return events::NowMs(); },
                                              std::chrono::milliseconds(s.sla_check_interval_ms));
      sla_timer_->Start();
    }
    if (s.publish_performance) {
      publisher_ = std::make_unique<PerformancePublisher>(*log_, *store_, s.min_sample, kPublishInterval);
      publisher_->Start();
    }
    router_ = StartDepartmentRouter(s);
    auto server = http::HttpServer::Start(
        s.server,
        [this](http::HttpRequest& request, http::Responder respond) {
          api_->Dispatch(request, std::move(respond));
        },
        [this](http::HttpRequest& head) { return api_->Admit(head); });
    if (!server.ok()) return server.error();
    server_ = std::move(*server);
    return {};
  }

  uint16_t port() const override { return server_->port(); }

  // Projections that have read further than the log reaches mean the log
  // lost events they hold (an older copy restored, a broker that lost
  // unreplicated data): serving would answer for events that are gone and
  // seal new ones onto missing heads. kCorruption naming the remedy.
  base::Status CheckLogNotBehind(const Settings& s) {
    Positions end = projections::ProjectedEnds(*log_);
    for (const auto& [tp, projected] : runner_->Projected()) {
      auto it = end.find(tp);
      uint64_t log_end = it == end.end() ? 0 : it->second;
      if (projected <= log_end) continue;
      return MakeError(ErrorCode::kCorruption,
                       "the projections in " + s.state_dir() + " have read " + tp.topic + "/" +
                           std::to_string(tp.partition) + " up to offset " + std::to_string(projected) +
                           ", but the log ends at " + std::to_string(log_end) +
                           ": the log is older than the projections (an older copy restored, or a "
                           "broker lost events). Run `ledger replay` to rebuild the projections from "
                           "the log as it is");
    }
    return {};
  }

  // Serving before the projections reflect the log at start would answer
  // 404 for requests that exist and decide commands on stale state.
  // A projection that cannot apply (a corrupt event, a full disk) stops the
  // start with its error rather than hanging.
  base::Status CatchUp() {
    Positions end = projections::ProjectedEnds(*log_);
    uint64_t behind = OffsetsBehind(end, runner_->Projected());
    if (behind == 0) return {};
    spdlog::info("catching up with the log before serving: {} offsets to read", behind);
    auto caught_up = std::make_shared<std::promise<void>>();
    auto done = caught_up->get_future();
    runner_->WhenProjected(end, [caught_up] { caught_up->set_value(); });
    while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
      std::string error = runner_->LastError();
      if (!error.empty())
        return MakeError(ErrorCode::kCorruption,
                         "cannot project the log before serving: " + error +
                             " (ledger verify / ledger replay rebuild the state from the log)");
    }
    return {};
  }

  void Stop() override {
    if (server_) server_->Stop();
    sla_timer_.reset();
    publisher_.reset();
    router_.reset();
    if (runner_) runner_->Stop();  // the thread ends; waiters stay
    // Closing the log completes pending appends; their callbacks still reach
    // the command service and the (stopped) runner, so both must outlive it.
    log_.reset();
    runner_.reset();  // drops the commands still waiting for projection
    store_.reset();
  }

  ~RunningLedger() override { Stop(); }

 private:
  uint64_t Lag() const { return OffsetsBehind(projections::ProjectedEnds(*log_), runner_->Projected()); }

  events::Json Health() const {
    std::string error = runner_->LastError();
    std::string log_problem = log_->Problem();
    std::string router_problem = router_ ? router_->Problem() : "";
    std::string sla_problem = sla_timer_ ? sla_timer_->Problem() : "";
    std::string publisher_problem = publisher_ ? publisher_->Problem() : "";
    auto quarantine = store_->Quarantined(kListedQuarantine);
    if (!quarantine.ok()) error = "cannot read the quarantine: " + quarantine.error().message;
    uint64_t quarantined = quarantine.ok() ? quarantine->count : 0;
    if (error.empty() && quarantined > 0)
      error = std::to_string(quarantined) +
              " log record(s) quarantined: the projections could not apply them and went on";
    bool ok = error.empty() && log_problem.empty() && router_problem.empty() && sla_problem.empty() &&
              publisher_problem.empty();
    events::Json j = {{"status", ok ? "ok" : "degraded"},
                      {"log", {{"backend", settings_.log_backend}, {"status", log_problem.empty() ? "ok" : log_problem}}},
                      {"projections", {{"lag_events", Lag()}, {"status", error.empty() ? "ok" : error}}}};
    if (quarantined > 0) {
      events::Json listed = events::Json::array();
      for (const auto& q : quarantine->first) listed.push_back(projections::QuarantinedEventJson(q));
      j["projections"]["quarantined"] = {{"count", quarantined}, {"first", std::move(listed)}};
    }
    if (publisher_)
      j["performance_stream"] = {{"status", publisher_problem.empty() ? "ok" : publisher_problem},
                                 {"days_published", publisher_->published()}};
    if (sla_timer_)
      j["sla_timer"] = {{"status", sla_problem.empty() ? "ok" : sla_problem},
                        {"breaches_recorded", sla_timer_->recorded()}};
    if (router_)
      j["department_router"] = {{"status", router_problem.empty() ? "ok" : router_problem},
                                {"events_routed", router_->routed()}};
    return j;
  }

  void AppendMetrics(std::string& out) const {
    out += "# HELP ledger_events_appended_total Events acknowledged by the log since start.\n";
    out += "# TYPE ledger_events_appended_total counter\n";
    out += "ledger_events_appended_total " + std::to_string(commands_->events_appended()) + "\n";
    out += "# HELP ledger_projection_events_total Events folded into the projections since start.\n";
    out += "# TYPE ledger_projection_events_total counter\n";
    out += "ledger_projection_events_total " + std::to_string(runner_->events_applied()) + "\n";
    out += "# HELP ledger_projection_lag_events Offsets of the log not yet projected (on Kafka\n"
           "# transaction markers take offsets too).\n";
    out += "# TYPE ledger_projection_lag_events gauge\n";
    out += "ledger_projection_lag_events " + std::to_string(Lag()) + "\n";
    auto quarantine = store_->Quarantined(0);
    out += "# HELP ledger_projection_quarantined_events Log records the projections could not\n"
           "# apply and skipped (see /healthz; ledger verify and replay list them).\n";
    out += "# TYPE ledger_projection_quarantined_events gauge\n";
    out += "ledger_projection_quarantined_events " +
           (quarantine.ok() ? std::to_string(quarantine->count) : std::string("NaN")) + "\n";
    out += "# HELP ledger_sla_breaches_recorded_total sla.breached events the SLA timer recorded since start.\n";
    out += "# TYPE ledger_sla_breaches_recorded_total counter\n";
    out += "ledger_sla_breaches_recorded_total " + std::to_string(sla_timer_ ? sla_timer_->recorded() : 0) + "\n";
    auto stats = log::ReadEmbeddedLogStats(*log_);
    out += "# HELP ledger_log_group_commits_total Group commits of the embedded log (one fsync each).\n";
    out += "# TYPE ledger_log_group_commits_total counter\n";
    out += "ledger_log_group_commits_total " + std::to_string(stats.group_commits) + "\n";
    out += "# HELP ledger_log_appends_total Append calls stored by the embedded log.\n";
    out += "# TYPE ledger_log_appends_total counter\n";
    out += "ledger_log_appends_total " + std::to_string(stats.appends_stored) + "\n";
    out += "# HELP ledger_log_end_offset Next offset of each topic-partition.\n";
    out += "# TYPE ledger_log_end_offset gauge\n";
    for (auto& tp : log_->TopicPartitions()) {
      out += "ledger_log_end_offset{topic=\"" + tp.topic + "\",partition=\"" +
             std::to_string(tp.partition) + "\"} " + std::to_string(log_->EndOffset(tp)) + "\n";
    }
  }

  Settings settings_;
  std::shared_ptr<const catalog::Catalog> catalog_;
  std::unique_ptr<SlaTimer> sla_timer_;
  std::unique_ptr<PerformancePublisher> publisher_;
  std::unique_ptr<events::EventLog> log_;
  std::unique_ptr<projections::StateStore> store_;
  std::unique_ptr<ProjectionRunner> runner_;
  std::unique_ptr<commands::CommandService> commands_;
  std::unique_ptr<http::LedgerApi> api_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<log::DepartmentRouter> router_;  // Kafka only
};

}  // namespace

// File descriptors the ledger may hold beyond its connections: each
// RocksDB store keeps up to 512 table files open (kMaxOpenFiles in both),
// and Kafka clients, logs and pipes take some more.
constexpr rlim_t kDescriptorsBesideConnections = 2 * 512 + 256;

// Raises the soft limit on open files to the hard one, and refuses a start
// whose server.max_connections would not fit in it: running out, accept()
// fails without an answer and a RocksDB store fails to open a table file.
base::Status EnsureFileDescriptors(const Settings& s) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  rlim_t needed = rlim_t(s.server.max_connections) + kDescriptorsBesideConnections;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed)
    return MakeError(ErrorCode::kInvalidArgument,
                     "server.max_connections = " + std::to_string(s.server.max_connections) + " needs " +
                         std::to_string(needed) + " open files, but this process may open " +
                         std::to_string(limit.rlim_cur) +
                         " (ulimit -n): lower server.max_connections or raise the limit");
  return {};
}

base::Result<std::unique_ptr<Ledger>> Ledger::Start(const Settings& settings) {
  if (auto fits = EnsureFileDescriptors(settings); !fits) return fits.error();
  auto ledger = std::make_unique<RunningLedger>();
  auto opened = ledger->Open(settings);
  if (!opened.ok()) return opened.error();
  return std::unique_ptr<Ledger>(std::move(ledger));
}

namespace {

// Folds the log up to `until` (empty: its end now) into a fresh state
// directory at `dir`, replacing whatever is there, with the days of the
// catalog in settings `s`; the store is closed (flushed) on return.
base::Result<RebuildResult> RebuildInto(const Settings& s, events::EventLog& log, const std::string& dir,
                                        const Positions& until) {
  auto catalog = catalog::Catalog::Load(s.catalog_path);
  if (!catalog.ok()) return catalog.error();
  std::error_code ec;
  fs::remove_all(dir, ec);
  auto store = projections::StateStore::Open(dir, projections::OpenMode::kRebuild, *catalog, kRebuildCachedRequests);
  if (!store.ok()) return store.error();
  return Rebuild(log, **store, until, kRebuildBatchEvents);
}

}  // namespace

base::Result<RebuildResult> Replay(const Settings& s) {
  // Holding the data directory proves no server runs on it: the embedded log
  // for writing, or on Kafka (a log shared with others) the live state.
  std::unique_ptr<projections::StateStore> held;
  if (s.log_backend == "kafka") {
    auto catalog = catalog::Catalog::Load(s.catalog_path);
    if (!catalog.ok()) return catalog.error();
    auto live = projections::StateStore::Open(s.state_dir(), projections::OpenMode::kReadWrite, *catalog);
    // A state RocksDB opened but found unusable (corrupt, another schema
    // version) is what a replay is for, and no server serves it: go on.
    if (!live.ok() && live.error().code != ErrorCode::kCorruption)
      return MakeError(live.error().code, "data directory " + s.data_dir +
                                              " is in use by another process, or unreadable (" +
                                              live.error().message + ")");
    if (live.ok()) held = std::move(*live);
  }
  auto log = OpenLog(s, s.log_backend == "kafka", nullptr);
  if (!log.ok()) return log.error();
  std::string fresh = s.state_dir() + ".replay";
  auto rebuilt = RebuildInto(s, **log, fresh, {});
  if (!rebuilt.ok()) return rebuilt.error();
  held.reset();
  std::error_code ec;
  std::string old = s.state_dir() + ".old";
  fs::remove_all(old, ec);
  if (fs::exists(s.state_dir())) fs::rename(s.state_dir(), old, ec);
  if (!ec) fs::rename(fresh, s.state_dir(), ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot swap in the rebuilt state: " + ec.message());
  fs::remove_all(old, ec);
  return rebuilt;
}

base::Result<VerifyReport> Verify(const Settings& s) {
  auto live = projections::StateStore::Open(s.state_dir(), projections::OpenMode::kReadOnly, nullptr);
  if (!live.ok()) return live.error();
  auto log = OpenLog(s, true, nullptr);
  if (!log.ok()) return log.error();
  // Positions and checksum from one view of the live state.
  auto positions = (*live)->Positions();
  auto live_sum = (*live)->Checksum();
  if (!live_sum.ok()) return live_sum.error();
  std::string temp = s.data_dir + "/verify-" + std::to_string(events::NowMs());
  auto rebuilt = RebuildInto(s, **log, temp, positions);
  std::error_code ec;
  fs::remove_all(temp, ec);
  if (!rebuilt.ok()) return rebuilt.error();
  return VerifyReport{*live_sum == rebuilt->checksum, *live_sum, rebuilt->checksum, rebuilt->events,
                      std::move(rebuilt->quarantine)};
}

base::Status Tail(const Settings& s, const TailOptions& options, std::ostream& out,
                    const std::atomic<bool>& stop_requested) {
  auto log = OpenLog(s, true, nullptr, {}, {options.topic});
  if (!log.ok()) return log.error();
  Positions next;  // per partition of the topic
  uint64_t printed = 0;
  while (!stop_requested) {
    for (const auto& tp : (*log)->TopicPartitions())
      if (tp.topic == options.topic) next.try_emplace(tp, options.from);
    bool printed_any = false;
    for (auto& [tp, offset] : next) {
      auto batch = (*log)->Read(tp, offset, 1024);
      // Following, a log that cannot answer now (a broker away, an open
      // transaction) is asked again.
      if (!batch.ok() && options.follow && batch.error().code == ErrorCode::kUnavailable) continue;
      if (!batch.ok()) return batch.error();
      for (auto& e : batch->events) {
        if (options.limit && printed >= *options.limit) return {};
        events::Json j = e.damage.empty() ? events::ToJson(e.event) : events::Json{{"damage", e.damage}};
        j["position"] = {{"topic", e.where.topic}, {"partition", e.where.partition}, {"offset", e.offset}};
        out << j.dump() << '\n';
        ++printed;
      }
      offset = batch->next;
      printed_any = printed_any || !batch->events.empty();
    }
    out.flush();
    if (printed_any) continue;
    if (!options.follow) return {};
    Positions seen = next;
    seen.try_emplace({options.topic, 0}, options.from);
    (*log)->WaitForAppend(seen, std::chrono::milliseconds(200));
  }
  return {};
}

}  // namespace ledger::app
