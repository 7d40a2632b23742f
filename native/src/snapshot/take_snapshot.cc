#include "snapshot/take_snapshot.h"

#include <elf.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "arch/arch.h"
#include "error.h"
#include "goruntime/goroutines.h"
#include "report/output_file.h"
#include "report/threads_report.h"
#include "session.h"
#include "locks/glibc_layouts.h"
#include "target/core_writer.h"
#include "target/link_map_names.h"
#include "target/proc_maps.h"
#include "target/process_copy.h"
#include "target/stopped_process.h"

namespace cgostack {

namespace {

using Clock = std::chrono::steady_clock;
using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;

// This process's CPU time (user + system) so far: on a loaded machine the
// pause's wall time says more about the machine than about the snapshot.
double CpuSeconds() {
  rusage u;
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double Seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// NT_PRPSINFO's fields from /proc/PID/stat, comm, cmdline and status.
void ReadProcessInfo(int pid, CoreContents* core) {
  std::string proc = "/proc/" + std::to_string(pid);
  core->pid = pid;
  std::string stat = ReadWhole(proc + "/stat");
  if (size_t close = stat.rfind(')'); close != std::string::npos) {
    std::istringstream rest(stat.substr(close + 1));
    rest >> core->state >> core->ppid >> core->pgrp >> core->sid;
  }
  core->fname = ReadWhole(proc + "/comm");
  if (!core->fname.empty() && core->fname.back() == '\n') core->fname.pop_back();
  core->psargs = ReadWhole(proc + "/cmdline");
  std::replace(core->psargs.begin(), core->psargs.end(), '\0', ' ');
  while (!core->psargs.empty() && core->psargs.back() == ' ') core->psargs.pop_back();
  std::istringstream status(ReadWhole(proc + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Uid:", 0) == 0) core->uid = static_cast<uint32_t>(std::stoul(line.substr(4)));
    if (line.rfind("Gid:", 0) == 0) core->gid = static_cast<uint32_t>(std::stoul(line.substr(4)));
  }
  core->auxv = ReadWhole(proc + "/auxv");
}

size_t ThreadCount(int pid) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

// Step 3's fixed part: each object's first page, data and bss, the vDSO.
Ranges ObjectRanges(const std::vector<ProcMapping>& maps) {
  Ranges out;
  for (size_t i = 0; i < maps.size(); ++i) {
    const ProcMapping& m = maps[i];
    if (!m.read) continue;
    if (m.is_file() && m.offset == 0) out.emplace_back(m.start, std::min(m.end, m.start + 4096));
    if (m.is_file() && m.write) out.emplace_back(m.start, m.end);
    // The bss past the file's end: the anonymous writable mapping that
    // follows an object's data.
    if (m.name.empty() && m.write && i > 0 && maps[i - 1].is_file() && maps[i - 1].write && maps[i - 1].end == m.start)
      out.emplace_back(m.start, m.end);
    if (m.name == "[vdso]") out.emplace_back(m.start, m.end);
  }
  return out;
}

// What each object's relocation made read-only after start-up
// (PT_GNU_RELRO: the GOT, and .dynamic, whose DT_DEBUG GDB follows to the
// link map) and its dynamic section: no longer writable, so not in
// ObjectRanges, yet not the file's bytes.  Found from the program headers
// in each object's first page, already copied.
Ranges RelocatedRanges(const ProcessCopy& copy, const std::vector<ProcMapping>& maps) {
  Ranges out;
  for (const ProcMapping& m : maps) {
    if (!m.is_file() || m.offset != 0) continue;
    Elf64_Ehdr eh;
    if (!copy.TryRead(m.start, &eh, sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 64)
      continue;
    std::vector<Elf64_Phdr> ph(eh.e_phnum);
    if (!copy.TryRead(m.start + eh.e_phoff, ph.data(), ph.size() * sizeof(Elf64_Phdr))) continue;
    uint64_t first_load = UINT64_MAX;
    for (const auto& p : ph)
      if (p.p_type == PT_LOAD) first_load = std::min<uint64_t>(first_load, p.p_vaddr);
    if (first_load == UINT64_MAX) continue;
    uint64_t bias = m.start - (first_load & ~uint64_t{4095});
    for (const auto& p : ph)
      if ((p.p_type == PT_GNU_RELRO || p.p_type == PT_DYNAMIC) && p.p_memsz && p.p_memsz < (64u << 20))
        out.emplace_back(bias + p.p_vaddr, bias + p.p_vaddr + p.p_memsz);
  }
  return out;
}

struct GoStack {
  uint64_t lo, sp, hi;
};

// Step 3's goroutine part: [sp, stack.hi) of every goroutine not running
// (a running one's stack is its thread's, copied from the register).
std::vector<GoStack> GoroutineStacks(GoRuntime& rt, size_t* count) {
  std::vector<GoStack> out;
  DwarfIndex& d = rt.dwarf();
  uint64_t status_off = d.RequireField("runtime.g", "atomicstatus").offset;
  uint64_t sp_off = d.RequireField("runtime.g", "sched.sp").offset;
  uint64_t syscallsp_off = d.RequireField("runtime.g", "syscallsp").offset;
  uint64_t lo_off = d.RequireField("runtime.g", "stack.lo").offset;
  uint64_t hi_off = d.RequireField("runtime.g", "stack.hi").offset;
  // The five fields in one read per g (100,000 g's: the read's own cost,
  // not the copying, is what the process would wait for).
  uint64_t first = std::min({status_off, sp_off, syscallsp_off, lo_off, hi_off});
  uint64_t span = std::max({status_off + 4, sp_off + 8, syscallsp_off + 8, lo_off + 8, hi_off + 8}) - first;
  std::vector<uint8_t> g(span);
  auto field = [&](uint64_t off) {
    uint64_t v;
    std::memcpy(&v, g.data() + (off - first), 8);
    return v;
  };
  const MemorySource& mem = rt.target().memory();
  for (uint64_t gp : rt.AllGs()) {
    uint32_t status;
    // In place when the heap copy holds it (a virtual Read and its memcpy
    // less per g).
    if (const uint8_t* in_place = mem.Direct(gp + first, span)) {
      std::memcpy(g.data(), in_place, span);
    } else if (!mem.TryRead(gp + first, g.data(), g.size())) {
      // Not wholly readable: as far as its status tells.
      if (mem.TryRead(gp + status_off, &status, 4) && !rt.IsDead(status)) ++*count;
      continue;
    }
    std::memcpy(&status, g.data() + (status_off - first), 4);
    if (rt.IsDead(status)) continue;
    ++*count;
    uint64_t sp = field(sp_off), syscallsp = field(syscallsp_off), lo = field(lo_off), hi = field(hi_off);
    uint64_t from = hi;
    for (uint64_t s : {sp, syscallsp})
      if (s >= lo && s < hi) from = std::min(from, s);
    if (from < hi && hi - from < (1u << 30)) out.push_back({lo, from, hi});
  }
  return out;
}

// Step 3's heap part: every span of the Go heap that holds objects
// (mheap_.allspans with state mSpanInUse; goroutine stacks are
// mSpanManual and copied above, from their stack pointer only).  The g's,
// sudogs, channels, M's, P's and timers the reports follow are there; with
// them copied, the lock graph need not run while the process is held.
Ranges HeapSpans(GoRuntime& rt) {
  Ranges out;
  DwarfIndex& d = rt.dwarf();
  auto in_use = d.Constant("runtime.mSpanInUse");
  auto allspans = d.GlobalField("runtime.mheap_", "allspans");
  if (!in_use || !allspans) throw Error("no runtime.mheap_.allspans or runtime.mSpanInUse in the DWARF");
  uint64_t start_off = d.RequireField("runtime.mspan", "startAddr").offset;
  uint64_t npages_off = d.RequireField("runtime.mspan", "npages").offset;
  uint64_t state_off = d.RequireField("runtime.mspan", "state").offset;
  const MemorySource& mem = rt.target().memory();
  uint64_t slice[2];
  mem.ReadExact(rt.GlobalAddress("runtime.mheap_") + allspans->offset, slice, sizeof slice);
  if (slice[1] > (64u << 20)) throw Error("implausible mheap_.allspans length " + std::to_string(slice[1]));
  std::vector<uint64_t> spans(slice[1]);
  mem.ReadExact(slice[0], spans.data(), spans.size() * 8);
  constexpr uint64_t kGoPage = 8192;  // runtime._PageSize on every platform
  for (uint64_t sp : spans) {
    uint64_t start, npages;
    uint8_t state;
    if (!sp || !mem.TryRead(sp + state_off, &state, 1) || state != *in_use) continue;
    if (!mem.TryRead(sp + start_off, &start, 8) || !mem.TryRead(sp + npages_off, &npages, 8)) continue;
    if (npages && npages < (1u << 20)) out.emplace_back(start, start + npages * kGoPage);
  }
  return out;
}

// The futex words threads wait on (futex(2)'s first argument): pthread
// objects in the C heap, which no Go structure points to.  The system call
// is the one the kernel names (x86-64), else the one in the call-number
// register (aarch64's x8, which a thread in futex(2) still holds).
Ranges FutexWords(const std::map<int, Registers>& regs) {
  const Arch& arch = HostArch();
  Ranges out;
  for (const auto& [lwp, r] : regs) {
    uint64_t nr = arch.prstatus_has_syscall ? static_cast<uint64_t>(r.syscall) : arch.Get(r, arch.syscall_nr_reg);
    uint64_t addr = arch.Get(r, arch.syscall_arg_regs[0]);
    if (nr == arch.sys_futex && addr > 4096) {
      uint64_t page = addr & ~uint64_t{4095};
      out.emplace_back(page - 4096 > page ? page : page - 4096, page + 8192);  // the object may straddle pages
    }
  }
  return out;
}

// A thread's stack pointer in a mapping of at most this size (pthread
// stacks are 8 MB by default) is on the thread's own stack; everything
// above it is copied, so that C frames can be walked from the snapshot
// alone (libdwfl's and GDB's unwinders are not run while the process is
// held: they cost hundreds of ms loading debug information).
constexpr uint64_t kWholeStackMapping = 64 << 20;
// Above the stack pointer in a larger mapping.
constexpr uint64_t kThreadStackCopy = 1 << 20;
// Below the stack pointer: the x86-64 red zone a leaf function may use
// (aarch64 has none; the same bytes do no harm).
constexpr uint64_t kRedZone = 128;
// Around a thread pointer: static TLS below it, struct pthread above it
// (2,304 bytes in glibc 2.36, 2,368 in 2.41).
constexpr uint64_t kTlsCopy = 8192, kTcbCopy = 4096;

Ranges ThreadStackRanges(const std::map<int, Registers>& regs, const std::vector<ProcMapping>& maps,
                         const std::vector<GoStack>& go_stacks) {
  Ranges out;
  for (const auto& [lwp, r] : regs) {
    const ProcMapping* m = MappingAt(maps, r.sp);
    if (!m) continue;
    uint64_t start = std::max(m->start, r.sp - kRedZone);
    // A thread's own stack (a pthread stack, the main thread's): all of its
    // used part.  Inside a big mapping (a Go signal stack in the heap):
    // a bounded part.
    uint64_t end = m->end - m->start <= kWholeStackMapping || m->name == "[stack]"
                       ? m->end
                       : std::min(m->end, r.sp + kThreadStackCopy);
    // On a goroutine stack (a running goroutine): up to its top only.
    for (const GoStack& g : go_stacks)
      if (r.sp >= g.lo && r.sp < g.hi) end = std::min(end, g.hi);
    out.emplace_back(start, end);
    // The thread's control block and static TLS around its thread pointer
    // (x86-64: TLS blocks below fs_base, glibc's struct pthread above;
    // aarch64: the descriptor below TPIDR_EL0, TLS blocks above):
    // GDB's libthread_db walks the struct pthread of every thread; the
    // main thread's is not on its stack.  A pthread's are at the top of its
    // stack, above its stack pointer, and copied with the stack already:
    // the bytes kTlsCopy would reach below them are the stack's unused
    // part (at 2,200 threads in C, 12.6 MB of 23).
    bool on_stack = r.tls >= start && r.tls < end;  // the TCB up to the mapping end, copied too
    if (const ProcMapping* tp = MappingAt(maps, r.tls); tp && !on_stack)
      out.emplace_back(std::max(tp->start, r.tls - kTlsCopy), std::min(tp->end, r.tls + kTcbCopy));
  }
  return out;
}

// Step 5: every report's reads, against the sealed copy.  A report that
// fails here fails the same way on the snapshot; it is a warning, not a
// reason to give up.
void RunAnalysis(Session& session, bool all_reports, SnapshotStats* stats) {
  auto attempt = [&](const char* what, auto fn) {
    auto start = Clock::now();
    try {
      fn();
    } catch (const Error& e) {
      stats->warnings.push_back(std::string(what) + ": " + e.what());
    }
    stats->analysis_steps_ms[what] = Seconds(start, Clock::now()) * 1e3;
  };
  attempt("threads", [&] { session.ThreadsJson(ThreadsQuery{}, ""); });
  attempt("info", [&] { session.InfoJson(); });
  if (!all_reports) return;
  attempt("goroutines", [&] {
    GoroutineReader reader(session.runtime());
    GoroutineOptions opts;
    opts.with_frames = false;  // their stacks are copied whole already
    reader.ReadAll(opts);
  });
  attempt("lock graph", [&] { session.LockGraphJson(""); });
}

// Up to this many goroutines the goroutine and lock-graph reports are also
// checked against the copy (step 5); beyond, they cost seconds of
// cgostack's time (not the process's), and the threads and info reports
// stand for them.
constexpr size_t kAnalyseUpTo = 10000;

// The run-time address of the executable's dynamic section (from its
// program headers in the copy), 0 if it has none.
uint64_t ExecutableDynamic(const ProcessCopy& copy, const std::vector<ProcMapping>& maps, const std::string& exe) {
  for (const ProcMapping& m : maps) {
    if (m.name != exe || m.offset != 0) continue;
    Elf64_Ehdr eh;
    if (!copy.TryRead(m.start, &eh, sizeof eh) || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 64) return 0;
    std::vector<Elf64_Phdr> ph(eh.e_phnum);
    if (!copy.TryRead(m.start + eh.e_phoff, ph.data(), ph.size() * sizeof(Elf64_Phdr))) return 0;
    uint64_t first_load = UINT64_MAX, dynamic = 0;
    for (const auto& p : ph) {
      if (p.p_type == PT_LOAD) first_load = std::min<uint64_t>(first_load, p.p_vaddr);
      if (p.p_type == PT_DYNAMIC) dynamic = p.p_vaddr;
    }
    if (!dynamic || first_load == UINT64_MAX) return 0;
    return m.start - (first_load & ~uint64_t{4095}) + dynamic;
  }
  return 0;
}

// Runs `fn`, one part of step 3, and records in `stats` (none for the
// rehearsal) what it cost while the process was held.
template <typename Fn>
void TimedStep(const char* name, const ProcessCopy& copy, SnapshotStats* stats, Fn fn) {
  if (!stats) return fn();
  auto start = Clock::now();
  double cpu = CpuSeconds();
  uint64_t bytes = copy.bytes_copied();
  size_t calls = copy.calls(), pieces = copy.chunks();
  fn();
  SnapshotStats::CopyStep step;
  step.name = name;
  step.ms = Seconds(start, Clock::now()) * 1e3;
  step.cpu_ms = (CpuSeconds() - cpu) * 1e3;
  step.bytes = copy.bytes_copied() - bytes;
  step.calls = copy.calls() - calls;
  step.pieces = copy.chunks() - pieces;
  stats->copy_steps.push_back(step);
}

// Step 3, whole: the objects, the Go heap, then every thread's and
// goroutine's stack.  `goroutines` counts the live goroutines; what cannot
// be found is a warning, the rest is copied anyway.  `stats` (none for the
// rehearsal) gets each part's cost.
void CopyKnownRanges(GoRuntime& rt, ProcessCopy* copy, const std::vector<ProcMapping>& maps,
                     const std::map<int, Registers>& regs, size_t* goroutines, std::vector<std::string>* warnings,
                     SnapshotStats* stats) {
  TimedStep("objects", *copy, stats, [&] {
    copy->Prefetch(ObjectRanges(maps));
    copy->Prefetch(RelocatedRanges(*copy, maps));
  });
  // The heap first: the g's are in it, so that the goroutine walk below
  // reads from the copy instead of missing once per g.
  TimedStep("heap spans", *copy, stats, [&] {
    try {
      copy->Prefetch(HeapSpans(rt));
    } catch (const Error& e) {
      warnings->push_back(std::string("Go heap: ") + e.what());
    }
  });
  std::vector<GoStack> go_stacks;
  TimedStep("goroutine walk", *copy, stats, [&] {
    try {
      go_stacks = GoroutineStacks(rt, goroutines);
    } catch (const Error& e) {
      warnings->push_back(std::string("goroutine stacks: ") + e.what());
    }
  });
  TimedStep("stacks", *copy, stats, [&] {
    Ranges ranges = ThreadStackRanges(regs, maps, go_stacks);
    Ranges futexes = FutexWords(regs);
    ranges.insert(ranges.end(), futexes.begin(), futexes.end());
    // The goroutines' stacks, each from its stack pointer: 100,000 small
    // ranges.  Copying whole stack spans instead (fewer, larger ranges)
    // doubles the bytes at 100,000 goroutines: a stack's unused part is as
    // large as its used one.
    for (const GoStack& g : go_stacks) ranges.emplace_back(g.sp, g.hi);
    copy->Prefetch(std::move(ranges));
  });
}

// Room for a thread's stack and TLS in the copy (most are a few KiB).
constexpr uint64_t kThreadReserve = 64 << 10;

// Step 3 rehearsed while the process runs (its threads' stacks aside: no
// registers yet): what it copies is thrown away, but the buffers stay,
// their pages mapped, so that the kernel allocates and zeroes no page of
// the real copy while the process is held.  Half the pause at 100,000
// goroutines was those page faults.  Anything wrong here (a torn read of a
// moving structure) only misjudges the buffers' size.
void Rehearse(GoRuntime& rt, ProcessCopy* copy, int pid) {
  size_t goroutines = 0;
  std::vector<std::string> ignored;
  // Twice: the kernel's copy marks each page of the target it pins as
  // accessed, and the second time a page is marked it moves it to the
  // active LRU list (folio_mark_accessed: a lock and a list move per
  // page, about a sixth of the held copy's CPU on the first snapshot of a
  // process, perf).  Done here, while the process runs, the held copy only
  // marks pages already active, which costs nothing.
  for (int pass = 0; pass < 2; ++pass) {
    copy->Clear();
    try {
      CopyKnownRanges(rt, copy, ReadProcMaps(pid), {}, &goroutines, &ignored, nullptr);
    } catch (const Error&) {
    }
  }
  // An eighth more for what moves meanwhile (stacks grow, spans fill) and
  // for the slabs' ends left unused between batches.
  uint64_t want = copy->bytes_copied() + copy->bytes_copied() / 8 + ThreadCount(pid) * kThreadReserve;
  copy->Clear();
  copy->Reserve(want);
}

uint32_t SegmentFlags(const std::vector<ProcMapping>& maps, uint64_t addr) {
  const ProcMapping* m = MappingAt(maps, addr);
  if (!m) return PF_R | PF_W;
  return (m->read ? PF_R : 0) | (m->write ? PF_W : 0) | (m->exec ? PF_X : 0);
}

// After the resume: the reports run against the copy as they will against
// the snapshot, and what they read that was not copied (in a mapping of the
// process: a wild pointer is not a miss) is named in a warning; the same
// reads fail on the snapshot.  The process is not involved any more.
void CheckCopy(LiveCopy* live) {
  SnapshotStats& stats = live->stats;
  auto start = Clock::now();
  RunAnalysis(*live->session, stats.goroutines <= kAnalyseUpTo, &stats);
  stats.analysis_s = Seconds(start, Clock::now());
  std::vector<std::string> named;
  for (uint64_t page : live->copy->missed_pages()) {
    const ProcMapping* m = MappingAt(live->maps, page);
    if (!m) continue;
    ++stats.missed_pages;
    if (named.size() < 8) {
      char addr[32];
      std::snprintf(addr, sizeof addr, "0x%llx", static_cast<unsigned long long>(page));
      named.push_back(std::string(addr) + " (" + (m->name.empty() ? "anonymous" : m->name) + ")");
    }
  }
  if (!stats.missed_pages) return;
  std::string list;
  for (const std::string& n : named) list += (list.empty() ? "" : ", ") + n;
  stats.warnings.push_back("the reports read " + std::to_string(stats.missed_pages) +
                           " pages that were not copied while the process was held: " + list +
                           (stats.missed_pages > named.size() ? ", ..." : ""));
}

}  // namespace

std::string LiveExecutable(int pid) {
  std::string proc_exe = "/proc/" + std::to_string(pid) + "/exe";
  char exe[4096];
  ssize_t n = ::readlink(proc_exe.c_str(), exe, sizeof exe - 1);
  std::string path = n > 0 ? std::string(exe, static_cast<size_t>(n)) : "";
  if (path.empty() || ::access(path.c_str(), R_OK) != 0) path = proc_exe;  // deleted or replaced since
  return path;
}

nlohmann::json SnapshotStats::ToJson() const {
  nlohmann::json steps = nlohmann::json::array();
  for (const CopyStep& c : copy_steps)
    steps.push_back({{"name", c.name}, {"ms", c.ms}, {"cpu_ms", c.cpu_ms}, {"bytes", c.bytes},
                     {"calls", c.calls}, {"pieces", c.pieces}});
  return {{"pid", pid},           {"prepare_s", prepare_s},   {"pause_s", pause_s}, {"pause_cpu_s", pause_cpu_s},
          {"stop_s", stop_s},     {"copy_s", copy_s},         {"analysis_s", analysis_s},
          {"write_s", write_s},   {"bytes_copied", bytes_copied}, {"file_size", file_size},
          {"segments", segments}, {"threads", threads},       {"goroutines", goroutines},
          {"copy_calls", copy_calls}, {"missed_pages", missed_pages},
          {"analysis_steps_ms", analysis_steps_ms}, {"copy_steps", steps}, {"warnings", warnings}};
}

LiveCopy CopyLiveProcess(int pid, const std::string& output) {
  LiveCopy live;
  SnapshotStats& stats = live.stats;
  stats.pid = pid;
  auto t0 = Clock::now();
  // 1. Before the stop.
  if (::access(("/proc/" + std::to_string(pid)).c_str(), F_OK) != 0)
    throw Error("no process with pid " + std::to_string(pid));
  if (!output.empty()) CheckNotAnInput(output);
  live.copy = std::make_shared<ProcessCopy>(pid);
  ProcessCopy* copy = live.copy.get();
  std::string exe = LiveExecutable(pid);
  try {
    live.session = Session::OpenLiveThrough(exe, pid, live.copy);
  } catch (const Error&) {
    // A zombie, an exiting process, another user's: stopping it says why
    // in a clearer line than its executable's absence (and throws it).
    StoppedProcess probe(pid);
    throw;
  }
  Session* session = live.session.get();
  GoRuntime& rt = session->runtime();
  // What does not depend on the process's state is read now, while it
  // runs: the pc tables, glibc's layouts (cached by build-id).
  rt.Pclntab();
  FindGlibcLayouts(session->target());
  if (!output.empty()) CheckNotAnInput(output);  // now that the executable is known as an input
  CoreContents& core = live.core;
  ReadProcessInfo(pid, &core);
  Rehearse(rt, copy, pid);
  // Every thread seized (traced, running on): a third of the ptrace calls
  // made before the pause.
  StoppedProcess stopped(pid, /*stop_now=*/false);
  // 2. Stop.
  auto t1 = Clock::now();
  double cpu1 = CpuSeconds();
  stats.prepare_s = Seconds(t0, t1);
  stopped.Stop();
  copy->Clear();  // what was read while it ran is not the snapshot
  std::vector<ThreadState> threads;
  for (const auto& [lwp, regs] : stopped.registers()) {
    ThreadState t;
    t.lwp = lwp;
    t.regs = regs;
    t.has_registers = true;
    uint64_t mask = 0;
    if (::ptrace(PTRACE_GETSIGMASK, lwp, sizeof mask, &mask) == 0) t.blocked_signals = mask;
    threads.push_back(t);
  }
  session->target().SetThreads(threads);
  for (const auto& [lwp, state] : stopped.not_stopped())
    stats.warnings.push_back("thread " + std::to_string(lwp) + " did not stop within " +
                             std::to_string(StoppedProcess::kStopPatienceMs) + " ms (state " + state +
                             "): the snapshot has neither its registers nor its stack");
  live.maps = ReadProcMaps(pid);
  const std::vector<ProcMapping>& maps = live.maps;
  for (const ThreadState& t : threads) {
    CoreThread c;
    c.lwp = t.lwp;
    c.gregs = stopped.raw_registers().at(t.lwp);
    if (auto it = stopped.raw_fp_registers().find(t.lwp); it != stopped.raw_fp_registers().end()) c.fpregs = it->second;
    // aarch64: TPIDR_EL0 as its own note (NT_ARM_TLS), which readers of
    // the core need for glibc's thread descriptors (lock graph, GDB's
    // libthread_db); StoppedProcess read it with the registers.
    if (uint64_t tp = stopped.registers().at(t.lwp).tls; HostArch().tls_note && tp) c.thread_pointer = tp;
    c.sighold = t.blocked_signals.value_or(0);
    if (auto it = stopped.stop_signals().find(t.lwp); it != stopped.stop_signals().end() && it->second) {
      siginfo_t si;
      if (::ptrace(PTRACE_GETSIGINFO, t.lwp, nullptr, &si) == 0) {
        c.cursig = it->second;
        c.siginfo.assign(reinterpret_cast<uint8_t*>(&si), reinterpret_cast<uint8_t*>(&si) + sizeof si);
      }
    }
    core.threads.push_back(std::move(c));
  }
  auto t2 = Clock::now();
  stats.stop_s = Seconds(t1, t2);

  // 3. Copy what is known to be needed, in batches.
  CopyKnownRanges(rt, copy, maps, stopped.registers(), &stats.goroutines, &stats.warnings, &stats);
  // The link map, which GDB and libdwfl follow to the libraries (a few
  // reads, each copying the block around it).
  TimedStep("link map", *copy, &stats, [&] {
    if (uint64_t dynamic = ExecutableDynamic(*copy, maps, exe)) LinkMapNamesFromDynamic(dynamic, *copy);
  });
  auto t3 = Clock::now();
  stats.copy_s = Seconds(t2, t3);

  // 4. Resume.
  stopped.Resume();
  copy->Seal();
  stats.pause_s = Seconds(t1, Clock::now());
  stats.pause_cpu_s = CpuSeconds() - cpu1;
  stats.threads = core.threads.size();
  stats.bytes_copied = copy->bytes_copied();
  stats.copy_calls = copy->calls();
  return live;
}

SnapshotStats TakeSnapshot(int pid, const std::string& output) {
  LiveCopy live = CopyLiveProcess(pid, output);
  SnapshotStats& stats = live.stats;
  CoreContents& core = live.core;
  CheckCopy(&live);
  auto written = Clock::now();
  // The thread that stopped with a signal first (GDB selects it), else the
  // main thread.
  std::stable_sort(core.threads.begin(), core.threads.end(), [&](const CoreThread& a, const CoreThread& b) {
    auto rank = [&](const CoreThread& t) { return t.cursig ? 0 : t.lwp == pid ? 1 : 2; };
    return rank(a) < rank(b);
  });
  for (const ProcMapping& m : live.maps)
    if (m.is_file()) core.files.push_back({m.start, m.end, m.offset, m.name});
  for (ProcessCopy::Range& r : live.copy->Joined())
    core.segments.push_back({r.start, r.size, SegmentFlags(live.maps, r.start), std::move(r.parts)});
  stats.segments = core.segments.size();
  stats.file_size = WriteCore(output, core);
  stats.write_s = Seconds(written, Clock::now());
  return stats;
}

}  // namespace cgostack
