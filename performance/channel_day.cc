#include "performance/channel_day.h"

#include <array>
#include <cmath>

#include "events/data_fields.h"
#include "events/event_types.h"
#include "performance/internal/stored_form.h"

namespace ledger::performance {
namespace {

namespace types = events::types;
using events::Json;
using internal::GetString;
using internal::GetVarint;
using internal::PutString;
using internal::PutVarint;
using events::StringField;
constexpr char kVersion = 1;  // the first byte of Encode's form
constexpr double kMaxSeconds = 1000.0 * 365 * 86'400;

// The counters in their stored order (a new one goes at the end, with a new version).
std::array<uint64_t ChannelFigures::*, 9> Counters() {
  return {&ChannelFigures::contacts, &ChannelFigures::waited,           &ChannelFigures::wait_ms_sum,
          &ChannelFigures::answered, &ChannelFigures::handled,          &ChannelFigures::handle_ms_sum,
          &ChannelFigures::abandoned, &ChannelFigures::information_only, &ChannelFigures::requests_created};
}

// A duration field in seconds as whole milliseconds; nullopt if absent or out of range.
std::optional<uint64_t> Millis(const Json& data, const char* key) {
  auto it = data.find(key);
  if (it == data.end() || !it->is_number()) return std::nullopt;
  double seconds = it->get<double>();
  if (!(seconds >= 0 && seconds <= kMaxSeconds)) return std::nullopt;
  return static_cast<uint64_t>(std::llround(seconds * 1000));
}

}  // namespace

void ChannelFigures::Merge(const ChannelFigures& other) {
  for (auto counter : Counters()) this->*counter += other.*counter;
  for (const auto& [language, n] : other.languages) languages[language] += n;
}

bool ChannelFigures::Subtract(const ChannelFigures& other) {
  for (auto counter : Counters())
    if (other.*counter > this->*counter) return false;
  for (const auto& [language, n] : other.languages) {
    auto held = languages.find(language);
    if (held == languages.end() || held->second < n) return false;
  }
  for (auto counter : Counters()) this->*counter -= other.*counter;
  for (const auto& [language, n] : other.languages) {
    auto held = languages.find(language);
    if ((held->second -= n) == 0) languages.erase(held);
  }
  return true;
}

std::string ChannelFigures::Encode() const {
  std::string out(1, kVersion);
  for (auto counter : Counters()) PutVarint(out, this->*counter);
  PutVarint(out, languages.size());
  for (const auto& [language, n] : languages) {
    PutString(out, language);
    PutVarint(out, n);
  }
  return out;
}

base::Result<ChannelFigures> ChannelFigures::Decode(std::string_view bytes) {
  auto corrupt = [](const std::string& why) {
    return base::MakeError(base::ErrorCode::kCorruption, "channel-day figures: " + why);
  };
  if (bytes.empty() || bytes[0] != kVersion) return corrupt("unknown version");
  size_t at = 1;
  ChannelFigures f;
  for (auto counter : Counters()) {
    auto v = GetVarint(bytes, at);
    if (!v) return corrupt("cut short");
    f.*counter = *v;
  }
  auto languages = GetVarint(bytes, at);
  if (!languages || *languages > bytes.size()) return corrupt("cut short");
  for (uint64_t i = 0; i < *languages; ++i) {
    std::string language;
    if (!GetString(bytes, at, language)) return corrupt("cut short");
    auto n = GetVarint(bytes, at);
    if (!n) return corrupt("cut short");
    if (!f.languages.emplace(std::move(language), *n).second) return corrupt("a language twice");
  }
  if (at != bytes.size()) return corrupt("trailing bytes");
  return f;
}

std::optional<ChannelChange> FoldChannelEvent(const events::Event& e, const catalog::Catalog& catalog) {
  ChannelChange change;
  change.day = catalog.LocalDate(e.time_ms);
  ChannelFigures& d = change.delta;
  if (e.type == types::kRequestSubmitted) {
    change.channel = e.channel.empty() ? "unknown" : e.channel;
    d.requests_created = 1;
    return change;
  }
  if (e.type != types::kContactReceived) return std::nullopt;
  change.channel = StringField(e.data, "channel");
  if (change.channel.empty()) change.channel = "unknown";
  d.contacts = 1;
  if (auto wait = Millis(e.data, "wait_seconds")) {
    d.waited = 1;
    d.wait_ms_sum = *wait;
  }
  auto abandoned = e.data.find("abandoned");
  bool was_abandoned = abandoned != e.data.end() && abandoned->is_boolean() && abandoned->get<bool>();
  if (was_abandoned) {
    d.abandoned = 1;
  } else {
    d.answered = 1;
    if (auto handle = Millis(e.data, "handle_seconds")) {
      d.handled = 1;
      d.handle_ms_sum = *handle;
    }
  }
  std::string_view outcome = StringField(e.data, "outcome");
  if (!was_abandoned && outcome != "created_request" && outcome != "linked_to_request") d.information_only = 1;
  std::string_view language = StringField(e.data, "language");
  d.languages[std::string(language.empty() ? "unknown" : language)] = 1;
  return change;
}

}  // namespace ledger::performance
