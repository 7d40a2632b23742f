#include "stacks/tail_calls.h"

#include <dwarf.h>
#include <elfutils/libdw.h>

#include <algorithm>
#include <cstring>

namespace cgostack {

namespace {

// Chains longer than this are not followed (GDB has no fixed limit but
// gives up on ambiguity, which long chains nearly always are).
constexpr int kMaxDepth = 8;
constexpr size_t kMaxChains = 16;

bool IsCallSite(Dwarf_Die* die) {
  int tag = dwarf_tag(die);
  return tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site;
}

bool Flag(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attr;
  bool v = false;
  return dwarf_attr(die, name, &attr) && dwarf_formflag(&attr, &v) == 0 && v;
}

// DWARF 5 DW_AT_call_return_pc, or the GNU extension's DW_AT_low_pc.
bool ReturnPc(Dwarf_Die* site, Dwarf_Addr* pc) {
  Dwarf_Attribute attr;
  if (dwarf_attr(site, DW_AT_call_return_pc, &attr) || dwarf_attr(site, DW_AT_low_pc, &attr))
    return dwarf_formaddr(&attr, pc) == 0;
  return false;
}

std::string Name(Dwarf_Die* die) {
  for (unsigned at : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name, DW_AT_name}) {
    Dwarf_Attribute attr;
    if (dwarf_attr_integrate(die, at, &attr))
      if (const char* s = dwarf_formstring(&attr)) return s;
  }
  return "";
}

// Calls `fn` on every DIE below `die`.
template <typename Fn>
void Walk(Dwarf_Die* die, Fn fn) {
  Dwarf_Die child;
  if (dwarf_child(die, &child) != 0) return;
  do {
    fn(&child);
    Walk(&child, fn);
  } while (dwarf_siblingof(&child, &child) == 0);
}

// The DW_TAG_subprogram whose code starts at `entry` (module-relative).
bool FindFunction(Dwarf_Die* cu, Dwarf_Addr entry, Dwarf_Die* out) {
  bool found = false;
  std::vector<Dwarf_Die> stack{*cu};
  while (!stack.empty() && !found) {
    Dwarf_Die d = stack.back();
    stack.pop_back();
    Dwarf_Die child;
    if (dwarf_child(&d, &child) != 0) continue;
    do {
      Dwarf_Addr low = 0;
      if (dwarf_tag(&child) == DW_TAG_subprogram && dwarf_lowpc(&child, &low) == 0 && low == entry) {
        *out = child;
        found = true;
        break;
      }
      if (dwarf_haschildren(&child)) stack.push_back(child);
    } while (dwarf_siblingof(&child, &child) == 0);
  }
  return found;
}

}  // namespace

uint64_t TailCalls::SymbolAddress(const std::string& name) {
  if (!symbols_loaded_) {
    symbols_loaded_ = true;
    dwfl_getmodules(
        dwfl_,
        [](Dwfl_Module* mod, void**, const char*, Dwarf_Addr, void* arg) -> int {
          auto* symbols = static_cast<std::unordered_map<std::string, uint64_t>*>(arg);
          int n = dwfl_module_getsymtab(mod);
          for (int i = 0; i < n; ++i) {
            GElf_Sym sym;
            GElf_Addr value = 0;
            const char* s = dwfl_module_getsym_info(mod, i, &sym, &value, nullptr, nullptr, nullptr);
            if (!s || !*s || sym.st_shndx == SHN_UNDEF || GELF_ST_TYPE(sym.st_info) != STT_FUNC) continue;
            symbols->emplace(std::string(s, std::strcspn(s, "@")), value);
          }
          return DWARF_CB_OK;
        },
        &symbols_, 0);
  }
  auto it = symbols_.find(name);
  return it == symbols_.end() ? 0 : it->second;
}

uint64_t TailCalls::TargetOf(Dwarf_Die* site, Dwarf_Addr bias) {
  Dwarf_Attribute attr;
  Dwarf_Die origin;
  if (!(dwarf_attr(site, DW_AT_call_origin, &attr) || dwarf_attr(site, DW_AT_abstract_origin, &attr)) ||
      !dwarf_formref_die(&attr, &origin))
    return 0;
  Dwarf_Addr low = 0;
  if (dwarf_lowpc(&origin, &low) == 0) return low + bias;
  // A declaration: the function is defined elsewhere, maybe in another
  // object (a call through the PLT); GDB looks it up by name.
  std::string name = Name(&origin);
  return name.empty() ? 0 : SymbolAddress(name);
}

std::vector<TailCalls::Site> TailCalls::Sites(uint64_t pc, bool by_return_pc, uint64_t return_pc) {
  std::vector<Site> sites;
  Dwfl_Module* mod = dwfl_addrmodule(dwfl_, pc);
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = mod ? dwfl_module_addrdie(mod, pc, &bias) : nullptr;
  if (!cu) return sites;
  Dwarf_Die scope = *cu;
  if (!by_return_pc && !FindFunction(cu, pc - bias, &scope)) return sites;
  Walk(&scope, [&](Dwarf_Die* d) {
    if (!IsCallSite(d)) return;
    Dwarf_Addr ret = 0;
    if (!ReturnPc(d, &ret)) return;
    if (by_return_pc ? ret + bias != return_pc : !(Flag(d, DW_AT_call_tail_call) || Flag(d, DW_AT_GNU_tail_call)))
      return;
    sites.push_back(Site{ret + bias, TargetOf(d, bias)});
  });
  return sites;
}

void TailCalls::Search(uint64_t function, uint64_t callee_entry, std::vector<uint64_t>* path,
                       std::vector<std::vector<uint64_t>>* chains, int depth) {
  if (depth > kMaxDepth || chains->size() >= kMaxChains) return;
  auto [it, fresh] = tail_sites_.try_emplace(function);
  if (fresh) it->second = Sites(function, false, 0);
  std::vector<Site> sites = it->second;  // copy: the map may grow below
  for (const Site& s : sites) {
    if (!s.target || std::find(path->begin(), path->end(), s.return_pc) != path->end()) continue;
    path->push_back(s.return_pc);
    if (s.target == callee_entry) chains->push_back(*path);
    else Search(s.target, callee_entry, path, chains, depth + 1);
    path->pop_back();
  }
}

std::vector<uint64_t> TailCalls::Between(uint64_t caller_pc, uint64_t callee_entry) {
  std::vector<uint64_t> out;
  if (!caller_pc || !callee_entry) return out;
  std::vector<Site> call = Sites(caller_pc - 1, true, caller_pc);
  if (call.size() != 1 || !call[0].target || call[0].target == callee_entry) return out;
  std::vector<uint64_t> path;
  std::vector<std::vector<uint64_t>> chains;
  Search(call[0].target, callee_entry, &path, &chains, 0);
  if (chains.empty()) return out;
  // Several possible chains: GDB keeps the tail-call sites they all share
  // at the caller's end and at the callee's end (call_site_find_chain).
  size_t prefix = chains[0].size(), suffix = chains[0].size();
  for (const auto& c : chains) {
    size_t p = 0;
    while (p < prefix && p < c.size() && c[p] == chains[0][p]) ++p;
    prefix = p;
    size_t q = 0;
    while (q < suffix && q < c.size() && c[c.size() - 1 - q] == chains[0][chains[0].size() - 1 - q]) ++q;
    suffix = q;
  }
  const std::vector<uint64_t>& c = chains[0];
  if (prefix + suffix > c.size()) prefix = c.size() - suffix;  // one chain: every site once
  // Innermost first: the callee's end, then the caller's.
  for (size_t k = 0; k < suffix; ++k) out.push_back(c[c.size() - 1 - k]);
  for (size_t k = prefix; k-- > 0;) out.push_back(c[k]);
  return out;
}

}  // namespace cgostack
