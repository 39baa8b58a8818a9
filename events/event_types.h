#pragma once
// The v1 event types of DESIGN.md (at the repository's top). A v2 of a type is a new type string.

#include <array>
#include <string_view>

namespace ledger::events::types {

inline constexpr std::string_view kContactReceived = "gov311.contact.received.v1";
inline constexpr std::string_view kRequestSubmitted = "gov311.request.submitted.v1";
inline constexpr std::string_view kRequestRouted = "gov311.request.routed.v1";
inline constexpr std::string_view kRequestAssigned = "gov311.request.assigned.v1";
inline constexpr std::string_view kRequestStatusChanged = "gov311.request.status_changed.v1";
inline constexpr std::string_view kRequestNoteAdded = "gov311.request.note_added.v1";
inline constexpr std::string_view kRequestDuplicateMarked = "gov311.request.duplicate_marked.v1";
inline constexpr std::string_view kRequestTransferredExternal =
    "gov311.request.transferred_external.v1";
inline constexpr std::string_view kRequestResolved = "gov311.request.resolved.v1";
inline constexpr std::string_view kRequestClosed = "gov311.request.closed.v1";
inline constexpr std::string_view kRequestReopened = "gov311.request.reopened.v1";
inline constexpr std::string_view kSurveyAnswered = "gov311.survey.answered.v1";
inline constexpr std::string_view kSlaBreached = "gov311.sla.breached.v1";
inline constexpr std::string_view kResidentErased = "gov311.resident.erased.v1";
inline constexpr std::string_view kPerformanceDayChanged = "gov311.performance.day_changed.v1";

inline constexpr std::array<std::string_view, 15> kAll = {
    kContactReceived,        kRequestSubmitted, kRequestRouted,   kRequestAssigned,
    kRequestStatusChanged,   kRequestNoteAdded, kRequestDuplicateMarked,
    kRequestTransferredExternal, kRequestResolved, kRequestClosed, kRequestReopened,
    kSurveyAnswered,         kSlaBreached,      kResidentErased,  kPerformanceDayChanged};

inline bool IsKnown(std::string_view type) {
  for (auto t : kAll)
    if (t == type) return true;
  return false;
}

}  // namespace ledger::events::types

namespace ledger::events::topics {
inline constexpr std::string_view kContacts = "311.contacts";
inline constexpr std::string_view kRequests = "311.requests";
inline constexpr std::string_view kPerformance = "311.performance";
inline constexpr std::string_view kDeptPrefix = "311.dept.";
}  // namespace ledger::events::topics
