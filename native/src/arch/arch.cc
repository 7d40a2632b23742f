#include "arch/arch.h"

#include <elf.h>

#include "target/memory.h"

namespace cgostack {

const Arch* ArchForMachine(uint16_t elf_machine) {
  for (const Arch* a : {&ArchAmd64(), &ArchArm64()})
    if (a->elf_machine == elf_machine) return a;
  return nullptr;
}

const Arch& HostArch() {
#if defined(__x86_64__)
  return ArchAmd64();
#elif defined(__aarch64__)
  return ArchArm64();
#else
#error "cgostack runs on x86-64 and aarch64 Linux"
#endif
}

bool Arch::InjectedCallCaller(const MemorySource& mem, uint64_t cfa, uint64_t* sp, uint64_t* lr) const {
  *sp = cfa + injected_call_frame;
  if (!injected_call_frame) return true;
  return mem.TryRead(cfa, lr, sizeof *lr);
}

std::string SupportedMachines() { return std::string(ArchAmd64().name) + " and " + ArchArm64().name; }

}  // namespace cgostack
