// The embedded log's disk fills up under concurrent writes (the log
// directory is a small tmpfs; mounting it needs root, as the README's test
// command runs). Every write that is not acknowledged gets the same
// answer: 503 with Retry-After saying the log cannot write; writes stay
// refused, reads go on, /healthz says why. With space again and a restart,
// every acknowledged request is there and writes resume.

#include <sys/mount.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "tests/system/intake.h"
#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

constexpr int kClients = 6;

// A tmpfs of `size` at `path` for the test's lifetime.
class SmallDisk {
 public:
  SmallDisk(const std::string& path, const std::string& size) : path_(path) {
    std::filesystem::create_directories(path);
    if (mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + size).c_str()) != 0)
      error_ = std::string("mount tmpfs: ") + std::strerror(errno) + " (the test needs root)";
  }
  ~SmallDisk() {
    if (error_.empty()) umount2(path_.c_str(), MNT_DETACH);
  }
  const std::string& error() const { return error_; }
  bool Grow(const std::string& size) {
    return mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }

 private:
  std::string path_;
  std::string error_;
};

TEST(DiskFull, EveryUnacknowledgedWriteIs503AppendsStopAndNothingAcknowledgedIsLost) {
  TempDir dir;
  app::Settings settings = TestSettings(dir.path() + "/data");
  SmallDisk disk(settings.log_dir(), "3m");
  ASSERT_EQ(disk.error(), "");

  std::mutex mu;
  std::vector<std::string> acked;
  std::set<std::string> refusals;  // status and error code of every other answer
  int refused = 0;
  {
    LedgerUnderTest ledger(settings);
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&] {
        HttpClient client = ledger.Client();
        for (int sent = 0; sent < 20'000; ++sent) {
          HttpReply reply = client.Post("/v1/requests", PotholeRequest());
          std::lock_guard lock(mu);
          if (reply.status == 201) {
            acked.push_back(reply.Json()["request"]["id"]);
            continue;
          }
          json error = reply.Json();
          bool well_formed = IsWellFormedRefusal(reply.status, reply.headers, error);
          refusals.insert(std::to_string(reply.status) + " " +
                          (well_formed ? error["error"]["code"].get<std::string>() : reply.body));
          if (well_formed && error["error"]["message"].get<std::string>().find("cannot write") != std::string::npos)
            ++refused;
          if (refused >= 3 * kClients) return;  // everyone has seen the disk full
        }
      });
    }
    for (auto& t : clients) t.join();
    ASSERT_GT(acked.size(), 100u) << "the disk filled before the test began";
    EXPECT_EQ(refusals, (std::set<std::string>{"503 unavailable"}));
    EXPECT_GE(refused, 3 * kClients);

    auto client = ledger.Client();
    HttpReply health = client.Get("/healthz");
    EXPECT_EQ(health.status, 503) << health.body;
    EXPECT_NE(health.body.find("the embedded log cannot write"), std::string::npos) << health.body;
    EXPECT_EQ(client.Post("/v1/requests", PotholeRequest()).status, 503) << "appends went on";
    EXPECT_EQ(client.Get("/v1/requests/" + acked.front()).status, 200) << "reads stopped";
  }

  ASSERT_TRUE(disk.Grow("64m")) << std::strerror(errno);
  LedgerUnderTest ledger(settings);
  auto client = ledger.Client();
  for (const auto& id : acked) ASSERT_EQ(client.Get("/v1/requests/" + id).status, 200) << id << " was lost";
  EXPECT_EQ(client.Post("/v1/requests", PotholeRequest()).status, 201);
  EXPECT_EQ(client.Get("/healthz").status, 200);
}

}  // namespace
}  // namespace ledger::testing
