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
  for (auto& change : FoldRequestEvent(facts, event, catalog_))
    departments_[{std::move(change.department), std::move(change.day)}].Merge(change.delta);
  // A request counts toward its channel once, when its submission is folded.
  if (unsubmitted && facts.standing != RequestFacts::Standing::kNone) AddChannel(event);
}

void BatchViews::AddContactEvent(const events::Event& event) { AddChannel(event); }

void BatchViews::AddChannel(const events::Event& event) {
  if (auto change = FoldChannelEvent(event, catalog_))
    channels_[{std::move(change->channel), std::move(change->day)}].Merge(change->delta);
}

void BatchViews::Clear() {
  departments_.clear();
  channels_.clear();
}

}  // namespace ledger::performance
