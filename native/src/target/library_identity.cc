#include "target/library_identity.h"

#include <elf.h>
#include <sys/stat.h>

#include <cstring>
#include <vector>

#include <algorithm>
#include <string>

#include "error.h"
#include "target/elf_image.h"

namespace cgostack {

namespace {

std::string HexBytes(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

// The build-id of the regular file at `path`, "" if none or unreadable.
std::string BuildIdOnDisk(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
  try {
    return ElfImage::Open(path)->GnuBuildId();
  } catch (const Error&) {
    return {};
  }
}

std::string Warning(const std::string& name, const std::string& in_core, const std::string& on_disk) {
  auto hex = [](const std::string& s) { return HexBytes(reinterpret_cast<const unsigned char*>(s.data()), s.size()); };
  return "library " + name + " on disk is not the one the process used (build-id " + hex(in_core) +
         " in the core, " + hex(on_disk) + " on disk): it is not used, and its C frames have no names; give the "
         "matching file";
}

int CheckModule(Dwfl_Module* mod, void**, const char* name, Dwarf_Addr, void* arg) {
  Target& target = *static_cast<Target*>(arg);
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  int n = dwfl_module_build_id(mod, &bits, &vaddr);
  if (n <= 0 || name == nullptr || name[0] != '/') return DWARF_CB_OK;
  Dwarf_Addr bias;
  if (dwfl_module_getelf(mod, &bias) != nullptr) return DWARF_CB_OK;  // libdwfl accepted a file
  std::string in_core(reinterpret_cast<const char*>(bits), static_cast<size_t>(n));
  std::string on_disk = BuildIdOnDisk(name);
  if (on_disk.empty() || on_disk == in_core) return DWARF_CB_OK;
  std::string w = Warning(name, in_core, on_disk);
  const auto& seen = target.warnings();
  if (std::find(seen.begin(), seen.end(), w) == seen.end()) target.AddWarning(w);
  return DWARF_CB_OK;
}

}  // namespace

void WarnAboutReplacedLibraries(Dwfl* dwfl, Target& target) {
  dwfl_getmodules(dwfl, CheckModule, &target, 0);
}

std::string ReplacedLibraryWarning(Target& target, const std::string& file, uint64_t start) {
  std::string on_disk = BuildIdOnDisk(file);
  if (on_disk.empty()) return "";
  // The kernel dumps the first page of every ELF mapping: the ELF header
  // and program headers of the library the process really mapped, and
  // (normally) its note segment with the build-id.  Read them from the
  // core, not through the file's own headers, which may be another build.
  const MemorySource& mem = target.memory();
  Elf64_Ehdr eh;
  if (!mem.TryRead(start, &eh, sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 64)
    return "";
  std::vector<Elf64_Phdr> phdrs(eh.e_phnum);
  if (!mem.TryRead(start + eh.e_phoff, phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr))) return "";
  uint64_t first_load = UINT64_MAX;
  for (const auto& ph : phdrs)
    if (ph.p_type == PT_LOAD) first_load = std::min<uint64_t>(first_load, ph.p_vaddr);
  if (first_load == UINT64_MAX) return "";
  uint64_t bias = start - (first_load & ~uint64_t{4095});
  for (const auto& ph : phdrs) {
    if (ph.p_type != PT_NOTE || ph.p_filesz > 4096) continue;
    std::string notes(ph.p_filesz, '\0');
    if (!mem.TryRead(ph.p_vaddr + bias, notes.data(), notes.size())) continue;
    std::string in_core = FindGnuBuildIdInNotes(reinterpret_cast<const uint8_t*>(notes.data()), notes.size());
    if (!in_core.empty()) return in_core == on_disk ? "" : Warning(file, in_core, on_disk);
  }
  return "";
}

}  // namespace cgostack
