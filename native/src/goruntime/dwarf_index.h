// Index of the Go executable's DWARF (read with libdw): struct layouts, global
// variables and constants by their Go names ("runtime.g", "runtime.allgs",
// "runtime._Gwaiting").  Runtime layouts change in almost every Go release, so
// every offset the walkers use is looked up here, never hard-coded.
#pragma once

#include <elfutils/libdw.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "target/elf_image.h"

namespace cgostack {

struct DwarfField {
  uint64_t offset = 0;   // from the start of the outermost struct asked about
  uint64_t size = 0;
  std::string type_name;
  Dwarf_Off type = 0;
};

struct DwarfGlobal {
  uint64_t address = 0;  // link-time; add the load bias
  Dwarf_Off type = 0;
  uint64_t size = 0;
};

struct GoLayoutTable;  // go_layouts.h

class DwarfIndex {
 public:
  // Throws Error if the executable has no usable DWARF.
  explicit DwarfIndex(std::shared_ptr<ElfImage> exe);
  // For an executable without DWARF (-ldflags=-w): layouts, global types and
  // constants from a table measured on the same Go release's DWARF
  // (go_layouts.h); global addresses from the ELF symbol table.  Answers the
  // same questions, for the structs and globals the table holds.
  DwarfIndex(std::shared_ptr<ElfImage> exe, const GoLayoutTable& table);
  bool from_table() const { return table_ != nullptr; }
  // Table mode without a symbol table: where the addresses of the table's
  // globals come from instead (link-time; 0 when unknown), see global_finder.h.
  void SetGlobalResolver(std::function<uint64_t(const std::string&)> resolver) {
    resolver_ = std::move(resolver);
  }

  // Every member of a named struct, with members of struct-typed members
  // one level down ("sched.sp"), for the layout tables (scripts/gen_layouts.py).
  std::vector<std::pair<std::string, DwarfField>> AllFields(const std::string& type_name);
  // The same for a global of anonymous struct type (runtime.debug).
  std::vector<std::pair<std::string, DwarfField>> AllGlobalFields(const std::string& global);
  ~DwarfIndex();
  DwarfIndex(const DwarfIndex&) = delete;
  DwarfIndex& operator=(const DwarfIndex&) = delete;

  // Size of a named type (struct, typedef, base type); nullopt if unknown.
  std::optional<uint64_t> TypeSize(const std::string& type_name);
  // A field of a named struct; `path` may be dotted ("sched.sp").
  std::optional<DwarfField> Field(const std::string& type_name, const std::string& path);
  // Like Field, but throws Error naming the struct and field when absent.
  DwarfField RequireField(const std::string& type_name, const std::string& path);
  // A field of the type of a global variable (for anonymous structs such as
  // runtime.debug).
  std::optional<DwarfField> GlobalField(const std::string& global, const std::string& path);

  std::optional<DwarfGlobal> Global(const std::string& name);
  std::optional<int64_t> Constant(const std::string& name);
  // All constants whose name starts with `prefix` (e.g. "runtime._G").
  std::vector<std::pair<std::string, int64_t>> ConstantsWithPrefix(const std::string& prefix);

  // Element count of an array type (DW_TAG_array_type), nullopt otherwise.
  std::optional<uint64_t> ArrayCount(Dwarf_Off type);
  std::optional<uint64_t> SizeOf(Dwarf_Off type);

 private:
  void BuildIndex();
  bool DieAt(Dwarf_Off off, Dwarf_Die* die);
  // Follows typedefs (and qualifiers) to the underlying type.
  bool Resolve(Dwarf_Die* die);
  std::optional<DwarfField> FieldIn(Dwarf_Die type_die, const std::string& path);

  std::vector<std::pair<std::string, DwarfField>> FieldsIn(Dwarf_Die type_die, int depth);

  std::shared_ptr<ElfImage> exe_;
  Dwarf* dwarf_ = nullptr;
  const GoLayoutTable* table_ = nullptr;
  std::function<uint64_t(const std::string&)> resolver_;
  std::unordered_map<std::string, Dwarf_Off> types_;
  std::unordered_map<std::string, Dwarf_Off> variables_;
  std::map<std::string, Dwarf_Off> constants_;  // ordered for prefix scans
  // Field's answers by "type\npath" (a pure function of the DWARF).
  std::unordered_map<std::string, std::optional<DwarfField>> fields_;
};

}  // namespace cgostack
