#pragma once
// BatchViews: the view changes of one batch of events, summed per
// department-, service-, area- and channel-day, so that the store reads and writes
// each row a batch touches once (replay is a batch job: a month of events
// touches a few thousand rows, not one row per event).

#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <string_view>
#include <string>
#include <utility>

#include "catalog/catalog.h"
#include "events/event.h"
#include "performance/channel_day.h"
#include "performance/day_figures.h"
#include "performance/department_fold.h"

namespace ledger::performance {

// A view row: a department code, a service code, an area or a channel
// name, and a local day. Ordered by name, then day: one department's days
// are one key range.
using DayKey = std::pair<std::string, std::string>;

// A stored view row: its name, its day and its figures.
template <typename Figures>
struct DayRowOf {
  std::string name;
  std::string day;  // "2026-11-23"
  Figures figures;
};

// What the rows of DayFigures are counted by.
enum class Dimension : uint8_t { kDepartment, kService, kArea };
inline constexpr Dimension kDimensions[] = {Dimension::kDepartment, Dimension::kService, Dimension::kArea};

// The RocksDB key of a row: "<name>\0<day>". Department codes
// ([A-Z][A-Z0-9]{1,15}) and channel names never hold NUL.
std::string RowKey(const DayKey& key);

// What the events appended at one time changed in one row: the views as
// they stood at a time T are today's rows less the changes appended after T.
struct ChangeKey {
  std::string name;
  int64_t appended_ms = 0;  // StoredEvent::appended_ms (below 0 counts as 0)
  std::string day;
  auto operator<=>(const ChangeKey&) const = default;
};

// The RocksDB key of a change: "<kind><name>\0<appended_ms: 8 bytes,
// big-endian><day>", kind one byte per view (ChangeKind), so that one
// name's changes after a time are one key range.
enum class ChangeKind : char { kDepartment = 'd', kService = 's', kArea = 'a', kChannel = 'c' };
ChangeKind ChangeKindOf(Dimension d);
std::string ChangeRowKey(ChangeKind kind, const ChangeKey& key);
// The first key of `name`'s changes appended after `after_ms`.
std::string ChangesAfterKey(ChangeKind kind, std::string_view name, int64_t after_ms);
// Parses ChangeRowKey's form; nullopt for another.
std::optional<std::pair<ChangeKind, ChangeKey>> ParseChangeRowKey(std::string_view key);

class BatchViews {
 public:
  // REQUIRES: `catalog` outlives the views (its time zone decides the days).
  explicit BatchViews(const catalog::Catalog& catalog) : catalog_(catalog) {}

  // Folds an event of the request `facts` describe (see FoldRequestEvent),
  // appended at `appended_ms`, into the department-, service- and
  // area-days, and the request's first submission into its channel's day.
  void AddRequestEvent(RequestFacts& facts, const events::Event& event, int64_t appended_ms);
  // Folds a contact.received into its channel's day.
  void AddContactEvent(const events::Event& event, int64_t appended_ms);

  const std::map<DayKey, DayFigures>& days(Dimension d) const { return days_[static_cast<size_t>(d)]; }
  const std::map<DayKey, DayFigures>& departments() const { return days(Dimension::kDepartment); }
  const std::map<DayKey, ChannelFigures>& channels() const { return channels_; }
  // The same changes by append time (days() and channels() are their sums).
  const std::map<ChangeKey, DayFigures>& changes(Dimension d) const { return changes_[static_cast<size_t>(d)]; }
  const std::map<ChangeKey, ChannelFigures>& channel_changes() const { return channel_changes_; }
  bool empty() const;
  void Clear();

 private:
  void AddDay(Dimension d, const std::string& name, const DayChange& change, int64_t appended_ms);
  void AddChannel(const events::Event& event, int64_t appended_ms);

  const catalog::Catalog& catalog_;
  std::map<DayKey, DayFigures> days_[std::size(kDimensions)];
  std::map<DayKey, ChannelFigures> channels_;
  std::map<ChangeKey, DayFigures> changes_[std::size(kDimensions)];
  std::map<ChangeKey, ChannelFigures> channel_changes_;
};

}  // namespace ledger::performance
