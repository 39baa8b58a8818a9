#pragma once
// The channel views: what each intake channel (phone, email, letter,
// walk_in, web, mobile, tty, internal) saw on one local day, as sums that
// merge into ranges, and the fold that feeds them. DESIGN.md's "Per
// channel per day": contacts, average wait (contacts that waited), average
// handle time (answered contacts only), abandoned share, information-only
// share (answered contacts that created or linked no request: information,
// referral, transfer to an agency), language mix, and the share of that
// day's requests created through the channel.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "catalog/catalog.h"
#include "events/event.h"

namespace ledger::performance {

struct ChannelFigures {
  uint64_t contacts = 0;
  uint64_t waited = 0;         // contacts with a wait time
  uint64_t wait_ms_sum = 0;
  uint64_t answered = 0;       // contacts not abandoned
  uint64_t handled = 0;        // answered contacts with a handle time
  uint64_t handle_ms_sum = 0;
  uint64_t abandoned = 0;
  uint64_t information_only = 0;  // answered, no request created or linked
  uint64_t requests_created = 0;  // requests submitted through the channel
  std::map<std::string, uint64_t> languages;  // contacts per language ("en", "es", ...)

  void Merge(const ChannelFigures& other);
  // Takes back `other`, a part of what was merged here. False, and nothing
  // changed, if a count of `other` exceeds this one's.
  bool Subtract(const ChannelFigures& other);
  bool operator==(const ChannelFigures&) const = default;
  std::string Encode() const;
  // kCorruption for bytes Encode did not write.
  static base::Result<ChannelFigures> Decode(std::string_view bytes);
};

struct ChannelChange {
  std::string channel;
  std::string day;  // local date of the event's time
  ChannelFigures delta;
  bool operator==(const ChannelChange&) const = default;
};

// The channel-day `event` changes: a contact.received counts as a contact
// of its channel, a request.submitted as a request created through the
// event's channel ("unknown" when it has none); other events change none.
// Wait and handle times outside 0 s to 1,000 years are left out.
std::optional<ChannelChange> FoldChannelEvent(const events::Event& event, const catalog::Catalog& catalog);

}  // namespace ledger::performance
