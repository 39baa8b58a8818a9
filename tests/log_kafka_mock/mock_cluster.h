#pragma once
// librdkafka's in-process mock cluster (rdkafka_mock.h), owned by a client of
// its own: the log's producer and consumer are separate clients and reach it
// through its bootstrap list like any cluster.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdint>
#include <string>

namespace ledger::log::testing {

// Kafka protocol request types (ApiKey), for the mock's error stacks.
inline constexpr int16_t kProduceRequest = 0;
inline constexpr int16_t kFetchRequest = 1;

class MockCluster {
 public:
  explicit MockCluster(int brokers) {
    char errstr[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    // This client only hosts the cluster: its "no bootstrap.servers" notice is noise.
    rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof errstr);
    owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (owner_ == nullptr) {
      rd_kafka_conf_destroy(conf);
      return;
    }
    cluster_ = rd_kafka_mock_cluster_new(owner_, brokers);
  }
  ~MockCluster() {
    if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
    if (owner_) rd_kafka_destroy(owner_);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  bool up() const { return cluster_ != nullptr; }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  rd_kafka_mock_cluster_t* get() const { return cluster_; }

 private:
  rd_kafka_t* owner_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

}  // namespace ledger::log::testing
