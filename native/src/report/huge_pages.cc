#include "report/huge_pages.h"

#include <sys/mman.h>

#include <cstdint>

namespace cgostack {

namespace {

constexpr uintptr_t kHugePage = 2u << 20;
// Below this a buffer holds at most one whole huge page: not worth a system call.
constexpr size_t kMinBytes = 2 * kHugePage;

}  // namespace

void AdviseHugePages(const void* data, size_t bytes) {
  if (!data || bytes < kMinBytes) return;
  uintptr_t start = (reinterpret_cast<uintptr_t>(data) + kHugePage - 1) & ~(kHugePage - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHugePage - 1);
  // Advice only: an old kernel or THP turned off leaves the buffer as it is.
  if (end > start) ::madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
}

}  // namespace cgostack
