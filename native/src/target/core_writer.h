// Writes an ELF core file as the kernel lays one out for the machine
// cgostack runs on (HostArch(): a snapshot is of a local process), from parts a
// snapshot collected (snapshot/take_snapshot.h): one NT_PRSTATUS (+
// NT_PRFPREG, + NT_ARM_TLS on aarch64) per thread, NT_PRPSINFO, NT_SIGINFO for the first thread when
// it stopped with a signal, NT_AUXV, NT_FILE, and one PT_LOAD per copied
// range.  Both CoreFile (core_file.h) and GDB read it.  More than 65,534
// segments use the kernel's PN_XNUM convention (the count in section 0).
// The file goes through OutputFile: written whole or not at all, never over
// an input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "target/core_file.h"

namespace cgostack {

struct CoreThread {
  int lwp = 0;
  // NT_PRSTATUS's pr_reg as PTRACE_GETREGSET gave it (the host's
  // elf_gregset_t, HostArch().prstatus_regs_size bytes), and NT_PRFPREG's
  // contents (empty: no such note).
  std::vector<uint8_t> gregs;
  std::vector<uint8_t> fpregs;
  // The thread pointer, for machines that keep it in a note of its own
  // (HostArch().tls_note: aarch64's NT_ARM_TLS, TPIDR_EL0); unset: no note.
  std::optional<uint64_t> thread_pointer;
  int cursig = 0;              // the signal it stopped with, 0 if none
  uint64_t sigpend = 0, sighold = 0;
  std::vector<uint8_t> siginfo;  // siginfo_t of that signal (first thread only)
};

struct CoreSegment {
  uint64_t vaddr = 0, size = 0;
  uint32_t flags = 0;  // PF_R | PF_W | PF_X
  std::vector<std::pair<const uint8_t*, size_t>> parts;  // `size` bytes in all
};

struct CoreContents {
  int pid = 0, ppid = 0, pgrp = 0, sid = 0;
  uint32_t uid = 0, gid = 0;
  char state = 'R';
  std::string fname;   // comm, at most 15 bytes are kept
  std::string psargs;  // command line, spaces between arguments, at most 79
  std::vector<CoreThread> threads;  // the first is the one GDB selects
  std::string auxv;                 // raw /proc/PID/auxv
  std::vector<FileMapping> files;   // NT_FILE
  std::vector<CoreSegment> segments;
};

// Returns the size of the file written.  Throws Error / OutputError.
uint64_t WriteCore(const std::string& path, const CoreContents& core);

}  // namespace cgostack
