#pragma once
// Which topics the projections read, and how far the log holds them. The
// one place that says so: the runner, replay and the command service ask here.

#include <array>
#include <cstdint>
#include <map>
#include <string_view>

#include "events/event_log.h"
#include "events/event_types.h"

namespace ledger::projections {

// Department copies (311.dept.*) are not projected.
inline constexpr std::array<std::string_view, 2> kProjectedTopics = {events::topics::kRequests,
                                                                    events::topics::kContacts};

bool IsProjectedTopic(std::string_view topic);

// The end offset of each projected topic-partition the log holds.
std::map<events::TopicPartition, uint64_t> ProjectedEnds(events::EventLog& log);

}  // namespace ledger::projections
