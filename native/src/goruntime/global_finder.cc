#include "goruntime/global_finder.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include "error.h"

namespace cgostack {

namespace {

constexpr uint64_t kMaxGoroutines = 50'000'000;
constexpr uint64_t kMaxPs = 1'000'000;
constexpr uint64_t kMaxMs = 1'000'000;
constexpr uint64_t kMaxEnv = 100'000;
constexpr uint64_t kMaxGsChecked = 4096;

}  // namespace

GlobalFinder::GlobalFinder(const Arch& arch, const MemorySource& memory, const GoPclntab& pclntab,
                           DwarfIndex& layouts, std::string go_version)
    : arch_(arch), memory_(memory), pclntab_(pclntab), layouts_(layouts), go_version_(std::move(go_version)) {}

std::optional<uint64_t> GlobalFinder::Find(const std::string& name) {
  auto it = found_.find(name);
  if (it != found_.end()) return it->second;
  std::optional<uint64_t> addr;
  try {
    addr = Locate(name);
  } catch (const Error&) {
    // Unreadable code or memory: not found, like any other failed check.
  }
  found_[name] = addr;
  return addr;
}

// Which runtime function leads to which global, and how the candidate is
// checked.  The functions exist, and use the global this way, in every
// release from Go 1.19 through 1.27 (runtime/proc.go, runtime2.go, sema.go,
// signal_unix.go, traceback.go, env_posix.go, cgocall.go); global_finder_test
// holds each answer against the symbol table of an unstripped build.
std::optional<uint64_t> GlobalFinder::Locate(const std::string& name) {
  if (name == "runtime.buildVersion") {
    // schedinit: `if buildVersion == "" { buildVersion = "unknown" }`.
    return Single(DataTargets({"runtime.schedinit"}, true), [&](uint64_t a) {
      std::string s;
      if (!StringAt(a, &s)) return false;
      return go_version_.empty() ? s.rfind("go", 0) == 0 : s == go_version_;
    });
  }
  if (name == "runtime.allgs") {
    // forEachG ranges over allgs under allglock; allgadd appends to it.
    return Single(DataTargets({"runtime.forEachG", "runtime.allgadd"}, true), [&](uint64_t a) { return IsAllgs(a); });
  }
  if (name == "runtime.allglen") {
    // forEachGRace: atomicAllG loads allglen, then allgptr.
    auto allgs = Find("runtime.allgs");
    uint64_t ptr, len;
    if (!allgs || !ReadSlice(*allgs, kMaxGoroutines, &ptr, &len)) return std::nullopt;
    return Single(DataTargets({"runtime.forEachGRace"}), [&](uint64_t a) {
      uint64_t v;
      return a != *allgs + 8 && memory_.TryRead(a, &v, 8) && v == len;
    });
  }
  if (name == "runtime.allm") {
    // mcommoninit: `mp.alllink = allm; atomicstorep(&allm, mp)`.
    return Single(DataTargets({"runtime.mcommoninit"}), [&](uint64_t a) { return IsAllm(a); });
  }
  if (name == "runtime.allp") {
    // preemptall and gcMarkTinyAllocs: `for _, pp := range allp`.
    return Single(DataTargets({"runtime.preemptall", "runtime.gcMarkTinyAllocs"}, true),
                  [&](uint64_t a) { return IsAllp(a); });
  }
  if (name == "runtime.gomaxprocs") {
    // GOMAXPROCS: `ret := int(gomaxprocs)` under sched.lock; after
    // procresize, gomaxprocs == len(allp).
    auto allp = Find("runtime.allp");
    uint64_t ptr, len;
    if (!allp || !ReadSlice(*allp, kMaxPs, &ptr, &len) || len == 0) return std::nullopt;
    return Single(DataTargets({"runtime.GOMAXPROCS"}), [&](uint64_t a) {
      uint32_t v;
      return memory_.TryRead(a, &v, 4) && v == len;
    });
  }
  if (name == "runtime.ncpu" || name == "runtime.numCPUStartup") {
    // osinit: `ncpu = getproccount()`; from Go 1.25 `numCPUStartup = getCPUCount()`.
    auto a = StoreAfterCall("runtime.osinit", "runtime.getproccount");
    if (!a) a = StoreAfterCall("runtime.osinit", "runtime.getCPUCount");
    uint32_t v;
    if (a && memory_.TryRead(*a, &v, 4) && v >= 1 && v <= (1u << 20)) return a;
    return std::nullopt;
  }
  if (name == "runtime.iscgo") {
    // cgocall begins `if !iscgo && GOOS != "solaris" ...`.
    for (const auto& r : Refs("runtime.cgocall")) {
      if (r.is_call) continue;
      uint8_t v;
      if (memory_.TryRead(r.target, &v, 1) && v <= 1) return r.target;
      return std::nullopt;
    }
    return std::nullopt;
  }
  if (name == "runtime.envs") {
    // syscall.runtime_envs: `return append([]string{}, envs...)`.
    return Single(DataTargets({"syscall.runtime_envs"}, true), [&](uint64_t a) { return IsStringSlice(a, '='); });
  }
  if (name == "runtime.debug") {
    // cgoCheckPointer begins `if !goexperiment.CgoCheck2 && debug.cgocheck == 0`:
    // its first data reference is debug.cgocheck.
    auto field = layouts_.GlobalField("runtime.debug", "cgocheck");
    if (!field) return std::nullopt;
    for (const auto& r : Refs("runtime.cgoCheckPointer")) {
      if (r.is_call) continue;
      int32_t v;
      if (memory_.TryRead(r.target, &v, 4) && v >= 0 && v <= 2) return r.target - field->offset;
      return std::nullopt;
    }
    return std::nullopt;
  }
  if (name == "runtime.gStatusStrings" || name == "runtime.waitReasonStrings") {
    // goroutineheader prints gStatusStrings[status] or waitReasonStrings[reason]:
    // the first says "idle" at index 0, the second "" (waitReasonZero).
    bool status = name == "runtime.gStatusStrings";
    return Single(DataTargets({"runtime.goroutineheader", "runtime.waitReason.String"}), [&](uint64_t a) {
      std::string first, second;
      if (!StringAt(a, &first) || !StringAt(a + 16, &second)) return false;
      return status ? first == "idle" && second == "runnable" : first.empty() && second.size() > 3;
    });
  }
  if (name == "runtime.sigtable") {
    // initsig walks sigtable; entry 1 is {_SigNotify + _SigKill, "SIGHUP: terminal line hangup"}.
    auto size = layouts_.TypeSize("runtime.sigTabT");
    auto field = layouts_.Field("runtime.sigTabT", "name");
    if (!size || !field) return std::nullopt;
    return Single(DataTargets({"runtime.initsig"}), [&](uint64_t a) {
      std::string s;
      return StringAt(a + *size + field->offset, &s) && s.rfind("SIGHUP", 0) == 0;
    });
  }
  if (name == "runtime.semtable") {
    // semacquire1 and semrelease1 both index semtable (semtable.rootFor);
    // it is the one data address the two have in common that holds valid
    // semaRoots (nwait small, treap null or readable).
    auto a = DataTargets({"runtime.semacquire1"}), b = DataTargets({"runtime.semrelease1"});
    std::vector<uint64_t> both;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
    return Single(both, [&](uint64_t addr) {
      auto treap = layouts_.Field("runtime.semaRoot", "treap");
      uint64_t t;
      return treap && memory_.TryRead(addr + treap->offset, &t, 8) && (t == 0 || memory_.TryRead(t, &t, 8));
    });
  }
  if (name == "runtime.mainInitDoneChan" || name == "runtime.main_init_done") {
    // runtime.main: `main_init_done = make(chan bool)` (mainInitDoneChan from 1.21).
    return StoreAfterCall("runtime.main", "runtime.makechan");
  }
  return std::nullopt;
}

const std::vector<CodeRef>& GlobalFinder::Refs(const std::string& function) {
  auto it = refs_.find(function);
  if (it != refs_.end()) return it->second;
  if (functions_.empty()) {
    for (size_t i = 0; i < pclntab_.NumFuncs(); ++i) {
      auto f = pclntab_.FuncAt(i);
      if (!f) continue;
      std::string_view n = pclntab_.FuncName(*f);
      // Only runtime and syscall functions are ever asked for.
      if (n.rfind("runtime.", 0) == 0 || n.rfind("syscall.", 0) == 0) functions_.emplace(std::string(n), *f);
    }
  }
  std::vector<CodeRef> refs;
  auto f = functions_.find(function);
  if (f != functions_.end()) refs = DecodeCodeRefs(arch_, memory_, f->second.entry, f->second.end);
  return refs_.emplace(function, std::move(refs)).first->second;
}

std::vector<uint64_t> GlobalFinder::DataTargets(const std::vector<std::string>& functions, bool also_minus_8) {
  std::set<uint64_t> out;
  for (const auto& function : functions)
    for (const auto& r : Refs(function)) {
      if (r.is_call) continue;
      // Code is not a variable.
      if (pclntab_.FindFunc(r.target)) continue;
      out.insert(r.target);
      if (also_minus_8 && r.target >= 8) out.insert(r.target - 8);
    }
  return {out.begin(), out.end()};
}

std::optional<uint64_t> GlobalFinder::StoreAfterCall(const std::string& function, const std::string& callee) {
  const auto& refs = Refs(function);  // also indexes the functions by name
  auto f = functions_.find(callee);
  if (refs.empty() || f == functions_.end()) return std::nullopt;
  bool called = false;
  for (const auto& r : refs) {
    if (r.is_call) called = called || r.target == f->second.entry;
    else if (called && r.is_store) return r.target;
  }
  return std::nullopt;
}

template <typename Check>
std::optional<uint64_t> GlobalFinder::Single(const std::vector<uint64_t>& candidates, Check ok) {
  std::optional<uint64_t> found;
  for (uint64_t a : candidates) {
    bool yes = false;
    try {
      yes = ok(a);
    } catch (const Error&) {
    }
    if (!yes) continue;
    if (found) return std::nullopt;  // ambiguous: no answer rather than a guess
    found = a;
  }
  return found;
}

bool GlobalFinder::ReadSlice(uint64_t addr, uint64_t max_len, uint64_t* ptr, uint64_t* len) {
  uint64_t hdr[3];
  if (!memory_.TryRead(addr, hdr, sizeof hdr)) return false;
  if (hdr[1] > hdr[2] || hdr[1] > max_len || (hdr[1] && !hdr[0])) return false;
  *ptr = hdr[0];
  *len = hdr[1];
  return true;
}

bool GlobalFinder::StringAt(uint64_t addr, std::string* out, size_t max) {
  uint64_t hdr[2];
  if (!memory_.TryRead(addr, hdr, sizeof hdr) || hdr[1] > max || (hdr[1] && !hdr[0])) return false;
  out->assign(hdr[1], '\0');
  return hdr[1] == 0 || memory_.TryRead(hdr[0], out->data(), hdr[1]);
}

bool GlobalFinder::IsAllgs(uint64_t addr) {
  // Every entry is a distinct g whose status is one of the release's
  // runtime._G* values and whose nonzero goids are distinct (goids are never
  // reused; a dead g keeps its last one, or 0).  Not "allgs[0] is goroutine
  // 1": that holds for a program, but in a c-shared or c-archive library
  // runtime.main returns after the package inits, and its g is reused by
  // the next goroutine (Go 1.19's allgs[0] had goid 4 in such a core).
  uint64_t ptr, len;
  auto goid = layouts_.Field("runtime.g", "goid");
  auto status = layouts_.Field("runtime.g", "atomicstatus");
  if (!goid || !status || goid->size != 8 || !ReadSlice(addr, kMaxGoroutines, &ptr, &len) || len == 0) return false;
  // The release's runtime._G* values, with and without _Gscan.
  std::unordered_set<uint32_t> statuses;
  int64_t scan = layouts_.Constant("runtime._Gscan").value_or(0);
  for (const auto& [name, value] : layouts_.ConstantsWithPrefix("runtime._G")) {
    std::string suffix = name.substr(std::string("runtime._G").size());
    // Status names are lower case ("runtime._Gwaiting"), unlike
    // runtime._GoidCacheBatch or runtime._GCoff.
    if (suffix.empty() || suffix.rfind("scan", 0) == 0 ||
        !std::all_of(suffix.begin(), suffix.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; }))
      continue;
    statuses.insert(static_cast<uint32_t>(value));
    if (scan) statuses.insert(static_cast<uint32_t>(value | scan));
  }
  if (statuses.empty()) return false;
  // Enough entries to tell a slice of gs from anything else the two
  // functions refer to, without reading every g of a huge program.
  uint64_t n = std::min<uint64_t>(len, kMaxGsChecked);
  std::vector<uint64_t> gs(n);
  if (!memory_.TryRead(ptr, gs.data(), n * 8)) return false;
  std::unordered_set<uint64_t> seen_g, seen_goid;
  for (uint64_t g : gs) {
    uint64_t id = 0;
    uint32_t st = 0;
    if (!g || g % 8 || !seen_g.insert(g).second) return false;
    if (!memory_.TryRead(g + status->offset, &st, 4) || !statuses.count(st)) return false;
    if (!memory_.TryRead(g + goid->offset, &id, 8) || id > (uint64_t{1} << 62)) return false;
    if (id && !seen_goid.insert(id).second) return false;
  }
  return !seen_goid.empty();
}

bool GlobalFinder::IsAllp(uint64_t addr) {
  // procresize makes allp[i].id == i.
  uint64_t ptr, len;
  auto f = layouts_.Field("runtime.p", "id");
  if (!f || !ReadSlice(addr, kMaxPs, &ptr, &len) || len == 0) return false;
  for (uint64_t i = 0; i < len; ++i) {
    uint64_t pp;
    int32_t id;
    if (!memory_.TryRead(ptr + 8 * i, &pp, 8) || !pp || !memory_.TryRead(pp + f->offset, &id, 4) ||
        id != static_cast<int32_t>(i))
      return false;
  }
  return true;
}

bool GlobalFinder::IsAllm(uint64_t addr) {
  // The list on m.alllink ends at m0, whose id is 0; ids are distinct.
  auto link = layouts_.Field("runtime.m", "alllink");
  auto idf = layouts_.Field("runtime.m", "id");
  uint64_t mp;
  if (!link || !idf || !memory_.TryRead(addr, &mp, 8) || !mp) return false;
  std::unordered_set<int64_t> ids;
  int64_t id = -1;
  for (uint64_t n = 0; mp && n < kMaxMs; ++n) {
    id = 0;
    if (!memory_.TryRead(mp + idf->offset, &id, idf->size) || id < 0 || !ids.insert(id).second) return false;
    if (!memory_.TryRead(mp + link->offset, &mp, 8)) return false;
  }
  return mp == 0 && id == 0;
}

bool GlobalFinder::IsStringSlice(uint64_t addr, char must_contain) {
  uint64_t ptr, len;
  // An empty slice (runtime.zerobase is one) would fit any such global:
  // an empty environment stays unknown.
  if (!ReadSlice(addr, kMaxEnv, &ptr, &len) || len == 0) return false;
  for (uint64_t i = 0; i < std::min<uint64_t>(len, 4); ++i) {
    std::string s;
    if (!StringAt(ptr + 16 * i, &s, 1 << 16) || s.find(must_contain) == std::string::npos) return false;
  }
  return true;
}

}  // namespace cgostack
