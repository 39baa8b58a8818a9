// The canonical form version 1 (DESIGN.md, "The hash chain and the
// canonical form") is frozen: every stored hash depends on it. These
// vectors are what a verifier in another language is checked against;
// the ledger's own encoder must keep producing them byte for byte.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sodium.h>

#include "events/event.h"

namespace ledger::events {
namespace {

Json Vectors() {
  std::ifstream in(LEDGER_VECTORS_FILE);
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
}

std::string Sha256Hex(const std::string& bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

TEST(CanonicalFormV1, TheEncoderGivesEveryVectorsBytesAndHash) {
  Json vectors = Vectors();
  ASSERT_TRUE(vectors.is_array() && vectors.size() >= 3) << LEDGER_VECTORS_FILE << " is missing or not an array";
  std::string prevhash;
  for (const auto& v : vectors) {
    SCOPED_TRACE(v["what"].get<std::string>());
    auto event = FromJson(v["event"]);
    ASSERT_TRUE(event.ok()) << event.error().message;
    EXPECT_EQ(EncodeCanonical(*event), v["canonical"].get<std::string>());
    Event unhashed = *event;
    unhashed.hash.clear();
    EXPECT_EQ(EncodeCanonical(unhashed), v["hashed"].get<std::string>());
    // The hash is plain SHA-256 of those bytes, as any verifier computes it.
    EXPECT_EQ(Sha256Hex(v["hashed"].get<std::string>()), v["hash"].get<std::string>());
    EXPECT_EQ(ComputeHash(*event), v["hash"].get<std::string>());
    // The vectors form one chain where an event names a prevhash.
    if (!event->prevhash.empty()) EXPECT_EQ(event->prevhash, prevhash);
    EXPECT_TRUE(VerifyLink(*event, event->prevhash));
    auto decoded = DecodeEvent(v["canonical"].get<std::string>());
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, *event);
    prevhash = event->hash;
  }
}

}  // namespace
}  // namespace ledger::events
