#include "projections/projected_topics.h"

namespace ledger::projections {

bool IsProjectedTopic(std::string_view topic) {
  for (auto projected : kProjectedTopics)
    if (topic == projected) return true;
  return false;
}

std::map<events::TopicPartition, uint64_t> ProjectedEnds(events::EventLog& log) {
  std::map<events::TopicPartition, uint64_t> ends;
  for (auto& tp : log.TopicPartitions())
    if (IsProjectedTopic(tp.topic)) ends[tp] = log.EndOffset(tp);
  return ends;
}

}  // namespace ledger::projections
