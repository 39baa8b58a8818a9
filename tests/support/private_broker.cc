#include "tests/support/private_broker.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <cerrno>
#include <cstring>

#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

// scripts/kafka's own limit for a start is 90 s (KAFKA_START_TIMEOUT).
constexpr auto kScriptTimeout = std::chrono::seconds(150);

// True if a listening socket can be bound to 127.0.0.1:`port` now.
bool Free(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return free;
}

// Claims `port` for this process until `fd` is closed: a lock file, so two
// tests started at once cannot both find a pair free and take it.
bool Claim(uint16_t port, int& fd) {
  std::string path = "/tmp/311-ledger-private-broker-" + std::to_string(port) + ".lock";
  fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
  close(fd);
  fd = -1;
  return false;
}

}  // namespace

PrivateBroker::PrivateBroker(uint16_t first_port) {
  for (int k = 0; k < 10 && port_ == 0; ++k) {
    auto port = static_cast<uint16_t>(first_port + 100 * k);
    if (!Claim(port, claim_fd_)) continue;
    if (Free(port) && Free(port + 1)) {
      port_ = port;
      controller_port_ = port + 1;
    } else {
      close(claim_fd_);
      claim_fd_ = -1;
    }
  }
  if (port_ == 0)
    throw std::runtime_error("no free port pair for a private Kafka broker from " +
                             std::to_string(first_port));
}

PrivateBroker::~PrivateBroker() {
  if (!wiped_) Wipe();
  if (claim_fd_ >= 0) close(claim_fd_);
}

std::string PrivateBroker::address() const { return "127.0.0.1:" + std::to_string(port_); }

ProcessResult PrivateBroker::Start() { return Run("start"); }
ProcessResult PrivateBroker::Stop() { return Run("stop"); }
ProcessResult PrivateBroker::Kill() { return Run("kill"); }

ProcessResult PrivateBroker::Wipe() {
  wiped_ = true;
  return Run("wipe");
}

ProcessResult PrivateBroker::Pause() { return Signal(SIGSTOP); }
ProcessResult PrivateBroker::Resume() { return Signal(SIGCONT); }

ProcessResult PrivateBroker::Signal(int signal) {
  ProcessResult result;
  pid_t pid = 0;
  std::ifstream(home_.path() + "/broker.pid") >> pid;
  if (pid <= 0) {
    result.err = "no broker.pid in the private broker's state directory";
  } else if (kill(pid, signal) != 0) {
    result.err = "kill(" + std::to_string(pid) + "): " + std::strerror(errno);
  } else {
    result.exit_code = 0;
  }
  return result;
}

ProcessResult PrivateBroker::Run(const std::string& command) {
  // Subprocess passes the test's environment on; env(1) adds the broker's.
  return RunProcess({"/usr/bin/env", "KAFKA_PORT=" + std::to_string(port_),
                     "KAFKA_CONTROLLER_PORT=" + std::to_string(controller_port_),
                     "KAFKA_HOME_DIR=" + home_.path(), std::string(kSourceDir) + "/scripts/kafka",
                     command},
                    kScriptTimeout);
}

}  // namespace ledger::testing
