// bench_seed_log: writes N realistic events (bench::Traffic) straight into
// the embedded log of a data directory, without projecting them, so that
// `ledger replay --data-dir D` can be timed on a log of that size.
//
// One thread generates the events in time order and keeps a few large
// appends in flight; the log's writer thread seals them and commits them in
// groups (one fsync each). A single producer keeps every stream in order.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "bench/append_window.h"
#include "bench/traffic.h"
#include "events/event_types.h"
#include "events/schema.h"
#include "log/embedded/embedded_log.h"

namespace {

using namespace ledger;

struct SeedOptions {
  std::string data_dir;
  std::string catalog = "config/catalog.toml";
  uint64_t events = 1'000'000;
  uint64_t seed = 1;
  size_t batch = 2000;   // records per append
  size_t in_flight = 4;  // appends queued at the log at once
  double requests_per_day = bench::TrafficOptions{}.requests_per_day;
};

int Fail(const std::string& message, int status = 1) {
  std::fprintf(stderr, "bench_seed_log: %s\n", message.c_str());
  return status;
}

int Seed(const SeedOptions& o) {
  auto catalog = catalog::Catalog::Load(o.catalog);
  if (!catalog.ok()) return Fail(catalog.error().message, 2);
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  if (ec) return Fail(o.data_dir + ": " + ec.message());
  // Large groups: the seeder wants throughput, and the events stored are the same.
  auto log = log::OpenEmbeddedLog({o.data_dir + "/log", false, 1 << 16});
  if (!log.ok()) return Fail(log.error().message);
  if (!(*log)->TopicPartitions().empty()) return Fail("the log in " + o.data_dir + "/log already holds events");
  bench::Traffic traffic(**catalog, {.seed = o.seed, .requests_per_day = o.requests_per_day});
  bench::AppendWindow window(**log, o.in_flight);
  auto start = std::chrono::steady_clock::now();
  std::string invalid;
  int64_t first_ms = INT64_MAX, last_ms = INT64_MIN;
  for (uint64_t done = 0; done < o.events && invalid.empty();) {
    std::vector<events::AppendRecord> records;
    size_t n = std::min<uint64_t>(o.batch, o.events - done);
    records.reserve(n);
    for (size_t i = 0; i < n && invalid.empty(); ++i) {
      records.push_back(traffic.NextEvent());
      const events::Event& e = records.back().event;
      first_ms = std::min(first_ms, e.time_ms);
      last_ms = std::max(last_ms, e.time_ms);
      // The schema check keeps the generator honest: replay must fold real events.
      if (auto valid = events::ValidateData(e.type, e.data); !valid.ok())
        invalid = "generated " + e.type + " is invalid: " + valid.error().message;
    }
    if (!invalid.empty() || !window.Append(std::move(records))) break;
    done += n;
  }
  // Appends in flight call back into `window`: wait for them on every path.
  auto failure = window.Drain();
  if (!invalid.empty()) return Fail(invalid);
  if (failure) return Fail("append failed: " + *failure);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("seeded %llu events (%llu stored with department copies) in %.3f s (%.0f events/s)\n",
              (unsigned long long)o.events, (unsigned long long)window.stored(), seconds,
              o.events / seconds);
  if (o.events > 0)
    std::printf("days %s to %s\n", (*catalog)->LocalDate(first_ms).c_str(), (*catalog)->LocalDate(last_ms).c_str());
  for (const auto& tp : (*log)->TopicPartitions())
    if (tp.topic.rfind(events::topics::kDeptPrefix, 0) != 0)
      std::printf("  %s: %llu events\n", tp.topic.c_str(), (unsigned long long)(*log)->EndOffset(tp));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_seed_log: write realistic 311 events straight into an embedded log"};
  SeedOptions o;
  app.add_option("-d,--data-dir", o.data_dir, "data directory (the log goes to <dir>/log)")->required();
  app.add_option("-n,--events", o.events, "events to write (department copies not counted)")
      ->capture_default_str();
  app.add_option("-s,--seed", o.seed, "traffic seed")->capture_default_str();
  app.add_option("--catalog", o.catalog, "service catalog")->capture_default_str();
  app.add_option("--batch", o.batch, "records per append")->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--in-flight", o.in_flight, "appends in flight")->capture_default_str()->check(CLI::Range(1, 64));
  app.add_option("--requests-per-day", o.requests_per_day, "mean new requests per simulated day (fewer: more days)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e6));
  CLI11_PARSE(app, argc, argv);
  return Seed(o);
}
