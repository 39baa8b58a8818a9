// The Kafka broker goes away under a running `ledger serve` during
// concurrent ingest, once cleanly (scripts/kafka stop) and once with
// SIGKILL (scripts/kafka kill), and comes back. Meanwhile writes are
// refused quickly with 503 and Retry-After, reads are served from the
// projections and /healthz names the problem; afterwards writes succeed
// without a restart of the ledger, and every acknowledged event is in the
// log once, at its acknowledged position.
//
// The broker is a private one (its own ports and state directory): the
// shared test broker is never stopped.

#include <functional>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/private_broker.h"
#include "tests/system/audit.h"

namespace ledger::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kProduceTimeoutMs = 3000;
// A write the broker cannot take is answered within this: never a hang.
// The writer answers within two timeouts (the transaction, then settling
// it); the third is slack for a loaded machine.
constexpr auto kRefusalBound = std::chrono::milliseconds(3 * kProduceTimeoutMs);
constexpr auto kRecoveryBound = std::chrono::seconds(120);
constexpr int kClients = 3;
constexpr int kAcksAroundOutage = 40;  // acknowledged writes before the outage and after it

// Polls `done` every 100 ms until it is true or `bound` has passed.
bool Eventually(std::chrono::milliseconds bound, const std::function<bool()>& done) {
  for (auto until = Clock::now() + bound; Clock::now() < until;
       std::this_thread::sleep_for(std::chrono::milliseconds(100)))
    if (done()) return true;
  return done();
}

class BrokerOutage : public ::testing::Test {
 protected:
  void SetUp() override {
    ProcessResult started = broker_.Start();
    ASSERT_EQ(started.exit_code, 0) << "the private broker did not start on ports "
                                    << broker_.port() << "/" << broker_.controller_port() << "\n"
                                    << started.out << started.err;
    settings_ = TestSettings(dir_.Sub("data"), Backend::kKafka);
    settings_.kafka.brokers = broker_.address();
    settings_.kafka.produce_timeout_ms = kProduceTimeoutMs;
    ledger_ = std::make_unique<LedgerCommand>(WriteSettingsFile(dir_.path(), settings_), settings_);
    for (int i = 0; i < kClients; ++i) clients_.emplace_back(i);
  }

  void TearDown() override {
    ProcessResult wiped = broker_.Wipe();
    EXPECT_EQ(wiped.exit_code, 0) << wiped.out << wiped.err;
  }

  // While the broker is down: POSTs get a well-formed 503 within the
  // bound, GETs of a known request still answer, /healthz names the
  // problem (`named` in the log's status).
  void ExpectDegradedService(ServedLedger& server, const std::string& outage, const std::string& named) {
    SCOPED_TRACE(outage);
    auto probe = server.Client();
    for (int i = 0; i < 3; ++i) {
      auto sent = Clock::now();
      HttpReply refused = probe.Post("/v1/requests", PotholeRequest());
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent);
      EXPECT_TRUE(IsWellFormedRefusal(refused.status, refused.headers, refused.Json()))
          << refused.status << " " << refused.body;
      EXPECT_LE(took, kRefusalBound) << "a write hung while the broker was down";
    }
    auto known = probe.Get("/v1/requests/" + known_request_);
    EXPECT_EQ(known.status, 200) << known.body;
    EXPECT_EQ(known.Json()["id"], known_request_);
    json health;
    bool said = Eventually(std::chrono::seconds(15), [&] {
      health = probe.Get("/healthz").Json();
      return health.is_object() && health["status"] == "degraded" &&
             health["log"]["status"].get<std::string>().find(named) != std::string::npos;
    });
    EXPECT_TRUE(said) << "/healthz does not say \"" << named << "\": " << health.dump();
  }

  // Ingest from every client; `take_down` the broker once some writes are
  // acknowledged, check the degraded service (/healthz saying `named`),
  // `bring_back` the broker and wait until writes are acknowledged again.
  void OutageDuringIngest(ServedLedger& server, const std::string& outage,
                          const std::function<ProcessResult()>& take_down,
                          const std::function<ProcessResult()>& bring_back, const std::string& named) {
    SCOPED_TRACE(outage);
    AnswerCounts counts;
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (auto& c : clients_) {
      uint64_t seed = rng_();
      threads.emplace_back([&, seed] { c.Run(server.port(), seed, acks_, counts, stop); });
    }
    EXPECT_TRUE(Eventually(std::chrono::seconds(60), [&] { return counts.acked >= kAcksAroundOutage; }));
    ProcessResult down = take_down();
    EXPECT_EQ(down.exit_code, 0) << down.out << down.err;
    ExpectDegradedService(server, outage, named);
    ProcessResult up = bring_back();
    EXPECT_EQ(up.exit_code, 0) << up.out << up.err;
    auto probe = server.Client();
    bool recovered = Eventually(kRecoveryBound, [&] {
      HttpReply created = probe.Post("/v1/requests", PotholeRequest());
      if (created.status == 201) acks_.Record(created.Json());
      return created.status == 201;
    });
    EXPECT_TRUE(recovered) << "writes still fail after the broker came back";
    int acked_recovered = counts.acked;
    EXPECT_TRUE(Eventually(std::chrono::seconds(60), [&] {
      return counts.acked >= acked_recovered + kAcksAroundOutage;
    })) << "the clients' writes did not resume";
    stop = true;
    for (auto& t : threads) t.join();
    counts.ReportUnexpected(outage);
    // The probe above proved the refusals; the clients may all have been
    // between writes or waiting on one (their refusals are counted, not required).
    EXPECT_LE(counts.slowest_refusal_ms, kRefusalBound.count()) << "a refusal took too long";
    std::cout << outage << ": " << counts.acked << " acknowledged, " << counts.unavailable
              << " refused (slowest " << counts.slowest_refusal_ms << " ms), " << counts.conflicts
              << " conflicts, " << counts.no_answer << " unanswered\n";
  }

  // The request whose reads must go on during outages.
  void SubmitKnownRequest(ServedLedger& server) {
    HttpReply known = server.Client().Post("/v1/requests", PotholeRequest());
    ASSERT_EQ(known.status, 201) << known.body;
    acks_.Record(known.Json());
    known_request_ = known.Json()["request"]["id"];
  }

  PrivateBroker broker_;
  TempDir dir_;
  app::Settings settings_;
  std::unique_ptr<LedgerCommand> ledger_;
  std::mt19937_64 rng_{SeedFromEnvironmentOrRandom()};
  std::vector<IntakeClient> clients_;
  Acknowledgements acks_;
  std::string known_request_;
};

TEST_F(BrokerOutage, StopAndKillOfTheBrokerRefuseWritesBrieflyAndLoseNothingAcknowledged) {
  ServedLedger server(LEDGER_BINARY, ledger_->settings_path());
  ASSERT_NO_FATAL_FAILURE(SubmitKnownRequest(server));

  auto start = [&] { return broker_.Start(); };
  OutageDuringIngest(server, "broker stopped", [&] { return broker_.Stop(); }, start, broker_.address());
  OutageDuringIngest(server, "broker killed", [&] { return broker_.Kill(); }, start, broker_.address());

  ExpectLedgerHoldsAcknowledged(server, *ledger_, acks_);
  ProcessResult stopped = server.Terminate();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  ExpectRebuildEqualsLiveState(*ledger_);
}

// The broker paused (SIGSTOP) while writes are on their way: their outcome
// is unknown, and a write the broker still holds may land after the
// ledger has given up on it. Three rounds: every acknowledged event is in
// the log once, each request's sequence runs 1, 2, 3... with an unbroken
// hash chain (no fork), and a rebuild from the log equals the live state.
TEST_F(BrokerOutage, PausedBrokerDuringWritesForksNoHistoryAndLosesNothingAcknowledged) {
  ServedLedger server(LEDGER_BINARY, ledger_->settings_path());
  ASSERT_NO_FATAL_FAILURE(SubmitKnownRequest(server));

  for (int round = 1; round <= 3; ++round)
    OutageDuringIngest(server, "broker paused, round " + std::to_string(round),
                       [&] { return broker_.Pause(); }, [&] { return broker_.Resume(); }, "Kafka");

  ExpectLedgerHoldsAcknowledged(server, *ledger_, acks_);
  ProcessResult stopped = server.Terminate();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  ExpectRebuildEqualsLiveState(*ledger_);
}

// The value of an unlabelled gauge or counter in /metrics text; -1 if absent.
double MetricValue(const std::string& metrics, const std::string& name) {
  auto at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(metrics.substr(at + name.size() + 2));
}

// Commands stall while the broker is paused: once commands.max_waiting of
// them wait, one more is refused at once with 503 and Retry-After instead
// of joining them; the waiting ones are answered, and once the broker is
// back commands are taken again.
TEST_F(BrokerOutage, CommandsOverTheWaitingLimitGet503AtOnceWhileTheLogStalls) {
  constexpr int kMaxWaiting = 2;
  settings_.max_waiting_commands = kMaxWaiting;
  LedgerUnderTest ledger(settings_);
  HttpClient probe = ledger.Client();
  ASSERT_EQ(probe.Post("/v1/requests", PotholeRequest()).status, 201);

  ProcessResult paused = broker_.Pause();
  ASSERT_EQ(paused.exit_code, 0) << paused.out << paused.err;
  std::vector<int> stalled_status(kMaxWaiting);
  std::vector<std::thread> stalled;
  for (int i = 0; i < kMaxWaiting; ++i)
    stalled.emplace_back([&, i] { stalled_status[i] = ledger.Client().Post("/v1/requests", PotholeRequest()).status; });
  EXPECT_TRUE(Eventually(std::chrono::seconds(5), [&] {
    return MetricValue(probe.Get("/metrics").body, "ledger_commands_waiting") == kMaxWaiting;
  })) << "the commands did not wait";
  auto sent = Clock::now();
  HttpReply refused = probe.Post("/v1/requests", PotholeRequest());
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent);
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.headers["retry-after"], "1");
  EXPECT_EQ(refused.Json()["error"]["message"], "2 commands are waiting for the log, the limit; send it again");
  EXPECT_LT(took, std::chrono::milliseconds(kProduceTimeoutMs)) << "the refusal waited for the log";

  ProcessResult resumed = broker_.Resume();
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  for (auto& t : stalled) t.join();
  for (int status : stalled_status) EXPECT_TRUE(status == 201 || status == 503) << status;
  // A place frees when the command's last responder goes, a moment after its answer.
  EXPECT_TRUE(Eventually(std::chrono::seconds(10), [&] {
    return MetricValue(probe.Get("/metrics").body, "ledger_commands_waiting") == 0;
  })) << "answered commands still hold their places";
  EXPECT_TRUE(Eventually(kRecoveryBound, [&] { return probe.Post("/v1/requests", PotholeRequest()).status == 201; }))
      << "commands are not taken again after the broker came back";
}

// The README's advice after a 504: the command may still be stored, so
// send it again with the same Idempotency-Key, and the ledger answers what
// the first one did. The broker pauses longer than the handler timeout but
// shorter than the produce timeout: the first answer is 504, the command
// is stored anyway, and the resend appends nothing.
TEST_F(BrokerOutage, After504TheResendWithTheSameKeyAnswersWhatTheStoredCommandDid) {
  settings_.server.handler_timeout = std::chrono::seconds(1);
  settings_.kafka.produce_timeout_ms = 20'000;
  LedgerUnderTest ledger(settings_);
  HttpClient client = ledger.Client();
  ASSERT_EQ(client.Post("/v1/requests", PotholeRequest()).status, 201);
  uint64_t before = EventsAppended(client);

  const std::map<std::string, std::string> key = {{"Idempotency-Key", "call-7781-retry"},
                                                  {"Content-Type", "application/json"}};
  std::string body = PotholeRequest().dump();
  ProcessResult paused = broker_.Pause();
  ASSERT_EQ(paused.exit_code, 0) << paused.out << paused.err;
  HttpReply timed_out = client.Send("POST", "/v1/requests", body, key);
  EXPECT_EQ(timed_out.status, 504) << timed_out.body;
  EXPECT_NE(timed_out.body.find("may still be stored"), std::string::npos) << timed_out.body;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ProcessResult resumed = broker_.Resume();
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;

  // The first command completes once the broker answers; until then a
  // resend is told the first is still in flight (409).
  HttpReply resent;
  EXPECT_TRUE(Eventually(std::chrono::seconds(30), [&] {
    resent = client.Send("POST", "/v1/requests", body, key);
    return resent.status != 409;
  })) << resent.body;
  ASSERT_EQ(resent.status, 201) << resent.body;
  EXPECT_EQ(resent.headers["idempotent-replayed"], "true");
  std::string id = resent.Json()["request"]["id"];
  EXPECT_EQ(client.Get("/v1/requests/" + id).status, 200);
  EXPECT_EQ(EventsAppended(client), before + 1) << "the resend appended again";
}

}  // namespace
}  // namespace ledger::testing
