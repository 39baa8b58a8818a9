#pragma once
// Intake clients for the system tests: threads that submit requests,
// command their own requests and record contacts against a real `ledger
// serve`, remembering every event they were told is stored.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/event_log.h"

namespace ledger::testing {

inline constexpr const char* kRequests = "311.requests";
inline constexpr const char* kContacts = "311.contacts";

struct AckedEvent {
  events::TopicPartition where;
  uint64_t offset = 0;
  std::string id;
  std::string subject;
  uint64_t sequence = 0;
};

// Everything a client was told is stored, over a whole test.
class Acknowledgements {
 public:
  // Records the events of a 200/201 command answer.
  void Record(const nlohmann::json& answer);
  std::vector<AckedEvent> events() const;
  std::map<std::string, std::set<std::string>> contacts_of() const;  // request id -> contact ids

 private:
  mutable std::mutex mu_;
  std::vector<AckedEvent> events_;
  std::map<std::string, std::set<std::string>> contacts_of_;
};

// How the answers of one stretch of ingest were spread.
struct AnswerCounts {
  std::atomic<int> acked{0};
  std::atomic<int> no_answer{0};    // the server was gone
  std::atomic<int> conflicts{0};    // 409: e.g. the status already was the target
  std::atomic<int> unavailable{0};  // 503 with Retry-After and a JSON error body
  std::atomic<int> in_flight{0};    // requests on the wire right now
  std::atomic<int64_t> slowest_refusal_ms{0};  // the longest a 503 took to come
  std::mutex mu;
  // Any other answer, or a 503 of another shape. A 404 for a request the
  // client was told exists is one: a restarted server catches up before it
  // serves.
  std::vector<std::string> unexpected;

  // Adds each unexpected answer to the test's failures.
  void ReportUnexpected(const std::string& where);
};

// True if `reply` is a refusal a client can act on: 503, a Retry-After
// header and a JSON {"error": {"code", "message"}} body.
bool IsWellFormedRefusal(int status, const std::map<std::string, std::string>& headers,
                         const nlohmann::json& body);

// One client: submits requests, commands its own requests and records
// contacts about them until told to stop. After a 503 it waits as long as
// Retry-After says.
class IntakeClient {
 public:
  explicit IntakeClient(int number) : number_(number) {}

  void Run(uint16_t port, uint64_t seed, Acknowledgements& acks, AnswerCounts& counts,
           const std::atomic<bool>& stop);

 private:
  nlohmann::json NextCommand(std::mt19937_64& rng, std::string& target);

  int number_;
  uint64_t made_ = 0;
  std::vector<std::string> own_;  // requests this client created (acknowledged)
};

// $LEDGER_CRASH_SEED if set (to repeat a run), else random.
uint64_t SeedFromEnvironmentOrRandom();

}  // namespace ledger::testing
