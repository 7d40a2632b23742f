#include "target/core_file.h"

#include <elf.h>
#include <sys/mman.h>

#include <cstddef>
#include <cstring>

#include "error.h"
#include "target/compressed_core.h"

namespace cgostack {

namespace {
constexpr size_t kPrstatusRegs = offsetof(elf_prstatus, pr_reg);
static_assert(kPrstatusRegs == 112, "elf_prstatus header of 64-bit Linux");
}  // namespace

std::unique_ptr<CoreFile> CoreFile::Open(const std::string& path) {
  std::unique_ptr<CoreFile> core(new CoreFile());
  // Open errors (missing, unreadable, a directory) pass through as they are.
  OpenedCore bytes = OpenCoreBytes(path);
  core->compression_ = bytes.compression;
  core->compressed_size_ = bytes.compressed_size;
  const std::string zipped = bytes.compression == Compression::kNone
                                 ? std::string()
                                 : std::string(CompressionName(bytes.compression)) + "-compressed ";
  try {
    core->image_ = ElfImage::FromDescriptor(bytes.fd, path);
  } catch (const NotElfError& e) {
    if (!bytes.damage.empty())
      throw Error(path + ": " + bytes.damage + "; the " + std::to_string(bytes.size) +
                  " bytes before it do not even hold an ELF header");
    std::string why = e.what();
    throw Error(why.find("truncated") != std::string::npos ? "core " + why
                                                            : path + " is not a core file (" + (zipped.empty() ? "not ELF" : zipped + "data, not ELF") + ")");
  }
  const ElfImage& img = *core->image_;
  if (img.type() != ET_CORE)
    throw Error(path + " is not a core file (it is an ELF " +
                (img.type() == ET_EXEC || img.type() == ET_DYN ? "executable" : "object") + ")");
  core->arch_ = ArchForMachine(img.machine());
  if (!core->arch_)
    throw Error(path + ": a core of machine " + std::to_string(img.machine()) + "; only " + SupportedMachines() +
                " cores are supported");
  // Most of a core with thousands of threads is sparse holes (each
  // thread's stack reservation); the kernel's read-around on a fault would
  // zero-fill hundreds of KB of them per page read (issue 15: the whole
  // 18 GB of a 2,000-thread core ended up in the page cache).  Fault in
  // only the pages read.
  if (img.raw() && img.raw_size())
    ::madvise(const_cast<uint8_t*>(img.raw()), img.raw_size(), MADV_RANDOM);
  // ... and read the data extents ahead, asynchronously (core_prefetch.h).
  core->prefetch_ = std::make_unique<CorePrefetch>(img.descriptor(), CorePrefetch::DefaultBudget());

  size_t phnum = 0;
  elf_getphdrnum(img.elf(), &phnum);
  std::vector<SegmentMemory::Segment> segs;
  uint64_t needed = 0;
  std::vector<std::pair<uint64_t, uint64_t>> missing;  // dumped, but past the end of the file
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(img.elf(), static_cast<int>(i), &ph)) continue;
    needed = std::max<uint64_t>(needed, ph.p_offset + ph.p_filesz);
    uint64_t avail = ph.p_offset >= img.raw_size()
                         ? 0
                         : std::min<uint64_t>(ph.p_filesz, img.raw_size() - ph.p_offset);
    if (ph.p_type == PT_LOAD) {
      // A segment past the end of a truncated core has no bytes; its offset
      // must not even be added to the mapping's address (that overflows).
      segs.push_back({ph.p_vaddr, avail, avail ? img.raw() + ph.p_offset : nullptr});
      if (avail < ph.p_filesz) missing.emplace_back(ph.p_vaddr + avail, ph.p_vaddr + ph.p_filesz);
    } else if (ph.p_type == PT_NOTE && avail) {
      core->ParseNotes(img.raw() + ph.p_offset, avail);
    }
  }
  if (needed > img.raw_size())
    core->truncation_ = "core file is truncated: " + std::to_string(img.raw_size()) + " of " +
                        std::to_string(needed) + " bytes present (" + std::to_string(needed - img.raw_size()) +
                        " missing)";
  // A compressed core cut short says so first: that is what to fix.
  if (!bytes.damage.empty())
    core->truncation_ = path + ": " + bytes.damage + (core->truncation_.empty() ? "" : "; " + core->truncation_);
  if (core->threads_.empty())
    throw Error(path + " has no thread state (NT_PRSTATUS)" +
                (core->truncation_.empty() ? std::string() : "; " + core->truncation_));
  auto memory = std::make_shared<SegmentMemory>(nullptr, std::move(segs));
  if (!core->truncation_.empty()) memory->SetMissing(std::move(missing), "in the missing part: " + core->truncation_);
  core->memory_ = std::move(memory);
  return core;
}

uint64_t CoreFile::Auxv(uint64_t type) const {
  for (const auto& [k, v] : auxv_)
    if (k == type) return v;
  return 0;
}

void CoreFile::ParseNotes(const uint8_t* p, size_t size) {
  ForEachNote(p, size, [&](uint32_t type, std::string_view, const uint8_t* desc, size_t descsz) {
    if (type == NT_PRSTATUS && descsz >= kPrstatusRegs + arch_->prstatus_regs_size + 4) {
      // The header before pr_reg is the same on every 64-bit Linux ABI (the
      // host's struct gives its offsets); pr_reg is the machine's
      // elf_gregset_t and pr_fpvalid follows it.
      elf_prstatus st;
      std::memcpy(&st, desc, kPrstatusRegs);
      int32_t fpvalid = 0;
      std::memcpy(&fpvalid, desc + kPrstatusRegs + arch_->prstatus_regs_size, sizeof fpvalid);
      ThreadState t;
      t.lwp = st.pr_pid;
      t.current_signal = st.pr_cursig;
      // The kernel fills pr_sighold with the thread's blocked mask (inside a
      // signal handler: the handler's mask; the interrupted code's mask is
      // the ucontext's, see signal_frame.h).  GDB's gcore leaves it zero,
      // which would read as "nothing blocked", so only a kernel core
      // (pr_fpvalid is set there too) is trusted for it.
      if (fpvalid) t.blocked_signals = st.pr_sighold;
      arch_->from_prstatus(desc + kPrstatusRegs, &t.regs);
      t.has_registers = true;
      threads_.push_back(t);
    } else if (arch_->tls_note && type == arch_->tls_note && descsz >= 8 && !threads_.empty()) {
      // aarch64's thread pointer (TPIDR_EL0) follows its thread's
      // NT_PRSTATUS; qemu's cores do not write it.
      std::memcpy(&threads_.back().regs.tls, desc, 8);
    } else if (type == NT_SIGINFO && descsz >= 24 && !threads_.empty()) {
      // siginfo_t (64-bit Linux): si_signo, si_errno, si_code, padding, then the
      // union at 16: si_pid/si_uid for a sent signal, si_addr for a fault.
      CoreSignalInfo si;
      si.lwp = threads_.front().lwp;
      int32_t head[3];
      std::memcpy(head, desc, sizeof head);
      si.signo = head[0];
      si.code = head[2];
      if (si.code > 0) std::memcpy(&si.addr, desc + 16, 8);
      else std::memcpy(&si.pid, desc + 16, 4);
      siginfo_ = si;
    } else if (type == NT_PRPSINFO && descsz >= sizeof(elf_prpsinfo)) {
      elf_prpsinfo ps;
      std::memcpy(&ps, desc, sizeof ps);
      pid_ = ps.pr_pid;
    } else if (type == NT_AUXV) {
      for (size_t i = 0; i + 16 <= descsz; i += 16) {
        uint64_t k, v;
        std::memcpy(&k, desc + i, 8);
        std::memcpy(&v, desc + i + 8, 8);
        if (k == AT_NULL) break;
        auxv_.emplace_back(k, v);
      }
    } else if (type == NT_FILE && descsz >= 16) {
      uint64_t count, page_size;
      std::memcpy(&count, desc, 8);
      std::memcpy(&page_size, desc + 8, 8);
      if (count > (descsz - 16) / 24) count = 0;  // damaged note
      const char* names = reinterpret_cast<const char*>(desc + 16 + count * 24);
      const char* names_end = reinterpret_cast<const char*>(desc + descsz);
      for (uint64_t i = 0; i < count && names < names_end; ++i) {
        uint64_t v[3];
        std::memcpy(v, desc + 16 + i * 24, 24);
        size_t len = strnlen(names, names_end - names);
        mappings_.push_back({v[0], v[1], v[2] * page_size, std::string(names, len)});
        names += len + 1;
      }
    }
  });
  if (pid_ == 0 && !threads_.empty()) pid_ = threads_.front().lwp;
}

}  // namespace cgostack
