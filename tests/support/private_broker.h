#pragma once
// A Kafka broker of one test's own: scripts/kafka on other ports with its
// state in a temp directory, for tests that stop, kill and restart a
// broker while the shared test broker (TestBrokers()) keeps running.

#include <cstdint>
#include <string>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace ledger::testing {

class PrivateBroker {
 public:
  // Takes the first of the port pairs (first_port + 100 k, first_port +
  // 100 k + 1), k = 0..9, that no other private broker has claimed (a lock
  // file per pair, held for the broker's lifetime) and nothing on
  // 127.0.0.1 listens on; below the ephemeral range, so
  // no outgoing connection takes them while the broker is stopped. Throws
  // std::runtime_error if none is free. Nothing runs until Start().
  explicit PrivateBroker(uint16_t first_port = 19092);
  // Wipe(): stops a broker that still runs and deletes its state.
  ~PrivateBroker();
  PrivateBroker(const PrivateBroker&) = delete;
  PrivateBroker& operator=(const PrivateBroker&) = delete;

  std::string address() const;  // "127.0.0.1:<port>", for kafka.brokers
  uint16_t port() const { return port_; }
  uint16_t controller_port() const { return controller_port_; }

  // `scripts/kafka start|stop|kill|wipe` with this broker's ports and state
  // directory; exit code 0 on success, the script's output either way.
  // Start formats the state directory the first time and returns once the
  // broker answers metadata requests; Stop shuts it down cleanly, Kill
  // sends SIGKILL.
  ProcessResult Start();
  ProcessResult Stop();
  ProcessResult Kill();
  ProcessResult Wipe();
  // SIGSTOP / SIGCONT to the running broker: it keeps its connections but
  // answers nothing while paused (a produce's outcome becomes unknown).
  ProcessResult Pause();
  ProcessResult Resume();

 private:
  ProcessResult Run(const std::string& command);
  ProcessResult Signal(int signal);

  uint16_t port_ = 0;
  uint16_t controller_port_ = 0;
  TempDir home_;
  bool wiped_ = false;
  int claim_fd_ = -1;  // the lock that holds the port pair for this broker
};

}  // namespace ledger::testing
