#pragma once
// StateStore: the projections' RocksDB state directory. It holds the request
// views, their secondary indexes, contact links, each request's history, and
// the log positions they reflect. Every ApplyBatch writes state and
// positions in one WriteBatch, so a crash resumes exactly once.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "catalog/catalog.h"
#include "events/event_log.h"
#include "performance/batch_views.h"
#include "projections/request_state.h"

namespace ledger::projections {

using base::Result;
using base::Status;

// kRebuild: read-write for a fresh directory that a rebuild fills from the
// log: no write-ahead log (a crashed rebuild is started over), memtables
// flushed when the store is closed. Request rows are written when their
// requests leave the writer's cache, or before a read (GetRequest,
// GetStoredRequest, ListRequests, Checksum) or close, rather than with each
// ApplyBatch, so a request folded over many batches is written once. Reads
// give the right answer but are slow until the store is reopened: it is
// tuned for writing.
enum class OpenMode { kReadWrite, kReadOnly, kRebuild };

// Request states the writer keeps in memory between batches (see Open).
inline constexpr size_t kCachedRequests = 200'000;

// Filters of GET /v1/requests. Served from an index chosen by the filters
// present, first match wins: department+status, department+overdue_only,
// department, service, overdue_only, else created time; the other filters
// are checked on the rows read. Results are ordered by creation time,
// except overdue_only queries without status or service, which are ordered
// by SLA deadline, oldest first.
struct RequestQuery {
  std::optional<std::string> department;
  std::optional<std::string> status;
  std::optional<std::string> service_code;
  std::optional<int64_t> created_from_ms;  // inclusive
  std::optional<int64_t> created_to_ms;    // exclusive
  bool overdue_only = false;               // open with deadline < now_ms
  int64_t now_ms = 0;
  size_t limit = 50;
  std::string cursor;  // opaque, from a previous page's next_cursor
};

// A page reads a bounded number of index rows (50 per requested row), so a
// page may hold fewer than `limit` requests, even none, while next_cursor
// is set; follow the cursor until it is empty.
struct RequestPage {
  std::vector<RequestState> requests;
  std::string next_cursor;  // empty when there is no further page
};

// A request as GET /v1/requests/{id} shows it: state plus derived links.
struct RequestView {
  RequestState state;
  std::vector<std::string> contacts;    // contact ids linked to the request
  std::vector<std::string> duplicates;  // requests marked as duplicates of it
};

// Thread-safe: reads may run beside one another and beside ApplyBatch.
// A request as stored: the text of RequestState::ToJson() and its links,
// for readers that serve the state as it is.
struct StoredRequest {
  std::string state_json;
  std::vector<std::string> contacts;
  std::vector<std::string> duplicates;
};

// A record of the log the fold could not apply: kept out of the views,
// with why, and skipped so that everything behind it is projected. The
// same log quarantines the same records in every rebuild.
struct QuarantinedEvent {
  events::TopicPartition where;
  uint64_t offset = 0;
  std::string event_id;  // as far as the record could be read ("" if not)
  std::string subject;
  std::string type;
  uint64_t sequence = 0;
  std::string reason;
};

// {"topic", "partition", "offset", "id", "subject", "type", "sequence", "reason"}
events::Json QuarantinedEventJson(const QuarantinedEvent& quarantined);

struct Quarantine {
  uint64_t count = 0;
  std::vector<QuarantinedEvent> first;  // in log position order, at most the number asked
};

// A command stored with an Idempotency-Key: what a repeat of it answers.
struct IdempotencyRecord {
  std::string digest;       // of the request that first came with the key
  int64_t accepted_ms = 0;  // when the ledger accepted that request
  // Where its events are, primary records in call order (contacts first).
  std::vector<std::pair<events::TopicPartition, uint64_t>> positions;
  std::string request_id;  // "" if none
  std::string contact_id;  // "" if none
};

// A day row of the performance views: a department code, service code,
// area or channel, a local day ("2026-11-23") and its figures.
using DayRow = performance::DayRowOf<performance::DayFigures>;
using ChannelRow = performance::DayRowOf<performance::ChannelFigures>;

class StateStore {
 public:
  // Opens (creating in kReadWrite) the state directory at `path`.
  // kReadOnly works while another process has it open for writing. The
  // writer keeps up to `cached_requests` (> 0) recently folded request states
  // in memory, so their next events need not read and decode their rows.
  // The performance views take their days from `catalog`'s time zone:
  // kInvalidArgument without one, except for kReadOnly.
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path, OpenMode mode,
                                                  std::shared_ptr<const catalog::Catalog> catalog,
                                                  size_t cached_requests = kCachedRequests);
  virtual ~StateStore() = default;

  // Folds `events` (in log order per topic-partition) into the views and
  // stores, in the same atomic write, the position after the last event of
  // each topic-partition. Events at or below a stored position are skipped,
  // so applying a batch twice changes nothing. 311.requests events change
  // requests; 311.contacts events record contacts and their request links;
  // both feed the performance views (performance/), whose rows each batch
  // reads and writes once; other topics only advance their positions. A record it cannot apply is
  // quarantined (see
  // QuarantinedEvent) instead: one that did not decode (StoredEvent::damage),
  // a 311.requests event without a subject, of a request never submitted, a
  // second submission, or one whose sequence is not the request's version + 1
  // or whose prevhash is not the hash of that version (a forked or broken
  // chain). kUnavailable on a read-only store, or on a kRebuild store after
  // a failed write (start the rebuild over); kCorruption if a stored row does
  // not decode; nothing is written on failure.
  virtual Status ApplyBatch(const std::vector<events::StoredEvent>& events) = 0;

  // The latest command that `actor` sent with Idempotency-Key `key`, once
  // its events are projected; nullopt if there is none.
  virtual Result<std::optional<IdempotencyRecord>> FindIdempotencyKey(std::string_view actor,
                                                                      std::string_view key) = 0;

  // How many records are quarantined, and the first `max_listed` of them.
  virtual Result<Quarantine> Quarantined(size_t max_listed) = 0;

  // Next offset to read per topic-partition (absent = 0).
  virtual std::map<events::TopicPartition, uint64_t> Positions() = 0;

  virtual Result<std::optional<RequestView>> GetRequest(const std::string& id) = 0;
  // GetRequest without decoding the state: for GET /v1/requests/{id}.
  virtual Result<std::optional<StoredRequest>> GetStoredRequest(const std::string& id) = 0;
  // Every event of the request's stream in sequence order.
  virtual Result<std::vector<events::Event>> History(const std::string& id) = 0;
  // kInvalidArgument for a cursor this store did not make for the same
  // index and department/service, or for limit 0.
  virtual Result<RequestPage> ListRequests(const RequestQuery& query) = 0;

  // A request whose deadline passed while it waits for its sla.breached.
  struct DueTimer {
    std::string request_id;
    int64_t deadline_ms = 0;
  };
  // Up to `limit` requests awaiting a breach (RequestState::AwaitsBreach)
  // whose deadline is before `now_ms`, oldest deadline first.
  virtual Result<std::vector<DueTimer>> DueTimers(int64_t now_ms, size_t limit) = 0;

  // A department-day changed since it was last published on 311.performance.
  struct UnpublishedDay {
    std::string department;
    std::string day;
    performance::DayFigures figures;
    std::string stored;  // the outbox row, for MarkPublished
  };
  // Up to `limit` changed department-days, in department and day order.
  virtual Result<std::vector<UnpublishedDay>> UnpublishedDays(size_t limit) = 0;
  // Takes the given days out of the outbox, each only if it has not changed
  // again since UnpublishedDays read it (then it stays, to be published anew).
  virtual Status MarkPublished(const std::vector<UnpublishedDay>& published) = 0;

  // Counts the batches that changed the performance views since the store
  // was opened: readers that keep figures know when to read again.
  virtual uint64_t ViewsChanged() const = 0;

  // The reads of the views below answer as the views stand now, or with
  // `as_of` (UTC ms) as they stood then: folded from the events appended
  // at or before it (StoredEvent::appended_ms), later ones taken back.
  // A row nothing had changed by then is absent.
  //
  // The performance views' day rows counted by `dimension`, from `from_day`
  // to `to_day` (local dates, inclusive), of `name` alone or of every name
  // when it is empty; ordered by name, then day.
  virtual Result<std::vector<DayRow>> DayRows(performance::Dimension dimension, std::string_view name,
                                              std::string_view from_day, std::string_view to_day,
                                              std::optional<int64_t> as_of) = 0;
  // The backlog at the end of `day` per name (of `name` alone when set):
  // the sum of backlog_change over its days up to `day`.
  virtual Result<std::map<std::string, int64_t>> Backlogs(performance::Dimension dimension,
                                                          std::string_view name, std::string_view day,
                                                          std::optional<int64_t> as_of) = 0;
  // The channel rows from `from_day` to `to_day`, ordered by channel, then day.
  virtual Result<std::vector<ChannelRow>> ChannelRows(std::string_view from_day, std::string_view to_day,
                                                      std::optional<int64_t> as_of) = 0;
  // Open requests past their deadline at `now_ms`, per department (of
  // `department` alone when set; departments with none are absent).
  virtual Result<std::map<std::string, uint64_t>> OverdueCounts(std::string_view department,
                                                                int64_t now_ms) = 0;

  // Hex BLAKE2b-256 over every key and value of every view and index and of
  // the quarantine (positions and the performance outbox excluded): equal checksums mean byte-identical
  // state.
  virtual Result<std::string> Checksum() = 0;

  // For read-only stores: see writes the writer made since opening (or the
  // last Refresh). A no-op for kReadWrite.
  virtual Status Refresh() = 0;
};

}  // namespace ledger::projections
