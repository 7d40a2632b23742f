// libFuzzer target: the ELF core reader (program headers, PT_LOAD memory,
// NT_PRSTATUS / NT_PRPSINFO / NT_AUXV / NT_FILE notes) on arbitrary bytes.
#include <cstdint>

#include "target/core_file.h"
#include "error.h"
#include "input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cgostack::fuzz::InputFile file(data, size);
  try {
    auto core = cgostack::CoreFile::Open(file.path());
    // Touch what Target and the reports use.
    volatile uint64_t sink = core->Auxv(AT_ENTRY) + core->pid() + core->truncation().size();
    for (const auto& m : core->mappings()) sink = sink + m.start + m.path.size();
    uint8_t buf[64];
    for (const auto& t : core->threads()) {
      core->memory()->Read(t.regs.sp, buf, sizeof buf);
      core->memory()->Read(t.regs.pc, buf, sizeof buf);
    }
    (void)sink;
  } catch (const cgostack::Error&) {
  }
  return 0;
}
