// Native (C) frames without GDB, through libdwfl: the standalone CLI's
// counterpart of gdb_plugin/cgostack_gdb/native_frames.py.  Modules come
// from the core's NT_FILE note and vDSO (safe_modules.h, vdso_module.h;
// dwfl_core_file_report when that cannot stand for it) or the live
// process's maps (dwfl_linux_proc_report); separate debug info is found by
// build-id through libdwfl's standard callbacks.  Each thread is walked
// from its registers; whenever a frame's pc is Go, StackSwitcher::Step
// gives the caller (across asmcgocall, cgocallback, crosscall2, sigtramp)
// and a new libdwfl walk starts from the registers it returns, since a
// libdwfl walk cannot be redirected mid-way.  The result per thread is a
// NativeChain, recorded exactly as the GDB plugin records it.
#pragma once

#include <elfutils/libdwfl.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "target/memory.h"
#include "stacks/stitch.h"
#include "stacks/line_rows.h"
#include "stacks/tail_calls.h"
#include "stacks/unwind_cache.h"
#include "stacks/vdso_module.h"
#include "target/target.h"
#include "stacks/thread_stacks.h"

namespace cgostack {

class DwflUnwinder {
 public:
  // Modules of `target` (a core or a stopped live process).  Throws Error
  // if libdwfl cannot report them.  `debug_dirs`: where separate debug
  // files are looked for by build-id and debuglink (GDB's
  // debug-file-directory, whose default this is; the plugin passes GDB's).
  explicit DwflUnwinder(Target& target, const std::vector<std::string>& debug_dirs = {"/usr/lib/debug"});
  ~DwflUnwinder();
  DwflUnwinder(const DwflUnwinder&) = delete;
  DwflUnwinder& operator=(const DwflUnwinder&) = delete;

  // The chain of thread `lwp` walked from `regs`, innermost first.
  NativeChain Walk(int lwp, const Registers& regs, StackSwitcher& switcher);
  // Walks every thread of the target that has registers and hands each
  // chain to `stacks` (ThreadStacks::SetChain), as the plugin's hand_over.
  void HandOver(ThreadStacks& stacks);
  // libdwfl's DWARF of the module whose debug file is `debug_file` (the
  // same file, by device and inode), if libdwfl has already read it;
  // nullptr otherwise.
  Dwarf* LoadedDwarfOf(const std::string& debug_file);

  // Used by the libdwfl callbacks (dwfl_unwinder.cc).
  struct Start {
    Registers regs{};
    bool callee_saved = false;  // Arch::callee_saved are known
    bool all = false;           // every general register is known
  };
  const Start& start() const { return start_; }
  const MemorySource& memory() const { return target_.memory(); }
  const Arch& arch() const { return target_.arch(); }
  bool HasThread(int lwp) const;
  // Whether `lookup` (a pc, or a return address minus one) is inside a
  // module but in no function it describes: no ELF symbol and no CFI
  // entry covers it (the entry of makecontext's __start_context as a
  // return address).  libdwfl unwinds such a frame by frame pointers,
  // GDB by its prologue heuristics: they find different callers.
  bool OutsideAnyFunction(uint64_t lookup);
  // Whether an interrupted frame at `pc` is the child of libc's clone or
  // clone3 right after the system call (the return value register 0):
  // the top of a thread's new stack, with nothing above it (glibc's CFI
  // ends the child's stack only after the branch to thread_start).
  bool InCloneChild(Dwfl_Frame* frame, uint64_t pc);
  struct RawFrameView {
    uint64_t pc = 0;
    bool exact = false;  // an activation: the pc itself, not a return address
  };
  // One frame of a libdwfl walk, as the walk's callback saw it.
  struct RawFrame : RawFrameView {
    RawFrame() = default;
    RawFrame(uint64_t pc_, bool exact_, uint64_t sp_, uint64_t fp_) : RawFrameView{pc_, exact_}, sp(sp_), fp(fp_) {}
    uint64_t sp = 0, fp = 0;  // the frame pointer (rbp, x29)
  };

 private:
  void Symbolize(uint64_t pc, bool exact, uint64_t sp, std::vector<NativeFrame>* out);
  // Symbolize, FunctionEntry and TailCalls::Between through cache_.
  void SymbolizeCached(uint64_t pc, bool exact, uint64_t sp, std::vector<NativeFrame>* out);
  uint64_t FunctionEntry(const RawFrameView& f);
  // A run of C frames of one libdwfl walk, `raw` innermost first, appended
  // to `out` symbolized; a run deeper than kNativeHeadFrames +
  // kNativeTailFrames keeps those with one elided marker between.
  void AppendCRun(const RawFrame* raw, size_t n, std::vector<NativeFrame>* out);
  void SymbolizeRaw(const RawFrame* raw, size_t i, std::vector<NativeFrame>* out);
  size_t CountRaw(const RawFrame* raw, size_t i);
  // Whether pc is glibc's signal trampoline, __restore_rt (GDB's rule for a
  // named trampoline, amd64_linux_sigtramp_p): the symbol at pc itself.
  bool IsSignalTrampoline(uint64_t pc);
  const std::vector<uint64_t>& TailCallsBetween(uint64_t caller_pc, const RawFrameView& callee);
  // The one frame GDB shows for the tail-call site whose return address is
  // `pc` (a frame TailCallsBetween found).
  NativeFrame TailCallFrame(uint64_t pc, uint64_t sp);
  Target& target_;
  std::unique_ptr<Dwfl_Callbacks> callbacks_;  // libdwfl keeps a pointer
  Dwfl* dwfl_ = nullptr;
  Elf* core_elf_ = nullptr;  // the session's (CoreFile::elf), not ours
  Start start_;  // where the next libdwfl walk starts (set_initial_registers)
  TailCalls tail_calls_;
  GdbLineTables line_tables_;  // the line of a C frame as GDB gives it
  UnwindCache cache_;
  // IsSignalTrampoline's answer per pc: libdwfl names a pc by a linear
  // search of the module's symbols, and every frame of every thread asks.
  std::unordered_map<uint64_t, bool> trampoline_pcs_;
  std::unordered_map<uint64_t, bool> outside_pcs_;  // OutsideAnyFunction's answers
  std::unordered_set<int> lwps_;  // threads with registers (HasThread, once per walk)
  // A live process's libraries by their link-map names (link_map_names.h).
  std::map<uint64_t, std::string> link_map_names_;
  char* debuginfo_path_ = nullptr;
  ThreadStacks* handed_to_ = nullptr;  // whose held_dwarf is ours (HandOver)
  VdsoImage vdso_;  // the vDSO module's bytes (libdwfl's Elf points here)
  std::optional<VdsoObject> vdso_object_;  // where it is and what its frames are named after
};

}  // namespace cgostack
