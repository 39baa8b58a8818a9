// The README's promise about personal data on Kafka: a resident's name,
// phone, email and address stay inside the record's value (data.personal);
// they are never in a key or a header of 311.requests, 311.contacts or a
// department's topic, where outside systems index and log them. Read raw,
// as any Kafka consumer sees the records.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "log/kafka/internal/kafka_client.h"
#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

struct RawRecord {
  std::string topic, key, headers, value;  // headers as "name=value;..."
};

// Every record of `topics` (names in Kafka), read_committed, from the start.
std::vector<RawRecord> ReadRaw(const std::vector<std::string>& topics) {
  auto consumer = log::NewKafkaClient(RD_KAFKA_CONSUMER,
                                      {{"bootstrap.servers", TestBrokers()},
                                       {"group.id", "personal-data-test"},
                                       {"enable.auto.commit", "false"},
                                       {"enable.partition.eof", "true"},
                                       {"isolation.level", "read_committed"}},
                                      {});
  EXPECT_TRUE(consumer) << consumer.error().message;
  if (!consumer) return {};
  auto partitions = log::ListPartitions(consumer->get(), topics, std::chrono::seconds(10));
  EXPECT_TRUE(partitions) << partitions.error().message;
  if (!partitions) return {};
  log::KafkaOwned<rd_kafka_topic_partition_list_t, rd_kafka_topic_partition_list_destroy> assignment{
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions->size()))};
  for (const auto& tp : *partitions)
    rd_kafka_topic_partition_list_add(assignment.get(), tp.topic.c_str(), tp.partition)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  EXPECT_EQ(rd_kafka_assign(consumer->get(), assignment.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::vector<RawRecord> records;
  size_t at_end = 0;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
       at_end < partitions->size() && std::chrono::steady_clock::now() < until;) {
    log::KafkaOwned<rd_kafka_message_t, rd_kafka_message_destroy> m{rd_kafka_consumer_poll(consumer->get(), 200)};
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ++at_end;
      continue;
    }
    EXPECT_EQ(m->err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_message_errstr(m.get());
    if (m->err) continue;
    RawRecord r{rd_kafka_topic_name(m->rkt), std::string(static_cast<const char*>(m->key), m->key_len), "",
                std::string(static_cast<const char*>(m->payload), m->len)};
    for (const auto& h : log::MessageHeaders(m.get()))
      r.headers += std::string(h.name) + "=" + std::string(h.value) + ";";
    records.push_back(std::move(r));
  }
  EXPECT_EQ(at_end, partitions->size()) << "not every partition was read to its end";
  rd_kafka_consumer_close(consumer->get());
  return records;
}

TEST(PersonalData, ResidentFieldsAreInRecordValuesOnlyNeverInKeysOrHeaders) {
  TempDir dir;
  app::Settings settings = TestSettings(dir.Sub("data"), Backend::kKafka);
  LedgerUnderTest ledger(settings);
  HttpClient client = ledger.Client();
  const json resident = {{"name", "Zelda Quixote-Marlowe"},
                         {"phone", "+1 301 555 0199"},
                         {"email", "zelda.qm@example.org"},
                         {"address", "41 Larkspur Lane"}};
  json request = PotholeRequest();
  request["resident"] = resident;
  HttpReply submitted = client.Post("/v1/requests", request);
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  std::string id = submitted.Json()["request"]["id"];
  HttpReply contact = client.Post("/v1/contacts", {{"channel", "phone"}, {"language", "en"},
                                                   {"outcome", "linked_to_request"},
                                                   {"request_id", id},
                                                   {"resident", resident}});
  ASSERT_EQ(contact.status, 201) << contact.body;
  std::string department = submitted.Json()["request"]["department"];

  const std::string& prefix = settings.kafka.topic_prefix;
  std::vector<std::string> topics = {prefix + "311.requests", prefix + "311.contacts",
                                     prefix + "311.dept." + department};
  std::vector<RawRecord> records;
  // The department's copy comes from the router, a moment after the append.
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
       std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(std::chrono::milliseconds(200))) {
    records = ReadRaw(topics);
    size_t in_department = 0;
    for (const auto& r : records) in_department += r.topic == topics[2];
    if (in_department >= 1) break;
  }
  std::map<std::string, int> seen_in_values;
  for (const auto& r : records) {
    for (const auto& [field, value] : resident.items()) {
      std::string text = value;
      EXPECT_EQ(r.key.find(text), std::string::npos) << r.topic << " key holds the resident's " << field;
      EXPECT_EQ(r.headers.find(text), std::string::npos) << r.topic << " headers hold the resident's " << field
                                                         << ": " << r.headers;
      if (r.value.find(text) != std::string::npos) ++seen_in_values[r.topic];
    }
  }
  // The check looked where the data is: every topic carries it, in values.
  for (const auto& topic : topics) EXPECT_GT(seen_in_values[topic], 0) << topic << " holds no record with it";
}

}  // namespace
}  // namespace ledger::testing
