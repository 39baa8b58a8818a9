#include "tests/system/intake.h"

#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/test_ledger.h"

namespace ledger::testing {

using nlohmann::json;

void Acknowledgements::Record(const json& answer) {
  std::lock_guard lock(mu_);
  for (const auto& stored : answer.value("events", json::array())) {
    const json& e = stored["event"];
    const json& at = stored["position"];
    AckedEvent acked{{at["topic"], at.value("partition", 0)}, at["offset"], e["id"],
                     e["subject"], e.value("sequence", uint64_t{0})};
    if (acked.where.topic == kContacts && e["data"].contains("request_id"))
      contacts_of_[e["data"]["request_id"].get<std::string>()].insert(acked.subject);
    events_.push_back(std::move(acked));
  }
}

std::vector<AckedEvent> Acknowledgements::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

std::map<std::string, std::set<std::string>> Acknowledgements::contacts_of() const {
  std::lock_guard lock(mu_);
  return contacts_of_;
}

void AnswerCounts::ReportUnexpected(const std::string& where) {
  std::lock_guard lock(mu);
  for (const auto& u : unexpected) ADD_FAILURE() << where << ": " << u;
}

bool IsWellFormedRefusal(int status, const std::map<std::string, std::string>& headers,
                         const json& body) {
  auto retry = headers.find("retry-after");
  return status == 503 && retry != headers.end() && std::atoi(retry->second.c_str()) > 0 &&
         body.is_object() && body.contains("error") && body["error"].is_object() &&
         body["error"].value("code", "") == "unavailable" &&
         !body["error"].value("message", "").empty();
}

namespace {

// Sleeps `seconds`, or less once `stop` is set.
void WaitOrStop(int seconds, const std::atomic<bool>& stop) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!stop && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace

void IntakeClient::Run(uint16_t port, uint64_t seed, Acknowledgements& acks, AnswerCounts& counts,
                       const std::atomic<bool>& stop) {
  std::mt19937_64 rng(seed);
  HttpClient client("127.0.0.1", port, kTestKey);
  while (!stop) {
    std::string target;
    json body = NextCommand(rng, target);
    ++counts.in_flight;
    auto sent = std::chrono::steady_clock::now();
    HttpReply reply = client.Post(target, body);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - sent);
    --counts.in_flight;
    if (reply.status == 200 || reply.status == 201) {
      json answer = reply.Json();
      acks.Record(answer);
      bool created = target == "/v1/requests" || body.contains("request");
      if (created) own_.push_back(answer["request"]["id"]);
      ++counts.acked;
    } else if (reply.status == 0) {
      ++counts.no_answer;
    } else if (reply.status == 409) {
      ++counts.conflicts;
    } else if (IsWellFormedRefusal(reply.status, reply.headers, reply.Json())) {
      ++counts.unavailable;
      int64_t ms = took.count();
      for (int64_t slowest = counts.slowest_refusal_ms;
           ms > slowest && !counts.slowest_refusal_ms.compare_exchange_weak(slowest, ms);) {
      }
      WaitOrStop(std::atoi(reply.headers["retry-after"].c_str()), stop);
    } else {
      std::lock_guard lock(counts.mu);
      counts.unexpected.push_back(std::to_string(reply.status) + " " + target + " " + reply.body);
    }
  }
}

json IntakeClient::NextCommand(std::mt19937_64& rng, std::string& target) {
  int dice = std::uniform_int_distribution<int>(0, 99)(rng);
  ++made_;
  if (own_.empty() || dice < 12) {
    target = "/v1/requests";
    return PotholeRequest();
  }
  if (dice < 20) {
    target = "/v1/contacts";
    return {{"channel", "phone"}, {"language", "en"}, {"agent", "ana"},
            {"outcome", "created_request"}, {"request", PotholeRequest()}};
  }
  const std::string& id = own_[std::uniform_int_distribution<size_t>(0, own_.size() - 1)(rng)];
  if (dice < 40) {
    target = "/v1/contacts";
    return {{"channel", "web"}, {"language", "es"}, {"outcome", "linked_to_request"},
            {"request_id", id}};
  }
  target = "/v1/requests/" + id + "/events";
  std::string tag = std::to_string(number_) + "-" + std::to_string(made_);
  if (dice < 70) return {{"command", "add_note"}, {"text", "called back " + tag}};
  if (dice < 85) return {{"command", "assign"}, {"assignee", "crew-" + tag}};
  static const char* kStatuses[] = {"open", "acknowledged", "in_progress", "on_hold"};
  return {{"command", "change_status"},
          {"status", kStatuses[std::uniform_int_distribution<int>(0, 3)(rng)]}};
}

uint64_t SeedFromEnvironmentOrRandom() {
  if (const char* s = std::getenv("LEDGER_CRASH_SEED")) return std::strtoull(s, nullptr, 10);
  return (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
}

}  // namespace ledger::testing
