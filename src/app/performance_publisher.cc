#include "src/app/performance_publisher.h"

#include <future>
#include <memory>

#include "events/event_types.h"
#include "performance/report.h"

namespace ledger::app {
namespace {

constexpr size_t kPage = 512;

}  // namespace

PerformancePublisher::PerformancePublisher(events::EventLog& log, projections::StateStore& store,
                                           uint64_t min_sample, std::chrono::milliseconds interval)
    : log_(log), store_(store), min_sample_(min_sample), worker_(interval, [this] { return PublishPage(); }) {}

bool PerformancePublisher::PublishPage() {
  auto days = store_.UnpublishedDays(kPage);
  if (!days.ok()) {
    worker_.SetProblem("cannot read the performance outbox: " + days.error().message);
    return false;
  }
  if (days->empty()) return false;
  int64_t now = events::NowMs();
  std::vector<events::AppendRecord> records;
  for (const auto& day : *days) {
    // The backlog at the end of a day sums every day before it, so a change
    // of an earlier day would make it stale: the record carries the day's
    // own backlog_change instead.
    events::Json figures = events::Json::object();
    for (auto& [name, value] : performance::FigureCells(day.figures, 0, min_sample_))
      if (name != "backlog") figures[name] = value;
    figures["backlog_change"] = day.figures.backlog_change;
    events::Event e;
    e.id = events::NewEventId(now);
    e.source = "/performance";
    e.type = std::string(events::types::kPerformanceDayChanged);
    e.time_ms = now;
    e.subject = day.department + "/" + day.day;
    e.actor = "system:performance";
    e.data = {{"department", day.department}, {"day", day.day}, {"figures", std::move(figures)}};
    records.push_back({std::string(events::topics::kPerformance), std::move(e), std::nullopt, {}});
  }
  // The callback may come after Stop: it only touches what it owns.
  auto stored = std::make_shared<std::promise<base::Status>>();
  auto done = stored->get_future();
  log_.Append(std::move(records), [stored](base::Result<std::vector<events::StoredEvent>> result) {
    stored->set_value(result.ok() ? base::Status() : base::Status(result.error()));
  });
  while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready)
    if (worker_.stopping()) return false;
  if (auto appended = done.get(); !appended) {
    worker_.SetProblem("cannot publish on " + std::string(events::topics::kPerformance) + ": " + appended.error().message);
    return false;
  }
  if (auto marked = store_.MarkPublished(*days); !marked) {
    worker_.SetProblem("cannot mark days published: " + marked.error().message);
    return false;
  }
  published_ += days->size();
  worker_.SetProblem("");
  return days->size() == kPage;
}

}  // namespace ledger::app
