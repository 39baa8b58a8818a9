#include "src/app/log_backend.h"

#include "commands/decide.h"
#include "events/event_types.h"
#include "projections/projected_topics.h"
#include "log/embedded/embedded_log.h"
#include "log/kafka/kafka_log.h"

namespace ledger::app {
namespace {

// Events are the truth: Kafka must never delete them by age or size.
std::map<std::string, std::string> KeepForever(int replication_factor) {
  return {{"retention.ms", "-1"},
          {"retention.bytes", "-1"},
          {"unclean.leader.election.enable", "false"},
          {"min.insync.replicas", replication_factor > 1 ? "2" : "1"}};
}

std::vector<log::KafkaTopicSpec> LedgerTopics(const KafkaSettings& k, const catalog::Catalog* catalog) {
  auto rf = static_cast<int16_t>(k.replication_factor);
  std::vector<log::KafkaTopicSpec> topics = {
      {std::string(events::topics::kRequests), k.requests_partitions, rf, KeepForever(rf)},
      {std::string(events::topics::kContacts), k.contacts_partitions, rf, KeepForever(rf)},
      {std::string(events::topics::kPerformance), k.department_partitions, rf,
       {{"cleanup.policy", "compact"}, {"min.insync.replicas", rf > 1 ? "2" : "1"}}}};
  if (catalog)
    for (const auto& d : catalog->departments())
      topics.push_back({commands::DepartmentTopic(d.code), k.department_partitions, rf, KeepForever(rf)});
  return topics;
}

log::KafkaLogOptions KafkaOptions(const Settings& s, bool read_only, const catalog::Catalog* catalog,
                                  const ServingState& serving, const std::vector<std::string>& only_topics) {
  log::KafkaLogOptions o;
  o.brokers = s.kafka.brokers;
  o.read_only = read_only;
  o.produce_timeout = std::chrono::milliseconds(s.kafka.produce_timeout_ms);
  o.broker_timeout = std::chrono::milliseconds(s.kafka.broker_timeout_ms);
  o.topic_prefix = s.kafka.topic_prefix;
  o.transactional_id = s.kafka.topic_prefix + o.transactional_id;
  if (!read_only) o.topics = LedgerTopics(s.kafka, catalog);
  // The log reports the ends of what it reads: department topics are the
  // router's output, and ends read once at start would only go stale.
  for (auto topic : projections::kProjectedTopics) o.known_topics.emplace_back(topic);
  // 311.performance too: the log writes it itself (the publisher), and its
  // producers fetch its metadata at start rather than in the first
  // transaction that carries it, which would hold up the calls behind it.
  o.known_topics.emplace_back(events::topics::kPerformance);
  if (read_only && !only_topics.empty()) o.known_topics = only_topics;
  if (!serving.store) return o;
  o.head_of = [store = serving.store](const std::string& topic,
                      const std::string& subject) -> base::Result<log::StreamHeadView> {
    // Contacts have no stream in the projections: a contact id is new with
    // each contact and its one event is sequence 1.
    if (topic != events::topics::kRequests) return log::StreamHeadView{};
    auto request = store().GetRequest(subject);
    if (!request) return request.error();
    if (!*request) return log::StreamHeadView{};
    return log::StreamHeadView{(*request)->state.version, (*request)->state.last_hash};
  };
  o.projected_past = [projected_now = serving.projected](const Positions& ends) {
    auto projected = projected_now();
    for (const auto& [tp, end] : ends) {
      if (!projections::IsProjectedTopic(tp.topic) || end == 0) continue;
      auto it = projected.find(tp);
      if (it == projected.end() || it->second < end) return false;
    }
    return true;
  };
  return o;
}

}  // namespace

base::Result<std::unique_ptr<events::EventLog>> OpenLog(const Settings& s, bool read_only,
                                                          const catalog::Catalog* catalog,
                                                          const ServingState& serving,
                                                          const std::vector<std::string>& only_topics) {
  if (s.log_backend == "kafka")
    return log::OpenKafkaLog(KafkaOptions(s, read_only, catalog, serving, only_topics));
  return log::OpenEmbeddedLog({s.log_dir(), read_only, s.max_group_events});
}

std::unique_ptr<log::DepartmentRouter> StartDepartmentRouter(const Settings& s) {
  if (s.log_backend != "kafka") return nullptr;
  log::DepartmentRouterOptions o;
  o.brokers = s.kafka.brokers;
  o.topic_prefix = s.kafka.topic_prefix;
  // Ledgers that share a cluster under different prefixes route apart.
  o.group_id = s.kafka.topic_prefix + o.group_id;
  o.transactional_id = s.kafka.topic_prefix + o.transactional_id;
  return log::DepartmentRouter::Start(o);
}

}  // namespace ledger::app
