#pragma once
// A child process for tests that drive the real `ledger` binary: fork/exec
// with stdout and stderr captured through pipes by a reader thread, so a
// chatty child never blocks on a full pipe.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ledger::testing {

// How a child ended and what it printed.
struct ProcessResult {
  int exit_code = -1;  // -1 if it was killed by a signal
  int signal = 0;      // the signal that killed it, else 0
  std::string out;
  std::string err;
};

class Subprocess {
 public:
  // Starts argv[0] (a path) with `argv`. Throws std::runtime_error if it cannot.
  explicit Subprocess(std::vector<std::string> argv);
  // Kills (SIGKILL) and reaps a child that is still running.
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits until stdout contains `needle`; false on timeout or if the child
  // closed its output first.
  bool WaitForStdout(const std::string& needle, std::chrono::milliseconds timeout);
  std::string Stdout() const;
  std::string Stderr() const;
  void Signal(int sig);
  // Reaps the child; after `timeout` it is killed with SIGKILL first.
  ProcessResult Wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  void Drain(int out_fd, int err_fd);

  pid_t pid_ = -1;
  bool reaped_ = false;
  ProcessResult result_;
  mutable std::mutex mu_;
  std::condition_variable grew_;
  bool closed_ = false;  // both pipes reached end of file
  std::string out_, err_;
  std::thread reader_;
};

// Runs a command to completion and returns its exit and output.
ProcessResult RunProcess(std::vector<std::string> argv,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace ledger::testing
