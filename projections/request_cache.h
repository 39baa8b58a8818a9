#pragma once
// RequestCache: the state store writer's memory of request states, internal
// to ledger_projections. Folding the next events of a request starts from
// here instead of reading and decoding its row; in a rebuild a state may run
// ahead of its row for many batches, so a request is written once rather
// than once per batch. Pure: the store does the writing.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "performance/department_fold.h"
#include "projections/request_state.h"
#include "projections/state_layout.h"

namespace ledger::projections {

struct CachedRequest {
  RequestState state;  // once folded, state.id is the key it is cached under
  performance::RequestFacts facts;  // what the performance views keep of it
  // The index rows of the request's stored row; empty while it has none.
  std::vector<layout::IndexRow> stored_index;
  bool unwritten = false;  // `state` is ahead of the stored row
  uint64_t used = 0;       // the cache's clock when last found or added
};

class RequestCache {
 public:
  // REQUIRES: capacity > 0.
  explicit RequestCache(size_t capacity) : capacity_(capacity) {}

  // The entry of request `id`, or nullptr; marks it used.
  CachedRequest* Find(const std::string& id);
  // REQUIRES: `id` is not cached. The entry stays where it is until it is
  // trimmed or cleared, so a pointer to it may be kept until then.
  CachedRequest& Add(const std::string& id, CachedRequest entry);
  void Clear() { entries_.clear(); }
  size_t size() const { return entries_.size(); }

  // When more than `capacity` requests are cached, drops the least recently
  // used down to three quarters of it, calling write(entry) for each
  // unwritten one first.
  template <typename Write>
  void Trim(Write write);

  // Every unwritten entry, in id order (the order a sorted memtable takes
  // most cheaply). Valid until the next Clear or Trim.
  std::vector<CachedRequest*> Unwritten();

 private:
  // The `used` clock below which entries go to bring the cache to `keep`.
  uint64_t EvictionCutoff(size_t keep) const;

  const size_t capacity_;
  uint64_t clock_ = 0;
  // States apart from the index: lookups walk small nodes, not large ones.
  std::unordered_map<std::string, std::unique_ptr<CachedRequest>> entries_;
};

template <typename Write>
void RequestCache::Trim(Write write) {
  if (entries_.size() <= capacity_) return;
  uint64_t cutoff = EvictionCutoff(capacity_ - capacity_ / 4);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second->used >= cutoff) {
      ++it;
      continue;
    }
    if (it->second->unwritten) write(*it->second);
    it = entries_.erase(it);
  }
}

}  // namespace ledger::projections
