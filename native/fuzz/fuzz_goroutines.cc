// libFuzzer target: the goroutine, M, P, stack and signal-frame walkers over
// attacker-controlled memory.  The executable is real (a fixture built with
// DWARF, named by $CGOSTACK_FUZZ_EXE, non-PIE); everything the core would
// hold -- allgs, every g, m and p, stacks, strings, thread registers --
// comes from the input (memory_image.h).  Loops in lists, cyclic stacks,
// absurd counts and lengths must end in bounded time with partial results.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "error.h"
#include "goruntime/go_runtime.h"
#include "memory_image.h"
#include "target/target.h"
#include "walkers.h"

namespace {

struct Fixture {
  std::shared_ptr<cgostack::fuzz::SwitchableMemory> memory;
  std::shared_ptr<const cgostack::MemorySource> exe_memory;
  std::unique_ptr<cgostack::Target> target;
  std::unique_ptr<cgostack::GoRuntime> runtime;
};

Fixture* Setup() {
  const char* exe = std::getenv("CGOSTACK_FUZZ_EXE");
  if (!exe) {
    std::fprintf(stderr, "fuzz_goroutines: set CGOSTACK_FUZZ_EXE to a Go fixture built with DWARF\n");
    std::exit(2);
  }
  auto* f = new Fixture();
  auto image = cgostack::ElfImage::Open(exe);
  f->memory = std::make_shared<cgostack::fuzz::SwitchableMemory>();
  f->exe_memory = image->LoadedMemory(0);
  f->target = cgostack::Target::FromParts(image, f->memory,
                                          cgostack::fuzz::ParseMemoryImage(nullptr, 0).threads, 0);
  f->runtime = std::make_unique<cgostack::GoRuntime>(*f->target);
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fixture = Setup();
  cgostack::fuzz::MemoryImage img = cgostack::fuzz::ParseMemoryImage(data, size);
  // The core's memory first, then the executable's read-only segments, as
  // Target::OpenCore layers them.
  auto layered = std::make_shared<cgostack::LayeredMemory>();
  layered->Add(std::make_shared<cgostack::SegmentMemory>(nullptr, std::move(img.segments)));
  layered->Add(fixture->exe_memory);
  fixture->memory->Set(layered);
  for (const auto& t : img.threads) fixture->target->SetThreadRegisters(t.lwp, t.regs);
  cgostack::fuzz::RunWalkers(*fixture->runtime);
  fixture->memory->Set(nullptr);
  return 0;
}
