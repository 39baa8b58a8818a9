#pragma once
// StateChecksum: the digest behind StateStore::Checksum, internal to
// ledger_projections. Hex BLAKE2b-256 over a stream of pieces, each a tag
// byte, its length (8 bytes, big-endian) and its bytes. The hashing runs on
// a thread of its own, so that reading the state and hashing it take two
// cores; the digest does not depend on that.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ledger::projections {

class StateChecksum {
 public:
  StateChecksum();
  ~StateChecksum();  // waits for the hashing thread
  StateChecksum(const StateChecksum&) = delete;
  StateChecksum& operator=(const StateChecksum&) = delete;

  void Add(char tag, std::string_view bytes);
  // The digest of everything added. REQUIRES: called once, last.
  std::string Finish();

 private:
  struct Hasher;  // libsodium's state, kept out of this header

  void HandOver();  // passes `filling_` to the hashing thread
  void HashChunks();

  std::unique_ptr<Hasher> hasher_;
  std::string filling_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> full_;   // chunks to hash, in order
  std::vector<std::string> spare_;  // hashed chunks, for reuse
  bool finishing_ = false;
  std::thread thread_;  // not joinable if it could not start: Add hashes itself
};

}  // namespace ledger::projections
