#pragma once
// A small synthetic city for state store tests: requests spread over
// departments and services, with routing, status changes, closings,
// duplicates and contacts on their own topic.

#include <string>
#include <vector>

#include "tests/projections/test_log.h"

namespace ledger::projections::fixtures {

inline const std::vector<std::string> kDepartments = {"DOT", "DPW", "DEP", "POL"};
inline const std::vector<std::string> kServices = {"pothole", "graffiti", "noise", "tree",
                                                   "streetlight"};

inline std::string RequestId(int i) {
  std::string digits = std::to_string(i);
  return "SR-" + std::string(6 - digits.size(), '0') + digits;
}

struct City {
  TestLog log;
  std::vector<std::string> ids;
};

// Request i is created at kT0 + i minutes in department i % 4 with service
// i % 5 and a deadline (i % 3 + 1) days later. Every 3rd goes in progress,
// every 5th is routed on, every 7th is closed, every 11th is a duplicate
// of the one before; each has a contact, every 4th a second one.
inline City BuildCity(int requests) {
  City city;
  for (int i = 0; i < requests; ++i) {
    std::string id = RequestId(i);
    std::string contact = "CT-" + id.substr(3);
    int64_t created = kT0 + i * kMinute;
    city.ids.push_back(id);
    city.log.Contact(contact, ContactData(id), created - 1000);
    city.log.Request(id, types::kRequestSubmitted,
                     SubmittedData(kServices[i % 5], kDepartments[i % 4],
                                   created + (i % 3 + 1) * kDay, contact),
                     created, "phone");
  }
  for (int i = 0; i < requests; ++i) {
    const std::string& id = city.ids[i];
    int64_t later = kT0 + (requests + i) * kMinute;
    if (i % 3 == 0)
      city.log.Request(id, types::kRequestStatusChanged, {{"from", "open"}, {"to", "in_progress"}},
                       later);
    if (i % 5 == 0)
      city.log.Request(id, types::kRequestRouted,
                       {{"from_department", kDepartments[i % 4]},
                        {"to_department", kDepartments[(i + 1) % 4]},
                        {"reason", "wrong department"}},
                       later + 1);
    if (i % 7 == 0)
      city.log.Request(id, types::kRequestClosed, {{"resolution_code", "done"}}, later + 2);
    if (i % 11 == 0 && i > 0)
      city.log.Request(id, types::kRequestDuplicateMarked, {{"parent_id", city.ids[i - 1]}},
                       later + 3);
    if (i % 4 == 0)
      city.log.Contact("CT-" + id.substr(3) + "-2", ContactData(id), later + 4);
  }
  return city;
}

}  // namespace ledger::projections::fixtures
