#pragma once
// BatchViews: the view changes of one batch of events, summed per
// department-, service-, area- and channel-day, so that the store reads and writes
// each row a batch touches once (replay is a batch job: a month of events
// touches a few thousand rows, not one row per event).

#include <cstdint>
#include <iterator>
#include <map>
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

class BatchViews {
 public:
  // REQUIRES: `catalog` outlives the views (its time zone decides the days).
  explicit BatchViews(const catalog::Catalog& catalog) : catalog_(catalog) {}

  // Folds an event of the request `facts` describe (see FoldRequestEvent)
  // into the department-, service- and area-days, and the request's first
  // submission into its channel's day.
  void AddRequestEvent(RequestFacts& facts, const events::Event& event);
  // Folds a contact.received into its channel's day.
  void AddContactEvent(const events::Event& event);

  const std::map<DayKey, DayFigures>& days(Dimension d) const { return days_[static_cast<size_t>(d)]; }
  const std::map<DayKey, DayFigures>& departments() const { return days(Dimension::kDepartment); }
  const std::map<DayKey, ChannelFigures>& channels() const { return channels_; }
  bool empty() const;
  void Clear();

 private:
  void AddChannel(const events::Event& event);

  const catalog::Catalog& catalog_;
  std::map<DayKey, DayFigures> days_[std::size(kDimensions)];
  std::map<DayKey, ChannelFigures> channels_;
};

}  // namespace ledger::performance
