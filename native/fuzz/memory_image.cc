#include "memory_image.h"

#include <algorithm>
#include <cstring>

namespace cgostack::fuzz {

MemoryImage ParseMemoryImage(const uint8_t* data, size_t size) {
  MemoryImage img;
  img.threads.resize(kThreads);
  for (int i = 0; i < kThreads; ++i) img.threads[i].lwp = i + 1;
  size_t off = 0;
  while (off < size) {
    uint8_t tag = data[off++];
    if (tag == 'M') {
      if (size - off < 10) break;
      uint64_t addr;
      uint16_t len;
      std::memcpy(&addr, data + off, 8);
      std::memcpy(&len, data + off + 8, 2);
      off += 10;
      len = static_cast<uint16_t>(std::min<size_t>(len, size - off));
      img.segments.push_back({addr, len, data + off});
      off += len;
    } else if (tag == 'T') {
      if (size - off < 1 + sizeof(Registers)) break;
      ThreadState& t = img.threads[data[off] % kThreads];
      std::memcpy(&t.regs, data + off + 1, sizeof(Registers));
      t.has_registers = true;
      off += 1 + sizeof(Registers);
    } else {
      break;
    }
  }
  return img;
}

void AppendMemoryRecord(std::string* out, uint64_t addr, const std::string& bytes) {
  // Records hold at most 64 KiB; longer ranges are split.
  for (size_t done = 0; done < bytes.size(); done += 0xffff) {
    uint16_t len = static_cast<uint16_t>(std::min<size_t>(0xffff, bytes.size() - done));
    uint64_t a = addr + done;
    out->push_back('M');
    out->append(reinterpret_cast<const char*>(&a), 8);
    out->append(reinterpret_cast<const char*>(&len), 2);
    out->append(bytes, done, len);
  }
}

void AppendThreadRecord(std::string* out, uint8_t thread, const Registers& regs) {
  out->push_back('T');
  out->push_back(static_cast<char>(thread));
  out->append(reinterpret_cast<const char*>(&regs), sizeof regs);
}

std::vector<std::pair<uint64_t, uint64_t>> RecordingMemory::Ranges() const {
  std::vector<std::pair<uint64_t, uint64_t>> r = reads_;  // (addr, len)
  std::sort(r.begin(), r.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;  // (start, end)
  for (auto [a, n] : r) {
    if (!merged.empty() && a <= merged.back().second)
      merged.back().second = std::max(merged.back().second, a + n);
    else
      merged.emplace_back(a, a + n);
  }
  return merged;
}

}  // namespace cgostack::fuzz
