#include "goruntime/module_data.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "error.h"

namespace cgostack {

namespace {

// pcHeader (runtime/symtab.go, Go 1.18-1.27): magic u32, 4 bytes, then the
// words nfunc, nfiles, textStart, funcnameOffset, ...
constexpr size_t kFuncnameOffsetAt = 8 + 3 * 8;

// The sections the linker puts runtime.firstmoduledata in: its own
// .go.module (Go 1.26+ external links), else .noptrdata; .data and
// .data.rel.ro for other links.
const char* const kDataSections[] = {".go.module", ".noptrdata", ".data", ".data.rel.ro"};

}  // namespace

std::optional<GoModuleData> FindFirstModuleData(ElfImage& exe, const MemorySource& memory, uint64_t load_bias,
                                                DwarfIndex& layouts, std::string* why) {
  std::string pcln_name = exe.HasSection(".gopclntab") ? ".gopclntab" : ".data.rel.ro.gopclntab";
  auto pcln = exe.Section(pcln_name);
  if (!pcln || pcln->size() < kFuncnameOffsetAt + 8) {
    *why = "no .gopclntab section";
    return std::nullopt;
  }
  uint64_t funcname_off;
  std::memcpy(&funcname_off, pcln->data() + kFuncnameOffsetAt, 8);
  const uint64_t header = exe.SectionAddress(pcln_name) + load_bias;
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
