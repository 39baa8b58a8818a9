#include "projections/state_checksum.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>
#include <utility>
#include <vector>

namespace ledger::projections {
namespace {

// The definition StateStore::Checksum has always had, hashed in one go.
std::string Blake2bOfPieces(const std::vector<std::pair<char, std::string>>& pieces) {
  std::string stream;
  for (const auto& [tag, bytes] : pieces) {
    stream += tag;
    for (int shift = 56; shift >= 0; shift -= 8)
      stream += static_cast<char>((uint64_t{bytes.size()} >> shift) & 0xff);
    stream += bytes;
  }
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(stream.data()),
                     stream.size(), nullptr, 0);
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

TEST(StateChecksum, IsBlake2bOfTaggedLengthPrefixedPiecesWhateverTheirSizes) {
  ASSERT_GE(sodium_init(), 0);
  std::vector<std::pair<char, std::string>> pieces = {{'C', "history"}, {'K', ""}, {'V', "x"}};
  // Enough bytes for many of the hasher's chunks, and a piece larger than one.
  for (int i = 0; i < 20000; ++i) {
    pieces.emplace_back('K', "SR-" + std::to_string(i));
    pieces.emplace_back('V', std::string(100 + i % 300, static_cast<char>('a' + i % 26)));
  }
  pieces.emplace_back('V', std::string(3 << 20, '\0'));
  StateChecksum checksum;
  for (const auto& [tag, bytes] : pieces) checksum.Add(tag, bytes);
  std::string digest = checksum.Finish();
  EXPECT_EQ(digest.size(), 64u);
  EXPECT_EQ(digest, Blake2bOfPieces(pieces));

  StateChecksum nothing;
  EXPECT_EQ(nothing.Finish(), Blake2bOfPieces({}));
}

}  // namespace
}  // namespace ledger::projections
