#include "arch/arch.h"

#include <elf.h>

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

std::string SupportedMachines() { return std::string(ArchAmd64().name) + " and " + ArchArm64().name; }

}  // namespace cgostack
