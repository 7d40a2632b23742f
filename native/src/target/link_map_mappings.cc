#include "target/link_map_mappings.h"

#include <elf.h>

#include "error.h"
#include "target/link_map_names.h"

namespace cgostack {

namespace {

// Mappings are page-granular; 4 KiB is the smallest page of both machines
// (an aarch64 kernel with 64 KiB pages maps the same file ranges, rounded
// further, which only widens what is already covered).
constexpr uint64_t kPage = 4096;

void AddLoads(const ElfImage& img, uint64_t bias, const std::string& path, std::vector<FileMapping>* out) {
  size_t phnum = 0;
  if (elf_getphdrnum(img.elf(), &phnum) != 0) return;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(img.elf(), static_cast<int>(i), &ph) || ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    uint64_t skew = ph.p_vaddr % kPage;
    uint64_t start = bias + ph.p_vaddr - skew;
    uint64_t end = (bias + ph.p_vaddr + ph.p_memsz + kPage - 1) & ~(kPage - 1);
    // A segment whose file offset and address disagree in the page is not
    // what a loader maps; left out rather than guessed.
    if (ph.p_offset % kPage != skew) continue;
    out->push_back({start, end, ph.p_offset - skew, path});
  }
}

}  // namespace

uint64_t DynamicAddress(const ElfImage& exe, uint64_t load_bias) {
  size_t phnum = 0;
  if (elf_getphdrnum(exe.elf(), &phnum) != 0) return 0;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(exe.elf(), static_cast<int>(i), &ph) && ph.p_type == PT_DYNAMIC) return ph.p_vaddr + load_bias;
  }
  return 0;
}

LinkMapMappings MappingsFromLinkMap(const ElfImage& exe, uint64_t load_bias, const MemorySource& mem,
                                    const LibrarySearch& search) {
  LinkMapMappings out;
  AddLoads(exe, exe.type() == ET_DYN ? load_bias : 0, exe.path(), &out.mappings);
  for (const auto& [bias, name] : LinkMapNamesFromDynamic(DynamicAddress(exe, load_bias), mem)) {
    // The vDSO is named without a path: it is in the process's memory, not
    // in a file.
    if (name.empty() || name[0] != '/') continue;
    std::string local = search.Find(name);
    std::shared_ptr<ElfImage> lib;
    try {
      if (!local.empty()) lib = ElfImage::Open(local);
    } catch (const Error&) {
      lib = nullptr;  // not there or not ELF: as if missing
    }
    if (!lib || lib->machine() != exe.machine()) {
      out.missing.push_back(name);
      continue;
    }
    // Named by the dynamic linker's path, as NT_FILE names it (GDB's
    // solib name); the sysroot is applied where the file is read.
    AddLoads(*lib, bias, name, &out.mappings);
  }
  return out;
}

}  // namespace cgostack
