#pragma once
// A seeded generator of realistic 311 traffic for a catalog, for the
// benchmarks: command bodies for the HTTP API and ready events for seeding
// a log directly. The same catalog, seed and sequence of calls give the
// same output, byte for byte, on one platform (its own random numbers and
// distributions; only libm's exp/log/cos could differ elsewhere).
//
// The shape, from open 311 data: departments by a Zipf law (s = 1.1, in
// catalog order) over the departments that are not outside agencies, then
// a service of that department; close times lognormal (median 3 days,
// sigma 1.2); 1 + geometric contacts per request (mean 1.8); channels
// phone ~80%, web ~14%, then email, mobile, walk_in, letter; languages
// mostly en, then es, zh, ko, vi, fr; after submission: assigned, often
// in_progress, sometimes routed first, a note, resolved and closed (or
// transferred to an outside agency), and sometimes a survey.
//
// Not thread-safe: one Traffic per thread (seed them differently).

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "events/event_log.h"

namespace ledger::bench {

using events::Json;

struct TrafficOptions {
  uint64_t seed = 1;
  // Simulated time of the first arrival: Monday 2026-03-02 09:00 in New York.
  int64_t start_ms = 1772460000000;
  // Mean new requests per day; arrivals follow the hour of the day.
  double requests_per_day = 8000;
  // Contacts that create no request (information, referral, abandoned), per request.
  double info_contacts_per_request = 0.5;
};

class Traffic {
 public:
  // REQUIRES: `catalog` outlives the Traffic and has a department that is
  // not external with at least one service.
  Traffic(const catalog::Catalog& catalog, TrafficOptions options);

  // A body for POST /v1/requests: service, description, location,
  // attributes (valid for the service), channel, customer kind and, for
  // most, the resident's personal fields. No occurred_at: the server's now.
  Json SubmitBody();

  // A body for POST /v1/contacts. With an empty `request_id`, a contact
  // that creates a request (outcome created_request, body "request");
  // otherwise a follow-up contact linked to that request.
  Json ContactBody(const std::string& request_id);

  // Bodies for POST /v1/requests/{id}/events, in order, for the life of a
  // request just submitted to `department`: sometimes route, assign, often
  // change_status in_progress, sometimes add_note, resolve and close (or
  // transfer_external), sometimes record_survey. No expected_version.
  std::vector<Json> LifecycleBodies(const std::string& department);

  // The next event of the simulated center, in event-time order, with its
  // topic and department copies and no expected version. Appending the
  // events in the order returned gives each request its realistic stream:
  // contact.received and request.submitted, then its lifecycle and
  // follow-up contacts, interleaved with other requests as time passes.
  events::AppendRecord NextEvent();

 private:
  struct Request;  // one drawn request: what intake records
  struct Pending {
    int64_t time_ms;
    uint64_t order;  // ties keep push order, so a stream stays in sequence
    events::AppendRecord record;
    // The heap's order: the earliest event on top.
    static bool Later(const Pending& a, const Pending& b) {
      return a.time_ms != b.time_ms ? a.time_ms > b.time_ms : a.order > b.order;
    }
  };

  // Random numbers (xoshiro256**, seeded by splitmix64).
  uint64_t NextBits();
  double Uniform();  // [0, 1)
  size_t Below(size_t n);
  bool Chance(double p);
  double Normal();
  int64_t LognormalMs(double median_ms, double sigma);
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }
  std::string PickWeighted(const std::vector<std::pair<std::string, double>>& table);

  Request DrawRequest();
  Json DrawAttributes(const catalog::Service& service);
  Json DrawLocation();
  Json DrawResident();
  std::string DrawLanguage();
  std::string OtherDepartment(const std::string& department);
  std::string NewId(const char* prefix, int64_t time_ms);
  std::string NewEventId(int64_t time_ms);

  // The simulated timeline behind NextEvent.
  void Arrive();  // draws the next arrival and pushes all its events
  void PushRequestStory(int64_t t0);
  void PushInformationContact(int64_t t0);
  void Push(int64_t time_ms, events::AppendRecord record);
  events::AppendRecord ContactRecord(const std::string& contact_id, int64_t time_ms,
                                     const std::string& channel, Json data);
  events::AppendRecord RequestRecord(std::string_view type, const std::string& request_id,
                                     int64_t time_ms, const std::string& actor,
                                     const std::string& channel, Json data,
                                     std::vector<std::string> departments);
  Json ContactData(const std::string& channel, const std::string& language,
                   const std::string& agent, const std::string& outcome);

  const catalog::Catalog& catalog_;
  TrafficOptions options_;
  uint64_t state_[4];
  std::vector<const catalog::Department*> departments_;  // not external, with services
  std::vector<double> department_cdf_;                    // Zipf, cumulative
  std::vector<std::vector<const catalog::Service*>> services_;  // per departments_ entry
  std::vector<const catalog::Department*> agencies_;      // external
  std::vector<Pending> heap_;                              // min-heap by (time, order)
  uint64_t pushed_ = 0;
  int64_t next_arrival_ms_;
};

}  // namespace ledger::bench
