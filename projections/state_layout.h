#pragma once
// The layout of the state directory, internal to ledger_projections: column
// families, key encodings, and how a request listing maps onto an index.
// Pure: no RocksDB here, so the rules read (and test) on their own.
//
// All times in keys are 8-byte big-endian ms, so rows order by time; ids
// and codes never contain '\0', which separates key parts.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"
#include "events/event_log.h"
#include "performance/batch_views.h"
#include "projections/request_state.h"
#include "projections/state_store.h"

namespace ledger::projections::layout {

enum class Column {
  kDefault,            // unused; RocksDB requires it
  kRequests,           // id -> RequestRow (= RequestState::ToJson().dump())
  kHistory,            // id \0 sequence -> canonical event
  // "created" and "deadline" below are TimeKey(ms).
  kIdxCreated,         // created id -> ""
  kIdxDept,            // dept \0 created id -> ""
  kIdxDeptStatus,      // dept \0 status \0 created id -> ""
  kIdxService,         // service \0 created id -> ""
  kSlaTimers,          // deadline id -> "" while open with a deadline
  kContacts,           // contact id -> ContactRow
  kRequestContacts,    // request id \0 contact id -> ""
  kRequestDuplicates,  // parent id \0 child id -> ""
  kQuarantine,         // QuarantineKey -> QuarantineRow: events the fold could not apply
  kIdempotency,        // IdempotencyKey -> IdempotencyRow: events stored with an Idempotency-Key
  kIdxDeptDeadline,    // dept \0 deadline id -> "" while open with a deadline
  kSlaPending,         // deadline id -> "" while RequestState::AwaitsBreach (the SLA timer's)
  // The performance views (performance/): what the department views' fold
  // keeps of each request, and the day rows, keyed performance::RowKey.
  kRequestFacts,       // id -> performance::RequestFacts::Encode()
  kDeptDay,            // dept \0 day -> performance::DayFigures::Encode()
  kServiceDay,         // service code \0 day -> DayFigures
  kAreaDay,            // area \0 day -> DayFigures
  kChannelDay,         // channel \0 day -> performance::ChannelFigures::Encode()
  // The same changes by append time, for as_of: performance::ChangeRowKey
  // -> the figures it added (merge operands, summed on read).
  kViewChanges,
  // Department-days changed and not yet published on 311.performance:
  // dept \0 day -> the row as it was changed. Not part of the checksum.
  kPerformanceOutbox,
  kMeta,               // positions and schema version
};
inline constexpr size_t kColumnCount = 23;
inline constexpr std::array<const char*, kColumnCount> kColumnNames = {
    "default",     "requests",   "history",  "idx_created",      "idx_dept",
    "idx_dept_status", "idx_service", "sla_timers", "contacts", "request_contacts",
    "request_duplicates", "quarantine", "idempotency", "idx_dept_deadline", "sla_pending", "request_facts",
    "dept_day", "service_day", "area_day", "channel_day", "view_changes", "performance_outbox", "meta"};
// The column of the day rows counted by `d`.
Column DayColumn(performance::Dimension d);
inline const char* ColumnName(Column c) { return kColumnNames[static_cast<size_t>(c)]; }

inline constexpr std::string_view kSchemaVersionKey = "schema_version";
// 4: view_changes (the views by append time). 3: the performance views'
// columns and outbox, idx_dept_deadline and sla_pending. 2: times in
// index keys are TimeKey (1: the raw bits, which put times before 1970
// after every later one).
inline constexpr std::string_view kSchemaVersion = "4";

std::string BigEndian64(uint64_t value);
// A time (UTC ms, negative before 1970) as 8 bytes that sort as the times do.
std::string TimeKey(int64_t time_ms);
// REQUIRES: bytes.size() >= 8.
uint64_t ReadBigEndian64(std::string_view bytes);
// The time of a TimeKey. REQUIRES: bytes.size() >= 8.
int64_t ReadTimeKey(std::string_view bytes);

// a \0 b: history, link and index keys are built this way.
std::string JoinKey(std::string_view a, std::string_view b);
std::string HistoryKey(std::string_view request_id, uint64_t sequence);

// meta: "pos/" + topic + '\0' + decimal partition -> next offset (BigEndian64).
inline constexpr std::string_view kPositionPrefix = "pos/";
std::string PositionKey(const events::TopicPartition& tp);
std::optional<events::TopicPartition> ParsePositionKey(std::string_view key);

// quarantine: topic \0 BigEndian64(partition) BigEndian64(offset), so rows
// sort by position; the row is the JSON of a QuarantinedEvent.
std::string QuarantineKey(const events::TopicPartition& tp, uint64_t offset);
std::string QuarantineRow(const QuarantinedEvent& quarantined);
base::Result<QuarantinedEvent> ParseQuarantineRow(std::string_view row);

// idempotency: actor \0 key \0 QuarantineKey(position) -> IdempotencyRow,
// one row per event a command with an Idempotency-Key stored.
std::string IdempotencyPrefix(std::string_view actor, std::string_view key);
std::string IdempotencyKey(std::string_view actor, std::string_view key,
                           const events::TopicPartition& tp, uint64_t offset);
// {"digest", "accepted_ms", "subject", "topic", "partition", "offset"}
std::string IdempotencyRow(const events::StoredEvent& stored, const events::IdempotencyMark& mark);
// The rows of one key, combined into the latest command that used it.
base::Result<std::optional<IdempotencyRecord>> CombineIdempotencyRows(
    const std::vector<std::string>& rows);

struct IndexRow {
  Column column;
  std::string key;
  auto operator<=>(const IndexRow&) const = default;
};
// Every index row the request has in its current state, sorted.
std::vector<IndexRow> IndexRowsOf(const RequestState& state);

// The `requests` row of a request: RequestState::ToJson().dump(), byte for
// byte (the checksum covers it), written without building the JSON object.
std::string RequestRow(const RequestState& state);

// The `contacts` row of a contact.received event: the compact JSON (sorted
// keys) of its data without `personal`, plus `channel` (the event's, when
// the data has none) and `time` (RFC 3339; it replaces any `time` in data).
std::string ContactRow(const events::Event& contact_received);

// One page's scan of one index.
struct ListingPlan {
  Column index;
  std::string prefix;      // every row of the scan starts with it
  std::string start;       // first key to seek to
  bool skip_start = false; // start is the previous page's last key
  std::string end;         // exclusive upper bound; empty = the prefix's end
  size_t id_offset = 0;    // request id = key.substr(id_offset)
  size_t scan_budget = 0;  // rows read before a page ends with a cursor

  bool Covers(std::string_view key) const {
    return key.starts_with(prefix) && (end.empty() || key < end);
  }
};
// Chooses the index for `query` and decodes its cursor: kInvalidArgument
// "invalid cursor" for one not made by EncodeCursor for the same index and
// prefix; kInvalidArgument for limit 0.
base::Result<ListingPlan> PlanListing(const RequestQuery& query);
std::string EncodeCursor(const ListingPlan& plan, std::string_view last_key);
// True if `state` satisfies every filter of `query` (index-implied ones too,
// so a row read while the index moves never shows up wrongly).
bool Matches(const RequestQuery& query, const RequestState& state);

}  // namespace ledger::projections::layout
