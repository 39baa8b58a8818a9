#pragma once
// The canonical JSON writer (internal to ledger_events): the bytes of a JSON
// value exactly as nlohmann's compact dump writes them (DESIGN.md, canonical
// form v1), and the check that given bytes already are that form.

#include <cstring>
#include <string>
#include <string_view>

#include "events/event.h"

namespace ledger::events {

// An append-only byte buffer. Writers ask for room, write through the
// pointer and commit what they wrote: one bounds check per piece instead of
// one per character. Bytes past size() are scratch.
class EncodingBuffer {
 public:
  void Clear() { size_ = 0; }
  size_t size() const { return size_; }
  std::string_view View(size_t from, size_t to) const { return {bytes_.data() + from, to - from}; }

  // REQUIRES: at most `n` bytes written before Commit.
  char* Room(size_t n) {
    if (size_ + n > bytes_.size()) bytes_.resize(std::max(2 * bytes_.size(), size_ + n));
    return bytes_.data() + size_;
  }
  void Commit(char* end) { size_ = static_cast<size_t>(end - bytes_.data()); }
  void Append(std::string_view s) {
    std::memcpy(Room(s.size()), s.data(), s.size());
    size_ += s.size();
  }
  void Append(char c) {
    *Room(1) = c;
    ++size_;
  }

 private:
  std::string bytes_;
  size_t size_ = 0;
};

// The calling thread's buffer, emptied; it keeps its capacity.
EncodingBuffer& ClearedBuffer();

// Appends `s` as a JSON string, byte for byte as nlohmann's dump writes it.
void AppendString(EncodingBuffer& out, std::string_view s);

// Appends `value` byte for byte as nlohmann's compact dump writes it.
void AppendJson(EncodingBuffer& out, const Json& value);

// True if `bytes` are exactly what AppendJson writes for the value they parse to.
bool IsCanonicalJson(std::string_view bytes);

}  // namespace ledger::events
