#include "stacks/line_rows.h"

#include <string>

namespace cgostack {

void MarkRowsGdbKeeps(std::vector<LineRow>& rows) {
  // lnp_state_machine's state, per sequence.
  bool fresh = true;  // at a sequence's first row
  int last_line = 0;  // of the last row kept
  size_t last_file = 0;
  bool have_last = false;
  uint64_t last_addr = 0;  // of the last row read
  bool stmt_at_addr = false;
  bool nonzero_discriminator = false;  // since the line last changed
  int prev_line = 0;  // of the row read before
  for (LineRow& r : rows) {
    if (r.end_sequence) {
      r.kept = true;  // GDB's end marker: line 0 (LineRow::line is set to 0 for it)
      fresh = true;
      continue;
    }
    if (fresh) {
      have_last = false;
      stmt_at_addr = false;
      last_addr = r.addr;
      nonzero_discriminator = false;
      prev_line = r.line + 1;  // a change: the flag starts afresh
      fresh = false;
    }
    // advance_line: a change of line sets the flag to this row's
    // discriminator; otherwise a discriminator adds to it.
    nonzero_discriminator = (r.line != prev_line ? false : nonzero_discriminator) || r.discriminator != 0;
    prev_line = r.line;
    bool file_changed = !have_last || r.file != last_file;
    bool ignore = (file_changed && have_last && r.addr == last_addr && !r.is_stmt && stmt_at_addr) || r.line == 0;
    r.kept = !ignore && (file_changed || r.line != last_line || !nonzero_discriminator);
    if (r.kept) {
      last_line = r.line;
      last_file = r.file;
      have_last = true;
    }
    if (r.addr != last_addr) {
      stmt_at_addr = false;
      last_addr = r.addr;
    }
    stmt_at_addr |= r.is_stmt;
  }
}

size_t GdbLineRowIndex(const std::vector<LineRow>& rows, size_t found) {
  // The last row GDB kept at or below the address.  A row it dropped has
  // the line of the row before it, or is line 0 or another file's.
  size_t k = found;
  while (!rows[k].kept && k > 0 && !rows[k - 1].end_sequence) --k;
  if (!rows[k].kept) return found;
  if (rows[k].is_stmt) return k;
  // find_pc_sect_line: while (tmp > first && (tmp - 1)->pc == tmp->pc
  //                           && (tmp - 1)->line != 0 && !tmp->is_stmt) --tmp;
  // over the kept rows of the file's own table.
  size_t i = k;
  while (!rows[i].is_stmt) {
    size_t p = i;
    while (p > 0 && !rows[p - 1].kept && rows[p - 1].addr == rows[i].addr) --p;
    if (p == 0) break;
    const LineRow& before = rows[p - 1];
    if (before.addr != rows[i].addr || before.line == 0 || before.end_sequence || before.file != rows[i].file) break;
    i = p - 1;
  }
  return rows[i].is_stmt ? i : k;
}

Dwarf_Line* GdbLineTables::Row(Dwarf_Die* cu, Dwarf_Addr addr) {
  Dwarf_Lines* lines = nullptr;
  size_t n = 0;
  if (dwarf_getsrclines(cu, &lines, &n) != 0 || n == 0) return nullptr;
  auto [it, fresh] = units_.try_emplace(lines);
  std::vector<LineRow>& rows = it->second;
  if (fresh) {
    rows.resize(n);
    std::unordered_map<std::string, size_t> file_ids;
    for (size_t i = 0; i < n; ++i) {
      Dwarf_Line* line = dwarf_onesrcline(lines, i);
      LineRow& r = rows[i];
      Dwarf_Addr a = 0;
      dwarf_lineaddr(line, &a);
      r.addr = a;
      dwarf_lineno(line, &r.line);
      dwarf_linebeginstatement(line, &r.is_stmt);
      dwarf_lineendsequence(line, &r.end_sequence);
      dwarf_linediscriminator(line, &r.discriminator);
      // GDB has one table per file name (DWARF 5's entries 0 and 1 name
      // the same file): files by name.
      const char* name = dwarf_linesrc(line, nullptr, nullptr);
      r.file = file_ids.try_emplace(name ? name : "", file_ids.size()).first->second;
      if (r.end_sequence) r.line = 0;  // GDB's end marker
    }
    MarkRowsGdbKeeps(rows);
  }
  // libdw's search (dwfl_module_getsrc): the last row at addr or below.
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    size_t mid = hi - (hi - lo) / 2;
    if (addr < rows[mid].addr)
      hi = mid - 1;
    else
      lo = mid;
  }
  if (rows[lo].addr > addr || rows[lo].end_sequence) return nullptr;
  return dwarf_onesrcline(lines, GdbLineRowIndex(rows, lo));
}

}  // namespace cgostack
