#include "performance/batch_views.h"

#include <algorithm>

namespace ledger::performance {
namespace {

constexpr size_t kTimeBytes = 8;

}  // namespace

std::string RowKey(const DayKey& key) {
  std::string out = key.first;
  out.push_back('\0');
  out += key.second;
  return out;
}

ChangeKind ChangeKindOf(Dimension d) {
  switch (d) {
    case Dimension::kDepartment: return ChangeKind::kDepartment;
    case Dimension::kService: return ChangeKind::kService;
    case Dimension::kArea: return ChangeKind::kArea;
  }
  return ChangeKind::kDepartment;
}

std::string ChangesAfterKey(ChangeKind kind, std::string_view name, int64_t after_ms) {
  std::string out(1, static_cast<char>(kind));
  out.append(name);
  out.push_back('\0');
  // Times below 0 are stored as 0, so "after" a negative time is from 0 on.
  uint64_t first = after_ms < 0 ? 0 : static_cast<uint64_t>(after_ms) + 1;
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(first >> shift));
  return out;
}

std::string ChangeRowKey(ChangeKind kind, const ChangeKey& key) {
  std::string out = ChangesAfterKey(kind, key.name, std::max<int64_t>(key.appended_ms, 0) - 1);
  out += key.day;
  return out;
}

std::optional<std::pair<ChangeKind, ChangeKey>> ParseChangeRowKey(std::string_view key) {
  if (key.empty()) return std::nullopt;
  auto kind = static_cast<ChangeKind>(key[0]);
  if (kind != ChangeKind::kDepartment && kind != ChangeKind::kService && kind != ChangeKind::kArea &&
      kind != ChangeKind::kChannel)
    return std::nullopt;
  size_t nul = key.find('\0', 1);
  if (nul == std::string_view::npos || key.size() < nul + 1 + kTimeBytes) return std::nullopt;
  uint64_t ms = 0;
  for (size_t i = 0; i < kTimeBytes; ++i) ms = (ms << 8) | static_cast<uint8_t>(key[nul + 1 + i]);
  return std::pair{kind, ChangeKey{std::string(key.substr(1, nul - 1)), static_cast<int64_t>(ms),
                                   std::string(key.substr(nul + 1 + kTimeBytes))}};
}

void BatchViews::AddDay(Dimension d, const std::string& name, const DayChange& change, int64_t appended_ms) {
  auto i = static_cast<size_t>(d);
  days_[i][{name, change.day}].Merge(change.delta);
  changes_[i][{name, std::max<int64_t>(appended_ms, 0), change.day}].Merge(change.delta);
}

void BatchViews::AddRequestEvent(RequestFacts& facts, const events::Event& event, int64_t appended_ms) {
  bool unsubmitted = facts.standing == RequestFacts::Standing::kNone;
  for (const auto& change : FoldRequestEvent(facts, event, catalog_)) {
    AddDay(Dimension::kService, change.service, change, appended_ms);
    if (change.service_only) continue;
    AddDay(Dimension::kArea, facts.area, change, appended_ms);
    AddDay(Dimension::kDepartment, change.department, change, appended_ms);
  }
  // A request counts toward its channel once, when its submission is folded.
  if (unsubmitted && facts.standing != RequestFacts::Standing::kNone) AddChannel(event, appended_ms);
}

void BatchViews::AddContactEvent(const events::Event& event, int64_t appended_ms) { AddChannel(event, appended_ms); }

void BatchViews::AddChannel(const events::Event& event, int64_t appended_ms) {
  auto change = FoldChannelEvent(event, catalog_);
  if (!change) return;
  channel_changes_[{change->channel, std::max<int64_t>(appended_ms, 0), change->day}].Merge(change->delta);
  channels_[{std::move(change->channel), std::move(change->day)}].Merge(change->delta);
}

bool BatchViews::empty() const {
  for (const auto& days : days_)
    if (!days.empty()) return false;
  return channels_.empty();
}

void BatchViews::Clear() {
  for (auto& days : days_) days.clear();
  for (auto& changes : changes_) changes.clear();
  channels_.clear();
  channel_changes_.clear();
}

}  // namespace ledger::performance
