// RocksStateStore's reads of the performance views: day rows by name and
// day range, backlogs, and overdue counts.
#include "projections/internal/rocks_state_store.h"

namespace ledger::projections {
namespace {

// The name and day of a view row key "<name>\0<day>".
std::pair<std::string_view, std::string_view> SplitRowKey(std::string_view key) {
  size_t nul = key.find('\0');
  if (nul == std::string_view::npos) return {key, {}};
  return {key.substr(0, nul), key.substr(nul + 1)};
}

// The first key after every key that starts with "<name>\0".
std::string AfterName(std::string_view name) {
  std::string next(name);
  next.push_back('\x01');
  return next;
}

}  // namespace

base::Error CorruptViewRow(Column column, std::string_view name, std::string_view day, const std::string& why) {
  return MakeError(ErrorCode::kCorruption, std::string("state store: ") + ColumnName(column) + " row of " +
                                               std::string(name) + " on " + std::string(day) + ": " + why);
}

// Calls visit(name, day, value) for the rows of `column` from `from_day` to
// `to_day`, of `name` alone or of every name, seeking past the days
// outside the range.
template <typename Visit>
Status RocksStateStore::ScanViewRows(const rocksdb::ReadOptions& read, Column column, std::string_view name,
                                     std::string_view from_day, std::string_view to_day, Visit visit) {
  if (from_day > to_day) return {};
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, Handle(column)));
  it->Seek(performance::RowKey({std::string(name), std::string(from_day)}));
  while (it->Valid()) {
    auto [row_name, day] = SplitRowKey(it->key().ToStringView());
    if (!name.empty() && row_name != name) break;
    if (day < from_day) {
      it->Seek(performance::RowKey({std::string(row_name), std::string(from_day)}));
      continue;
    }
    if (day > to_day) {
      if (!name.empty()) break;
      it->Seek(AfterName(row_name));
      continue;
    }
    if (auto visited = visit(row_name, day, it->value().ToStringView()); !visited) return visited;
    it->Next();
  }
  if (!it->status().ok()) return FromRocks(it->status(), std::string("scan ") + ColumnName(column));
  return {};
}

// view_changes keys run "<kind><name>\0<time><day>": one name's changes
// after a time are one range, so a name costs a seek to its first change
// after it and a seek past its last.
template <typename Figures>
Result<std::map<performance::DayKey, Figures>> RocksStateStore::ChangesAfter(const rocksdb::ReadOptions& read,
                                                                             performance::ChangeKind kind,
                                                                             std::string_view name,
                                                                             int64_t after_ms) {
  std::map<performance::DayKey, Figures> changes;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, Handle(Column::kViewChanges)));
  for (it->Seek(performance::ChangesAfterKey(kind, name, after_ms)); it->Valid();) {
    auto parsed = performance::ParseChangeRowKey(it->key().ToStringView());
    if (!parsed || parsed->first != kind) break;
    const performance::ChangeKey& key = parsed->second;
    if (!name.empty() && key.name != name) break;
    if (key.appended_ms <= after_ms) {  // the start of the next name's changes
      it->Seek(performance::ChangesAfterKey(kind, key.name, after_ms));
      continue;
    }
    auto figures = Figures::Decode(it->value().ToStringView());
    if (!figures) return CorruptViewRow(Column::kViewChanges, key.name, key.day, figures.error().message);
    changes[{key.name, key.day}].Merge(*figures);
    it->Next();
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan view_changes");
  return changes;
}

template <typename Figures>
Result<std::vector<performance::DayRowOf<Figures>>> RocksStateStore::ReadViewRows(
    Column column, performance::ChangeKind kind, std::string_view name, std::string_view from_day,
    std::string_view to_day, std::optional<int64_t> as_of) {
  std::vector<performance::DayRowOf<Figures>> rows;
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.snapshot();
  auto scanned = ScanViewRows(read, column, name, from_day, to_day,
                              [&](std::string_view row_name, std::string_view day, std::string_view value) -> Status {
                                auto figures = Figures::Decode(value);
                                if (!figures) return CorruptViewRow(column, row_name, day, figures.error().message);
                                rows.push_back({std::string(row_name), std::string(day), std::move(*figures)});
                                return {};
                              });
  if (!scanned) return scanned.error();
  if (!as_of) return rows;
  auto later = ChangesAfter<Figures>(read, kind, name, *as_of);
  if (!later) return later.error();
  std::vector<performance::DayRowOf<Figures>> then;
  for (auto& row : rows) {
    if (auto change = later->find({row.name, row.day}); change != later->end() && !row.figures.Subtract(change->second))
      return CorruptViewRow(column, row.name, row.day, "holds less than the changes appended after as_of");
    if (!(row.figures == Figures{})) then.push_back(std::move(row));
  }
  return then;
}

Result<std::vector<DayRow>> RocksStateStore::DayRows(performance::Dimension dimension, std::string_view name,
                                                     std::string_view from_day, std::string_view to_day,
                                                     std::optional<int64_t> as_of) {
  return ReadViewRows<performance::DayFigures>(layout::DayColumn(dimension), performance::ChangeKindOf(dimension),
                                               name, from_day, to_day, as_of);
}

Result<std::vector<ChannelRow>> RocksStateStore::ChannelRows(std::string_view from_day, std::string_view to_day,
                                                             std::optional<int64_t> as_of) {
  return ReadViewRows<performance::ChannelFigures>(Column::kChannelDay, performance::ChangeKind::kChannel, "",
                                                   from_day, to_day, as_of);
}

// Only backlog_change is decoded of each row: a backlog sums every day
// since the first.
Result<std::map<std::string, int64_t>> RocksStateStore::Backlogs(performance::Dimension dimension,
                                                                 std::string_view name, std::string_view day,
                                                                 std::optional<int64_t> as_of) {
  std::map<std::string, int64_t> backlogs;
  Column column = layout::DayColumn(dimension);
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.snapshot();
  auto scanned = ScanViewRows(read, column, name, "", day,
                              [&](std::string_view row_name, std::string_view row_day, std::string_view value) -> Status {
                                auto change = performance::DayFigures::DecodeBacklogChange(value);
                                if (!change) return CorruptViewRow(column, row_name, row_day, change.error().message);
                                backlogs[std::string(row_name)] += *change;
                                return {};
                              });
  if (!scanned) return scanned.error();
  if (!as_of) return backlogs;
  auto later = ChangesAfter<performance::DayFigures>(read, performance::ChangeKindOf(dimension), name, *as_of);
  if (!later) return later.error();
  for (const auto& [key, change] : *later)
    if (key.second <= day) backlogs[key.first] -= change.backlog_change;
  return backlogs;
}

Result<std::vector<StateStore::UnpublishedDay>> RocksStateStore::UnpublishedDays(size_t limit) {
  std::vector<UnpublishedDay> days;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Handle(Column::kPerformanceOutbox)));
  for (it->SeekToFirst(); it->Valid() && days.size() < limit; it->Next()) {
    auto [department, day] = SplitRowKey(it->key().ToStringView());
    auto figures = performance::DayFigures::Decode(it->value().ToStringView());
    if (!figures) return CorruptViewRow(Column::kPerformanceOutbox, department, day, figures.error().message);
    days.push_back({std::string(department), std::string(day), std::move(*figures), it->value().ToString()});
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan performance_outbox");
  return days;
}

// idx_dept_deadline rows are "<dept>\0<deadline><id>": a department's
// overdue requests are the rows before "<dept>\0<now>".
Result<std::map<std::string, uint64_t>> RocksStateStore::OverdueCounts(std::string_view department,
                                                                       int64_t now_ms) {
  std::map<std::string, uint64_t> counts;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Handle(Column::kIdxDeptDeadline)));
  it->Seek(layout::JoinKey(department, ""));
  std::string now = layout::TimeKey(now_ms);
  while (it->Valid()) {
    auto [dept, rest] = SplitRowKey(it->key().ToStringView());
    if (!department.empty() && dept != department) break;
    if (rest.substr(0, now.size()) < now) {
      ++counts[std::string(dept)];
      it->Next();
    } else {
      it->Seek(AfterName(dept));
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan idx_dept_deadline");
  return counts;
}

}  // namespace ledger::projections
