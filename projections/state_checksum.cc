#include "projections/state_checksum.h"

#include <sodium.h>

#include <system_error>

namespace ledger::projections {
namespace {

// Large enough that handing a chunk over costs nothing beside hashing it.
constexpr size_t kChunkBytes = 1 << 20;
// Chunks waiting at most; Add waits for the hasher beyond that.
constexpr size_t kChunksInFlight = 4;

}  // namespace

struct StateChecksum::Hasher {
  crypto_generichash_state state;
  void Update(std::string_view bytes) {
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(bytes.data()),
                              bytes.size());
  }
};

StateChecksum::StateChecksum() : hasher_(std::make_unique<Hasher>()) {
  crypto_generichash_init(&hasher_->state, nullptr, 0, crypto_generichash_BYTES);
  filling_.reserve(kChunkBytes + 4096);
  try {
    thread_ = std::thread([this] { HashChunks(); });
  } catch (const std::system_error&) {
    // No thread to spare: Add hashes each chunk itself.
  }
}

StateChecksum::~StateChecksum() {
  {
    std::lock_guard lock(mu_);
    finishing_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StateChecksum::Add(char tag, std::string_view bytes) {
  char head[9] = {tag};
  uint64_t size = bytes.size();
  for (int i = 8; i >= 1; --i, size >>= 8) head[i] = static_cast<char>(size & 0xff);
  filling_.append(head, sizeof head).append(bytes);
  if (filling_.size() >= kChunkBytes) HandOver();
}

void StateChecksum::HandOver() {
  if (!thread_.joinable()) {
    hasher_->Update(filling_);
    filling_.clear();
    return;
  }
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return full_.size() < kChunksInFlight; });
  full_.push_back(std::move(filling_));
  if (spare_.empty()) {
    filling_ = std::string();
    filling_.reserve(kChunkBytes + 4096);
  } else {
    filling_ = std::move(spare_.back());
    spare_.pop_back();
    filling_.clear();
  }
  cv_.notify_all();
}

void StateChecksum::HashChunks() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return finishing_ || !full_.empty(); });
    if (full_.empty()) return;  // finishing, all hashed
    std::string chunk = std::move(full_.front());
    full_.erase(full_.begin());
    lock.unlock();
    hasher_->Update(chunk);
    lock.lock();
    spare_.push_back(std::move(chunk));
    cv_.notify_all();
  }
}

std::string StateChecksum::Finish() {
  HandOver();
  {
    std::unique_lock lock(mu_);
    finishing_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash_final(&hasher_->state, digest, sizeof digest);
  std::string hex(sizeof digest * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest, sizeof digest);
  hex.pop_back();
  return hex;
}

}  // namespace ledger::projections
