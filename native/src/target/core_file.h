// An ELF core file: the memory it dumped (PT_LOAD), and its notes: one
// NT_PRSTATUS per thread (LWP, registers, pending/blocked signals), NT_AUXV
// (to find where the executable was loaded) and NT_FILE (which file backs each
// mapping, for pages the kernel did not dump).
#pragma once

#include <sys/procfs.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "target/compressed_core.h"
#include "target/core_prefetch.h"
#include "target/elf_image.h"
#include "target/memory.h"

namespace cgostack {


struct ThreadState {
  int lwp = 0;
  bool has_registers = false;
  Registers regs{};
  int current_signal = 0;                 // pr_cursig: signal being handled when dumped
  std::optional<uint64_t> blocked_signals;  // bit (n-1) set: signal n blocked; unknown if empty
};

// The siginfo of the signal that made the kernel dump the core (NT_SIGINFO,
// written once, for the dumping thread, whose NT_PRSTATUS comes first).
struct CoreSignalInfo {
  int lwp = 0;       // the dumping thread
  int signo = 0;
  int code = 0;      // si_code: > 0 from the kernel (a fault), <= 0 sent (SI_USER, SI_TKILL, ...)
  int32_t pid = 0;   // si_pid for a sent signal
  uint64_t addr = 0; // si_addr for a fault
};

struct FileMapping {
  uint64_t start, end, file_offset;  // file_offset in bytes
  std::string path;
};

class CoreFile {
 public:
  // Throws Error naming the problem if `path` is not an ELF core.
  static std::unique_ptr<CoreFile> Open(const std::string& path);

  const std::string& path() const { return image_->path(); }
  // The machine the core was dumped on (its e_machine).
  const Arch& arch() const { return *arch_; }
  // The core's one libelf handle and mapping, shared with libdwfl
  // (stacks/dwfl_unwinder.cc): a second mapping of a core with thousands
  // of threads doubles the page tables its sparse segments need and the
  // time to unmap them.
  Elf* elf() const { return image_->elf(); }
  // Only what the core itself holds (no file-backed fill-in).
  std::shared_ptr<const SegmentMemory> memory() const { return memory_; }
  const std::vector<ThreadState>& threads() const { return threads_; }
  const std::vector<FileMapping>& mappings() const { return mappings_; }
  // AT_* value from the saved auxiliary vector, 0 if absent.
  uint64_t Auxv(uint64_t type) const;
  int pid() const { return pid_; }
  // NT_SIGINFO; nullopt when the core has none (GDB's gcore).
  const std::optional<CoreSignalInfo>& siginfo() const { return siginfo_; }
  // Non-empty when segments point past the end of the file, or when a
  // compressed core's stream ends early or is damaged.
  const std::string& truncation() const { return truncation_; }
  // How the file on disk is compressed (kNone for a plain core) and its
  // size on disk; the core's bytes are then in a memory file.
  Compression compression() const { return compression_; }
  uint64_t compressed_size() const { return compressed_size_; }

 private:
  void ParseNotes(const uint8_t* notes, size_t size);
  std::shared_ptr<ElfImage> image_;
  const Arch* arch_ = nullptr;
  std::unique_ptr<CorePrefetch> prefetch_;  // reading the data ahead (cold cores)
  std::shared_ptr<const SegmentMemory> memory_;
  std::vector<ThreadState> threads_;
  std::vector<FileMapping> mappings_;
  std::vector<std::pair<uint64_t, uint64_t>> auxv_;
  int pid_ = 0;
  std::optional<CoreSignalInfo> siginfo_;
  std::string truncation_;
  Compression compression_ = Compression::kNone;
  uint64_t compressed_size_ = 0;
};

}  // namespace cgostack
