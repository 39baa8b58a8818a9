#pragma once
// The checks a system test ends with: what clients were told is stored
// against the log (as `ledger tail` prints it), the API against the log,
// and the live state against a rebuild (`ledger verify`, `ledger replay`).

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/event_log.h"
#include "src/app/settings.h"
#include "tests/support/ledger_process.h"
#include "tests/system/intake.h"

namespace ledger::testing {

// How the `ledger` command reaches one ledger's data: its settings file,
// and on Kafka also --log kafka --brokers <brokers> on the command line.
class LedgerCommand {
 public:
  LedgerCommand(std::string settings_path, const app::Settings& settings);
  const std::string& settings_path() const { return settings_path_; }
  // `ledger <subcommand> -c <settings> [--log kafka --brokers ...] <args...>`.
  ProcessResult Run(const std::string& subcommand, std::vector<std::string> args = {}) const;
  // Whether every offset holds an event (embedded); on Kafka transaction
  // markers take offsets too.
  bool dense_offsets() const { return log_flags_.empty(); }

 private:
  std::string settings_path_;
  std::vector<std::string> log_flags_;
};

// Events of 311.requests and 311.contacts by topic-partition, in offset order.
using LogContents = std::map<events::TopicPartition, std::vector<nlohmann::json>>;

// Polls /healthz until every logged event is projected (at most 30 s).
bool WaitUntilProjected(ServedLedger& server);

// Every partition's offsets increase (and with `dense`, run 0..n-1 without
// a gap), no event id is in the log twice, and every acknowledged event sits
// at its acknowledged position (topic, partition, offset) with its subject
// and sequence.
void ExpectLogHoldsAcknowledged(const LogContents& log, const std::vector<AckedEvent>& acked,
                                bool dense);

// The API agrees with the log: GET /v1/requests lists exactly the logged
// requests, each once; each request's history is its stream in log order
// with sequences 1..N and a verifying hash chain, its version is N, and it
// links exactly the contacts the log links to it (every acknowledged one
// among them, none twice). A contact that creates a request is in the log
// exactly when its request is: the two records of the call are stored all
// or nothing, on both logs.
void ExpectApiMatchesLog(HttpClient& client, const LogContents& log, const Acknowledgements& acks);

// Both of the above beside the running `server`, once it has projected
// everything. Returns the log it read.
LogContents ExpectLedgerHoldsAcknowledged(ServedLedger& server, const LedgerCommand& ledger,
                                          const Acknowledgements& acks);

// With no server running: `ledger verify` says OK (live state equals a
// rebuild up to its positions) and `ledger replay` rebuilds the same
// checksum. Returns the number of events verify rebuilt.
uint64_t ExpectRebuildEqualsLiveState(const LedgerCommand& ledger);

}  // namespace ledger::testing
