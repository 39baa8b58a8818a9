#include "bench/traffic.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>

#include "events/event_types.h"

namespace ledger::bench {
namespace {

namespace types = events::types;
namespace topics = events::topics;

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr double kZipfS = 1.1;
constexpr double kCloseMedianMs = 3.0 * kDayMs;
constexpr double kCloseSigma = 1.2;
constexpr double kFollowUpRatio = 0.8 / 1.8;  // geometric: mean 0.8 extra contacts
constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const std::vector<std::pair<std::string, double>> kChannels = {
    {"phone", 0.80}, {"web", 0.14}, {"email", 0.025}, {"mobile", 0.015},
    {"walk_in", 0.01}, {"letter", 0.01}};
const std::vector<std::pair<std::string, double>> kLanguages = {
    {"en", 0.84}, {"es", 0.09}, {"zh", 0.025}, {"ko", 0.015}, {"vi", 0.015}, {"fr", 0.015}};
const std::vector<std::pair<std::string, double>> kInformationOutcomes = {
    {"information", 0.70}, {"referred", 0.12}, {"abandoned", 0.13}, {"transferred_agency", 0.05}};

constexpr const char* kAgents[] = {"ana", "ben", "chloe", "dmitri", "esperanza", "farah", "grace",
                                   "hiro", "ines", "jamal", "kim", "luis", "maya", "nguyen",
                                   "olga", "priya", "quinn", "rosa", "sam", "tariq", "uma",
                                   "victor", "wen", "xavier", "yusuf", "zoe"};
constexpr const char* kFirstNames[] = {"Pat", "Maria", "James", "Wei", "Min-jun", "Thanh",
                                       "Claire", "Robert", "Aisha", "Carlos", "Linda", "David",
                                       "Sofia", "Michael", "Jennifer", "Hoang", "Elena", "Kwame"};
constexpr const char* kLastNames[] = {"Doe", "Garcia", "Smith", "Chen", "Kim", "Nguyen",
                                      "Dubois", "Johnson", "Williams", "Lopez", "Brown", "Lee",
                                      "Martinez", "Davis", "Tran", "Rossi", "Okafor", "Miller"};
constexpr const char* kStreets[] = {"River Road", "Georgia Avenue", "Main Street", "Oak Drive",
                                    "Veirs Mill Road", "University Boulevard", "Elm Street",
                                    "Randolph Road", "Colesville Road", "Maple Avenue",
                                    "Old Georgetown Road", "Wisconsin Avenue", "Falls Road",
                                    "Democracy Boulevard", "Bel Pre Road", "Piney Branch Road"};
constexpr const char* kZips[] = {"20850", "20851", "20852", "20853", "20854", "20874", "20876",
                                 "20877", "20878", "20895", "20901", "20902", "20903", "20904"};
constexpr const char* kDetails[] = {
    "Caller says it has been like this for about a week.",
    "Second report from this block; neighbors are asking for an update.",
    "Resident asks for a call back when a crew is scheduled.",
    "Noticed on the way to work this morning.",
    "Getting worse after the rain over the weekend.",
    "Partly blocking the sidewalk; people with strollers walk in the street.",
    "Near the elementary school, busy at drop-off time.",
    "Reported by the homeowners association on behalf of residents.",
    "Caller could not give an exact address; see the cross street.",
    "Same problem was fixed last year and has come back."};
constexpr const char* kInformationTopics[] = {
    "asked about trash pickup holiday schedule", "asked how to pay a property tax bill",
    "asked about library hours", "asked where to recycle electronics",
    "asked about a pet license renewal", "asked for the status of a permit",
    "asked how to reserve a park pavilion", "asked about polling place locations"};
constexpr const char* kResolutions[] = {"completed", "repaired", "collected", "inspected",
                                        "no-violation-found", "referred", "no-action-needed"};
constexpr const char* kRouteReasons[] = {"belongs to another department",
                                         "wrong service chosen at intake",
                                         "location is on a county facility"};
constexpr const char* kNotes[] = {"Crew scheduled for this week.", "Waiting on parts.",
                                  "Contacted the resident for access.",
                                  "Inspection found a larger problem; follow-up work order opened."};
constexpr const char* kWords[] = {"north", "corner", "blue", "rear", "front", "lot", "unit"};

// Share of the day's arrivals per local hour (New York, standard time): a
// contact center's day, busiest mid-morning to late afternoon.
constexpr double kHourWeight[24] = {0.15, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.4, 1.8,
                                    1.8,  1.7, 1.6, 1.7, 1.7, 1.6, 1.5, 1.2, 0.9, 0.7,
                                    0.6,  0.4, 0.3, 0.2};
constexpr double kMeanHourWeight = [] {
  double sum = 0;
  for (double w : kHourWeight) sum += w;
  return sum / 24;
}();

uint64_t SplitMix(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void AppendBase32(std::string& out, uint64_t value, int chars) {
  for (int i = chars - 1; i >= 0; --i) out.push_back(kCrockford[(value >> (5 * i)) & 31]);
}

std::string DepartmentTopic(const std::string& code) { return std::string(topics::kDeptPrefix) + code; }

bool IsInternal(const catalog::Service& service) { return service.group.rfind("Internal", 0) == 0; }

bool HasAgent(const std::string& channel) { return channel != "web" && channel != "mobile"; }

// Where in a request's life (as shares of its close time) a command
// happens; {-1, -1}: after closing.
std::pair<double, double> ShareOfCloseTime(const std::string& command) {
  if (command == "route") return {0.005, 0.03};
  if (command == "assign") return {0.03, 0.12};
  if (command == "change_status") return {0.15, 0.5};
  if (command == "add_note") return {0.5, 0.8};
  if (command == "close") return {1.0, 1.0};
  if (command == "record_survey") return {-1, -1};
  return {0.85, 0.98};  // resolve, transfer_external
}

struct LifecycleState {
  std::string department;
  std::string status;
};

// The event a lifecycle command body records, as the ledger decides it.
std::pair<std::string_view, Json> LifecycleEvent(const Json& body, LifecycleState& life) {
  std::string command = body["command"];
  if (command == "route") {
    Json data = {{"from_department", life.department}, {"to_department", body["to_department"]},
                 {"reason", body["reason"]}};
    life.department = body["to_department"];
    return {types::kRequestRouted, std::move(data)};
  }
  if (command == "assign")
    return {types::kRequestAssigned, {{"department", life.department}, {"assignee", body["assignee"]}}};
  if (command == "change_status") {
    Json data = {{"from", life.status}, {"to", body["status"]}};
    life.status = body["status"];
    return {types::kRequestStatusChanged, std::move(data)};
  }
  if (command == "add_note")
    return {types::kRequestNoteAdded, {{"visibility", body["visibility"]}, {"text", body["text"]}}};
  if (command == "transfer_external")
    return {types::kRequestTransferredExternal, {{"agency", body["agency"]}, {"reason", body["reason"]}}};
  if (command == "resolve")
    return {types::kRequestResolved, {{"resolution_code", body["resolution_code"]}}};
  if (command == "close") return {types::kRequestClosed, Json::object()};
  return {types::kSurveyAnswered, {{"score", body["score"]}}};
}

}  // namespace

struct Traffic::Request {
  const catalog::Service* service = nullptr;
  std::string channel, language, customer_kind, priority, description, agent;
  Json location, attributes, personal;
};

Traffic::Traffic(const catalog::Catalog& catalog, TrafficOptions options)
    : catalog_(catalog), options_(options), next_arrival_ms_(options.start_ms) {
  uint64_t x = options.seed;
  for (auto& s : state_) s = SplitMix(x);
  for (const auto& department : catalog.departments()) {
    if (department.external) {
      agencies_.push_back(&department);
      continue;
    }
    std::vector<const catalog::Service*> services;
    for (const auto& service : catalog.services())
      if (service.department == department.code) services.push_back(&service);
    if (services.empty()) continue;
    departments_.push_back(&department);
    services_.push_back(std::move(services));
  }
  double total = 0;
  for (size_t rank = 1; rank <= departments_.size(); ++rank) {
    total += 1.0 / std::pow(double(rank), kZipfS);
    department_cdf_.push_back(total);
  }
  for (double& c : department_cdf_) c /= total;
}

uint64_t Traffic::NextBits() {
  uint64_t* s = state_;
  uint64_t result = Rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = Rotl(s[3], 45);
  return result;
}

double Traffic::Uniform() { return double(NextBits() >> 11) * 0x1.0p-53; }
size_t Traffic::Below(size_t n) { return size_t(Uniform() * double(n)); }
bool Traffic::Chance(double p) { return Uniform() < p; }

double Traffic::Normal() {  // Box-Muller
  double u = 1.0 - Uniform(), v = Uniform();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
}

int64_t Traffic::LognormalMs(double median_ms, double sigma) {
  return int64_t(median_ms * std::exp(sigma * Normal()));
}

std::string Traffic::PickWeighted(const std::vector<std::pair<std::string, double>>& table) {
  double u = Uniform();
  for (const auto& [value, weight] : table) {
    if (u < weight) return value;
    u -= weight;
  }
  return table.front().first;
}

std::string Traffic::DrawLanguage() { return PickWeighted(kLanguages); }

Json Traffic::DrawLocation() {
  std::string address = std::to_string(100 + Below(19900)) + " " + Pick(kStreets);
  Json location = {{"address", address}, {"zip", Pick(kZips)}};
  if (Chance(0.8)) {
    location["lat"] = std::round((39.00 + 0.25 * Uniform()) * 1e5) / 1e5;
    location["lon"] = std::round((-77.30 + 0.30 * Uniform()) * 1e5) / 1e5;
  }
  return location;
}

Json Traffic::DrawResident() {
  std::string first = Pick(kFirstNames), last = Pick(kLastNames);
  Json personal = {{"name", first + " " + last},
                   {"phone", "+1 301 555 0" + std::to_string(100 + Below(900))}};
  if (Chance(0.4)) {
    std::string email = first + "." + last + "@example.org";
    for (char& c : email) c = char(std::tolower(static_cast<unsigned char>(c)));
    personal["email"] = email;
  }
  if (Chance(0.3)) personal["address"] = std::to_string(100 + Below(19900)) + " " + Pick(kStreets);
  return personal;
}

Json Traffic::DrawAttributes(const catalog::Service& service) {
  Json attributes = Json::object();
  for (const auto& a : service.attributes) {
    if (!a.required && !Chance(0.5)) continue;
    Json value;
    switch (a.type) {
      case catalog::AttributeType::kString:
        value = std::string(Pick(kWords)) + "-" + std::to_string(Below(10000));
        break;
      case catalog::AttributeType::kNumber:
        value = std::round(Uniform() * 1000) / 10;
        break;
      case catalog::AttributeType::kInteger:
        value = int64_t(1 + Below(5));
        break;
      case catalog::AttributeType::kBoolean:
        value = Chance(0.3);
        break;
      case catalog::AttributeType::kDate:
        value = catalog_.LocalDate(options_.start_ms + int64_t(Below(30)) * kDayMs);
        break;
      case catalog::AttributeType::kSingleValueList:
        value = a.values[Below(a.values.size())];
        break;
      case catalog::AttributeType::kMultiValueList: {
        value = Json::array({a.values[Below(a.values.size())]});
        const std::string& second = a.values[Below(a.values.size())];
        if (Chance(0.3) && second != value[0]) value.push_back(second);
        break;
      }
    }
    attributes[a.code] = std::move(value);
  }
  return attributes;
}

Traffic::Request Traffic::DrawRequest() {
  double u = Uniform();
  size_t d = std::lower_bound(department_cdf_.begin(), department_cdf_.end(), u) - department_cdf_.begin();
  d = std::min(d, departments_.size() - 1);
  Request r;
  r.service = services_[d][Below(services_[d].size())];
  bool internal = IsInternal(*r.service);
  r.channel = internal ? "internal" : PickWeighted(kChannels);
  r.language = internal ? "en" : DrawLanguage();
  r.customer_kind = internal ? "internal" : Chance(0.06) ? "business" : "resident";
  r.priority = r.service->default_priority;
  if (r.priority == "normal" && Chance(0.05)) r.priority = "high";
  r.location = DrawLocation();
  r.attributes = DrawAttributes(*r.service);
  if (!internal && Chance(0.75)) r.personal = DrawResident();
  r.description = r.service->name + " at " + r.location["address"].get<std::string>() + ". " +
                  Pick(kDetails);
  if (HasAgent(r.channel)) r.agent = Pick(kAgents);
  return r;
}

std::string Traffic::OtherDepartment(const std::string& department) {
  for (;;) {
    const std::string& code = departments_[Below(departments_.size())]->code;
    if (code != department || departments_.size() == 1) return code;
  }
}

// Like the ledger's own short ids ("SR-" + 41 bits of ms since 2020 + 21
// bits), with the low bits from the seeded generator.
std::string Traffic::NewId(const char* prefix, int64_t time_ms) {
  constexpr int64_t kEpoch2020 = 1577836800000;
  uint64_t t = uint64_t(time_ms - kEpoch2020) & ((1ULL << 41) - 1);
  std::string out(prefix);
  AppendBase32(out, t >> 24, 4);
  AppendBase32(out, ((t & ((1ULL << 24) - 1)) << 21) | (NextBits() & ((1ULL << 21) - 1)), 9);
  return out;
}

std::string Traffic::NewEventId(int64_t time_ms) {  // a ULID
  std::string out;
  out.reserve(26);
  AppendBase32(out, uint64_t(time_ms) & ((1ULL << 48) - 1), 10);
  AppendBase32(out, NextBits() & ((1ULL << 40) - 1), 8);
  AppendBase32(out, NextBits() & ((1ULL << 40) - 1), 8);
  return out;
}

Json Traffic::SubmitBody() {
  Request r = DrawRequest();
  Json body = {{"service_code", r.service->code}, {"description", r.description},
               {"location", r.location},          {"attributes", r.attributes},
               {"customer_kind", r.customer_kind}, {"channel", r.channel}};
  if (r.priority != r.service->default_priority) body["priority"] = r.priority;
  if (!r.personal.empty()) body["resident"] = r.personal;
  if (!r.agent.empty()) body["on_behalf_of"] = "agent:" + r.agent;
  return body;
}

Json Traffic::ContactData(const std::string& channel, const std::string& language,
                          const std::string& agent, const std::string& outcome) {
  bool abandoned = outcome == "abandoned";
  Json data = {{"channel", channel}, {"language", language}, {"abandoned", abandoned},
               {"outcome", outcome}};
  if (!agent.empty() && !abandoned) data["agent"] = agent;
  if (channel == "phone" || channel == "walk_in") {
    double wait_median = channel == "phone" ? 35 : 300;
    data["wait_seconds"] = std::min<int64_t>(LognormalMs(wait_median, 0.9), 3600);
    data["handle_seconds"] = abandoned ? 0 : std::min<int64_t>(LognormalMs(210, 0.6), 5400);
  } else if (!agent.empty()) {
    data["handle_seconds"] = std::min<int64_t>(LognormalMs(300, 0.5), 5400);
  }
  return data;
}

Json Traffic::ContactBody(const std::string& request_id) {
  if (!request_id.empty()) {
    std::string channel = Chance(0.85) ? "phone" : "email";
    Json body = ContactData(channel, DrawLanguage(), Pick(kAgents), "linked_to_request");
    body["request_id"] = request_id;
    body["summary"] = "asked for the status of " + request_id;
    return body;
  }
  Request r = DrawRequest();
  Json body = ContactData(r.channel, r.language, r.agent, "created_request");
  body["request"] = {{"service_code", r.service->code}, {"description", r.description},
                     {"location", r.location},          {"attributes", r.attributes},
                     {"customer_kind", r.customer_kind}};
  if (!r.personal.empty()) body["resident"] = r.personal;
  return body;
}

std::vector<Json> Traffic::LifecycleBodies(const std::string& department) {
  std::vector<Json> bodies;
  std::string current = department;
  if (Chance(0.08)) {
    current = OtherDepartment(department);
    bodies.push_back({{"command", "route"}, {"to_department", current}, {"reason", Pick(kRouteReasons)}});
  }
  bodies.push_back({{"command", "assign"}, {"assignee", "crew-" + std::to_string(1 + Below(40))}});
  if (Chance(0.75)) bodies.push_back({{"command", "change_status"}, {"status", "in_progress"}});
  if (Chance(0.25))
    bodies.push_back({{"command", "add_note"}, {"visibility", "internal"}, {"text", Pick(kNotes)}});
  if (!agencies_.empty() && Chance(0.03)) {
    bodies.push_back({{"command", "transfer_external"},
                      {"agency", agencies_[Below(agencies_.size())]->code},
                      {"reason", "the agency maintains this location"}});
  } else {
    bodies.push_back({{"command", "resolve"}, {"resolution_code", Pick(kResolutions)}});
    bodies.push_back({{"command", "close"}});
  }
  if (Chance(0.12)) bodies.push_back({{"command", "record_survey"}, {"score", 1 + Below(5)}});
  return bodies;
}

// ---- the timeline behind NextEvent ----

events::AppendRecord Traffic::NextEvent() {
  while (heap_.empty() || next_arrival_ms_ <= heap_.front().time_ms) Arrive();
  std::pop_heap(heap_.begin(), heap_.end(), Pending::Later);
  events::AppendRecord record = std::move(heap_.back().record);
  heap_.pop_back();
  return record;
}

void Traffic::Push(int64_t time_ms, events::AppendRecord record) {
  heap_.push_back({time_ms, pushed_++, std::move(record)});
  std::push_heap(heap_.begin(), heap_.end(), Pending::Later);
}

void Traffic::Arrive() {
  int64_t t0 = next_arrival_ms_;
  int hour = int(((t0 - 5 * kHourMs) % kDayMs + kDayMs) % kDayMs / kHourMs);
  double per_ms = options_.requests_per_day * (1 + options_.info_contacts_per_request) / kDayMs *
                  kHourWeight[hour] / kMeanHourWeight;
  next_arrival_ms_ = t0 + 1 + int64_t(-std::log(1.0 - Uniform()) / per_ms);
  if (Chance(options_.info_contacts_per_request / (1 + options_.info_contacts_per_request)))
    PushInformationContact(t0);
  else
    PushRequestStory(t0);
}

events::AppendRecord Traffic::ContactRecord(const std::string& contact_id, int64_t time_ms,
                                            const std::string& channel, Json data) {
  events::AppendRecord record;
  record.topic = topics::kContacts;
  record.event.id = NewEventId(time_ms);
  record.event.source = "/v1/contacts";
  record.event.type = types::kContactReceived;
  record.event.time_ms = time_ms;
  record.event.subject = contact_id;
  record.event.actor = data.contains("agent") ? "agent:" + data["agent"].get<std::string>() : "resident";
  record.event.channel = channel;
  record.event.data = std::move(data);
  return record;
}

events::AppendRecord Traffic::RequestRecord(std::string_view type, const std::string& request_id,
                                            int64_t time_ms, const std::string& actor,
                                            const std::string& channel, Json data,
                                            std::vector<std::string> departments) {
  events::AppendRecord record;
  record.topic = topics::kRequests;
  record.event.id = NewEventId(time_ms);
  record.event.source = type == types::kRequestSubmitted ? "/v1/contacts"
                                                          : "/v1/requests/" + request_id + "/events";
  record.event.type = type;
  record.event.time_ms = time_ms;
  record.event.subject = request_id;
  record.event.actor = actor;
  record.event.channel = channel;
  record.event.data = std::move(data);
  for (const auto& d : departments) record.copy_topics.push_back(DepartmentTopic(d));
  return record;
}

void Traffic::PushInformationContact(int64_t t0) {
  std::string channel = PickWeighted(kChannels);
  std::string outcome = channel == "phone" ? PickWeighted(kInformationOutcomes) : "information";
  Json data = ContactData(channel, DrawLanguage(), HasAgent(channel) ? Pick(kAgents) : "", outcome);
  if (outcome == "information") data["summary"] = Pick(kInformationTopics);
  if (outcome == "referred" || outcome == "transferred_agency")
    data["referred_to"] = agencies_.empty() ? "State of Maryland" : agencies_[Below(agencies_.size())]->name;
  Push(t0, ContactRecord(NewId("CT-", t0), t0, channel, std::move(data)));
}

void Traffic::PushRequestStory(int64_t t0) {
  Request r = DrawRequest();
  std::string id = NewId("SR-", t0), contact_id = NewId("CT-", t0);
  std::string department = r.service->department;
  Json contact = ContactData(r.channel, r.language, r.agent, "created_request");
  contact["request_id"] = id;
  Push(t0, ContactRecord(contact_id, t0, r.channel, std::move(contact)));
  Json submitted = {{"service_code", r.service->code}, {"service_name", r.service->name},
                    {"department", department},        {"description", r.description},
                    {"location", r.location},          {"attributes", r.attributes},
                    {"customer_kind", r.customer_kind}, {"priority", r.priority},
                    {"sla_deadline", events::FormatTime(catalog_.SlaDeadline(*r.service, t0))},
                    {"contact_id", contact_id}};
  if (!r.personal.empty()) submitted["personal"] = r.personal;
  Push(t0, RequestRecord(types::kRequestSubmitted, id, t0, r.agent.empty() ? "resident" : "agent:" + r.agent,
                         r.channel, std::move(submitted), {department}));

  int64_t close = std::min<int64_t>(LognormalMs(kCloseMedianMs, kCloseSigma), 365 * kDayMs);
  int64_t t = t0;
  LifecycleState life{department, "open"};
  for (const Json& body : LifecycleBodies(department)) {
    auto [lo, hi] = ShareOfCloseTime(body["command"].get<std::string>());
    // Strictly after the stream's previous event; a survey comes after closing.
    t = lo < 0 ? t + 1 + LognormalMs(kDayMs, 0.8)
               : std::max(t + 1, t0 + int64_t(close * (lo + (hi - lo) * Uniform())));
    std::vector<std::string> copies = {life.department};
    auto [type, data] = LifecycleEvent(body, life);
    if (life.department != copies[0]) copies.push_back(life.department);
    std::string actor = type == types::kSurveyAnswered
                            ? "resident"
                            : "dept:" + copies[0] + ":" + Pick(kAgents);
    Push(t, RequestRecord(type, id, t, actor, "", std::move(data), std::move(copies)));
  }
  for (int64_t s = t0; Chance(kFollowUpRatio);) {
    s = std::max(s + 1, t0 + int64_t(close * Uniform()));
    Json follow_up = ContactData("phone", r.language, Pick(kAgents), "linked_to_request");
    follow_up["request_id"] = id;
    Push(s, ContactRecord(NewId("CT-", s), s, "phone", std::move(follow_up)));
  }
}

}  // namespace ledger::bench
