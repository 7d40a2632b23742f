#include "goruntime/machine_code.h"

#include <algorithm>
#include <string_view>

#include "error.h"
#include "report/format.h"

namespace cgostack {

namespace {

constexpr uint64_t kMaxFunctionBytes = 64 * 1024;

}  // namespace

std::vector<CodeRef> DecodeCodeRefs(const Arch& arch, const MemorySource& memory, uint64_t entry, uint64_t end) {
  std::vector<CodeRef> refs;
  if (end <= entry) return refs;
  uint64_t size = std::min(end - entry, kMaxFunctionBytes);
  std::vector<uint8_t> code(size);
  size = memory.Read(entry, code.data(), code.size());
  if (size == 0) throw Error("cannot read the machine code at " + Hex(entry));
  FindCodeRefs(arch, std::string_view(reinterpret_cast<const char*>(code.data()), size), entry, &refs);
  return refs;
}

}  // namespace cgostack
