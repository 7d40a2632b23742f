#include "goruntime/go_runtime.h"

#include "arch/arch.h"

#include <algorithm>
#include <cctype>
#include <unordered_set>

#include "goruntime/build_info.h"
#include "target/debug_file_lookup.h"
#include "target/debugger_debug_files.h"
#include "error.h"
#include "goruntime/go_layouts.h"
#include "report/format.h"

namespace cgostack {

namespace {

// Upper bounds that keep a corrupt count or a looping list from hanging us.
constexpr uint64_t kMaxGoroutines = 50'000'000;
constexpr uint64_t kMaxMs = 1'000'000;
constexpr uint64_t kMaxPs = 1'000'000;

// Status constants are all lower case after the prefix ("runtime._Gwaiting");
// this skips unrelated constants that share it ("runtime._GoidCacheBatch").
bool IsStatusSuffix(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(std::islower(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

// Whether the Go command was asked to strip (its -ldflags are recorded in
// .go.buildinfo, as `go version -m` shows) or the file was stripped later, as
// distributions do: the user's fix differs.
std::string HowStripped(const GoBuildInfo& bi) {
  for (const auto& [key, value] : bi.settings)
    if (key == "-ldflags" && value.find("-s") != std::string::npos) return "built with -ldflags='-s -w'";
  return "stripped after the build";
}

}  // namespace

std::unique_ptr<DwarfIndex> GoRuntime::OpenLayouts(Target& target, DebugFile* debug_file) {
  ElfImage& exe = target.exe();
  std::string why = "it has no DWARF debug info (built with -ldflags=-w or stripped)";
  if (exe.HasSection(".debug_info")) {
    try {
      return std::make_unique<DwarfIndex>(target.exe_image());
    } catch (const Error& e) {
      why = e.what();  // DWARF for the C code only, or unreadable
    }
  } else if (auto dbg = FindDebugFileAsDebugger(exe)) {
    // Separate debug info (objcopy --only-keep-debug, -dbgsym packages):
    // in GDB the file GDB loaded, else found where GDB looks
    // (debugger_debug_files.h).
    try {
      auto index = std::make_unique<DwarfIndex>(ElfImage::Open(dbg->path));
      *debug_file = *dbg;
      return index;
    } catch (const Error& e) {
      why = std::string("its debug file ") + dbg->path + " is not usable: " + e.what();
    }
  }
  // No usable DWARF: the layouts measured on the same Go release's DWARF
  // (go_layouts.h), globals by symbol.  Which release, from .go.buildinfo.
  auto bi = ReadBuildInfo(exe);
  std::string release = bi ? GoRelease(bi->go_version) : "";
  if (release.empty())
    throw Error(exe.path() + ": " + why + ", and its Go release is unknown (no readable .go.buildinfo)");
  const Arch* arch = ArchForMachine(exe.machine());
  std::string goarch = arch ? arch->go_arch : "amd64";
  const GoLayoutTable* table = GoLayoutsFor(release, goarch);
  if (!table) {
    std::string known;
    for (const auto& r : GoLayoutReleases(goarch)) known += (known.empty() ? "" : ", ") + r;
    throw Error(exe.path() + " is a Go " + release + " program without usable DWARF and there is no " +
                "layout table for Go " + release + " on " + goarch + " (" + goarch + " tables: " + known +
                "); rebuild it without -ldflags=-w/-s, or use the unstripped copy");
  }
  std::string note = "layouts: Go " + release + " table (" + exe.path() + " has no DWARF; measured on " +
                     table->go_version + ")";
  if (!exe.HasSection(".symtab"))
    note += "; stripped: no symbol table, no DWARF (" + HowStripped(*bi) +
            "): the runtime's globals were located through .gopclntab and the machine code of the runtime "
            "functions that use them, each checked against memory";
  target.AddWarning(note);
  return std::make_unique<DwarfIndex>(target.exe_image(), *table);
}

GoRuntime::GoRuntime(Target& target) : target_(target) {
  ElfImage& exe = target.exe();
  // Every Go executable has a .gopclntab (the runtime's own symbol table) and,
  // since Go 1.13, a .go.buildinfo; a stripped one keeps both.
  if (!exe.HasSection(".gopclntab") && !exe.HasSection(".go.buildinfo"))
    throw Error(exe.path() + " is not a Go program (no .gopclntab or .go.buildinfo section)");
  dwarf_ = OpenLayouts(target, &debug_file_);
  if (dwarf_->from_table() && !exe.HasSection(".symtab")) {
    stripped_ = true;
    auto bi = ReadBuildInfo(exe);
    stripped_how_ = bi ? HowStripped(*bi) : "stripped";
    dwarf_->SetGlobalResolver([this](const std::string& name) -> uint64_t {
      auto addr = Finder().Find(name);
      return addr ? *addr - target_.load_bias() : 0;
    });
  }
  LoadGStatuses();
  for (const auto& [name, value] : dwarf_->ConstantsWithPrefix("runtime._P")) {
    std::string suffix = name.substr(std::string("runtime._P").size());
    if (IsStatusSuffix(suffix)) p_status_names_[value] = suffix;
  }
  if (p_status_names_.empty())
    p_status_names_ = {{0, "idle"}, {1, "running"}, {2, "syscall"}, {3, "gcstop"}, {4, "dead"}};
}

const GoPclntab& GoRuntime::Pclntab() {
  if (!pclntab_) {
    GoPclntabSource source;
    std::string error;
    if (!FindGoPclntabInElf(target_.exe().elf(), &source, &error))
      throw Error(target_.exe().path() + ": cannot find the Go pc table: " + error);
    source.load_bias = target_.load_bias();
    if (source.text_start == 0 || source.gofunc == nullptr) {
      // No runtime.text / go:func.* symbols (stripped): the same values
      // from runtime.firstmoduledata.  Go 1.26+ needs text (pcHeader.textStart is 0).
      std::string why;
      if (auto md = ModuleData(&why)) {
        if (source.text_start == 0) source.text_start = md->text - target_.load_bias();
        uint64_t size = 0;
        if (source.gofunc == nullptr && md->gofunc)
          if ((source.gofunc = ElfBytesAt(target_.exe().elf(), md->gofunc - target_.load_bias(), &size)))
            source.gofunc_size = size;
      } else if (source.text_start == 0 && source.pclntab_size >= 40 && source.pclntab[0] == 0xf1 &&
                 std::all_of(source.pclntab + 24, source.pclntab + 32, [](uint8_t b) { return b == 0; })) {
        throw Error(target_.exe().path() + ": cannot tell where its Go code starts: no runtime.text symbol, " +
                    "pcHeader.textStart is 0 (Go 1.26+), and runtime.firstmoduledata was not found (" + why + ")");
      }
    }
    pclntab_ = GoPclntab::Load(source, &error);
    if (!pclntab_) throw Error(target_.exe().path() + ": unreadable Go pc table: " + error);
  }
  return *pclntab_;
}

std::optional<GoModuleData> GoRuntime::ModuleData(std::string* why) {
  if (!module_data_tried_) {
    module_data_tried_ = true;
    module_data_ = FindFirstModuleData(target_.exe(), target_.memory(), target_.load_bias(), *dwarf_,
                                       &module_data_why_);
  }
  *why = module_data_why_;
  return module_data_;
}

GlobalFinder& GoRuntime::Finder() {
  if (!finder_) {
    auto bi = ReadBuildInfo(target_.exe());
    finder_ = std::make_unique<GlobalFinder>(target_.memory(), Pclntab(), *dwarf_, bi ? bi->go_version : "");
  }
  return *finder_;
}

void GoRuntime::LoadGStatuses() {
  // Status values by name from the runtime's constants ("runtime._Gwaiting").
  for (const auto& [name, value] : dwarf_->ConstantsWithPrefix("runtime._G")) {
    std::string suffix = name.substr(std::string("runtime._G").size());
    if (suffix == "scan") g_scan_bit_ = static_cast<uint32_t>(value);
    else if (suffix.rfind("scan", 0) != 0 && IsStatusSuffix(suffix)) g_status_values_[suffix] = value;
  }
  if (g_status_values_.empty()) {
    // Fallback when the DWARF has no constants: the values runtime2.go has
    // used unchanged from Go 1.14 through 1.27 (docs/go-runtime-facts.md).
    g_status_values_ = {{"idle", 0},    {"runnable", 1}, {"running", 2},   {"syscall", 3},
                        {"waiting", 4}, {"dead", 6},     {"copystack", 8}, {"preempted", 9}};
  }
  for (const auto& [name, value] : g_status_values_) g_status_names_[value] = name;
  // The words the runtime prints are runtime.gStatusStrings; they are the
  // constant names except where a release says otherwise (Go 1.26 prints
  // _Gdeadextra as "waiting for cgo callback").
  if (auto g = dwarf_->Global("runtime.gStatusStrings")) {
    uint64_t n = dwarf_->ArrayCount(g->type).value_or(0);
    for (uint64_t i = 0; i < n && i < 64; ++i) {
      try {
        std::string s = target_.memory().ReadGoString(g->address + target_.load_bias() + 16 * i, 128);
        if (!s.empty()) g_status_names_[static_cast<int64_t>(i)] = s;
      } catch (const Error&) {
      }
    }
  }
  // tracebackothers skips _Gdead and (Go 1.26+) _Gdeadextra: an extra M's
  // parked goroutine is not a goroutine the user has.
  for (const char* dead : {"dead", "deadextra"}) {
    auto it = g_status_values_.find(dead);
    if (it != g_status_values_.end()) g_dead_.push_back(static_cast<uint32_t>(it->second));
  }
  if (auto it = g_status_values_.find("running"); it != g_status_values_.end())
    running_ = static_cast<uint32_t>(it->second);
  if (auto it = g_status_values_.find("syscall"); it != g_status_values_.end())
    syscall_ = static_cast<uint32_t>(it->second);
  for (const char* waiting : {"waiting", "leaked"}) {
    auto it = g_status_values_.find(waiting);
    if (it != g_status_values_.end()) g_waiting_.push_back(static_cast<uint32_t>(it->second));
  }
}

uint64_t GoRuntime::GlobalAddress(const std::string& name) {
  auto g = dwarf_->Global(name);
  if (!g && stripped_)
    throw Error("cannot locate " + name + " in " + target_.exe().path() + " (stripped: no symbol table, no DWARF; " +
                stripped_how_ + "): the runtime code that uses it did not single it out in this " +
                (target_.is_core() ? "core" : "process") + "; use the unstripped copy or its debug file");
  if (!g) throw Error("this Go runtime's DWARF has no variable " + name);
  return g->address + target_.load_bias();
}

uint64_t GoRuntime::ReadSized(uint64_t addr, uint64_t size) {
  uint64_t v = 0;
  if (size == 0 || size > 8) throw Error("unexpected field size " + std::to_string(size) + " at " + Hex(addr));
  target_.memory().ReadExact(addr, &v, size);
  return v;
}

std::optional<uint64_t> GoRuntime::ReadGlobal(const std::string& name) {
  auto g = dwarf_->Global(name);
  if (!g) return std::nullopt;
  return ReadSized(g->address + target_.load_bias(), g->size);
}

std::optional<int64_t> GoRuntime::ReadGlobalField(const std::string& global, const std::string& field) {
  auto g = dwarf_->Global(global);
  auto f = dwarf_->GlobalField(global, field);
  if (!g || !f || f->size == 0 || f->size > 8) return std::nullopt;
  uint64_t raw = ReadSized(g->address + target_.load_bias() + f->offset, f->size);
  // Sign-extend: GODEBUG knobs are int32.
  int shift = 64 - static_cast<int>(f->size) * 8;
  return shift ? static_cast<int64_t>(raw << shift) >> shift : static_cast<int64_t>(raw);
}

uint64_t GoRuntime::ReadField(const std::string& type, uint64_t base, const std::string& field) {
  DwarfField f = dwarf_->RequireField(type, field);
  return ReadSized(base + f.offset, f.size);
}

std::string GoRuntime::BuildVersion() {
  return target_.memory().ReadGoString(GlobalAddress("runtime.buildVersion"), 256);
}

std::vector<uint64_t> GoRuntime::AllGs() {
  uint64_t addr = GlobalAddress("runtime.allgs");
  uint64_t hdr[2];
  target_.memory().ReadExact(addr, hdr, sizeof hdr);
  if (hdr[1] > kMaxGoroutines)
    throw Error("runtime.allgs has implausible length " + std::to_string(hdr[1]) + " (corrupt memory?)");
  // A corrupt length below the bound must not cost a huge allocation before
  // the read fails: the array's last entry has to be readable first.
  uint64_t last;
  if (hdr[1] && !target_.memory().TryRead(hdr[0] + (hdr[1] - 1) * 8, &last, 8)) {
    // A truncated core knows which part it lost: say that rather than guess.
    std::string why = target_.memory().WhyUnreadable(hdr[0] + (hdr[1] - 1) * 8);
    throw Error("runtime.allgs claims " + std::to_string(hdr[1]) + " goroutines at " + Hex(hdr[0]) +
                " but that array is not in memory (" + (why.empty() ? "corrupt memory or truncated core" : why) +
                ")");
  }
  std::vector<uint64_t> gs(hdr[1]);
  if (!gs.empty()) target_.memory().ReadExact(hdr[0], gs.data(), gs.size() * 8);
  return gs;
}

std::vector<uint64_t> GoRuntime::AllMs() {
  std::vector<uint64_t> ms;
  std::unordered_set<uint64_t> seen;
  uint64_t link = dwarf_->RequireField("runtime.m", "alllink").offset;
  uint64_t mp = target_.memory().ReadU64(GlobalAddress("runtime.allm"));
  while (mp && ms.size() < kMaxMs && seen.insert(mp).second) {
    ms.push_back(mp);
    mp = target_.memory().ReadU64(mp + link);
  }
  return ms;
}

std::vector<uint64_t> GoRuntime::AllPs() {
  uint64_t addr = GlobalAddress("runtime.allp");
  uint64_t hdr[2];
  target_.memory().ReadExact(addr, hdr, sizeof hdr);
  if (hdr[1] > kMaxPs) throw Error("runtime.allp has implausible length " + std::to_string(hdr[1]));
  std::vector<uint64_t> ps(hdr[1]);
  if (!ps.empty()) target_.memory().ReadExact(hdr[0], ps.data(), ps.size() * 8);
  return ps;
}

std::string GoRuntime::GStatusName(uint32_t status) const {
  auto it = g_status_names_.find(status & ~g_scan_bit_);
  return it != g_status_names_.end() ? it->second : "unknown(" + std::to_string(status) + ")";
}

bool GoRuntime::IsDead(uint32_t status) const {
  status &= ~g_scan_bit_;
  return std::find(g_dead_.begin(), g_dead_.end(), status) != g_dead_.end();
}

bool GoRuntime::HasWaitReason(uint32_t status) const {
  status &= ~g_scan_bit_;
  return std::find(g_waiting_.begin(), g_waiting_.end(), status) != g_waiting_.end();
}

std::string GoRuntime::PStatusName(uint32_t status) const {
  auto it = p_status_names_.find(status);
  return it != p_status_names_.end() ? it->second : "unknown(" + std::to_string(status) + ")";
}

std::vector<std::string> GoRuntime::Environment() {
  std::vector<std::string> env;
  auto g = dwarf_->Global("runtime.envs");
  if (!g) return env;
  uint64_t hdr[2];
  if (!target_.memory().TryRead(g->address + target_.load_bias(), hdr, sizeof hdr) || hdr[1] > 100000)
    return env;
  for (uint64_t i = 0; i < hdr[1]; ++i) {
    try {
      env.push_back(target_.memory().ReadGoString(hdr[0] + i * 16, 1 << 16));
    } catch (const Error&) {
    }
  }
  return env;
}

}  // namespace cgostack
