#include "projections/request_cache.h"

#include <algorithm>

namespace ledger::projections {

CachedRequest* RequestCache::Find(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return nullptr;
  it->second->used = ++clock_;
  return it->second.get();
}

CachedRequest& RequestCache::Add(const std::string& id, CachedRequest entry) {
  entry.used = ++clock_;
  auto& stored = entries_[id];
  stored = std::make_unique<CachedRequest>(std::move(entry));
  return *stored;
}

std::vector<CachedRequest*> RequestCache::Unwritten() {
  std::vector<CachedRequest*> unwritten;
  for (auto& [id, entry] : entries_)
    if (entry->unwritten) unwritten.push_back(entry.get());
  std::sort(unwritten.begin(), unwritten.end(), [](const CachedRequest* a, const CachedRequest* b) {
    return a->state.id < b->state.id;
  });
  return unwritten;
}

// Every find or add ticks the clock, so `used` values are distinct and
// exactly `keep` entries are at or above the cutoff.
uint64_t RequestCache::EvictionCutoff(size_t keep) const {
  if (keep == 0) return clock_ + 1;
  if (keep >= entries_.size()) return 0;
  std::vector<uint64_t> used;
  used.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) used.push_back(entry->used);
  auto nth = used.end() - static_cast<std::ptrdiff_t>(keep);
  std::nth_element(used.begin(), nth, used.end());
  return *nth;
}

}  // namespace ledger::projections
