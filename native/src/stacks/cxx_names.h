// C++ function names as GDB shows them in a backtrace, for the frames the
// CLI's libdwfl walk symbolizes (GDB is the reference: the same frame must
// have the same name in both).  GDB demangles with libiberty, the demangler
// it is built with; so do we (Debian's libiberty-dev).
#pragma once

#include <string>

namespace cgostack {

// A function known from DWARF, by its DW_AT_linkage_name (or DW_AT_name
// when it has none): GDB's symbol name is the linkage name demangled with
// DMGL_PARAMS | DMGL_ANSI | DMGL_RET_DROP (dwarf2/read.c), and a frame
// shows it without its parameter list (stack.c find_frame_funname,
// cp_remove_params): "engine::Weigh<engine::Item>".  A name GDB's C++ name
// parser cannot read ("...::{lambda(engine::Item*)#1}::operator()(...)
// const") keeps its parameters, as in GDB.  Names that are not mangled (C,
// glibc's __GI_ aliases) are returned as they are.
std::string DwarfFrameName(const std::string& linkage_or_name);

// A function known only from the ELF symbol table: GDB shows the minimal
// symbol's demangled name (DMGL_PARAMS | DMGL_ANSI), parameters included.
std::string SymbolFrameName(const std::string& symbol);

// What GDB's frame name leaves of a demangled C++ name: without the
// parameter list of the outermost function and its qualifiers; unchanged
// where GDB's parser would fail (lambdas and other "{...}" names) or there
// is no parameter list.
std::string WithoutParameters(const std::string& demangled);

}  // namespace cgostack
