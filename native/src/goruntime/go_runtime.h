// The Go runtime's global state read from target memory: version, allgs, allm,
// allp, GOMAXPROCS, status names.  Every layout comes from the executable's
// DWARF (DwarfIndex); status names come from the runtime's own constants
// (runtime._Gwaiting, runtime._Pidle, ...) in that DWARF.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "goruntime/dwarf_index.h"
#include "goruntime/global_finder.h"
#include "goruntime/module_data.h"
#include "goruntime/gopclntab.h"
#include "target/debug_file_lookup.h"
#include "target/target.h"

namespace cgostack {

class GoRuntime {
 public:
  // Throws Error if the executable is not a Go program, or has no DWARF and
  // no layout table matches its Go release.
  explicit GoRuntime(Target& target);

  Target& target() { return target_; }
  DwarfIndex& dwarf() { return *dwarf_; }
  // The separate debug file whose DWARF is used and how it was found
  // (path "" when the executable's own DWARF or the layout table is), see
  // debug_file_lookup.h.
  const DebugFile& debug_file() const { return debug_file_; }

  // The runtime's pc tables (.gopclntab), loaded on first use.
  const GoPclntab& Pclntab();

  // runtime.buildVersion, e.g. "go1.27.3".
  std::string BuildVersion();
  // Addresses of every g in runtime.allgs (dead ones included).
  std::vector<uint64_t> AllGs();
  // Addresses of every m on the runtime.allm list.
  std::vector<uint64_t> AllMs();
  // Addresses of every p in runtime.allp.
  std::vector<uint64_t> AllPs();

  // Reads a field of a runtime struct at `base` (e.g. Read("runtime.m", mp, "id")),
  // sized by DWARF (1, 2, 4 or 8 bytes, zero-extended).
  uint64_t ReadField(const std::string& type, uint64_t base, const std::string& field);
  // Value of a global integer or bool variable (sized by DWARF); nullopt if absent.
  std::optional<uint64_t> ReadGlobal(const std::string& name);
  // An integer field of a global of anonymous struct type (runtime.debug.cgocheck).
  std::optional<int64_t> ReadGlobalField(const std::string& global, const std::string& field);
  // Address of a global in the target (load bias applied); throws if absent.
  uint64_t GlobalAddress(const std::string& name);

  // The status word's name as the runtime prints it ("waiting", "syscall", ...),
  // with the scan bit stripped; "unknown(N)" for values the DWARF does not name.
  std::string GStatusName(uint32_t status) const;
  bool IsDead(uint32_t status) const;
  // Whether g.waitreason means something in this status (the runtime prints
  // it instead of the status only then; otherwise it is stale).
  bool HasWaitReason(uint32_t status) const;
  bool IsRunning(uint32_t status) const { return (status & ~g_scan_bit_) == running_; }
  bool IsSyscall(uint32_t status) const { return (status & ~g_scan_bit_) == syscall_; }
  std::string PStatusName(uint32_t status) const;

  // runtime.envs: the process environment as the runtime saw it at start.
  std::vector<std::string> Environment();

 private:
  uint64_t ReadSized(uint64_t addr, uint64_t size);
  // The executable's DWARF, or else the layout table of its Go release
  // (noted in the target's warnings); throws Error when neither is usable.
  static std::unique_ptr<DwarfIndex> OpenLayouts(Target& target, DebugFile* debug_file);
  DebugFile debug_file_;
  Target& target_;
  std::unique_ptr<DwarfIndex> dwarf_;
  std::unique_ptr<GoPclntab> pclntab_;
  // Executables with neither DWARF nor a symbol table (global_finder.h).
  bool stripped_ = false;
  std::string stripped_how_;  // "built with -ldflags='-s -w'" or "stripped after the build"
  std::unique_ptr<GlobalFinder> finder_;
  GlobalFinder& Finder();
  // runtime.firstmoduledata, searched for once (module_data.h).
  std::optional<GoModuleData> ModuleData(std::string* why);
  bool module_data_tried_ = false;
  std::optional<GoModuleData> module_data_;
  std::string module_data_why_;
  void LoadGStatuses();
  std::map<std::string, int64_t> g_status_values_;  // "waiting" -> 4
  std::map<int64_t, std::string> g_status_names_;   // what the runtime prints
  std::vector<uint32_t> g_dead_, g_waiting_;
  uint32_t running_ = 2;
  uint32_t syscall_ = 3;
  std::map<int64_t, std::string> p_status_names_;
  uint32_t g_scan_bit_ = 0x1000;
};

}  // namespace cgostack
