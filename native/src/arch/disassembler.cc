#include "arch/disassembler.h"

#include <elf.h>

#include <memory>

#include "error.h"

namespace cgostack {

Disassembler::Disassembler(const Arch& arch) {
  bool arm64 = arch.elf_machine == EM_AARCH64;
  if (cs_open(arm64 ? CS_ARCH_ARM64 : CS_ARCH_X86, arm64 ? CS_MODE_ARM : CS_MODE_64, &handle_) != CS_ERR_OK)
    throw Error(std::string("cannot open the Capstone disassembler for ") + (arm64 ? "aarch64" : "x86-64"));
  cs_option(handle_, CS_OPT_DETAIL, CS_OPT_ON);
  // Capstone's default skip is one instruction slot (4 bytes on arm64) or
  // one byte (x86-64): an unknown word does not shift the decoding of the
  // words after it.
  cs_option(handle_, CS_OPT_SKIPDATA, CS_OPT_ON);
}

Disassembler::~Disassembler() {
  if (handle_) cs_close(&handle_);
}

void Disassembler::Sweep(std::string_view code, uint64_t address, const std::function<void(const cs_insn&)>& visit) const {
  cs_insn* insn = cs_malloc(handle_);
  std::unique_ptr<cs_insn, void (*)(cs_insn*)> free_insn(insn, [](cs_insn* i) { cs_free(i, 1); });
  const uint8_t* p = reinterpret_cast<const uint8_t*>(code.data());
  size_t left = code.size();
  uint64_t pc = address;
  while (left > 0 && cs_disasm_iter(handle_, &p, &left, &pc, insn)) visit(*insn);
}

}  // namespace cgostack
