#pragma once
// Random events for the codec tests, and a comparison of JSON values that
// also compares number types.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <string>

#include "events/event.h"
#include "events/event_types.h"

namespace ledger::events {

class RandomEvents {
 public:
  explicit RandomEvents(uint64_t seed) : rng_(seed) {}

  // `finite`: no NaN or infinity, which encode as null and so do not
  // decode back to the same event.
  Event Next(bool finite) {
    Event e;
    e.id = NonEmpty();
    e.source = NonEmpty();
    e.type = Chance(0.5) ? std::string(types::kRequestSubmitted) : NonEmpty();
    e.time_ms = Time();
    e.subject = NonEmpty();
    if (Chance(0.2)) e.datacontenttype = NonEmpty();
    e.data = Object(0, finite);
    e.sequence = Chance(0.5) ? Between(0, 1000) : rng_();
    e.actor = Chance(0.1) ? std::string() : Text();
    if (Chance(0.5)) e.channel = NonEmpty();
    if (Chance(0.3)) e.onbehalfof = NonEmpty();
    if (Chance(0.3)) e.idempotency = NonEmpty();
    if (Chance(0.7)) e.prevhash = Chance(0.8) ? Hex() : NonEmpty();
    if (Chance(0.7)) e.hash = Chance(0.8) ? Hex() : NonEmpty();
    return e;
  }

  // Strings of ASCII, escapes, multi-byte UTF-8 and, if `valid` is false,
  // bytes that are not UTF-8.
  std::string Text(bool valid = true) {
    static const char* const kPieces[] = {
        "a", "Z", "0", " ", "/", "-", ":", "\"", "\\", "\n", "\t", "\r", "\b", "\f", "\x01",
        "\x1f", "\x7f", "é", "Zoë", "€", "中文", "😀", "\u2028", "SR-0A1B", "{}", "[,]"};
    static const char* const kInvalid[] = {"\xC3", "\xff", "\xe2\x82", "\xed\xa0\x80",
                                           "\xf0\x9f\x98"};
    std::string s;
    for (int n = static_cast<int>(Between(0, 12)); n > 0; --n) {
      if (!valid && Chance(0.2))
        s += kInvalid[Between(0, std::size(kInvalid) - 1)];
      else
        s += kPieces[Between(0, std::size(kPieces) - 1)];
    }
    return s;
  }

  Json Number(bool finite) {
    switch (Between(0, finite ? 5 : 6)) {
      case 0: return static_cast<int64_t>(rng_()) | std::numeric_limits<int64_t>::min();
      case 1: return rng_();
      case 2: return Between(0, 100);
      case 3: return -static_cast<int64_t>(Between(1, 100));
      case 4: return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
      case 5: {  // any finite bit pattern: subnormals, huge exponents, -0.0
        double d;
        do {
          uint64_t bits = rng_();
          std::memcpy(&d, &bits, sizeof d);
        } while (!std::isfinite(d));
        return d;
      }
      default: {
        const double odd[] = {std::numeric_limits<double>::infinity(),
                              -std::numeric_limits<double>::infinity(),
                              std::numeric_limits<double>::quiet_NaN()};
        return odd[Between(0, 2)];
      }
    }
  }

  Json Value(int depth, bool finite) {
    switch (Between(0, depth >= 4 ? 4 : 6)) {
      case 0: return Text(finite);
      case 1: return Number(finite);
      case 2: return Chance(0.5);
      case 3: return nullptr;
      case 4: return Text();
      case 5: return Object(depth + 1, finite);
      default: {
        Json array = Json::array();
        for (int n = static_cast<int>(Between(0, 4)); n > 0; --n)
          array.push_back(Value(depth + 1, finite));
        return array;
      }
    }
  }

  Json Object(int depth, bool finite) {
    Json object = Json::object();
    for (int n = static_cast<int>(Between(0, 6)); n > 0; --n)
      object[Text(finite)] = Value(depth, finite);
    return object;
  }

  // A stored time: often one at an edge of the range, else anywhere in it.
  int64_t Time() {
    static constexpr int64_t kEdges[] = {kMinTimeMs, kMinTimeMs + 1, -1, 0, 1, kMaxTimeMs - 1,
                                         kMaxTimeMs, -2'208'988'800'000 /* 1900 */};
    if (Chance(0.3)) return kEdges[Between(0, std::size(kEdges) - 1)];
    return static_cast<int64_t>(Between(kMinTimeMs, kMaxTimeMs));
  }

  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  uint64_t Between(int64_t lo, int64_t hi) {
    return static_cast<uint64_t>(std::uniform_int_distribution<int64_t>(lo, hi)(rng_));
  }

 private:
  std::string NonEmpty() {
    std::string s = Text();
    return s.empty() ? "x" : s;
  }
  std::string Hex() {
    std::string s;
    for (int i = 0; i < 64; ++i) s.push_back("0123456789abcdef"[rng_() % 16]);
    return s;
  }

  std::mt19937_64 rng_;
};

// Json's == treats 1u and 1 as equal; the stored bytes and the consumers'
// is_number_unsigned() checks do not, so types are compared too.
inline void ExpectSameJson(const Json& actual, const Json& expected, const std::string& where) {
  ASSERT_EQ(actual.type(), expected.type()) << where;
  if (actual.is_object()) {
    ASSERT_EQ(actual.size(), expected.size()) << where;
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      ASSERT_TRUE(actual.contains(it.key())) << where << "." << it.key();
      ExpectSameJson(actual[it.key()], *it, where + "." + it.key());
    }
  } else if (actual.is_array()) {
    ASSERT_EQ(actual.size(), expected.size()) << where;
    for (size_t i = 0; i < actual.size(); ++i)
      ExpectSameJson(actual[i], expected[i], where + "[" + std::to_string(i) + "]");
  } else {
    ASSERT_EQ(actual, expected) << where;
  }
}

}  // namespace ledger::events
