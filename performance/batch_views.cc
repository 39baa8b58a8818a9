#include "performance/batch_views.h"

namespace ledger::performance {

std::string RowKey(const DayKey& key) {
  std::string out = key.first;
  out.push_back('\0');
  out += key.second;
  return out;
}

void BatchViews::AddRequestEvent(RequestFacts& facts, const events::Event& event) {
  bool unsubmitted = facts.standing == RequestFacts::Standing::kNone;
  for (auto& change : FoldRequestEvent(facts, event, catalog_)) {
    auto& departments = days_[static_cast<size_t>(Dimension::kDepartment)];
    days_[static_cast<size_t>(Dimension::kService)][{facts.service, change.day}].Merge(change.delta);
    days_[static_cast<size_t>(Dimension::kArea)][{facts.area, change.day}].Merge(change.delta);
    departments[{std::move(change.department), std::move(change.day)}].Merge(change.delta);
  }
  // A request counts toward its channel once, when its submission is folded.
  if (unsubmitted && facts.standing != RequestFacts::Standing::kNone) AddChannel(event);
}

void BatchViews::AddContactEvent(const events::Event& event) { AddChannel(event); }

void BatchViews::AddChannel(const events::Event& event) {
  if (auto change = FoldChannelEvent(event, catalog_))
    channels_[{std::move(change->channel), std::move(change->day)}].Merge(change->delta);
}

bool BatchViews::empty() const {
  for (const auto& days : days_)
    if (!days.empty()) return false;
  return channels_.empty();
}

void BatchViews::Clear() {
  for (auto& days : days_) days.clear();
  channels_.clear();
}

}  // namespace ledger::performance
