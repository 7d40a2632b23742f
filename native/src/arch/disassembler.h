// Capstone, opened for one machine: a linear sweep over a function's bytes
// with operand details.  The one place that opens Capstone, so every user
// of machine code (the global finder for stripped binaries, holder
// inference) decodes it the same way and none decodes it by hand.
#pragma once

#include <capstone/capstone.h>

#include <cstdint>
#include <functional>
#include <string_view>

#include "arch/arch.h"

namespace cgostack {

class Disassembler {
 public:
  // Throws Error when Capstone cannot be opened for `arch`'s machine.
  explicit Disassembler(const Arch& arch);
  ~Disassembler();
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;

  // Calls `visit` for each instruction of `code` (loaded at `address`), in
  // order.  Bytes Capstone cannot decode (padding, data in text, or
  // instructions newer than the installed Capstone) are passed as one
  // "data" instruction (insn.id == 0, insn.detail unusable) and the sweep
  // goes on: a function is never cut short at an unknown word.
  void Sweep(std::string_view code, uint64_t address, const std::function<void(const cs_insn&)>& visit) const;

 private:
  csh handle_ = 0;
};

}  // namespace cgostack
