// The source line of a pc as GDB 13 gives it, from the DWARF line table.
//
// A line table may have several rows at one address: GCC 12 emits a row
// per "view" (location views), e.g. glibc 2.36's __pthread_sigmask at the
// instruction after its rt_sigprocmask syscall has lines 40, 40, 43 (a
// statement) and 45 (not a statement), in that order.  libdw's
// dwfl_module_getsrc answers with the last row (45); GDB says 43.  A
// thread a signal interrupted right after that syscall showed line 45 in
// the CLI and 43 in GDB (issue 14, testprogcgo's TracebackContextProfile
// on Go 1.26).  GDB is the reference the C frames are held to, so its
// choice is made here, in two steps as GDB makes it:
//
// - Which rows GDB keeps when it reads the table (dwarf2/read.c
//   lnp_state_machine::record_line): not a row of the same file and line
//   as the row before it once that line has had a non-zero discriminator
//   (dwarf_record_line_p, PR 17276); not a row of line 0; not a
//   non-statement row that switches file at an address that already has
//   a statement row; and a row that switches file ends the previous
//   file's rows at its address (the end marker buildsym puts there
//   removes them).
// - Which kept row answers an address (symtab.c find_pc_sect_line): the
//   last one at or below it; if that is not a statement, the last
//   statement row at the same address, walking back while rows are at
//   that address (and in that file), and not line 0.
//
// Checked against GDB 13.1's gdb.find_pc_line on every row address (and
// the byte after it) of Debian 12's libc.so.6 debug file.
#pragma once

#include <elfutils/libdw.h>

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace cgostack {

struct LineRow {
  uint64_t addr = 0;
  int line = 0;
  size_t file = 0;  // the file, by name (one id per name in a unit)
  unsigned discriminator = 0;
  bool is_stmt = false;
  bool end_sequence = false;
  bool kept = false;  // set by MarkRowsGdbKeeps
};

// Sets `kept` on the rows (libdw's order: by address, a sequence's rows
// in program order) GDB keeps in its line table.
void MarkRowsGdbKeeps(std::vector<LineRow>& rows);

// The index of the row GDB answers with, given `found`, the last row at
// or below the address (libdw's answer); rows marked by MarkRowsGdbKeeps.
// `found` itself when GDB keeps no row there (its line is then the same).
size_t GdbLineRowIndex(const std::vector<LineRow>& rows, size_t found);

// The rows of the compilation units looked up so far, marked once per unit.
class GdbLineTables {
 public:
  // The row GDB answers with for `addr` (relative to the module's DWARF,
  // as dwfl_module_addrdie's bias makes it) in unit `cu`; null where
  // libdw's own lookup (dwfl_module_getsrc) finds none: before the first
  // row, or past the end of a sequence.
  Dwarf_Line* Row(Dwarf_Die* cu, Dwarf_Addr addr);

 private:
  std::unordered_map<Dwarf_Lines*, std::vector<LineRow>> units_;
};

}  // namespace cgostack
