#include "goruntime/dwarf_index.h"

#include <dwarf.h>

#include <cstring>

#include "error.h"
#include "goruntime/go_layouts.h"

namespace cgostack {

namespace {

const char* DieName(Dwarf_Die* die) { return dwarf_diename(die); }

std::optional<uint64_t> AttrUnsigned(Dwarf_Die* die, unsigned int name) {
  Dwarf_Attribute attr;
  Dwarf_Word v;
  if (!dwarf_attr_integrate(die, name, &attr) || dwarf_formudata(&attr, &v) != 0) return std::nullopt;
  return v;
}

}  // namespace

DwarfIndex::DwarfIndex(std::shared_ptr<ElfImage> exe) : exe_(std::move(exe)) {
  if (!exe_->HasSection(".debug_info"))
    throw Error(exe_->path() + " has no DWARF debug info (was it built with -ldflags=-w or stripped?)");
  dwarf_ = dwarf_begin_elf(exe_->elf(), DWARF_C_READ, nullptr);
  if (!dwarf_)
    throw Error("cannot read DWARF of " + exe_->path() + ": " + dwarf_errmsg(-1));
  // The destructor does not run when the constructor throws.
  struct EndOnThrow {
    Dwarf*& dwarf;
    bool armed = true;
    ~EndOnThrow() {
      if (armed) {
        dwarf_end(dwarf);
        dwarf = nullptr;
      }
    }
  } end_on_throw{dwarf_};
  BuildIndex();
  if (types_.find("runtime.g") == types_.end())
    throw Error(exe_->path() + " has DWARF only for its C code: a Go program without DWARF debug info "
                "(built with -ldflags=-w or stripped); rebuild it without -w/-s, or use the unstripped copy");
  end_on_throw.armed = false;
}

DwarfIndex::DwarfIndex(std::shared_ptr<ElfImage> exe, const GoLayoutTable& table)
    : exe_(std::move(exe)), table_(&table) {}

namespace {

// In table mode a global's "type" is its position in the table plus one
// (0 stays "unknown"), so ArrayCount and SizeOf can answer for it.
Dwarf_Off TableTypeId(const GoLayoutTable& t, const std::string& global) {
  auto it = t.globals.find(global);
  return it == t.globals.end() ? 0 : static_cast<Dwarf_Off>(std::distance(t.globals.begin(), it) + 1);
}

const GoLayoutTable::Global* TableGlobal(const GoLayoutTable& t, Dwarf_Off id) {
  if (id == 0 || id > t.globals.size()) return nullptr;
  return &std::next(t.globals.begin(), static_cast<long>(id - 1))->second;
}

}  // namespace

DwarfIndex::~DwarfIndex() {
  if (dwarf_) dwarf_end(dwarf_);
}

void DwarfIndex::BuildIndex() {
  // Go puts every type, global and constant at the top level of its compile
  // units, so one pass over each unit's direct children finds them all.
  Dwarf_Off off = 0, next = 0;
  size_t hsize = 0;
  while (dwarf_nextcu(dwarf_, off, &next, &hsize, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu;
    if (dwarf_offdie(dwarf_, off + hsize, &cu)) {
      Dwarf_Die child;
      if (dwarf_child(&cu, &child) == 0) {
        do {
          const char* name = DieName(&child);
          if (!name) continue;
          switch (dwarf_tag(&child)) {
            case DW_TAG_structure_type:
            case DW_TAG_typedef:
            case DW_TAG_base_type:
            case DW_TAG_array_type:
            case DW_TAG_pointer_type:
              // Go emits both a struct and a typedef named "runtime.g"; either
              // resolves to the same layout, so the first one wins.
              types_.emplace(name, dwarf_dieoffset(&child));
              break;
            case DW_TAG_variable:
              variables_.emplace(name, dwarf_dieoffset(&child));
              break;
            case DW_TAG_constant:
              constants_.emplace(name, dwarf_dieoffset(&child));
              break;
            default:
              break;
          }
        } while (dwarf_siblingof(&child, &child) == 0);
      }
    }
    off = next;
  }
}

bool DwarfIndex::DieAt(Dwarf_Off off, Dwarf_Die* die) { return dwarf_offdie(dwarf_, off, die) != nullptr; }

bool DwarfIndex::Resolve(Dwarf_Die* die) {
  for (int depth = 0; depth < 16; ++depth) {
    int tag = dwarf_tag(die);
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type) return true;
    Dwarf_Attribute attr;
    if (!dwarf_attr_integrate(die, DW_AT_type, &attr) || !dwarf_formref_die(&attr, die)) return false;
  }
  return false;
}

std::optional<uint64_t> DwarfIndex::TypeSize(const std::string& type_name) {
  if (table_) {
    auto it = table_->type_sizes.find(type_name);
    return it == table_->type_sizes.end() ? std::nullopt : std::optional<uint64_t>(it->second);
  }
  auto it = types_.find(type_name);
  if (it == types_.end()) return std::nullopt;
  return SizeOf(it->second);
}

std::optional<uint64_t> DwarfIndex::SizeOf(Dwarf_Off type) {
  if (table_) {
    const auto* g = TableGlobal(*table_, type);
    return g ? std::optional<uint64_t>(g->size) : std::nullopt;
  }
  Dwarf_Die die;
  if (!DieAt(type, &die) || !Resolve(&die)) return std::nullopt;
  if (auto s = AttrUnsigned(&die, DW_AT_byte_size)) return s;
  if (dwarf_tag(&die) == DW_TAG_pointer_type) return 8;
  if (dwarf_tag(&die) == DW_TAG_array_type) {
    auto count = ArrayCount(type);
    Dwarf_Attribute attr;
    Dwarf_Die elem;
    if (count && dwarf_attr_integrate(&die, DW_AT_type, &attr) && dwarf_formref_die(&attr, &elem))
      if (auto es = SizeOf(dwarf_dieoffset(&elem))) return *count * *es;
  }
  return std::nullopt;
}

std::optional<uint64_t> DwarfIndex::ArrayCount(Dwarf_Off type) {
  if (table_) {
    const auto* g = TableGlobal(*table_, type);
    return g && g->count ? std::optional<uint64_t>(g->count) : std::nullopt;
  }
  Dwarf_Die die;
  if (!DieAt(type, &die) || !Resolve(&die) || dwarf_tag(&die) != DW_TAG_array_type) return std::nullopt;
  Dwarf_Die sub;
  if (dwarf_child(&die, &sub) != 0) return std::nullopt;
  do {
    if (dwarf_tag(&sub) != DW_TAG_subrange_type) continue;
    if (auto c = AttrUnsigned(&sub, DW_AT_count)) return c;
    if (auto ub = AttrUnsigned(&sub, DW_AT_upper_bound)) return *ub + 1;
  } while (dwarf_siblingof(&sub, &sub) == 0);
  return std::nullopt;
}

std::optional<DwarfField> DwarfIndex::FieldIn(Dwarf_Die type_die, const std::string& path) {
  DwarfField result;
  size_t start = 0;
  Dwarf_Die cur = type_die;
  while (true) {
    if (!Resolve(&cur) || dwarf_tag(&cur) != DW_TAG_structure_type) return std::nullopt;
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    Dwarf_Die member;
    bool found = false;
    if (dwarf_child(&cur, &member) == 0) {
      do {
        if (dwarf_tag(&member) != DW_TAG_member) continue;
        const char* n = DieName(&member);
        if (n && part == n) {
          found = true;
          break;
        }
      } while (dwarf_siblingof(&member, &member) == 0);
    }
    if (!found) return std::nullopt;
    result.offset += AttrUnsigned(&member, DW_AT_data_member_location).value_or(0);
    Dwarf_Attribute attr;
    Dwarf_Die type;
    if (!dwarf_attr_integrate(&member, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &type))
      return std::nullopt;
    if (dot == std::string::npos) {
      result.type = dwarf_dieoffset(&type);
      const char* tn = DieName(&type);
      result.type_name = tn ? tn : "";
      result.size = SizeOf(result.type).value_or(0);
      return result;
    }
    cur = type;
    start = dot + 1;
  }
}

std::optional<DwarfField> DwarfIndex::Field(const std::string& type_name, const std::string& path) {
  if (table_) {
    auto t = table_->fields.find(type_name);
    if (t == table_->fields.end()) return std::nullopt;
    auto f = t->second.find(path);
    return f == t->second.end() ? std::nullopt : std::optional<DwarfField>(f->second);
  }
  // Each answer once: readers ask per thread and per goroutine (the m's
  // fields for every one of thousands of threads in C, issue 15), and a
  // lookup walks the struct's members.
  auto [cached, fresh] = fields_.try_emplace(type_name + '\n' + path);
  if (!fresh) return cached->second;
  auto it = types_.find(type_name);
  Dwarf_Die die;
  if (it != types_.end() && DieAt(it->second, &die)) cached->second = FieldIn(die, path);
  return cached->second;
}

DwarfField DwarfIndex::RequireField(const std::string& type_name, const std::string& path) {
  auto f = Field(type_name, path);
  if (!f)
    throw Error("this Go runtime's DWARF has no field " + type_name + "." + path +
                " (unsupported Go release?)");
  return *f;
}

std::optional<DwarfField> DwarfIndex::GlobalField(const std::string& global, const std::string& path) {
  if (table_) return Field(global, path);
  auto g = Global(global);
  if (!g) return std::nullopt;
  Dwarf_Die die;
  if (!DieAt(g->type, &die)) return std::nullopt;
  return FieldIn(die, path);
}

std::optional<DwarfGlobal> DwarfIndex::Global(const std::string& name) {
  if (table_) {
    // Addresses from the symbol table, which -ldflags=-w keeps (-s drops it).
    uint64_t addr = exe_->SymbolAddress(name);
    if (!addr && resolver_ && table_->globals.count(name)) addr = resolver_(name);
    if (!addr) return std::nullopt;
    DwarfGlobal g;
    g.address = addr;
    g.type = TableTypeId(*table_, name);
    g.size = SizeOf(g.type).value_or(0);
    return g;
  }
  auto it = variables_.find(name);
  if (it == variables_.end()) return std::nullopt;
  Dwarf_Die die;
  if (!DieAt(it->second, &die)) return std::nullopt;
  // Go writes DW_AT_location as DW_FORM_block1 even in DWARF 4 units, which
  // dwarf_getlocation rejects; the expression is always a lone DW_OP_addr.
  Dwarf_Attribute attr;
  Dwarf_Block block;
  if (!dwarf_attr_integrate(&die, DW_AT_location, &attr) || dwarf_formblock(&attr, &block) != 0 ||
      block.length != 9 || block.data[0] != DW_OP_addr)
    return std::nullopt;
  DwarfGlobal g;
  std::memcpy(&g.address, block.data + 1, 8);
  Dwarf_Die type;
  if (dwarf_attr_integrate(&die, DW_AT_type, &attr) && dwarf_formref_die(&attr, &type)) {
    g.type = dwarf_dieoffset(&type);
    g.size = SizeOf(g.type).value_or(0);
  }
  return g;
}

std::optional<int64_t> DwarfIndex::Constant(const std::string& name) {
  if (table_) {
    auto it = table_->constants.find(name);
    return it == table_->constants.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }
  auto it = constants_.find(name);
  if (it == constants_.end()) return std::nullopt;
  Dwarf_Die die;
  if (!DieAt(it->second, &die)) return std::nullopt;
  Dwarf_Attribute attr;
  Dwarf_Sword v;
  if (!dwarf_attr_integrate(&die, DW_AT_const_value, &attr) || dwarf_formsdata(&attr, &v) != 0)
    return std::nullopt;
  return v;
}

std::vector<std::pair<std::string, int64_t>> DwarfIndex::ConstantsWithPrefix(const std::string& prefix) {
  if (table_) {
    std::vector<std::pair<std::string, int64_t>> out;
    for (auto it = table_->constants.lower_bound(prefix);
         it != table_->constants.end() && it->first.rfind(prefix, 0) == 0; ++it)
      out.emplace_back(*it);
    return out;
  }
  std::vector<std::pair<std::string, int64_t>> out;
  for (auto it = constants_.lower_bound(prefix); it != constants_.end() && it->first.rfind(prefix, 0) == 0; ++it)
    if (auto v = Constant(it->first)) out.emplace_back(it->first, *v);
  return out;
}

}  // namespace cgostack

namespace cgostack {

std::vector<std::pair<std::string, DwarfField>> DwarfIndex::FieldsIn(Dwarf_Die type_die, int depth) {
  std::vector<std::pair<std::string, DwarfField>> out;
  if (!Resolve(&type_die) || dwarf_tag(&type_die) != DW_TAG_structure_type) return out;
  Dwarf_Die member;
  if (dwarf_child(&type_die, &member) != 0) return out;
  do {
    const char* n = DieName(&member);
    if (dwarf_tag(&member) != DW_TAG_member || !n) continue;
    auto f = FieldIn(type_die, n);
    if (!f) continue;
    out.emplace_back(n, *f);
    Dwarf_Die sub;
    if (depth > 0 && DieAt(f->type, &sub))
      for (auto& [path, inner] : FieldsIn(sub, depth - 1)) {
        inner.offset += f->offset;
        out.emplace_back(std::string(n) + "." + path, inner);
      }
  } while (dwarf_siblingof(&member, &member) == 0);
  return out;
}

std::vector<std::pair<std::string, DwarfField>> DwarfIndex::AllFields(const std::string& type_name) {
  if (table_) {
    auto t = table_->fields.find(type_name);
    if (t == table_->fields.end()) return {};
    return {t->second.begin(), t->second.end()};
  }
  auto it = types_.find(type_name);
  Dwarf_Die die;
  if (it == types_.end() || !DieAt(it->second, &die)) return {};
  return FieldsIn(die, 1);
}

std::vector<std::pair<std::string, DwarfField>> DwarfIndex::AllGlobalFields(const std::string& global) {
  if (table_) return AllFields(global);
  auto g = Global(global);
  Dwarf_Die die;
  if (!g || !DieAt(g->type, &die)) return {};
  return FieldsIn(die, 1);
}

}  // namespace cgostack
