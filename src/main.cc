// The `ledger` command line: serve, replay, verify, tail.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "src/app/ledger.h"
#include "src/app/settings.h"

namespace {

using ledger::app::Settings;

std::atomic<bool> g_stop{false};

struct CommonOptions {
  std::string config = "config/ledger.toml";
  std::string data_dir;
  std::string log_backend;
  std::string brokers;
};

void AddCommon(CLI::App& cmd, CommonOptions& common) {
  cmd.add_option("-c,--config", common.config, "settings file")->capture_default_str();
  cmd.add_option("-d,--data-dir", common.data_dir, "data directory (overrides storage.data_dir)");
  cmd.add_option("--log", common.log_backend, "log backend: embedded or kafka (overrides log.backend)")
      ->check(CLI::IsMember({"embedded", "kafka"}));
  cmd.add_option("--brokers", common.brokers,
                 "Kafka bootstrap servers, e.g. 127.0.0.1:9092 (overrides kafka.brokers)");
  cmd.set_version_flag("--version", std::string("ledger ") + LEDGER_VERSION);
}

// Loads settings and applies the overrides; prints the problem and exits on failure.
Settings LoadOrExit(const CommonOptions& common) {
  auto settings = ledger::app::LoadSettings(common.config);
  if (!settings.ok()) {
    std::fprintf(stderr, "ledger: %s\n", settings.error().message.c_str());
    std::exit(2);
  }
  if (!common.data_dir.empty()) settings->data_dir = common.data_dir;
  if (!common.log_backend.empty()) settings->log_backend = common.log_backend;
  if (!common.brokers.empty()) settings->kafka.brokers = common.brokers;
  return *settings;
}

int Fail(const ledger::base::Error& error) {
  std::fprintf(stderr, "ledger: %s\n", error.message.c_str());
  return 1;
}

// The records a rebuild quarantined, one line each, by position.
void PrintQuarantine(const ledger::projections::Quarantine& quarantine) {
  if (quarantine.count == 0) return;
  std::printf("QUARANTINED: %llu log record(s) the projections could not apply:\n",
              (unsigned long long)quarantine.count);
  for (const auto& q : quarantine.first)
    std::printf("  %s[%d]@%llu %s %s: %s\n", q.where.topic.c_str(), q.where.partition,
                (unsigned long long)q.offset, q.subject.empty() ? "-" : q.subject.c_str(),
                q.type.empty() ? "-" : q.type.c_str(), q.reason.c_str());
  if (quarantine.count > quarantine.first.size())
    std::printf("  ... and %llu more\n", (unsigned long long)(quarantine.count - quarantine.first.size()));
}

std::string LogDescription(const Settings& s) {
  if (s.log_backend == "kafka") return "Kafka log at " + s.kafka.brokers;
  return "embedded log in " + s.log_dir();
}

int Serve(Settings settings) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // every thread inherits the mask
  auto ledger = ledger::app::Ledger::Start(settings);
  if (!ledger.ok()) return Fail(ledger.error());
  std::string key = settings.api_keys.empty() ? "<none configured>" : settings.api_keys.front().key;
  std::printf(
      "311 Ledger serving on http://%s:%u (%s)\n"
      "Authenticate with: -H 'Authorization: Bearer %s'\n"
      "Try: curl -H 'Authorization: Bearer %s' http://%s:%u/v1/catalog\n",
      settings.server.host.c_str(), (*ledger)->port(), LogDescription(settings).c_str(), key.c_str(),
      key.c_str(), settings.server.host.c_str(), (*ledger)->port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: shutting down", sig);
  (*ledger)->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"311 Ledger: an event-sourced ledger for 311 contact centers"};
  app.set_version_flag("--version", std::string("ledger ") + LEDGER_VERSION);
  app.require_subcommand(1);

  CommonOptions common;
  auto* serve = app.add_subcommand("serve", "serve the HTTP API (on the embedded log, or Kafka with --log kafka)");
  AddCommon(*serve, common);
  std::string host, catalog;
  int port = -1, threads = 0;
  serve->add_option("--host", host, "listen address (overrides server.host)");
  serve->add_option("-p,--port", port, "listen port (overrides server.port; 0 = any free port)")
      ->check(CLI::Range(0, 65535));
  serve->add_option("--threads", threads, "HTTP threads (overrides server.threads)")
      ->check(CLI::Range(1, 64));
  serve->add_option("--catalog", catalog, "service catalog (overrides catalog.path)");

  auto* replay = app.add_subcommand(
      "replay", "rebuild every projection from position 0 into a fresh state directory and swap it in");
  AddCommon(*replay, common);

  auto* verify = app.add_subcommand(
      "verify", "rebuild into a temporary directory and compare checksums with the live state "
                "(exit 0: equal, 3: different)");
  AddCommon(*verify, common);

  ledger::app::TailOptions tail_options;
  auto* tail = app.add_subcommand("tail", "print events of a topic as JSON lines");
  AddCommon(*tail, common);
  tail->add_option("-t,--topic", tail_options.topic, "topic, e.g. 311.requests or 311.dept.DOT")
      ->capture_default_str();
  tail->add_option("--from", tail_options.from, "first position (offset) to print")->capture_default_str();
  tail->add_flag("-f,--follow", tail_options.follow, "keep printing new events until interrupted");
  tail->add_option("-n,--limit", tail_options.limit, "stop after this many events");

  CLI11_PARSE(app, argc, argv);
  Settings settings = LoadOrExit(common);

  if (*serve) {
    if (!host.empty()) settings.server.host = host;
    if (port >= 0) settings.server.port = static_cast<uint16_t>(port);
    if (threads > 0) settings.server.threads = threads;
    if (!catalog.empty()) settings.catalog_path = catalog;
    return Serve(settings);
  }
  if (*replay) {
    auto report = ledger::app::Replay(settings);
    if (!report.ok()) return Fail(report.error());
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);  // ru_maxrss: KiB on Linux
    std::printf("replayed %llu events in %.3f s (%.0f events/s), peak RSS %ld MiB\nchecksum %s\n",
                (unsigned long long)report->events, report->seconds,
                report->seconds > 0 ? report->events / report->seconds : 0.0, usage.ru_maxrss / 1024,
                report->checksum.c_str());
    PrintQuarantine(report->quarantine);
    return 0;
  }
  if (*verify) {
    auto report = ledger::app::Verify(settings);
    if (!report.ok()) return Fail(report.error());
    std::printf("live     %s\nrebuilt  %s (%llu events)\n%s\n", report->live_checksum.c_str(),
                report->rebuilt_checksum.c_str(), (unsigned long long)report->events,
                report->match ? "OK: the live state equals a rebuild from the log"
                              : "MISMATCH: the live state differs from a rebuild from the log");
    PrintQuarantine(report->quarantine);
    return report->match ? 0 : 3;
  }
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });
  auto status = ledger::app::Tail(settings, tail_options, std::cout, g_stop);
  if (!status.ok()) return Fail(status.error());
  return 0;
}
