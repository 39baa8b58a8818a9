#include "projections/state_layout.h"

#include <limits>

#include <sodium.h>

#include <algorithm>
#include <charconv>

#include "events/event_types.h"

namespace ledger::projections::layout {
namespace {

using base::ErrorCode;
using base::MakeError;

// Cursors are versioned so that a future layout can tell its own apart.
// c2: schema version 2 (TimeKey); a c1 cursor from before is refused.
constexpr std::string_view kCursorTag = "c2";
// A page reads at most limit * kScanFactor index rows (capped), so a query
// whose filters match rarely still answers quickly, with a cursor.
constexpr size_t kScanFactor = 50;
constexpr size_t kMaxScanBudget = 100000;

std::string CreatedKey(std::string_view prefix, int64_t created_ms, std::string_view id) {
  std::string key(prefix);
  key += TimeKey(created_ms);
  key += id;
  return key;
}

std::string Base64Url(std::string_view bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(),
                                            sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::string> FromBase64Url(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return std::nullopt;
  out.resize(length);
  return out;
}

// True if nlohmann's dump copies `s` as it is between quotes: no control
// character, quote, backslash or non-ASCII byte to escape or check.
bool IsPlainAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x80 && c != '"' && c != '\\';
  });
}

// Rows are written as nlohmann's compact dump writes them; the rare strings
// that need escaping go through the canonical encoder, which matches it.
void AppendString(std::string& out, std::string_view s) {
  if (!IsPlainAscii(s)) {
    out += events::EncodeCanonicalJson(Json(std::string(s)));
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

void AppendJson(std::string& out, const Json& value) {
  if (value.is_string()) {
    AppendString(out, value.get_ref<const std::string&>());
  } else {
    out += events::EncodeCanonicalJson(value);
  }
}

void AppendStringOrNull(std::string& out, std::string_view s) {
  if (s.empty()) {
    out += "null";
  } else {
    AppendString(out, s);
  }
}

void AppendTimeOrNull(std::string& out, int64_t ms) {
  if (ms == 0) {
    out += "null";
    return;
  }
  out += '"';
  out += events::FormatTime(ms);
  out += '"';
}

template <typename Integer>
void AppendInteger(std::string& out, Integer value) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

base::Error InvalidCursor() { return MakeError(ErrorCode::kInvalidArgument, "invalid cursor"); }

constexpr size_t kCheckSize = 8;

// A short digest so that a cursor mangled in transit is refused rather than
// silently starting somewhere else.
std::string CursorCheck(std::string_view payload) {
  std::string check(kCheckSize, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(check.data()), check.size(),
                     reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
                     nullptr, 0);
  return check;
}

std::string CursorHead(Column index) { return JoinKey(JoinKey(kCursorTag, ColumnName(index)), ""); }

// Cursor = base64url(tag \0 index name \0 last key, check).
base::Status ApplyCursor(std::string_view cursor, ListingPlan& plan) {
  auto raw = FromBase64Url(cursor);
  if (!raw || raw->size() < kCheckSize) return InvalidCursor();
  std::string_view payload = std::string_view(*raw).substr(0, raw->size() - kCheckSize);
  if (CursorCheck(payload) != std::string_view(*raw).substr(payload.size())) return InvalidCursor();
  std::string head = CursorHead(plan.index);
  if (!payload.starts_with(head)) return InvalidCursor();
  std::string last_key(payload.substr(head.size()));
  if (!last_key.starts_with(plan.prefix) || last_key.size() < plan.id_offset)
    return InvalidCursor();
  if (last_key >= plan.start) {
    plan.start = std::move(last_key);
    plan.skip_start = true;
  }
  return {};
}

ListingPlan ChooseIndex(const RequestQuery& q) {
  ListingPlan plan;
  if (q.department && q.status) {
    plan.index = Column::kIdxDeptStatus;
    plan.prefix = JoinKey(JoinKey(*q.department, *q.status), "");
  } else if (q.department && q.overdue_only) {
    // A department's overdue requests in deadline order, oldest first.
    plan.index = Column::kIdxDeptDeadline;
    plan.prefix = JoinKey(*q.department, "");
    plan.start = plan.prefix;
    plan.end = plan.prefix + TimeKey(q.now_ms);
    plan.id_offset = plan.prefix.size() + 8;
    return plan;
  } else if (q.department) {
    plan.index = Column::kIdxDept;
    plan.prefix = JoinKey(*q.department, "");
  } else if (q.service_code) {
    plan.index = Column::kIdxService;
    plan.prefix = JoinKey(*q.service_code, "");
  } else if (q.overdue_only) {
    // Deadline order: only rows with deadline < now are read at all.
    plan.index = Column::kSlaTimers;
    plan.start = TimeKey(std::numeric_limits<int64_t>::min());
    plan.end = TimeKey(q.now_ms);
    plan.id_offset = 8;
    return plan;
  } else {
    plan.index = Column::kIdxCreated;
  }
  plan.id_offset = plan.prefix.size() + 8;
  plan.start = plan.prefix;
  if (q.created_from_ms) plan.start += TimeKey(*q.created_from_ms);
  if (q.created_to_ms) plan.end = plan.prefix + TimeKey(*q.created_to_ms);
  return plan;
}

}  // namespace

std::string BigEndian64(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, value >>= 8) out[i] = static_cast<char>(value & 0xff);
  return out;
}

std::string TimeKey(int64_t time_ms) {
  return BigEndian64(static_cast<uint64_t>(time_ms) ^ (uint64_t{1} << 63));
}

int64_t ReadTimeKey(std::string_view bytes) {
  return static_cast<int64_t>(ReadBigEndian64(bytes) ^ (uint64_t{1} << 63));
}

uint64_t ReadBigEndian64(std::string_view bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::string JoinKey(std::string_view a, std::string_view b) {
  std::string key;
  key.reserve(a.size() + 1 + b.size());
  key.append(a).push_back('\0');
  key.append(b);
  return key;
}

std::string HistoryKey(std::string_view request_id, uint64_t sequence) {
  return JoinKey(request_id, BigEndian64(sequence));
}

std::string PositionKey(const events::TopicPartition& tp) {
  std::string key(kPositionPrefix);
  return JoinKey(key + tp.topic, std::to_string(tp.partition));
}

std::optional<events::TopicPartition> ParsePositionKey(std::string_view key) {
  if (!key.starts_with(kPositionPrefix)) return std::nullopt;
  key.remove_prefix(kPositionPrefix.size());
  auto nul = key.find('\0');
  if (nul == std::string_view::npos) return std::nullopt;
  events::TopicPartition tp{std::string(key.substr(0, nul)), 0};
  auto digits = key.substr(nul + 1);
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), tp.partition);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return tp;
}

std::string QuarantineKey(const events::TopicPartition& tp, uint64_t offset) {
  return JoinKey(tp.topic, BigEndian64(static_cast<uint32_t>(tp.partition)) + BigEndian64(offset));
}

std::string QuarantineRow(const QuarantinedEvent& q) {
  return QuarantinedEventJson(q).dump(-1, ' ', false, events::Json::error_handler_t::replace);
}

base::Result<QuarantinedEvent> ParseQuarantineRow(std::string_view row) {
  auto j = events::Json::parse(row, nullptr, /*allow_exceptions=*/false);
  auto bad = [] { return base::MakeError(base::ErrorCode::kCorruption, "state store: bad quarantine row"); };
  if (!j.is_object()) return bad();
  QuarantinedEvent q;
  try {
    q.where = {j.at("topic").get<std::string>(), j.at("partition").get<int32_t>()};
    q.offset = j.at("offset").get<uint64_t>();
    q.event_id = j.at("id").get<std::string>();
    q.subject = j.at("subject").get<std::string>();
    q.type = j.at("type").get<std::string>();
    q.sequence = j.at("sequence").get<uint64_t>();
    q.reason = j.at("reason").get<std::string>();
  } catch (const events::Json::exception&) {
    return bad();
  }
  return q;
}

std::string IdempotencyPrefix(std::string_view actor, std::string_view key) {
  return JoinKey(JoinKey(actor, key), "");
}

std::string IdempotencyKey(std::string_view actor, std::string_view key,
                           const events::TopicPartition& tp, uint64_t offset) {
  return IdempotencyPrefix(actor, key) + QuarantineKey(tp, offset);
}

std::string IdempotencyRow(const events::StoredEvent& stored, const events::IdempotencyMark& mark) {
  return events::Json({{"digest", mark.digest},
                       {"accepted_ms", mark.accepted_ms},
                       {"subject", stored.event.subject},
                       {"topic", stored.where.topic},
                       {"partition", stored.where.partition},
                       {"offset", stored.offset}})
      .dump(-1, ' ', false, events::Json::error_handler_t::replace);
}

base::Result<std::optional<IdempotencyRecord>> CombineIdempotencyRows(
    const std::vector<std::string>& rows) {
  std::optional<IdempotencyRecord> latest;
  for (const auto& row : rows) {
    auto j = events::Json::parse(row, nullptr, /*allow_exceptions=*/false);
    IdempotencyRecord one;
    events::TopicPartition tp;
    uint64_t offset = 0;
    std::string subject;
    try {
      one.digest = j.at("digest").get<std::string>();
      one.accepted_ms = j.at("accepted_ms").get<int64_t>();
      subject = j.at("subject").get<std::string>();
      tp = {j.at("topic").get<std::string>(), j.at("partition").get<int32_t>()};
      offset = j.at("offset").get<uint64_t>();
    } catch (const events::Json::exception&) {
      return base::MakeError(base::ErrorCode::kCorruption, "state store: bad idempotency row");
    }
    // A key used again after its window names a new command: the latest wins.
    if (latest && one.accepted_ms < latest->accepted_ms) continue;
    if (!latest || one.accepted_ms > latest->accepted_ms) latest = std::move(one);
    if (tp.topic == events::topics::kContacts) latest->contact_id = subject;
    if (tp.topic == events::topics::kRequests) latest->request_id = subject;
    latest->positions.emplace_back(std::move(tp), offset);
  }
  return latest;
}

Column DayColumn(performance::Dimension d) {
  switch (d) {
    case performance::Dimension::kDepartment: return Column::kDeptDay;
    case performance::Dimension::kService: return Column::kServiceDay;
    case performance::Dimension::kArea: return Column::kAreaDay;
  }
  return Column::kDeptDay;
}

std::vector<IndexRow> IndexRowsOf(const RequestState& s) {
  std::vector<IndexRow> rows = {
      {Column::kIdxCreated, CreatedKey("", s.created_ms, s.id)},
      {Column::kIdxDept, CreatedKey(JoinKey(s.department, ""), s.created_ms, s.id)},
      {Column::kIdxDeptStatus,
       CreatedKey(JoinKey(JoinKey(s.department, s.status), ""), s.created_ms, s.id)},
      {Column::kIdxService, CreatedKey(JoinKey(s.service_code, ""), s.created_ms, s.id)}};
  if (IsOpenStatus(s.status) && s.deadline_ms != 0) {
    rows.push_back({Column::kSlaTimers, TimeKey(s.deadline_ms) + s.id});
    rows.push_back({Column::kIdxDeptDeadline, JoinKey(s.department, TimeKey(s.deadline_ms) + s.id)});
  }
  if (s.AwaitsBreach()) rows.push_back({Column::kSlaPending, TimeKey(s.deadline_ms) + s.id});
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::string RequestRow(const RequestState& s) {
  std::string row;
  row.reserve(1024);
  row += R"({"assignee":)";
  AppendStringOrNull(row, s.assignee);
  row += R"(,"attributes":)";
  row += events::EncodeCanonicalJson(s.attributes);
  row += R"(,"channel":)";
  AppendStringOrNull(row, s.channel);
  row += R"(,"closed_at":)";
  AppendTimeOrNull(row, s.closed_ms);
  row += R"(,"created_at":)";
  AppendTimeOrNull(row, s.created_ms);
  row += R"(,"customer_kind":)";
  AppendStringOrNull(row, s.customer_kind);
  row += R"(,"department":)";
  AppendStringOrNull(row, s.department);
  row += R"(,"description":)";
  AppendStringOrNull(row, s.description);
  row += R"(,"external_agency":)";
  AppendStringOrNull(row, s.external_agency);
  row += R"(,"first_response_at":)";
  AppendTimeOrNull(row, s.first_response_ms);
  row += R"(,"id":)";
  AppendString(row, s.id);  // never null
  row += R"(,"last_hash":)";
  AppendStringOrNull(row, s.last_hash);
  row += R"(,"location":)";
  row += events::EncodeCanonicalJson(s.location);
  row += R"(,"notes":)";
  AppendInteger(row, s.notes);
  row += R"(,"parent_id":)";
  AppendStringOrNull(row, s.parent);
  row += R"(,"personal":)";
  row += events::EncodeCanonicalJson(s.personal);
  row += R"(,"priority":)";
  AppendStringOrNull(row, s.priority);
  row += R"(,"reopened_count":)";
  AppendInteger(row, s.reopened_count);
  row += R"(,"resolution_code":)";
  AppendStringOrNull(row, s.resolution_code);
  row += R"(,"resolved_at":)";
  AppendTimeOrNull(row, s.resolved_ms);
  row += R"(,"service_code":)";
  AppendStringOrNull(row, s.service_code);
  row += R"(,"service_name":)";
  AppendStringOrNull(row, s.service_name);
  row += R"(,"sla_breached_deadline":)";
  AppendTimeOrNull(row, s.LastBreachedDeadline());
  row += R"(,"sla_breached_deadlines":[)";
  for (size_t i = 0; i < s.breached_deadlines_ms.size(); ++i) {
    if (i) row += ',';
    AppendTimeOrNull(row, s.breached_deadlines_ms[i]);
  }
  row += ']';
  row += R"(,"sla_deadline":)";
  AppendTimeOrNull(row, s.deadline_ms);
  row += R"(,"status":)";
  AppendStringOrNull(row, s.status);
  row += R"(,"survey_score":)";
  if (s.survey_score) {
    AppendInteger(row, *s.survey_score);
  } else {
    row += "null";
  }
  row += R"(,"updated_at":)";
  AppendTimeOrNull(row, s.updated_ms);
  row += R"(,"version":)";
  AppendInteger(row, s.version);
  row += '}';
  return row;
}

std::string ContactRow(const events::Event& e) {
  static const Json::object_t kNoData;
  const Json::object_t& data =
      e.data.is_object() ? e.data.get_ref<const Json::object_t&>() : kNoData;
  const std::string time = events::FormatTime(e.time_ms);
  // What the event adds to its data, in key order; each goes in before the
  // first data key that sorts after it.
  const std::pair<std::string_view, std::string_view> added[] = {{"channel", e.channel},
                                                                 {"time", time}};
  size_t next = !e.channel.empty() && !data.contains("channel") ? 0 : 1;
  std::string row = "{";
  auto append_member = [&row](std::string_view key) {
    if (row.size() > 1) row += ',';
    AppendString(row, key);
    row += ':';
  };
  auto append_added_while = [&](auto precedes) {
    for (; next < std::size(added) && precedes(added[next].first); ++next) {
      append_member(added[next].first);
      AppendString(row, added[next].second);
    }
  };
  for (const auto& [key, value] : data) {
    append_added_while([&key](std::string_view added_key) { return added_key < key; });
    if (key == "personal" || key == "time") continue;
    append_member(key);
    AppendJson(row, value);
  }
  append_added_while([](std::string_view) { return true; });
  row += '}';
  return row;
}

base::Result<ListingPlan> PlanListing(const RequestQuery& query) {
  if (query.limit == 0) return MakeError(ErrorCode::kInvalidArgument, "limit must be positive");
  ListingPlan plan = ChooseIndex(query);
  plan.scan_budget = std::min(query.limit * kScanFactor, kMaxScanBudget);
  if (!query.cursor.empty()) {
    if (auto applied = ApplyCursor(query.cursor, plan); !applied) return applied.error();
  }
  return plan;
}

std::string EncodeCursor(const ListingPlan& plan, std::string_view last_key) {
  std::string payload = CursorHead(plan.index).append(last_key);
  return Base64Url(payload + CursorCheck(payload));
}

bool Matches(const RequestQuery& q, const RequestState& s) {
  return (!q.department || s.department == *q.department) &&
         (!q.status || s.status == *q.status) &&
         (!q.service_code || s.service_code == *q.service_code) &&
         (!q.created_from_ms || s.created_ms >= *q.created_from_ms) &&
         (!q.created_to_ms || s.created_ms < *q.created_to_ms) &&
         (!q.overdue_only || s.OverdueAt(q.now_ms));
}

}  // namespace ledger::projections::layout
