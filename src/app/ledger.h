#pragma once
// The wiring of one ledger instance and the offline operations of the
// `ledger` command. Shutdown order (written down here and nowhere else):
// stop the HTTP server (it first answers the requests it took, so a stored
// command is answered), stop the projection runner's thread, close the log
// (it completes pending appends, whose callbacks reach the command service
// and the stopped runner), destroy the runner (dropping commands still
// waiting for projection), close the state store.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "base/result.h"
#include "src/app/projection_runner.h"
#include "src/app/settings.h"

namespace ledger::app {

class Ledger {
 public:
  // Loads the catalog, opens log and state under settings.data_dir, starts
  // projecting and serving. Fails with a message fit for the operator.
  static base::Result<std::unique_ptr<Ledger>> Start(const Settings& settings);
  virtual ~Ledger() = default;
  virtual uint16_t port() const = 0;
  virtual void Stop() = 0;
};

// Rebuilds every projection from offset 0 into a fresh state directory and
// swaps it in place of the live one. kUnavailable while a server holds the
// data directory.
base::Result<RebuildResult> Replay(const Settings& settings);

struct VerifyReport {
  bool match = false;
  std::string live_checksum;
  std::string rebuilt_checksum;
  uint64_t events = 0;
  projections::Quarantine quarantine;  // the rebuild's (equal to the live one when match)
};

// Rebuilds into a temporary directory up to the live state's positions and
// compares checksums. Works beside a running server.
base::Result<VerifyReport> Verify(const Settings& settings);

struct TailOptions {
  std::string topic = "311.requests";
  uint64_t from = 0;
  bool follow = false;
  std::optional<uint64_t> limit;  // stop after this many events
};

// Writes events of a topic as CloudEvents JSON lines (with a "position"
// member) to `out`. With follow, waits for new events until interrupted.
base::Status Tail(const Settings& settings, const TailOptions& options, std::ostream& out,
                    const std::atomic<bool>& stop_requested);

}  // namespace ledger::app
