// libFuzzer target: the executable reader on arbitrary bytes: ELF sections
// (compressed .debug_* included), symbols, build-id notes, read-only
// segments, the DWARF index with the lookups the Go walkers make, and the
// .gopclntab locator and loader.
#include <cstdint>

#include "goruntime/dwarf_index.h"
#include "target/elf_image.h"
#include "error.h"
#include "goruntime/gopclntab.h"
#include "input_file.h"

using cgostack::DwarfIndex;
using cgostack::ElfImage;

namespace {

void FuzzPclntab(ElfImage& img) {
  cgostack::GoPclntabSource source;
  std::string error;
  if (!cgostack::FindGoPclntabInElf(img.elf(), &source, &error)) return;
  auto tab = cgostack::GoPclntab::Load(source, &error);
  if (!tab) return;
  std::vector<cgostack::GoPclntab::Location> locs;
  uint64_t text = img.SectionAddress(".text");
  for (uint64_t pc = text; pc < text + 4096; pc += 97) {
    if (auto f = tab->FindFunc(pc)) {
      tab->FuncName(*f);
      tab->SpDelta(*f, pc);
      tab->Symbolize(*f, pc, &locs);
    }
  }
}

void FuzzDwarf(const std::shared_ptr<ElfImage>& img) {
  DwarfIndex dw(img);  // throws Error when there is no usable DWARF
  dw.TypeSize("runtime.g");
  for (const char* f : {"goid", "atomicstatus", "sched.sp", "sched.pc", "stack.lo", "m", "labels"})
    dw.Field("runtime.g", f);
  dw.Field("runtime.m", "alllink");
  dw.GlobalField("runtime.debug", "cgocheck");
  for (const char* g : {"runtime.allgs", "runtime.allm", "runtime.waitReasonStrings", "runtime.buildVersion"})
    if (auto v = dw.Global(g)) {
      dw.ArrayCount(v->type);
      dw.SizeOf(v->type);
    }
  dw.ConstantsWithPrefix("runtime._G");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cgostack::fuzz::InputFile file(data, size);
  try {
    auto img = ElfImage::Open(file.path());
    img->GnuBuildId();
    img->FirstLoadAddress();
    img->SymbolAddress("runtime.allgs");
    uint8_t buf[32];
    img->LoadedMemory(0)->Read(img->entry(), buf, sizeof buf);
    for (const char* s : {".gopclntab", ".go.buildinfo", ".debug_info", ".debug_abbrev", ".note.go.buildid"})
      img->Section(s);
    FuzzPclntab(*img);
    FuzzDwarf(img);
  } catch (const cgostack::Error&) {
  }
  return 0;
}
