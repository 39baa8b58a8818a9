#pragma once
// DayFigures: what one department did on one local day, kept as sums and
// histograms so that a week, a month or a fiscal year is the Merge of its
// days, never a re-read of events. The definitions are DESIGN.md's
// "Department performance"; every figure's sample size is one of the
// counts here (closed for time to close, sla_counted for the SLA share,
// surveys for satisfaction).

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "performance/duration_histogram.h"

namespace ledger::performance {

struct DayFigures {
  uint64_t opened = 0;            // requests submitted to the department
  uint64_t closed = 0;            // close events (closed, reopened, closed again: 2)
  uint64_t closed_duplicate = 0;  // of those, of requests marked duplicate
  uint64_t reopened = 0;
  uint64_t transferred_in = 0;   // routed here from another department
  uint64_t transferred_out = 0;  // routed to another department or an outside agency
  // Requests entering the backlog (held, not closed) minus those leaving
  // it: the backlog at the end of a day is the sum over the days up to it.
  int64_t backlog_change = 0;
  uint64_t sla_met = 0;               // close events at or before the deadline in force
  uint64_t sla_counted = 0;           // close events of requests with a deadline
  uint64_t sla_without_deadline = 0;  // close events left out of the SLA share
  DurationHistogram time_to_close;    // close time - submission time, per close event
  DurationHistogram first_response;   // submission -> first response, on the response's day
  uint64_t surveys = 0;
  uint64_t survey_score_sum = 0;  // scores 1-5
  uint64_t surveys_4_or_5 = 0;
  // Hand-offs: routes between departments a request had before each close
  // event, summed, and the close events of requests routed at least once.
  uint64_t handoffs = 0;
  uint64_t closed_after_handoff = 0;
  uint64_t breached = 0;  // sla.breached events: deadlines passed while open

  // Adds `other` figure by figure (histograms bucket by bucket).
  void Merge(const DayFigures& other);
  // Takes back `other`, a part of what was merged here. False, and nothing
  // changed, if a counter or histogram of `other` exceeds this one's.
  bool Subtract(const DayFigures& other);
  bool operator==(const DayFigures&) const = default;

  // A compact form for RocksDB values, and its inverse; kCorruption for
  // bytes Encode did not write.
  std::string Encode() const;
  static base::Result<DayFigures> Decode(std::string_view bytes);
  // backlog_change alone, read from Encode's form without the histograms.
  static base::Result<int64_t> DecodeBacklogChange(std::string_view bytes);
};

}  // namespace ledger::performance
