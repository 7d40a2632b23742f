#include "stacks/vdso_module.h"

#include <elf.h>
#include <gelf.h>

#include <algorithm>
#include <cstring>

namespace cgostack {

const char kVdsoModuleName[] = "[vdso]";

namespace {

// A vDSO is a few pages; anything larger is not one (a damaged auxv).
constexpr uint64_t kMaxVdsoSize = 1 << 20;

// DT_SONAME of an ELF image in memory, "" if it has none.
std::string Soname(std::vector<char>& bytes) {
  std::string out;
  Elf* elf = elf_memory(bytes.data(), bytes.size());
  if (!elf) return out;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn && out.empty(); scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    for (size_t i = 0; data && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; ++i) {
      GElf_Dyn dyn;
      if (!gelf_getdyn(data, static_cast<int>(i), &dyn) || dyn.d_tag == DT_NULL) break;
      if (dyn.d_tag != DT_SONAME) continue;
      if (const char* name = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val)) out = name;
      break;
    }
  }
  elf_end(elf);
  return out;
}

}  // namespace

std::optional<VdsoImage> ReadVdso(const Target& target) {
  uint64_t start = target.vdso_address();
  const MemorySource& mem = target.memory();
  Elf64_Ehdr eh;
  if (!start || !mem.TryRead(start, &eh, sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
      eh.e_phnum > 64)
    return std::nullopt;
  std::vector<Elf64_Phdr> phdrs(eh.e_phnum);
  if (!mem.TryRead(start + eh.e_phoff, phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr))) return std::nullopt;
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
  if (first_vaddr == UINT64_MAX || size > kMaxVdsoSize || end_vaddr - first_vaddr > kMaxVdsoSize) return std::nullopt;
  VdsoImage image;
  image.bytes.resize(size);
  if (!mem.TryRead(start, image.bytes.data(), size)) return std::nullopt;
  // The ELF header is at the first segment's (page-aligned) address.
  image.start = start;
  image.end = start + (end_vaddr - (first_vaddr & ~uint64_t{4095}));
  return image;
}

std::optional<VdsoObject> FindVdso(const Target& target) {
  auto image = ReadVdso(target);
  if (!image) return std::nullopt;
  VdsoObject out;
  out.start = image->start;
  out.end = image->end;
  out.name = Soname(image->bytes);
  if (out.name.empty()) out.name = kVdsoModuleName;
  return out;
}

void ReportVdso(Dwfl* dwfl, Target& target, VdsoImage* image) {
  if (!target.core()) return;
  auto read = ReadVdso(target);
  if (!read) return;
  *image = std::move(*read);
  Dwfl_Module* mod = dwfl_report_module(dwfl, kVdsoModuleName, image->start, image->end);
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
