#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace ledger::testing {

Subprocess::Subprocess(std::vector<std::string> argv) {
  if (argv.empty()) throw std::runtime_error("Subprocess: empty argv");
  // Everything the child needs is prepared before fork: between fork and
  // exec only async-signal-safe calls are allowed (the parent has threads).
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("Subprocess: pipe failed");
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    throw std::runtime_error("Subprocess: pipe failed");
  }
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  sigset_t none;
  sigemptyset(&none);
  pid_ = fork();
  if (pid_ == 0) {
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    close_range(3, ~0U, 0);  // no test sockets or pipes leak into the child
    execv(args[0], args.data());
    _exit(127);
  }
  if (null_fd >= 0) close(null_fd);
  close(out[1]);
  close(err[1]);
  if (pid_ < 0) {
    close(out[0]);
    close(err[0]);
    throw std::runtime_error("Subprocess: fork failed");
  }
  reader_ = std::thread([this, out_fd = out[0], err_fd = err[0]] { Drain(out_fd, err_fd); });
}

Subprocess::~Subprocess() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    Wait();
  }
}

void Subprocess::Drain(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  char buffer[8192];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      std::lock_guard lock(mu_);
      (i == 0 ? out_ : err_).append(buffer, static_cast<size_t>(n));
      grew_.notify_all();
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  std::lock_guard lock(mu_);
  closed_ = true;
  grew_.notify_all();
}

bool Subprocess::WaitForStdout(const std::string& needle, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return grew_.wait_for(lock, timeout, [&] {
    return out_.find(needle) != std::string::npos || closed_;
  }) && out_.find(needle) != std::string::npos;
}

std::string Subprocess::Stdout() const {
  std::lock_guard lock(mu_);
  return out_;
}

std::string Subprocess::Stderr() const {
  std::lock_guard lock(mu_);
  return err_;
}

void Subprocess::Signal(int sig) {
  if (!reaped_) kill(pid_, sig);
}

ProcessResult Subprocess::Wait(std::chrono::milliseconds timeout) {
  if (!reaped_) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    pid_t done = 0;
    while ((done = waitpid(pid_, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (done == 0) {
      kill(pid_, SIGKILL);
      done = waitpid(pid_, &status, 0);
    }
    reaped_ = true;
    if (done == pid_ && WIFEXITED(status)) result_.exit_code = WEXITSTATUS(status);
    if (done == pid_ && WIFSIGNALED(status)) result_.signal = WTERMSIG(status);
    if (reader_.joinable()) reader_.join();
    result_.out = Stdout();
    result_.err = Stderr();
  }
  return result_;
}

ProcessResult RunProcess(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  Subprocess child(std::move(argv));
  return child.Wait(timeout);
}

}  // namespace ledger::testing
