// The line GDB 13 gives a pc among several line-table rows at one address
// (stacks/line_rows.h): rows as GCC 12 wrote them in Debian 12's libc
// (objdump --dwarf=decodedline; GDB's answers from `info line *ADDR`), and
// the edges of GDB's rules.
#include "stacks/line_rows.h"

#include <gtest/gtest.h>

#include <vector>

namespace cgostack {
namespace {

LineRow Row(uint64_t addr, int line, bool stmt, unsigned discriminator = 0, size_t file = 0) {
  return LineRow{addr, line, file, discriminator, stmt, /*end_sequence=*/false, /*kept=*/false};
}

LineRow End(uint64_t addr) { return LineRow{addr, 0, 0, 0, false, /*end_sequence=*/true, /*kept=*/false}; }

int LineAt(std::vector<LineRow> rows, size_t found) {
  MarkRowsGdbKeeps(rows);
  return rows[GdbLineRowIndex(rows, found)].line;
}

TEST(LineRows, LastStatementRowAtTheAddress) {
  // __pthread_sigmask: the instruction after rt_sigprocmask's syscall
  // (0x8fdd4) has four rows; GDB says 43, libdw's last row is 45.
  std::vector<LineRow> rows = {Row(0x8fdcd, 40, true), Row(0x8fdd4, 40, true), Row(0x8fdd4, 40, false),
                               Row(0x8fdd4, 43, true), Row(0x8fdd4, 45, false), Row(0x8fdd6, 45, false),
                               End(0x8fe70)};
  EXPECT_EQ(LineAt(rows, 4), 43);
  // The next instruction has one row, not a statement: its own line.
  EXPECT_EQ(LineAt(rows, 5), 45);
}

TEST(LineRows, RowDroppedAfterADiscriminator) {
  // epoll_pwait at 0x108cc5: line 40 (a statement), then 42 (not one).
  // Line 40 had a non-zero discriminator before, so GDB does not keep
  // 40's second row there (PR 17276): 42 is all GDB has at the address.
  std::vector<LineRow> rows = {Row(0x108cbc, 40, true, 1), Row(0x108cc1, 40, false), Row(0x108cc5, 40, true),
                               Row(0x108cc5, 42, false), Row(0x108cca, 42, false), End(0x108cd0)};
  EXPECT_EQ(LineAt(rows, 3), 42);
  // Without the discriminator the statement row is kept and answers.
  rows[0].discriminator = 0;
  EXPECT_EQ(LineAt(rows, 3), 40);
}

TEST(LineRows, StatementRowKept) {
  EXPECT_EQ(LineAt({Row(0x10, 7, true), Row(0x10, 8, true), End(0x20)}, 1), 8);
}

TEST(LineRows, NoStatementAtTheAddressKeepsTheLastRow) {
  // A statement row at an earlier address does not count.
  EXPECT_EQ(LineAt({Row(0x10, 7, true), Row(0x14, 8, false), Row(0x14, 9, false), End(0x20)}, 2), 9);
}

TEST(LineRows, NonStatementSwitchOfFileDropped) {
  // File 1's non-statement row where file 0 already has a statement: GDB
  // does not keep it; the statement answers.
  EXPECT_EQ(LineAt({Row(0x10, 7, true), Row(0x10, 30, false, 0, 1), End(0x20)}, 1), 7);
}

TEST(LineRows, SwitchBackWithoutStatementDropped) {
  // A statement switch to file 1 ends file 0's rows at the address; the
  // non-statement switch back is dropped: file 1's row answers.
  EXPECT_EQ(LineAt({Row(0x10, 7, true), Row(0x10, 30, true, 0, 1), Row(0x10, 8, false), End(0x20)}, 2), 30);
}

TEST(LineRows, WalkStopsAtASequenceEnd) {
  // The previous sequence ends where this one starts (GDB's line-0 end
  // marker): no walk past it.
  EXPECT_EQ(LineAt({Row(0x8, 7, true), End(0x10), Row(0x10, 9, false), End(0x20)}, 2), 9);
}

}  // namespace
}  // namespace cgostack
