// The thing being debugged: a Go executable plus either a core file or a live
// process.  Everything above this layer sees only memory, threads and the
// executable, so cores and live processes share all Go logic.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "target/core_file.h"
#include "target/library_search.h"
#include "target/elf_image.h"
#include "target/memory.h"

namespace cgostack {

class Target {
 public:
  // Opens EXE + CORE.  Throws Error if either is unusable or if the core was
  // not produced by this executable (entry point or build-id disagree).
  // `search`: where the core's libraries are on this machine (--sysroot,
  // --solib-search-path; GDB's settings in the plugin).
  static std::unique_ptr<Target> OpenCore(const std::string& exe, const std::string& core,
                                          const LibrarySearch& search = {});
  // Opens a live process.  `exe` may be empty: /proc/PID/exe is used.
  // `memory` replaces /proc/PID/mem (a snapshot's copy, process_copy.h).
  static std::unique_ptr<Target> OpenLive(const std::string& exe, int pid,
                                          std::shared_ptr<const MemorySource> memory = nullptr);
  // A target over memory and threads the caller assembled (the fuzz targets
  // in native/fuzz/ and their seed generator): neither a core nor a process.
  static std::unique_ptr<Target> FromParts(std::shared_ptr<ElfImage> exe,
                                           std::shared_ptr<const MemorySource> memory,
                                           std::vector<ThreadState> threads, uint64_t load_bias);

  const MemorySource& memory() const { return *memory_; }
  // The machine of the executable (and of the core, which must agree):
  // every architecture fact comes from here.
  const Arch& arch() const { return *arch_; }
  ElfImage& exe() { return *exe_; }
  const std::shared_ptr<ElfImage>& exe_image() const { return exe_; }
  uint64_t load_bias() const { return load_bias_; }
  bool is_core() const { return core_ != nullptr; }
  // The core file (notes such as NT_SIGINFO, file mappings); null when live.
  const CoreFile* core() const { return core_.get(); }
  int pid() const { return pid_; }
  // Where the kernel mapped the vDSO (AT_SYSINFO_EHDR of the core's or the
  // process's auxv); 0 if unknown.
  uint64_t vdso_address() const { return vdso_address_; }
  const std::string& core_path() const;
  // Threads of the process: from the core's notes, or /proc/PID/task (no
  // registers for a live process: GDB owns them and hands them over).
  const std::vector<ThreadState>& threads() const { return threads_; }
  // The files mapped into the process: the core's NT_FILE note (without
  // one, as qemu-user's cores: the dynamic linker's list, with each
  // object's extents from its file; link_map_mappings.h), or a live
  // process's /proc/PID/maps read now.
  std::vector<FileMapping> mappings() const;
  // The target's runtime.nanotime() now (CLOCK_MONOTONIC): known for a live
  // process on this machine; a core does not record when it was written in
  // that clock.
  std::optional<int64_t> MonotonicNow() const;
  // Registers of a live thread, handed over by GDB (which owns them).
  void SetThreadRegisters(int lwp, const Registers& regs);
  // The threads a snapshot stopped (they may differ from those listed at
  // open time: threads come and go).
  void SetThreads(std::vector<ThreadState> threads) { threads_ = std::move(threads); }
  // A live process that ran: its threads as they are now (threads come and
  // go; registers are handed over again).  Nothing for a core.
  void RereadLiveThreads();
  // Problems that did not stop us (for example a truncated core).
  const std::vector<std::string>& warnings() const { return warnings_; }
  void AddWarning(std::string warning) { warnings_.push_back(std::move(warning)); }
  // A C program hosting Go as a c-shared library: exe() is then that
  // library (where the runtime, its DWARF and pc tables are), load_bias()
  // its load address, and this the host executable's path.  Empty otherwise.
  const std::string& host_executable() const { return host_executable_; }
  // The file on this machine for a path the target mapped (a core's
  // library, read from the sysroot or search path); "" if there is none.
  std::string LocalFile(const std::string& target_path) const { return search_.Find(target_path); }
  const LibrarySearch& library_search() const { return search_; }

 private:
  Target() = default;
  void VerifyCoreMatchesExecutable();
  // A core without NT_FILE: the mappings from the link map in `mem`.
  void MapFromLinkMap(const MemorySource& mem);
  // If the executable has no Go runtime, switch to the Go shared library
  // among `mappings` (c-shared), adding its file contents to `layered`.
  void UseGoSharedLibrary(const std::vector<FileMapping>& mappings, LayeredMemory* layered);
  std::string host_executable_;
  LibrarySearch search_;
  std::shared_ptr<ElfImage> exe_;
  const Arch* arch_ = nullptr;
  std::unique_ptr<CoreFile> core_;
  std::vector<FileMapping> link_map_mappings_;  // when the core has no NT_FILE
  std::shared_ptr<const MemorySource> memory_;
  uint64_t load_bias_ = 0;
  uint64_t vdso_address_ = 0;
  int pid_ = 0;
  std::vector<ThreadState> threads_;
  std::vector<std::string> warnings_;
};

}  // namespace cgostack
