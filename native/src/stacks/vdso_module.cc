#include "stacks/vdso_module.h"

#include <elf.h>

#include <algorithm>
#include <cstring>

#include "target/core_file.h"

namespace cgostack {

const char kVdsoModuleName[] = "[vdso]";

namespace {

// A vDSO is a few pages; anything larger is not one (a damaged auxv).
constexpr uint64_t kMaxVdsoSize = 1 << 20;

}  // namespace

void ReportVdso(Dwfl* dwfl, Target& target, VdsoImage* image) {
  if (!target.core()) return;
  uint64_t start = target.core()->Auxv(AT_SYSINFO_EHDR);
  const MemorySource& mem = target.memory();
  Elf64_Ehdr eh;
  if (!start || !mem.TryRead(start, &eh, sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
      eh.e_phnum > 64)
    return;
  std::vector<Elf64_Phdr> phdrs(eh.e_phnum);
  if (!mem.TryRead(start + eh.e_phoff, phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr))) return;
  // The image: every loaded byte and the section headers (symbols, CFI),
  // which the vDSO keeps inside its one loaded segment.
  uint64_t size = eh.e_shoff + uint64_t{eh.e_shnum} * eh.e_shentsize;
  uint64_t first_vaddr = UINT64_MAX, end_vaddr = 0;
  for (const Elf64_Phdr& ph : phdrs)
    if (ph.p_type == PT_LOAD) {
      size = std::max(size, ph.p_offset + ph.p_filesz);
      first_vaddr = std::min(first_vaddr, ph.p_vaddr);
      end_vaddr = std::max(end_vaddr, ph.p_vaddr + ph.p_memsz);
    }
  if (first_vaddr == UINT64_MAX || size > kMaxVdsoSize || end_vaddr - first_vaddr > kMaxVdsoSize) return;
  image->bytes.resize(size);
  if (!mem.TryRead(start, image->bytes.data(), size)) {
    image->bytes.clear();
    return;
  }
  // The ELF header is at the first segment's (page-aligned) address.
  Dwfl_Module* mod = dwfl_report_module(dwfl, kVdsoModuleName, start, start + (end_vaddr - (first_vaddr & ~uint64_t{4095})));
  if (!mod) return;
  void** userdata = nullptr;
  dwfl_module_info(mod, &userdata, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  if (userdata) *userdata = image;
}

Elf* VdsoElf(const char* modname, void* userdata) {
  if (!modname || !userdata || std::strcmp(modname, kVdsoModuleName) != 0) return nullptr;
  auto* image = static_cast<VdsoImage*>(userdata);
  if (image->bytes.empty()) return nullptr;
  return elf_memory(image->bytes.data(), image->bytes.size());
}

}  // namespace cgostack
