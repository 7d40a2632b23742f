#include "target/proc_maps.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace cgostack {

std::vector<ProcMapping> ReadProcMaps(int pid) {
  std::vector<ProcMapping> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long start, end, offset;
    char perms[8] = {};
    int name_at = -1;
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &offset, &name_at) < 4)
      continue;
    ProcMapping m;
    m.start = start;
    m.end = end;
    m.offset = offset;
    m.read = perms[0] == 'r';
    m.write = perms[1] == 'w';
    m.exec = perms[2] == 'x';
    if (name_at > 0 && static_cast<size_t>(name_at) < line.size()) m.name = line.substr(name_at);
    out.push_back(std::move(m));
  }
  return out;
}

const ProcMapping* MappingAt(const std::vector<ProcMapping>& maps, uint64_t addr) {
  auto it = std::upper_bound(maps.begin(), maps.end(), addr,
                             [](uint64_t a, const ProcMapping& m) { return a < m.start; });
  if (it == maps.begin()) return nullptr;
  --it;
  return addr < it->end ? &*it : nullptr;
}

}  // namespace cgostack
