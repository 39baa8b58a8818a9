#include "src/http/stream_api.h"

#include <charconv>

#include "commands/decide.h"
#include "events/event_types.h"

namespace ledger::http {
namespace {

using base::ErrorCode;
using base::MakeError;
using Cursor = std::map<int32_t, uint64_t>;  // partition -> next offset

// Events read per partition at once.
constexpr size_t kReadBatch = 256;

std::string FormatCursor(const Cursor& cursor) {
  std::string out;
  for (const auto& [partition, next] : cursor) {
    if (!out.empty()) out += ',';
    out += std::to_string(partition) + ":" + std::to_string(next);
  }
  return out;
}

// "0:18,1:7"; kInvalidArgument naming `name` for anything else.
base::Result<Cursor> ParseCursor(std::string_view text, const std::string& name) {
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     name + ": not an event id of this stream (partition:offset pairs, \"0:18,1:7\")");
  };
  Cursor cursor;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view pair = text.substr(0, comma);
    size_t colon = pair.find(':');
    if (colon == std::string_view::npos) return bad();
    int32_t partition = 0;
    uint64_t next = 0;
    auto p = std::from_chars(pair.data(), pair.data() + colon, partition);
    auto o = std::from_chars(pair.data() + colon + 1, pair.data() + pair.size(), next);
    if (p.ec != std::errc() || p.ptr != pair.data() + colon || partition < 0 || o.ec != std::errc() ||
        o.ptr != pair.data() + pair.size() || colon == 0 || colon + 1 == pair.size() ||
        !cursor.emplace(partition, next).second)
      return bad();
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
    if (text.empty()) return bad();
  }
  if (cursor.empty()) return bad();
  return cursor;
}

// One topic of the log as server-sent events, from `cursor` on.
class LogEventStream final : public ResponseStream {
 public:
  // The reader is opened at the first Next, on the server's pump thread:
  // on Kafka that connects to the brokers, which no I/O thread waits for,
  // and a stream refused (over the limit, or a HEAD) opens none.
  LogEventStream(const ApiDeps& deps, std::string topic, Cursor cursor, bool from_end)
      : deps_(deps), topic_(std::move(topic)), cursor_(std::move(cursor)), from_end_(from_end) {}

  std::optional<std::string> Next(std::chrono::milliseconds wait) override {
    if (!reader_) {
      auto reader = deps_.open_reader(topic_);
      if (!reader.ok()) return std::nullopt;  // the client reconnects with its Last-Event-ID
      reader_ = std::move(*reader);
    }
    std::string out = ReadAvailable();
    if (!out.empty()) return out;
    std::map<events::TopicPartition, uint64_t> seen;
    for (const auto& [partition, next] : cursor_) seen[{topic_, partition}] = next;
    if (seen.empty()) seen[{topic_, 0}] = 0;
    // A reader that follows another writer may not see its appends come:
    // read again after the wait, whatever it says.
    reader_->WaitForAppend(seen, wait);
    return ReadAvailable();
  }

 private:
  // Every partition the log knows of the topic joins the cursor (from its
  // start, or its end for a stream that starts now).
  void LearnPartitions() {
    for (const auto& tp : reader_->TopicPartitions())
      if (tp.topic == topic_ && !cursor_.count(tp.partition))
        cursor_[tp.partition] = from_end_ ? reader_->EndOffset(tp) : 0;
    from_end_ = false;  // partitions that appear later start at their beginning
  }

  std::string ReadAvailable() {
    LearnPartitions();
    std::string out;
    for (auto& [partition, next] : cursor_) {
      auto slice = reader_->Read({topic_, partition}, next, kReadBatch);
      if (!slice.ok()) continue;  // a log that cannot answer now is asked again at the next call
      for (const auto& stored : slice->events) {
        if (!stored.damage.empty()) {
          next = stored.offset + 1;
          continue;
        }
        events::Json j = events::ToJson(stored.event);
        if (auto data = j.find("data"); data != j.end() && data->is_object()) data->erase("personal");
        j["position"] = {{"topic", topic_}, {"partition", partition}, {"offset", stored.offset}};
        next = stored.offset + 1;
        out += "event: " + stored.event.type + "\nid: " + FormatCursor(cursor_) + "\ndata: " + j.dump() + "\n\n";
      }
      next = std::max(next, slice->next);
    }
    return out;
  }

  const ApiDeps& deps_;
  std::shared_ptr<events::EventLog> reader_;
  const std::string topic_;
  Cursor cursor_;
  bool from_end_;
};

void AnswerStream(const ApiDeps& deps, const std::string& topic, HttpRequest& request, Responder respond) {
  std::optional<std::string> last_id;
  bool from_beginning = false;
  for (const auto& [name, value] : request.query) {
    if (name == "last_event_id") {
      last_id = value;
    } else if (name == "from") {
      if (value != "beginning" && value != "end")
        return respond(ErrorResponse(BadQueryParameter(name, "must be beginning or end")));
      from_beginning = value == "beginning";
    } else {
      return respond(ErrorResponse(BadQueryParameter(name, "unknown parameter")));
    }
  }
  if (auto header = request.headers.find("last-event-id"); header != request.headers.end() && !last_id)
    last_id = header->second;
  Cursor cursor;
  if (last_id) {
    auto parsed = ParseCursor(*last_id, "Last-Event-ID");
    if (!parsed.ok()) return respond(ErrorResponse(parsed.error()));
    cursor = std::move(*parsed);
  }
  HttpResponse r;
  r.content_type = "text/event-stream";
  r.headers["Cache-Control"] = "no-cache";
  r.headers["X-Accel-Buffering"] = "no";
  r.stream = std::make_shared<LogEventStream>(deps, topic, std::move(cursor), !last_id && !from_beginning);
  respond(std::move(r));
}

}  // namespace

void AddStreamRoutes(Router& router, const ApiDeps& deps) {
  router.Add("GET", "/v1/departments/{code}/stream", [&deps](HttpRequest& request, Responder respond) {
    const std::string& code = request.path_params["code"];
    if (!deps.catalog->FindDepartment(code))
      return respond(ErrorResponse(404, "not_found", "department '" + code + "' is not in the catalog"));
    AnswerStream(deps, commands::DepartmentTopic(code), request, std::move(respond));
  });
  router.Add("GET", "/v1/performance/stream", [&deps](HttpRequest& request, Responder respond) {
    AnswerStream(deps, std::string(events::topics::kPerformance), request, std::move(respond));
  });
}

}  // namespace ledger::http
