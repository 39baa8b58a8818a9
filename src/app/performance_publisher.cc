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
    : log_(log), store_(store), min_sample_(min_sample), interval_(interval) {}

void PerformancePublisher::Start() { thread_ = std::thread([this] { Loop(); }); }

void PerformancePublisher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string PerformancePublisher::Problem() const {
  std::lock_guard lock(mu_);
  return problem_;
}

void PerformancePublisher::SetProblem(std::string problem) {
  std::lock_guard lock(mu_);
  problem_ = std::move(problem);
}

void PerformancePublisher::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    bool more = PublishPage();
    lock.lock();
    if (!more) wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

bool PerformancePublisher::PublishPage() {
  auto days = store_.UnpublishedDays(kPage);
  if (!days.ok()) {
    SetProblem("cannot read the performance outbox: " + days.error().message);
    return false;
  }
  if (days->empty()) return false;
  int64_t now = events::NowMs();
  std::vector<events::AppendRecord> records;
  for (const auto& day : *days) {
    auto backlogs = store_.Backlogs(performance::Dimension::kDepartment, day.department, day.day);
    if (!backlogs.ok()) {
      SetProblem("cannot read the backlog of " + day.department + ": " + backlogs.error().message);
      return false;
    }
    events::Json figures = events::Json::object();
    int64_t backlog = backlogs->count(day.department) ? backlogs->at(day.department) : 0;
    for (auto& [name, value] : performance::FigureCells(day.figures, backlog, min_sample_)) figures[name] = value;
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
  while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
  }
  if (auto appended = done.get(); !appended) {
    SetProblem("cannot publish on " + std::string(events::topics::kPerformance) + ": " + appended.error().message);
    return false;
  }
  if (auto marked = store_.MarkPublished(*days); !marked) {
    SetProblem("cannot mark days published: " + marked.error().message);
    return false;
  }
  published_ += days->size();
  SetProblem("");
  return days->size() == kPage;
}

}  // namespace ledger::app
