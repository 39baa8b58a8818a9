// Micro-benchmarks of the event codec on the hot paths: the log writer seals
// and encodes every appended event, replay decodes every stored one.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "events/event.h"
#include "events/event_types.h"

namespace ledger::events {
namespace {

// A request.submitted event shaped like the ones bench/traffic.cc appends
// (~600 bytes canonical).
Event SubmittedEvent() {
  Event e;
  e.id = "01KAQ6Z5X8V2D0M3N4P5Q6R7S8";
  e.source = "/intake/http";
  e.type = std::string(types::kRequestSubmitted);
  e.time_ms = 1795442880123;
  e.subject = "SR-0A1B2C3D4E5F6";
  e.data = {
      {"service_code", "POTHOLE"},
      {"service_name", "Pothole repair"},
      {"department", "DOT"},
      {"description", "Deep pothole in the right lane"},
      {"location",
       {{"address", "1200 Rockville Pike"}, {"zip", "20852"}, {"lat", 39.0612}, {"lon", -77.1198}}},
      {"attributes", {{"size", "large"}}},
      {"customer_kind", "resident"},
      {"priority", "normal"},
      {"sla_deadline", "2026-11-26T14:08:00.123Z"},
      {"personal",
       {{"name", "Zoë Ortiz"}, {"phone", "+1 240 555 0100"}}}};
  e.sequence = 1;
  e.actor = "agent:ana";
  e.channel = "phone";
  SealEvent(e, "");
  return e;
}

void BM_EncodeCanonical(benchmark::State& state) {
  Event e = SubmittedEvent();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = EncodeCanonical(e);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes"] = double(bytes);
}
BENCHMARK(BM_EncodeCanonical);

// What the log writer does per append: chain the event, then encode it.
void BM_SealThenEncode(benchmark::State& state) {
  Event e = SubmittedEvent();
  const std::string prevhash(64, 'a');
  for (auto _ : state) {
    SealEvent(e, prevhash);
    std::string out = EncodeCanonical(e);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_SealThenEncode);

// The same with one serialization.
void BM_SealAndEncode(benchmark::State& state) {
  Event e = SubmittedEvent();
  const std::string prevhash(64, 'a');
  for (auto _ : state) {
    base::Result<std::string> out = SealAndEncode(e, prevhash);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_SealAndEncode);

void BM_DecodeEvent(benchmark::State& state) {
  const std::string bytes = EncodeCanonical(SubmittedEvent());
  for (auto _ : state) {
    base::Result<Event> e = DecodeEvent(bytes);
    benchmark::DoNotOptimize(e);
  }
}
BENCHMARK(BM_DecodeEvent);

// What the Kafka reader does per record: gather the headers (seen in
// place), decode the event, keep its canonical encoding.
void BM_DecodeBinaryMessage(benchmark::State& state) {
  const BinaryMessage m = ToBinaryMessage(SubmittedEvent());
  for (auto _ : state) {
    std::vector<MessageHeader> headers;
    headers.reserve(m.headers.size());
    for (const auto& [name, value] : m.headers) headers.push_back({name, value});
    base::Result<Event> e = FromBinaryMessage(headers, m.value);
    std::string encoded = EncodeCanonical(*e, m.value);
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(encoded);
  }
}
BENCHMARK(BM_DecodeBinaryMessage);

void BM_FormatTime(benchmark::State& state) {
  int64_t ms = 1795442880123;
  for (auto _ : state) {
    std::string out = FormatTime(ms++);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_FormatTime);

}  // namespace
}  // namespace ledger::events

BENCHMARK_MAIN();
