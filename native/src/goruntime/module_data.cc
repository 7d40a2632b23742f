#include "goruntime/module_data.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "error.h"
#include "goruntime/gopclntab.h"

namespace cgostack {

namespace {

// pcHeader (runtime/symtab.go, Go 1.18-1.27): magic u32, 4 bytes, then the
// words nfunc, nfiles, textStart, funcnameOffset, ...
constexpr size_t kFuncnameOffsetAt = 8 + 3 * 8;
// The header up to and with its last offset word: unique enough to find
// the table's bytes again in a section.
constexpr size_t kHeaderBytes = 8 + 8 * 8;

// The sections the linker puts runtime.firstmoduledata in: its own
// .go.module (Go 1.26+ external links), else .noptrdata; .data and
// .data.rel.ro for other links.
const char* const kDataSections[] = {".go.module", ".noptrdata", ".data", ".data.rel.ro"};

// Externally linked PIE and c-shared libraries (Go 1.19-1.22), stripped:
// the linker merged the pc table into .data.rel.ro and nothing names it.
// FindGoPclntabInElf finds it by its header; its address is where those
// bytes sit in the section.
bool PcHeaderInDataRelRo(ElfImage& exe, uint64_t* header_at, uint64_t* funcname_off) {
  GoPclntabSource source;
  std::string error;
  if (!FindGoPclntabInElf(exe.elf(), &source, &error) || source.pclntab_size < kHeaderBytes) return false;
  std::string_view header(reinterpret_cast<const char*>(source.pclntab), kHeaderBytes);
  for (const char* name : {".data.rel.ro", ".data.rel.ro.local"}) {
    auto sec = exe.Section(name);
    if (!sec) continue;
    size_t at = sec->find(header);
    if (at == std::string_view::npos || at % 8) continue;
    *header_at = exe.SectionAddress(name) + at;
    std::memcpy(funcname_off, source.pclntab + kFuncnameOffsetAt, 8);
    return true;
  }
  return false;
}

}  // namespace

std::optional<GoModuleData> FindFirstModuleData(ElfImage& exe, const MemorySource& memory, uint64_t load_bias,
                                                DwarfIndex& layouts, std::string* why) {
  std::string pcln_name = exe.HasSection(".gopclntab") ? ".gopclntab" : ".data.rel.ro.gopclntab";
  uint64_t header_at = 0;  // link-time address of the pcHeader
  uint64_t funcname_off = 0;
  if (auto pcln = exe.Section(pcln_name); pcln && pcln->size() >= kFuncnameOffsetAt + 8) {
    std::memcpy(&funcname_off, pcln->data() + kFuncnameOffsetAt, 8);
    header_at = exe.SectionAddress(pcln_name);
  } else if (!PcHeaderInDataRelRo(exe, &header_at, &funcname_off)) {
    *why = "no .gopclntab section, and no pcHeader in .data.rel.ro";
    return std::nullopt;
  }
  const uint64_t header = header_at + load_bias;
  const uint64_t funcnametab = header + funcname_off;
  auto text = layouts.Field("runtime.moduledata", "text");
  auto gofunc = layouts.Field("runtime.moduledata", "gofunc");
  if (!text) {
    *why = "the layouts have no runtime.moduledata.text";
    return std::nullopt;
  }
  for (const char* name : kDataSections) {
    auto sec = exe.Section(name);
    uint64_t start = exe.SectionAddress(name);
    if (!sec || start == 0) continue;
    // Read the section as the target has it (relocated), in 64 KiB pieces.
    std::vector<uint64_t> words(8192 + 1);
    for (uint64_t off = 0; off + 16 <= sec->size(); off += 8192 * 8) {
      uint64_t want = std::min<uint64_t>(words.size() * 8, sec->size() - off) & ~uint64_t{7};
      size_t got = memory.Read(start + load_bias + off, words.data(), want) / 8;
      for (size_t i = 0; i + 1 < got; ++i) {
        if (words[i] != header || words[i + 1] != funcnametab) continue;
        GoModuleData md;
        md.address = start + load_bias + off + i * 8;
        if (!memory.TryRead(md.address + text->offset, &md.text, 8) || md.text == 0) continue;
        if (gofunc) memory.TryRead(md.address + gofunc->offset, &md.gofunc, 8);
        return md;
      }
    }
  }
  *why = "no data section holds a moduledata pointing at " + pcln_name;
  return std::nullopt;
}

}  // namespace cgostack
