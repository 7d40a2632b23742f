#include "target/link_map_names.h"

#include <cstring>
#include <string_view>

namespace cgostack {

namespace {

// glibc's x86-64 layouts (<link.h>): struct r_debug {int r_version;
// struct link_map *r_map; ...}; struct link_map {ElfW(Addr) l_addr;
// char *l_name; ElfW(Dyn) *l_ld; struct link_map *l_next, *l_prev; ...}.
constexpr uint64_t kRDebugMap = 8;
constexpr uint64_t kLinkAddr = 0, kLinkName = 8, kLinkNext = 24;
constexpr int kMaxObjects = 4096;  // a damaged list must not loop forever
constexpr size_t kMaxName = 4096;

// Where `_r_debug` is, from the symbol table of whichever module has it
// (the dynamic linker exports it).
int FindRDebug(Dwfl_Module* mod, void**, const char*, Dwarf_Addr, void* arg) {
  int n = dwfl_module_getsymtab(mod);
  for (int i = 1; i < n; ++i) {
    GElf_Sym sym;
    GElf_Addr addr = 0;
    const char* name = dwfl_module_getsym_info(mod, i, &sym, &addr, nullptr, nullptr, nullptr);
    if (name && std::strcmp(name, "_r_debug") == 0 && GELF_ST_TYPE(sym.st_info) == STT_OBJECT) {
      *static_cast<uint64_t*>(arg) = addr;
      return DWARF_CB_ABORT;
    }
  }
  return DWARF_CB_OK;
}

std::string ReadCString(const MemorySource& mem, uint64_t addr) {
  std::string s;
  char chunk[64];
  while (s.size() < kMaxName) {
    size_t n = mem.Read(addr + s.size(), chunk, sizeof chunk);
    if (n == 0) break;
    std::string_view part(chunk, n);
    size_t end = part.find('\0');
    s.append(part.substr(0, end));
    if (end != std::string_view::npos) break;
  }
  return s;
}

std::map<uint64_t, std::string> NamesFromRDebug(uint64_t r_debug, const MemorySource& mem) {
  std::map<uint64_t, std::string> names;
  uint64_t map = 0;
  if (!r_debug || !mem.TryRead(r_debug + kRDebugMap, &map, sizeof map)) return names;
  for (int i = 0; map && i < kMaxObjects; ++i) {
    uint64_t addr = 0, name = 0, next = 0;
    if (!mem.TryRead(map + kLinkAddr, &addr, sizeof addr) || !mem.TryRead(map + kLinkName, &name, sizeof name) ||
        !mem.TryRead(map + kLinkNext, &next, sizeof next))
      break;
    // The executable's entry has an empty name; it is named by its path.
    if (std::string s = name ? ReadCString(mem, name) : ""; !s.empty()) names.emplace(addr, std::move(s));
    map = next;
  }
  return names;
}

}  // namespace

std::map<uint64_t, std::string> LinkMapNames(Dwfl* dwfl, const MemorySource& mem) {
  uint64_t r_debug = 0;
  dwfl_getmodules(dwfl, FindRDebug, &r_debug, 0);
  return NamesFromRDebug(r_debug, mem);
}

std::map<uint64_t, std::string> LinkMapNamesFromDynamic(uint64_t dynamic, const MemorySource& mem) {
  // Elf64_Dyn {d_tag, d_val} pairs up to DT_NULL; DT_DEBUG (21) holds &_r_debug.
  for (int i = 0; dynamic && i < kMaxObjects; ++i) {
    uint64_t entry[2];
    if (!mem.TryRead(dynamic + 16 * i, entry, sizeof entry) || entry[0] == 0) break;
    if (entry[0] == 21) return NamesFromRDebug(entry[1], mem);
  }
  return {};
}

}  // namespace cgostack
