// /proc/PID/maps of a live process, every line (anonymous mappings, the
// stack, the vDSO included): what a snapshot copies is chosen from it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cgostack {

struct ProcMapping {
  uint64_t start = 0, end = 0, offset = 0;
  bool read = false, write = false, exec = false;
  std::string name;  // a path, "[stack]", "[vdso]", ... or "" (anonymous)
  bool is_file() const { return !name.empty() && name[0] == '/'; }
};

// In address order; empty when the process is gone.
std::vector<ProcMapping> ReadProcMaps(int pid);
// The mapping that holds `addr`, or null.
const ProcMapping* MappingAt(const std::vector<ProcMapping>& maps, uint64_t addr);

}  // namespace cgostack
