#include "stacks/dwfl_unwinder.h"
#include "target/library_identity.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "error.h"
#include "report/format.h"
#include "stacks/cxx_names.h"
#include "stacks/safe_modules.h"
#include "stacks/vdso_module.h"
#include "target/link_map_names.h"

namespace cgostack {

namespace {

// The plugin stops at the same depth (native_frames.MAX_FRAMES): frames
// kept in a chain, a deep run of C frames counting as its first and last
// 50 (kNativeHeadFrames, kNativeTailFrames) and one elided marker.
constexpr size_t kMaxFrames = 512;
// Frames one libdwfl walk may go through (elided ones included): libdwfl
// has no limit of its own (dwfl_thread_getframes goes on while the CFI
// gives a caller), and a stack whose garbage the CFI keeps reading as
// frames must end.  A default 8 MB thread stack holds at most 524,288
// frames of 16 bytes.
constexpr size_t kMaxWalked = 1000000;

DwflUnwinder* Self(void* arg) { return static_cast<DwflUnwinder*>(arg); }

// Thread callbacks of our own instead of dwfl_core_file_attach's: every
// walk must be able to start from any context (the one StackSwitcher::Step
// returns), and memory is the session's, which already lays the core over
// the executable's file segments.
pid_t NextThread(Dwfl*, void*, void**) { return 0; }  // walks are per thread (get_thread)

bool GetThread(Dwfl*, pid_t tid, void* dwfl_arg, void** thread_argp) {
  *thread_argp = dwfl_arg;
  return Self(dwfl_arg)->HasThread(tid);
}

bool MemoryRead(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* dwfl_arg) {
  return Self(dwfl_arg)->memory().TryRead(addr, result, sizeof *result);
}

// Registers by the target's DWARF numbers (arch/arch.h): always SP and the
// frame pointer (and the link register when the start has it), the
// callee-saved ones when known, every general register from a signal context.
bool SetInitialRegisters(Dwfl_Thread* thread, void* thread_arg) {
  const DwflUnwinder& self = *Self(thread_arg);
  const DwflUnwinder::Start& s = self.start();
  const Arch& arch = self.arch();
  const Registers& r = s.regs;
  auto set = [thread](unsigned regno, uint64_t v) {
    Dwarf_Word w = v;
    return dwfl_thread_state_registers(thread, static_cast<int>(regno), 1, &w);
  };
  if (!set(arch.dwarf_fp, r.fp) || !set(arch.dwarf_sp, r.sp)) return false;
  if (arch.dwarf_lr >= 0 && r.lr) set(static_cast<unsigned>(arch.dwarf_lr), r.lr);
  if (s.callee_saved || s.all)
    for (size_t i = 0; i < arch.callee_saved_count; ++i) set(arch.callee_saved[i], arch.Get(r, arch.callee_saved[i]));
  if (s.all)
    for (unsigned regno = 0; regno < arch.gpr_count; ++regno)
      if (regno != arch.dwarf_sp && regno != arch.dwarf_fp) set(regno, arch.Get(r, regno));
  dwfl_thread_state_register_pc(thread, r.pc);
  return true;
}

const Dwfl_Thread_Callbacks kThreadCallbacks = {NextThread, GetThread, MemoryRead, SetInitialRegisters,
                                                nullptr, nullptr};

std::string DwflError() { return dwfl_errmsg(-1) ? dwfl_errmsg(-1) : "unknown libdwfl error"; }

std::string AttrString(Dwarf_Die* die, unsigned attr_name) {
  Dwarf_Attribute attr;
  if (!dwarf_attr_integrate(die, attr_name, &attr)) return "";
  const char* s = dwarf_formstring(&attr);
  return s ? s : "";
}

// A function's name as GDB prints it: the linkage name when DWARF has one
// (__GI___lll_lock_wait for glibc's __lll_lock_wait), else its name.
// C++ names demangled as GDB shows them (cxx_names.h).
std::string FunctionName(Dwarf_Die* die) {
  std::string linkage = AttrString(die, DW_AT_linkage_name);
  return DwarfFrameName(linkage.empty() ? AttrString(die, DW_AT_name) : linkage);
}

// A source file's name as GDB 13 gives it (symtab.filename), from the path
// libdw made of its line-table entry (its directory joined to its name).
// GDB joins the name to its directory entry too (dwarf2_start_subfile), but
// in DWARF 4 entry 0 is no directory, where libdw puts the compilation
// directory; and a path that is the compilation unit's own file is named as
// DW_AT_name has it (buildsym start_subfile finds the CU's primary subfile):
// deadlock.c, while cgo's prologue in the same kind of unit, DWARF 5
// directory 0 /tmp/go-build, is /tmp/go-build/cgo-gcc-prolog.
std::string GdbFileName(Dwarf_Die* cu, std::string path) {
  if (!cu || path.empty()) return path;
  std::string name = AttrString(cu, DW_AT_name), comp_dir = AttrString(cu, DW_AT_comp_dir);
  // (GDB compares an absolute path with the primary file joined to the
  // compilation directory, a relative one as it is: glibc's ./nptl/x.c,
  // compilation directory ./nptl, stays ./nptl/x.c.)
  if (!name.empty() &&
      (path == name || (path[0] == '/' && name[0] != '/' && !comp_dir.empty() && path == comp_dir + "/" + name)))
    return name;
  Dwarf_Half version = 0;
  if (dwarf_cu_info(cu->cu, &version, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr) != 0) version = 0;
  if (version < 5 && !comp_dir.empty() && path.size() > comp_dir.size() + 1 &&
      path.compare(0, comp_dir.size(), comp_dir) == 0 && path[comp_dir.size()] == '/')
    path.erase(0, comp_dir.size() + 1);
  return path;
}

// The ELF symbol GDB shows for a function without DWARF: of the symbols at
// the same address, GDB sorts its minimal symbols by name and takes the
// last one with a size (minsyms.c), e.g. clone3 rather than __clone3; and
// without the @VERSION suffix.
std::string GdbSymbolName(Dwfl_Module* mod, GElf_Addr addr, const char* found) {
  std::string best = found;
  bool best_sized = true;
  int n = dwfl_module_getsymtab(mod);
  for (int i = 0; i < n; ++i) {
    GElf_Sym sym;
    GElf_Addr value = 0;
    const char* name = dwfl_module_getsym_info(mod, i, &sym, &value, nullptr, nullptr, nullptr);
    if (!name || !*name || value != addr || GELF_ST_TYPE(sym.st_info) != STT_FUNC) continue;
    bool sized = sym.st_size > 0;
    if ((sized && !best_sized) || (sized == best_sized && std::strcmp(name, best.c_str()) > 0)) {
      best = name;
      best_sized = sized;
    }
  }
  return SymbolFrameName(best.substr(0, best.find('@')));
}

// Of several DWARF functions covering the same code, GDB's block lookup
// ends at the last one: the assembler emits one per alias (__clone3,
// __GI___clone3, clone3) and GDB shows clone3.
Dwarf_Die LastAlias(Dwarf_Die die) {
  Dwarf_Addr low = 0, other = 0;
  if (dwarf_tag(&die) != DW_TAG_subprogram || dwarf_lowpc(&die, &low) != 0) return die;
  Dwarf_Die best = die, next = die;
  while (dwarf_siblingof(&next, &next) == 0 && dwarf_tag(&next) == DW_TAG_subprogram &&
         dwarf_lowpc(&next, &other) == 0 && other == low)
    best = next;
  return best;
}

using RawFrame = DwflUnwinder::RawFrame;

struct WalkState {
  DwflUnwinder* self = nullptr;
  std::vector<RawFrame> frames;
  StackSwitcher* switcher = nullptr;
  const Arch* arch = nullptr;
  bool first_is_return_address = false;  // the walk starts at a return address
  bool stopped_at_go = false;
  bool looped = false;  // the unwinder gave the same frame twice
  bool outside = false;  // the last frame is in no function (OutsideAnyFunction)
  size_t budget = kMaxWalked;
};

int OnFrame(Dwfl_Frame* frame, void* arg) {
  auto* w = static_cast<WalkState*>(arg);
  RawFrame f;
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(frame, &pc, &activation)) return -1;
  f.pc = pc;
  f.exact = activation && !(w->frames.empty() && w->first_is_return_address);
  Dwarf_Word v = 0;
  if (dwfl_frame_reg(frame, w->arch->dwarf_sp, &v) == 0) f.sp = v;
  if (dwfl_frame_reg(frame, w->arch->dwarf_fp, &v) == 0) f.fp = v;
  if (pc == 0 && !w->frames.empty()) return DWARF_CB_ABORT;  // no caller
  if (!w->frames.empty() && f.sp != 0 && f.pc == w->frames.back().pc && f.sp == w->frames.back().sp) {
    w->looped = true;  // GDB: "previous frame identical to this frame"
    return DWARF_CB_ABORT;
  }
  w->frames.push_back(f);
  if (w->frames.size() == 1 && f.exact && w->self->InCloneChild(frame, f.pc)) return DWARF_CB_ABORT;
  if (w->switcher->IsGo(f.pc, !f.exact)) {
    w->stopped_at_go = true;
    return DWARF_CB_ABORT;
  }
  // Its caller would come from libdwfl's frame-pointer fallback, which is
  // not what GDB finds there: the walk ends with an error (the plugin then
  // takes the thread from GDB's frames).
  if (f.pc && w->self->OutsideAnyFunction(f.exact ? f.pc : f.pc - 1)) {
    w->outside = true;
    return DWARF_CB_ABORT;
  }
  return --w->budget ? DWARF_CB_OK : DWARF_CB_ABORT;
}

}  // namespace

DwflUnwinder::DwflUnwinder(Target& target, const std::vector<std::string>& debug_dirs)
    : target_(target), tail_calls_(nullptr) {
  // Separate debug info: next to the file, .debug/, and the debug
  // directories (by build-id too), as GDB looks; a sysroot's own debug
  // directories first (a core from another machine with its -dbg files).
  std::string root = target.library_search().LocalSysroot();
  std::string path;
  if (!root.empty())
    for (const std::string& d : debug_dirs) path += ":" + root + d;
  path += ":.debug";
  for (const std::string& d : debug_dirs) path += ":" + d;
  debuginfo_path_ = strdup(path.c_str());
  // libdwfl's standard callbacks, refusing names that are not regular
  // files (safe_modules.h).
  static const Dwfl_Callbacks kCoreCallbacks = {FindElfRegularOnly, FindDebuginfoRegularOnly,
                                                dwfl_offline_section_address, nullptr};
  static const Dwfl_Callbacks kProcCallbacks = {FindProcElfRegularOnly, FindDebuginfoRegularOnly,
                                                nullptr, nullptr};
  SafeModulesScope warnings_to(target);
  Dwfl_Callbacks* cb = new Dwfl_Callbacks(target.is_core() ? kCoreCallbacks : kProcCallbacks);
  cb->debuginfo_path = &debuginfo_path_;
  callbacks_.reset(cb);
  dwfl_ = dwfl_begin(cb);
  if (!dwfl_) throw Error("libdwfl: " + DwflError());
  dwfl_report_begin(dwfl_);
  bool own_modules = false;
  if (target.is_core()) {
    // The session's mapping of the core, already MADV_RANDOM (core_file.cc):
    // libdwfl sniffs the first page of every core segment for an ELF header
    // (dwfl_segment_report_module); most segments of a core with thousands
    // of threads are stack reservations, sparse holes, and on a mapping
    // advised otherwise each of those faults would read ahead (zero-fill)
    // a few hundred KB around it.
    core_elf_ = target.core()->elf();
    // dwfl_core_file_report open()s every name the core gives; if one is a
    // FIFO or a device, the modules are reported from checked descriptors.
    // libdwfl 0.188 has no sysroot of its own: with one (or a search
    // path) the modules are reported from the files found there.  A core
    // without NT_FILE (qemu-user's) gets its modules from the link map
    // (Target::mappings): libdwfl's own guess from the core's segments
    // finds no library whose code the core left out.  Otherwise the same
    // when NT_FILE names every ELF object and each is here: no sniffing of
    // every core segment (safe_modules.h).
    bool file_note = !target.core()->mappings().empty();
    if (!target.library_search().empty() || !file_note || !SpecialFilesNamedByCore(target).empty() ||
        CanReportFromFileNote(target)) {
      ReportCoreModules(dwfl_, target);
      // What dwfl_core_file_report would have found too (qemu's cores,
      // without NT_FILE, stay as the link map has them).
      if (file_note) ReportVdso(dwfl_, target, &vdso_);
      own_modules = true;
    } else if (dwfl_core_file_report(dwfl_, core_elf_, target.exe().path().c_str()) < 0) {
      throw Error("libdwfl cannot find the modules of " + target.core_path() + ": " + DwflError());
    }
  } else if (int err = dwfl_linux_proc_report(dwfl_, target.pid()); err != 0) {
    throw Error("libdwfl cannot find the modules of process " + std::to_string(target.pid()) + ": " +
                (err > 0 ? std::strerror(err) : DwflError()));
  }
  dwfl_report_end(dwfl_, nullptr, nullptr);
  if (target.is_core()) WarnAboutReplacedLibraries(dwfl_, target_);  // issue 16.6
  if (!dwfl_attach_state(dwfl_, core_elf_, target.pid(), &kThreadCallbacks, this))
    throw Error("libdwfl cannot unwind this target: " + DwflError());
  // Every module's file now, while warnings go to the target.
  dwfl_getmodules(
      dwfl_,
      [](Dwfl_Module* mod, void**, const char*, Dwarf_Addr, void*) -> int {
        Dwarf_Addr bias = 0;
        dwfl_module_getelf(mod, &bias);
        return DWARF_CB_OK;
      },
      nullptr, 0);
  tail_calls_ = TailCalls(dwfl_);
  for (const ThreadState& t : target.threads()) lwps_.insert(t.lwp);
  vdso_object_ = FindVdso(target);
  if (!target.is_core() || own_modules) link_map_names_ = LinkMapNames(dwfl_, target.memory());
  // GDB names a library by the file it read: under a sysroot (or on the
  // search path) that file, else the path the dynamic linker recorded.
  // Resolved once here, not per symbolized pc.
  for (auto& [bias, name] : link_map_names_) {
    std::string local = target.LocalFile(name);
    if (!local.empty()) name = local;
  }
}

DwflUnwinder::~DwflUnwinder() {
  if (handed_to_) handed_to_->SetHeldDwarf({});  // our DWARF goes with libdwfl
  if (dwfl_) dwfl_end(dwfl_);
  std::free(debuginfo_path_);
}

bool DwflUnwinder::HasThread(int lwp) const { return lwps_.count(lwp) > 0; }

bool DwflUnwinder::InCloneChild(Dwfl_Frame* frame, uint64_t pc) {
  // DWARF register 0 is the system call's return value on both machines
  // (rax on x86-64, x0 on aarch64): 0 in the child, its TID in the parent.
  Dwarf_Word ret = 1;
  if (dwfl_frame_reg(frame, 0, &ret) != 0 || ret != 0) return false;
  Dwfl_Module* mod = dwfl_addrmodule(dwfl_, pc);
  const char* name = mod ? dwfl_module_addrname(mod, pc) : nullptr;
  if (!name) return false;
  std::string_view n(name);
  return n == "clone" || n == "clone3" || n == "__clone" || n == "__clone3";
}

bool DwflUnwinder::OutsideAnyFunction(uint64_t lookup) {
  auto [it, fresh] = outside_pcs_.try_emplace(lookup, false);
  if (!fresh) return it->second;
  Dwfl_Module* mod = dwfl_addrmodule(dwfl_, lookup);
  if (!mod) return false;  // not in a module: left to libdwfl as before
  GElf_Off offset = 0;
  GElf_Sym sym;
  if (dwfl_module_addrinfo(mod, lookup, &offset, &sym, nullptr, nullptr, nullptr)) return false;
  for (Dwarf_CFI* (*get)(Dwfl_Module*, Dwarf_Addr*) : {dwfl_module_eh_cfi, dwfl_module_dwarf_cfi}) {
    Dwarf_Addr bias = 0;
    Dwarf_CFI* cfi = get(mod, &bias);
    Dwarf_Frame* frame = nullptr;
    bool found = cfi && dwarf_cfi_addrframe(cfi, lookup - bias, &frame) == 0;
    std::free(frame);
    if (found) return false;
  }
  return it->second = true;
}

void DwflUnwinder::SymbolizeCached(uint64_t pc, bool exact, uint64_t sp, std::vector<NativeFrame>* out) {
  for (const NativeFrame& f :
       cache_.Symbols(pc, exact, [&](std::vector<NativeFrame>* frames) { Symbolize(pc, exact, 0, frames); })) {
    out->push_back(f);
    out->back().sp = sp;
  }
}

const std::vector<uint64_t>& DwflUnwinder::TailCallsBetween(uint64_t caller_pc, const RawFrameView& callee) {
  uint64_t entry = cache_.FunctionEntry(callee.exact || callee.pc == 0 ? callee.pc : callee.pc - 1,
                                        [&] { return FunctionEntry(callee); });
  return cache_.TailCalls(caller_pc, entry, [&] { return tail_calls_.Between(caller_pc, entry); });
}

uint64_t DwflUnwinder::FunctionEntry(const RawFrameView& f) {
  uint64_t lookup = f.exact || f.pc == 0 ? f.pc : f.pc - 1;
  Dwfl_Module* mod = dwfl_addrmodule(dwfl_, lookup);
  GElf_Off offset = 0;
  GElf_Sym sym;
  if (!mod || !dwfl_module_addrinfo(mod, lookup, &offset, &sym, nullptr, nullptr, nullptr)) return 0;
  return lookup - offset;
}

void DwflUnwinder::Symbolize(uint64_t pc, bool exact, uint64_t sp, std::vector<NativeFrame>* out) {
  // A return address may be the byte after a call that ends a function.
  uint64_t lookup = exact || pc == 0 ? pc : pc - 1;
  NativeFrame base;
  base.pc = pc;
  base.sp = sp;
  Dwfl_Module* mod = dwfl_addrmodule(dwfl_, lookup);
  bool in_vdso = vdso_object_ && lookup >= vdso_object_->start && lookup < vdso_object_->end;
  if (!mod) {
    // As the plugin: not in a library, so the program (or the vDSO).
    base.object = in_vdso ? vdso_object_->name : target_.exe().path();
    out->push_back(base);
    return;
  }
  Dwarf_Addr low = 0, high = 0;
  const char* mainfile = nullptr;
  const char* name = dwfl_module_info(mod, nullptr, &low, &high, nullptr, nullptr, &mainfile, nullptr);
  // The executable as the user named it (GDB's progspace filename); a
  // library by the path the dynamic linker recorded (gdb.solib_name).
  uint64_t entry = target_.exe().entry() + target_.load_bias();
  base.object = entry >= low && entry < high ? target_.exe().path() : mainfile ? mainfile : name ? name : "";
  // The vDSO by its own name, as the plugin names it (vdso_module.h): GDB
  // has no shared library for it, and libdwfl names it "[vdso]" or by the
  // link map.
  if (in_vdso) base.object = vdso_object_->name;
  if (!link_map_names_.empty() && base.object != target_.exe().path() && !in_vdso) {
    Dwarf_Addr load_bias = 0;
    auto it = dwfl_module_getelf(mod, &load_bias) ? link_map_names_.find(load_bias) : link_map_names_.end();
    if (it != link_map_names_.end()) base.object = it->second;
  }
  GElf_Off offset = 0;
  GElf_Sym sym;
  const char* symbol = dwfl_module_addrinfo(mod, lookup, &offset, &sym, nullptr, nullptr, nullptr);
  if (symbol) base.function = GdbSymbolName(mod, lookup - offset, symbol);
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(mod, lookup, &bias);
  // The row GDB takes among several at one address (line_rows.h).
  if (Dwarf_Line* line = cu ? line_tables_.Row(cu, lookup - bias) : nullptr) {
    int lineno = 0;
    if (const char* file = dwarf_linesrc(line, nullptr, nullptr)) base.file = file;
    dwarf_lineno(line, &lineno);
    base.line = lineno;
  }
  // Inlined calls, innermost first, as GDB's inline frames: each has the
  // same pc and sp; the line of an outer one is its call site.
  // File names as GDB has them (GdbFileName).
  base.file = GdbFileName(cu, base.file);
  Dwarf_Die* scopes = nullptr;
  int n = cu ? dwarf_getscopes(cu, lookup - bias, &scopes) : 0;
  std::vector<Dwarf_Die*> funcs;
  for (int i = 0; i < n; ++i) {
    int tag = dwarf_tag(&scopes[i]);
    if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram) funcs.push_back(&scopes[i]);
    if (tag == DW_TAG_subprogram) break;
  }
  // With glibc's debug info (dwz-compressed) the chain from the pc stops
  // at the CU above an inlined call; the function it was inlined into is
  // found from the DIE of that call instead.
  Dwarf_Die* parents = nullptr;
  if (!funcs.empty() && dwarf_tag(funcs.back()) == DW_TAG_inlined_subroutine) {
    int np = dwarf_getscopes_die(funcs.back(), &parents);
    for (int i = 1; i < np; ++i)
      if (dwarf_tag(&parents[i]) == DW_TAG_subprogram) {
        funcs.push_back(&parents[i]);
        break;
      }
  }
  if (funcs.size() <= 1) {
    if (!funcs.empty()) {
      Dwarf_Die f = LastAlias(*funcs[0]);
      if (std::string n = FunctionName(&f); !n.empty()) base.function = n;
    }
    out->push_back(base);
    std::free(scopes);
    std::free(parents);
    return;
  }
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  dwarf_getsrcfiles(cu, &files, &nfiles);
  std::string file = base.file;
  int32_t line = base.line;
  for (size_t k = 0; k < funcs.size(); ++k) {
    NativeFrame f = base;
    bool inlined = dwarf_tag(funcs[k]) == DW_TAG_inlined_subroutine;
    f.inlined = inlined;
    // GDB names frames by their DWARF function (___pthread_mutex_lock, not
    // the ELF symbol __pthread_mutex_lock@GLIBC_2.2.5).
    Dwarf_Die named = LastAlias(*funcs[k]);
    std::string dwarf_name = FunctionName(&named);
    if (!dwarf_name.empty() || inlined) f.function = dwarf_name;
    f.file = file;
    f.line = line;
    out->push_back(f);
    if (!inlined) break;
    // The next (outer) frame is at this inlined call's call site.
    Dwarf_Attribute attr;
    Dwarf_Word call_file = 0, call_line = 0;
    file.clear();
    line = 0;
    if (dwarf_attr(funcs[k], DW_AT_call_file, &attr) && dwarf_formudata(&attr, &call_file) == 0 && files &&
        call_file < nfiles)
      if (const char* s = dwarf_filesrc(files, call_file, nullptr, nullptr)) file = GdbFileName(cu, s);
    if (dwarf_attr(funcs[k], DW_AT_call_line, &attr) && dwarf_formudata(&attr, &call_line) == 0)
      line = static_cast<int32_t>(call_line);
  }
  std::free(scopes);
  std::free(parents);
}

NativeFrame DwflUnwinder::TailCallFrame(uint64_t pc, uint64_t sp) {
  // GDB makes exactly one frame of a tail-call site, a TAILCALL_FRAME: its
  // unwinder is tried before the inline-frame one (frame-unwind.c), so no
  // inline frame is ever made at that pc, and the frame is named by the
  // innermost block at pc-1 (get_frame_function: no inline frame is newer
  // than it) with that pc's line (find_frame_sal).  glibc 2.36's raise ->
  // __GI___pthread_kill -> jmp __pthread_kill_implementation, the jmp in
  // __pthread_kill_internal inlined there: GDB shows one frame,
  // __pthread_kill_internal, not __GI___pthread_kill below it.
  std::vector<NativeFrame> chain;
  SymbolizeCached(pc, false, sp, &chain);
  NativeFrame f = chain.empty() ? NativeFrame{} : chain.front();
  f.pc = pc;
  f.sp = sp;
  f.inlined = false;
  f.tail_call = true;
  return f;
}

// Functions the caller reached through tail calls on the way to the
// callee (frames GDB shows too), then the frame's own (inlined calls
// first): what raw frame `i` of a run stands for.
bool DwflUnwinder::IsSignalTrampoline(uint64_t pc) {
  auto [it, fresh] = trampoline_pcs_.try_emplace(pc, false);
  if (fresh) {
    Dwfl_Module* mod = dwfl_addrmodule(dwfl_, pc);
    const char* name = mod ? dwfl_module_addrname(mod, pc) : nullptr;
    it->second = name && std::strcmp(name, "__restore_rt") == 0;
  }
  return it->second;
}

void DwflUnwinder::SymbolizeRaw(const RawFrame* raw, size_t i, std::vector<NativeFrame>* out) {
  uint64_t sp = raw[i].sp;
  if (IsSignalTrampoline(raw[i].pc)) {
    // The kernel's signal frame below a C frame: handed over as the
    // trampoline (stitch.h NativeFrame::signal_trampoline), as GDB's walk
    // hands over its SIGTRAMP_FRAME.
    NativeFrame f;
    f.pc = raw[i].pc;
    f.sp = sp;
    f.signal_trampoline = true;
    out->push_back(f);
    return;
  }
  if (i > 0)
    for (uint64_t pc : TailCallsBetween(raw[i].pc, raw[i - 1])) out->push_back(TailCallFrame(pc, sp));
  SymbolizeCached(raw[i].pc, raw[i].exact, sp, out);
}

size_t DwflUnwinder::CountRaw(const RawFrame* raw, size_t i) {
  if (IsSignalTrampoline(raw[i].pc)) return 1;
  size_t n = i > 0 ? TailCallsBetween(raw[i].pc, raw[i - 1]).size() : 0;
  uint64_t pc = raw[i].pc;
  bool exact = raw[i].exact;
  return n + cache_.Symbols(pc, exact, [&](std::vector<NativeFrame>* frames) { Symbolize(pc, exact, 0, frames); })
                 .size();
}

void DwflUnwinder::AppendCRun(const RawFrame* raw, size_t n, std::vector<NativeFrame>* out) {
  // Every frame of the run is counted (through the per-pc cache, so a
  // recursion symbolizes its one pc once), only the first and last 50 are
  // made: GDB's `bt 50` and `bt -50`, inline and tail-call frames included.
  std::vector<size_t> counts(n);
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) total += counts[i] = CountRaw(raw, i);
  if (total <= kNativeHeadFrames + kNativeTailFrames) {
    for (size_t i = 0; i < n; ++i) SymbolizeRaw(raw, i, out);
    return;
  }
  size_t head_end = 0, head = 0;  // raw frames [0, head_end) hold the head
  while (head < kNativeHeadFrames) head += counts[head_end++];
  size_t tail_start = n, tail = 0;  // raw frames [tail_start, n) hold the tail
  while (tail < kNativeTailFrames) tail += counts[--tail_start];
  size_t first = out->size();
  for (size_t i = 0; i < head_end; ++i) SymbolizeRaw(raw, i, out);
  out->resize(first + kNativeHeadFrames);  // a raw frame's inline frames may straddle the cut
  NativeFrame marker;
  marker.elided = total - kNativeHeadFrames - kNativeTailFrames;
  marker.sp = raw[head_end - 1].sp;
  out->push_back(marker);
  std::vector<NativeFrame> last;
  for (size_t i = tail_start; i < n; ++i) SymbolizeRaw(raw, i, &last);
  out->insert(out->end(), last.end() - kNativeTailFrames, last.end());
}

NativeChain DwflUnwinder::Walk(int lwp, const Registers& regs, StackSwitcher& switcher) {
  NativeChain chain;
  start_ = Start{regs, true, true};
  bool return_address = false;  // the first pc of the next segment is a return address
  while (chain.frames.size() < kMaxFrames) {
    WalkState w;
    w.self = this;
    w.switcher = &switcher;
    w.arch = &target_.arch();
    w.first_is_return_address = return_address;
    int rc = dwfl_getthread_frames(dwfl_, lwp, OnFrame, &w);
    AppendCRun(w.frames.data(), w.frames.size() - (w.stopped_at_go ? 1 : 0), &chain.frames);
    if (w.looped && chain.error.empty())
      chain.error = "the unwinder gave the frame at pc " + Hex(w.frames.back().pc) + " twice (corrupt stack?)";
    if (w.outside && chain.error.empty())
      chain.error = "cannot unwind past pc " + Hex(w.frames.back().pc) +
                    " (in no function: no symbol and no unwind information there)";
    if (!w.budget && chain.error.empty())
      chain.error = "stopped after " + std::to_string(kMaxWalked) + " frames of C";
    if (!w.stopped_at_go) {
      if (rc == -1 && chain.error.empty()) {
        std::string why = dwfl_errno() ? DwflError() : "no unwind information";
        chain.error = "cannot unwind past pc " + Hex(chain.frames.empty() ? regs.pc : chain.frames.back().pc) +
                      " (libdwfl: " + why + ")";
      }
      break;
    }
    // Go frames: recorded by pc and sp only (the backend symbolizes them
    // from .gopclntab), each caller from the stack-switch rules, until the
    // chain is back in C.
    RawFrame f = w.frames.back();
    bool ra = !f.exact;
    // The link register is known for a Go frame only at the walk's start
    // or right after a signal context (link-register machines).
    uint64_t lr = w.frames.size() == 1 ? start_.regs.lr : 0;
    Start next;
    bool more = false;
    while (chain.frames.size() < kMaxFrames) {
      NativeFrame go;
      go.pc = f.pc;
      go.sp = f.sp;
      chain.frames.push_back(go);
      Registers r{};
      r.pc = f.pc;
      r.sp = f.sp;
      r.fp = f.fp;
      r.lr = lr;
      std::optional<FrameStep> step = switcher.Step(lwp, r, ra);
      if (!step) break;
      if (step->outermost) {
        chain.error = step->error;
        break;
      }
      // A signal's or a fault's context is at the interrupted instruction.
      ra = !(step->switch_kind == "signal" || step->switch_kind == "sigpanic");
      if (step->caller.pc == 0) break;
      if (switcher.IsGo(step->caller.pc, ra)) {
        f = RawFrame{step->caller.pc, !ra, step->caller.sp, step->caller.fp};
        lr = step->caller.lr;  // a signal context's, or the LR an injected call saved
        continue;
      }
      next = Start{step->caller, step->callee_saved, step->all};
      more = true;
      break;
    }
    if (!more) break;
    start_ = next;
    return_address = ra;
  }
  if (chain.frames.size() >= kMaxFrames && chain.error.empty())
    chain.error = "stopped after " + std::to_string(kMaxFrames) + " frames";
  return chain;
}

void DwflUnwinder::HandOver(ThreadStacks& stacks) {
  SafeModulesScope warnings_to(target_);  // a skipped debug file is a warning
  for (const ThreadState& t : target_.threads()) {
    if (!t.has_registers) {
      stacks.SetChain(t.lwp, NativeChain{{}, "no registers for this thread"});
      continue;
    }
    stacks.SetChain(t.lwp, Walk(t.lwp, t.regs, stacks.switcher()));
  }
  // Naming C frames inflated libc's debug info; the lock graph's pthread
  // layouts are read from the same handle (205 M instructions spared).
  handed_to_ = &stacks;
  stacks.SetHeldDwarf([this](const std::string& debug_file) { return LoadedDwarfOf(debug_file); });
}

Dwarf* DwflUnwinder::LoadedDwarfOf(const std::string& debug_file) {
  struct stat want;
  if (::stat(debug_file.c_str(), &want) != 0) return nullptr;
  struct Search {
    const struct stat& want;
    Dwarf* found;
  } search{want, nullptr};
  dwfl_getmodules(
      dwfl_,
      [](Dwfl_Module* mod, void**, const char*, Dwarf_Addr, void* arg) -> int {
        auto* s = static_cast<Search*>(arg);
        // debugfile is set once libdwfl has found (and read) the module's debug file.
        const char* debugfile = nullptr;
        dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, &debugfile);
        struct stat st;
        if (!debugfile || ::stat(debugfile, &st) != 0 || st.st_dev != s->want.st_dev || st.st_ino != s->want.st_ino)
          return DWARF_CB_OK;
        Dwarf_Addr bias = 0;
        s->found = dwfl_module_getdwarf(mod, &bias);
        return DWARF_CB_ABORT;
      },
      &search, 0);
  return search.found;
}

}  // namespace cgostack
