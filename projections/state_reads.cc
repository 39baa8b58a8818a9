#include "projections/internal/rocks_state_store.h"

#include <algorithm>

#include "projections/state_checksum.h"

namespace ledger::projections {

Result<std::optional<std::string>> RocksStateStore::LoadRequestText(std::string_view id) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), Handle(Column::kRequests), id, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "read request");
  return std::optional<std::string>(std::move(value));
}

Result<std::optional<RequestState>> RocksStateStore::LoadRequest(std::string_view id) {
  auto text = LoadRequestText(id);
  if (!text) return text.error();
  if (!*text) return std::optional<RequestState>();
  Json json = Json::parse(**text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object())
    return MakeError(ErrorCode::kCorruption, "state store: request row '" + std::string(id) +
                                                 "' is not a JSON object");
  return std::optional<RequestState>(RequestState::FromJson(json));
}

template <typename Visit>
Status RocksStateStore::ScanPrefix(Column column, std::string_view prefix, Visit visit) {
  rocksdb::ReadOptions options;
  options.prefix_same_as_start = HasStreamPrefix(column);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, Handle(column)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (auto visited = visit(it->key().ToStringView(), it->value().ToStringView()); !visited)
      return visited;
  }
  if (!it->status().ok()) return FromRocks(it->status(), std::string("scan ") + ColumnName(column));
  return {};
}

Result<std::map<events::TopicPartition, uint64_t>> RocksStateStore::ReadPositions() {
  std::map<events::TopicPartition, uint64_t> positions;
  auto scanned = ScanPrefix(Column::kMeta, layout::kPositionPrefix,
                            [&](std::string_view key, std::string_view value) -> Status {
                              auto tp = layout::ParsePositionKey(key);
                              if (!tp || value.size() != 8)
                                return MakeError(ErrorCode::kCorruption,
                                                 "state store: bad position row");
                              positions[*tp] = layout::ReadBigEndian64(value);
                              return {};
                            });
  if (!scanned) return scanned.error();
  return positions;
}

std::map<events::TopicPartition, uint64_t> RocksStateStore::Positions() {
  auto positions = ReadPositions();
  return positions ? std::move(*positions) : std::map<events::TopicPartition, uint64_t>{};
}

Result<std::vector<std::string>> RocksStateStore::LinkedIds(Column column, const std::string& id) {
  std::vector<std::string> ids;
  std::string prefix = layout::JoinKey(id, "");
  auto scanned = ScanPrefix(column, prefix, [&](std::string_view key, std::string_view) -> Status {
    ids.emplace_back(key.substr(prefix.size()));
    return {};
  });
  if (!scanned) return scanned.error();
  return ids;
}

Status RocksStateStore::LoadLinks(const std::string& id, std::vector<std::string>& contacts,
                                  std::vector<std::string>& duplicates) {
  auto linked_contacts = LinkedIds(Column::kRequestContacts, id);
  if (!linked_contacts) return linked_contacts.error();
  auto linked_duplicates = LinkedIds(Column::kRequestDuplicates, id);
  if (!linked_duplicates) return linked_duplicates.error();
  contacts = std::move(*linked_contacts);
  duplicates = std::move(*linked_duplicates);
  return {};
}

Result<std::optional<RequestView>> RocksStateStore::GetRequest(const std::string& id) {
  if (auto written = WriteUnwritten(); !written) return written.error();
  auto state = LoadRequest(id);
  if (!state) return state.error();
  if (!*state) return std::optional<RequestView>();
  RequestView view{std::move(**state), {}, {}};
  if (auto links = LoadLinks(id, view.contacts, view.duplicates); !links) return links.error();
  return std::optional<RequestView>(std::move(view));
}

Result<std::optional<StoredRequest>> RocksStateStore::GetStoredRequest(const std::string& id) {
  if (auto written = WriteUnwritten(); !written) return written.error();
  auto text = LoadRequestText(id);
  if (!text) return text.error();
  if (!*text) return std::optional<StoredRequest>();
  StoredRequest stored{std::move(**text), {}, {}};
  if (auto links = LoadLinks(id, stored.contacts, stored.duplicates); !links) return links.error();
  return std::optional<StoredRequest>(std::move(stored));
}

Result<std::vector<events::Event>> RocksStateStore::History(const std::string& id) {
  std::vector<events::Event> history;
  auto scanned = ScanPrefix(Column::kHistory, layout::JoinKey(id, ""),
                            [&](std::string_view, std::string_view value) -> Status {
                              auto event = events::DecodeEvent(value);
                              if (!event) return event.error();
                              history.push_back(std::move(*event));
                              return {};
                            });
  if (!scanned) return scanned.error();
  return history;
}

Result<RequestPage> RocksStateStore::ListRequests(const RequestQuery& query) {
  if (auto written = WriteUnwritten(); !written) return written.error();
  auto plan = layout::PlanListing(query);
  if (!plan) return plan.error();
  RequestPage page;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Handle(plan->index)));
  it->Seek(plan->start);
  if (plan->skip_start && it->Valid() && it->key() == plan->start) it->Next();
  size_t scanned = 0;
  std::string last_key;
  for (; it->Valid() && plan->Covers(it->key().ToStringView()); it->Next()) {
    if (scanned == plan->scan_budget || page.requests.size() == query.limit) {
      page.next_cursor = layout::EncodeCursor(*plan, last_key);
      break;
    }
    ++scanned;
    last_key = it->key().ToString();
    auto state = LoadRequest(std::string_view(last_key).substr(plan->id_offset));
    if (!state) return state.error();
    if (*state && layout::Matches(query, **state)) page.requests.push_back(std::move(**state));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "list requests");
  return page;
}

Result<std::optional<IdempotencyRecord>> RocksStateStore::FindIdempotencyKey(std::string_view actor,
                                                                              std::string_view key) {
  std::vector<std::string> rows;
  auto scanned = ScanPrefix(Column::kIdempotency, layout::IdempotencyPrefix(actor, key),
                            [&](std::string_view, std::string_view value) -> Status {
                              rows.emplace_back(value);
                              return {};
                            });
  if (!scanned) return scanned.error();
  return layout::CombineIdempotencyRows(rows);
}

Result<Quarantine> RocksStateStore::Quarantined(size_t max_listed) {
  Quarantine quarantine;
  auto scanned = ScanPrefix(Column::kQuarantine, "",
                            [&](std::string_view, std::string_view value) -> Status {
                              if (quarantine.count++ >= max_listed) return {};
                              auto row = layout::ParseQuarantineRow(value);
                              if (!row) return row.error();
                              quarantine.first.push_back(std::move(*row));
                              return {};
                            });
  if (!scanned) return scanned.error();
  return quarantine;
}

Result<std::string> RocksStateStore::Checksum() {
  if (auto written = WriteUnwritten(); !written) return written.error();
  std::vector<size_t> order;
  for (size_t i = 0; i < layout::kColumnCount; ++i)
    if (static_cast<Column>(i) != Column::kMeta && static_cast<Column>(i) != Column::kPerformanceOutbox)
      order.push_back(i);
  std::sort(order.begin(), order.end(), [](size_t a, size_t b) {
    return std::string_view(layout::kColumnNames[a]) < std::string_view(layout::kColumnNames[b]);
  });
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  for (size_t i : order) handles.push_back(handles_[i]);
  rocksdb::ReadOptions options;
  options.total_order_seek = true;
  options.fill_cache = false;  // one pass over everything: nothing to keep
  options.readahead_size = 256 << 10;  // per table file the scan has open: dozens at once
  // NewIterators: one consistent view across every column.
  std::vector<rocksdb::Iterator*> raw;
  auto s = db_->NewIterators(options, handles, &raw);
  if (!s.ok()) return FromRocks(s, "checksum");
  std::vector<std::unique_ptr<rocksdb::Iterator>> iterators(raw.begin(), raw.end());

  StateChecksum checksum;
  for (size_t n = 0; n < order.size(); ++n) {
    checksum.Add('C', layout::kColumnNames[order[n]]);
    auto& it = iterators[n];
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      checksum.Add('K', it->key().ToStringView());
      checksum.Add('V', it->value().ToStringView());
    }
    if (!it->status().ok()) return FromRocks(it->status(), "checksum");
  }
  return checksum.Finish();
}

// sla_pending keys are TimeKey(deadline) + id.
Result<std::vector<StateStore::DueTimer>> RocksStateStore::DueTimers(int64_t now_ms, size_t limit) {
  if (auto written = WriteUnwritten(); !written) return written.error();
  std::vector<DueTimer> due;
  std::string now = layout::TimeKey(now_ms);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Handle(Column::kSlaPending)));
  for (it->SeekToFirst(); it->Valid() && due.size() < limit; it->Next()) {
    std::string_view key = it->key().ToStringView();
    if (key.size() <= 8 || key.substr(0, 8) >= now) break;
    due.push_back({std::string(key.substr(8)), layout::ReadTimeKey(key)});
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan sla_pending");
  return due;
}

Status RocksStateStore::Refresh() {
  if (!read_only()) return {};
  auto s = db_->TryCatchUpWithPrimary();
  if (!s.ok()) return FromRocks(s, "catch up with writer");
  return {};
}

}  // namespace ledger::projections
