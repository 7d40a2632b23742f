// Seed corpus generator for the fuzz targets, from a real fixture and its
// core (both made at run time by scripts/fuzz.sh; cores are never committed):
//   cgostack_fuzz_seeds EXE CORE OUTDIR
// writes
//   OUTDIR/goroutines/core   the core memory the walkers read, recorded while
//                            they run over the real core, plus every thread's
//                            registers (memory_image.h format)
//   OUTDIR/core_file/mini    the core cut down to headers, notes and the
//                            first page of each PT_LOAD (the reader's input
//                            without 100 MB of memory)
#include <elf.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sys/stat.h>

#include "error.h"
#include "goruntime/go_runtime.h"
#include "memory_image.h"
#include "target/target.h"
#include "walkers.h"

namespace {

using namespace cgostack;

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error("cannot write " + path);
}

std::string GoroutinesSeed(const std::string& exe_path, const std::string& core_path) {
  auto exe = ElfImage::Open(exe_path);
  auto core = CoreFile::Open(core_path);
  if (exe->type() != ET_EXEC) throw Error(exe_path + ": the fuzz target needs a non-PIE executable");
  auto recording = std::make_shared<fuzz::RecordingMemory>(core->memory());
  auto layered = std::make_shared<LayeredMemory>();
  layered->Add(recording);
  layered->Add(exe->LoadedMemory(0));
  // The fuzz target numbers threads 1..kThreads; the real LWPs are renamed
  // in m.procid below so that goroutines still find their threads.
  std::vector<ThreadState> threads = core->threads();
  auto target = Target::FromParts(exe, layered, threads, 0);
  GoRuntime rt(*target);
  fuzz::RunWalkers(rt);
  std::string seed;
  for (auto [start, end] : recording->Ranges()) {
    std::string bytes(end - start, '\0');
    core->memory()->Read(start, bytes.data(), bytes.size());
    fuzz::AppendMemoryRecord(&seed, start, bytes);
  }
  for (size_t i = 0; i < threads.size() && i < fuzz::kThreads; ++i)
    fuzz::AppendThreadRecord(&seed, static_cast<uint8_t>(i), threads[i].regs);
  // m.procid: the real LWP -> the fuzz target's thread number.
  uint64_t procid = rt.dwarf().RequireField("runtime.m", "procid").offset;
  for (uint64_t mp : rt.AllMs()) {
    uint64_t lwp = 0;
    if (!core->memory()->TryRead(mp + procid, &lwp, 8)) continue;
    for (size_t i = 0; i < threads.size() && i < fuzz::kThreads; ++i)
      if (static_cast<uint64_t>(threads[i].lwp) == lwp) {
        uint64_t renamed = i + 1;
        fuzz::AppendMemoryRecord(&seed, mp + procid, std::string(reinterpret_cast<char*>(&renamed), 8));
      }
  }
  return seed;
}

std::string MiniCore(const std::string& core_path) {
  auto img = ElfImage::Open(core_path);
  const uint8_t* raw = img->raw();
  Elf64_Ehdr eh;
  std::memcpy(&eh, raw, sizeof eh);
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  std::memcpy(ph.data(), raw + eh.e_phoff, ph.size() * sizeof(Elf64_Phdr));
  std::string out(sizeof eh + ph.size() * sizeof(Elf64_Phdr), '\0');
  for (auto& p : ph) {
    uint64_t keep = p.p_type == PT_NOTE ? p.p_filesz : std::min<uint64_t>(p.p_filesz, 4096);
    std::string bytes(reinterpret_cast<const char*>(raw + p.p_offset), keep);
    p.p_offset = out.size();
    p.p_filesz = keep;
    out += bytes;
  }
  eh.e_phoff = sizeof eh;
  eh.e_shoff = 0;
  eh.e_shnum = 0;
  std::memcpy(out.data(), &eh, sizeof eh);
  std::memcpy(out.data() + sizeof eh, ph.data(), ph.size() * sizeof(Elf64_Phdr));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: cgostack_fuzz_seeds EXE CORE OUTDIR\n";
    return 2;
  }
  std::string dir = argv[3];
  try {
    for (const char* sub : {"", "/goroutines", "/core_file"}) ::mkdir((dir + sub).c_str(), 0755);
    WriteFile(dir + "/goroutines/core", GoroutinesSeed(argv[1], argv[2]));
    WriteFile(dir + "/core_file/mini", MiniCore(argv[2]));
  } catch (const Error& e) {
    std::cerr << "cgostack_fuzz_seeds: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
