#include "target/core_writer.h"

#include <elf.h>
#include <sys/procfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "arch/arch.h"
#include "error.h"
#include "report/output_file.h"

namespace cgostack {

namespace {

constexpr uint32_t kNtFile = 0x46494c45;     // NT_FILE, "FILE"
constexpr uint32_t kNtSiginfo = 0x53494749;  // NT_SIGINFO, "SIGI"

void Align4(std::string* s) { s->resize((s->size() + 3) & ~size_t{3}, '\0'); }

// The kernel names its generic notes "CORE" and the machine's extra
// register sets (NT_ARM_TLS, NT_X86_XSTATE) "LINUX"; BFD, so GDB, reads
// the latter only by that name.
void AddNote(std::string* notes, uint32_t type, const void* desc, size_t size, std::string_view name = "CORE") {
  uint32_t head[3] = {static_cast<uint32_t>(name.size() + 1), static_cast<uint32_t>(size), type};
  notes->append(reinterpret_cast<const char*>(head), sizeof head);
  notes->append(name.data(), name.size());
  notes->push_back('\0');
  Align4(notes);
  notes->append(static_cast<const char*>(desc), size);
  Align4(notes);
}

// A note whose descriptor is one kernel structure (elf_prstatus,
// elf_prpsinfo), zero-filled and then filled in by `fill`.
template <typename T, typename Fill>
void AddStructNote(std::string* notes, uint32_t type, Fill fill) {
  T desc;
  std::memset(&desc, 0, sizeof desc);
  fill(desc);
  AddNote(notes, type, &desc, sizeof desc);
}

// A note whose descriptor is a byte string (empty: no note).
void AddBytesNote(std::string* notes, uint32_t type, const void* bytes, size_t size) {
  if (size) AddNote(notes, type, bytes, size);
}

// The ids NT_PRSTATUS (pid: the thread's) and NT_PRPSINFO both carry.
template <typename T>
void SetProcessIds(T& desc, const CoreContents& core, int pid) {
  desc.pr_pid = pid;
  desc.pr_ppid = core.ppid;
  desc.pr_pgrp = core.pgrp;
  desc.pr_sid = core.sid;
}

void AddThreadNotes(std::string* notes, const CoreContents& core, const CoreThread& t) {
  AddStructNote<elf_prstatus>(notes, NT_PRSTATUS, [&](elf_prstatus& st) {
    st.pr_info.si_signo = t.cursig;
    st.pr_cursig = static_cast<short>(t.cursig);
    st.pr_sigpend = t.sigpend;
    st.pr_sighold = t.sighold;
    SetProcessIds(st, core, t.lwp);
    if (t.gregs.size() != sizeof st.pr_reg)
      throw Error("thread " + std::to_string(t.lwp) + " has " + std::to_string(t.gregs.size()) +
                  " bytes of registers, the machine's NT_PRSTATUS holds " + std::to_string(sizeof st.pr_reg));
    std::memcpy(&st.pr_reg, t.gregs.data(), sizeof st.pr_reg);
    // As the kernel: set when the floating-point note follows (CoreFile also
    // trusts pr_sighold only then; GDB's gcore leaves both zero).
    st.pr_fpvalid = t.fpregs.empty() ? 0 : 1;
  });
  AddBytesNote(notes, NT_PRFPREG, t.fpregs.data(), t.fpregs.size());
  // After the FP registers, as the kernel orders a thread's regsets.
  if (t.thread_pointer && HostArch().tls_note) AddNote(notes, HostArch().tls_note, &*t.thread_pointer, 8, "LINUX");
}

// NT_FILE's descriptor: count, page size, {start, end, page offset} each,
// then the names.
std::string FileNoteDesc(const std::vector<FileMapping>& files) {
  std::string desc;
  auto put = [&](uint64_t v) { desc.append(reinterpret_cast<const char*>(&v), 8); };
  put(files.size());
  put(4096);
  for (const auto& f : files) {
    put(f.start);
    put(f.end);
    put(f.file_offset / 4096);
  }
  for (const auto& f : files) desc.append(f.path.c_str(), f.path.size() + 1);
  return desc;
}

std::string Notes(const CoreContents& core) {
  std::string notes;
  if (core.threads.empty()) throw Error("a core needs at least one thread");
  AddThreadNotes(&notes, core, core.threads.front());
  AddStructNote<elf_prpsinfo>(&notes, NT_PRPSINFO, [&](elf_prpsinfo& ps) {
    ps.pr_sname = core.state;
    ps.pr_uid = core.uid;
    ps.pr_gid = core.gid;
    SetProcessIds(ps, core, core.pid);
    std::strncpy(ps.pr_fname, core.fname.c_str(), sizeof ps.pr_fname - 1);
    std::strncpy(ps.pr_psargs, core.psargs.c_str(), sizeof ps.pr_psargs - 1);
  });
  const std::vector<uint8_t>& siginfo = core.threads.front().siginfo;
  AddBytesNote(&notes, kNtSiginfo, siginfo.data(), siginfo.size());
  AddBytesNote(&notes, NT_AUXV, core.auxv.data(), core.auxv.size());
  if (!core.files.empty()) {
    std::string desc = FileNoteDesc(core.files);
    AddBytesNote(&notes, kNtFile, desc.data(), desc.size());
  }
  for (size_t i = 1; i < core.threads.size(); ++i) AddThreadNotes(&notes, core, core.threads[i]);
  return notes;
}

}  // namespace

uint64_t WriteCore(const std::string& path, const CoreContents& core) {
  std::string notes = Notes(core);
  size_t phnum = 1 + core.segments.size();
  bool extended = phnum >= PN_XNUM;
  Elf64_Ehdr eh;
  std::memset(&eh, 0, sizeof eh);
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
  eh.e_type = ET_CORE;
  eh.e_machine = HostArch().elf_machine;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = sizeof eh;
  eh.e_ehsize = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = extended ? PN_XNUM : static_cast<uint16_t>(phnum);

  std::vector<Elf64_Phdr> ph(phnum);
  uint64_t offset = sizeof eh + phnum * sizeof(Elf64_Phdr);
  ph[0] = {};
  ph[0].p_type = PT_NOTE;
  ph[0].p_offset = offset;
  ph[0].p_filesz = notes.size();
  ph[0].p_align = 4;
  offset += notes.size();
  // Memory starts on a page, as in the kernel's cores; after that the
  // segments are packed (p_align 1: their addresses are not page-aligned,
  // goroutine stacks are copied from their stack pointer up).
  offset = (offset + 4095) & ~uint64_t{4095};
  for (size_t i = 0; i < core.segments.size(); ++i) {
    const CoreSegment& s = core.segments[i];
    Elf64_Phdr& p = ph[i + 1];
    p = {};
    p.p_type = PT_LOAD;
    p.p_flags = s.flags;
    p.p_offset = offset;
    p.p_vaddr = s.vaddr;
    p.p_filesz = p.p_memsz = s.size;
    p.p_align = 1;
    offset += s.size;
  }
  Elf64_Shdr sh;
  std::memset(&sh, 0, sizeof sh);
  if (extended) {
    eh.e_shoff = offset;
    eh.e_shentsize = sizeof sh;
    eh.e_shnum = 1;
    sh.sh_info = static_cast<uint32_t>(phnum);
    offset += sizeof sh;
  }

  OutputFile out(path);
  std::FILE* f = out.stream();
  auto write = [&](const void* p, size_t n) {
    if (n && std::fwrite(p, 1, n, f) != n) {
      int err = errno ? errno : EIO;
      throw OutputError("cannot write " + path + ": " + std::strerror(err), err);
    }
  };
  write(&eh, sizeof eh);
  write(ph.data(), ph.size() * sizeof(Elf64_Phdr));
  write(notes.data(), notes.size());
  uint64_t at = sizeof eh + ph.size() * sizeof(Elf64_Phdr) + notes.size();
  static const char kZeros[4096] = {};
  if (core.segments.size()) write(kZeros, ph[1].p_offset - at);
  for (const CoreSegment& s : core.segments)
    for (const auto& [bytes, n] : s.parts) write(bytes, n);
  if (extended) write(&sh, sizeof sh);
  out.Commit();
  return offset;
}

}  // namespace cgostack
