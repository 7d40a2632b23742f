#include "goruntime/crash_facts.h"

#include <algorithm>
#include <cstring>

#include "error.h"

namespace cgostack {

namespace {

// Go's reflect.Kind values (internal/abi.Kind, Go 1.19-1.27) and the mask
// the runtime applies to _type.kind (abi.KindMask).
constexpr uint8_t kKindMask = 0x1f, kKindPtr = 22, kKindString = 24;
// _type.tflag bit: the name is stored with a '*' in front (abi.TFlagExtraStar).
constexpr uint8_t kTflagExtraStar = 1 << 1;

// The runtime type descriptor's struct: runtime._type up to Go 1.20,
// internal/abi.Type (exported field names) from 1.21.
struct TypeLayout {
  DwarfField kind, tflag, str;
};
std::optional<TypeLayout> TypeFields(DwarfIndex& d) {
  if (auto k = d.Field("runtime._type", "kind"))
    if (auto t = d.Field("runtime._type", "tflag"))
      if (auto s = d.Field("runtime._type", "str")) return TypeLayout{*k, *t, *s};
  if (auto k = d.Field("internal/abi.Type", "Kind_"))
    if (auto t = d.Field("internal/abi.Type", "TFlag"))
      if (auto s = d.Field("internal/abi.Type", "Str")) return TypeLayout{*k, *t, *s};
  return std::nullopt;
}

// A Go string header at `addr`, kept short: this is a message for people.
std::optional<std::string> ShortGoString(const MemorySource& mem, uint64_t addr) {
  uint64_t hdr[2];
  if (!mem.TryRead(addr, hdr, sizeof hdr) || hdr[1] > (1 << 16)) return std::nullopt;
  std::string s(hdr[1], '\0');
  if (hdr[1] && !mem.TryRead(hdr[0], s.data(), s.size())) return std::nullopt;
  return s;
}

}  // namespace

std::optional<std::string> RuntimeTypeName(GoRuntime& rt, uint64_t type) {
  auto layout = TypeFields(rt.dwarf());
  auto types = rt.dwarf().GlobalField("runtime.firstmoduledata", "types");
  auto md = rt.dwarf().Global("runtime.firstmoduledata");
  if (!layout || !types || !md || !type) return std::nullopt;
  const MemorySource& mem = rt.target().memory();
  uint64_t base;
  int32_t off;
  uint8_t tflag;
  if (!mem.TryRead(md->address + rt.target().load_bias() + types->offset, &base, 8) ||
      !mem.TryRead(type + layout->str.offset, &off, 4) || !mem.TryRead(type + layout->tflag.offset, &tflag, 1))
    return std::nullopt;
  // runtime.name: one flags byte, the length as a varint, the bytes (Go 1.17+).
  uint64_t p = base + static_cast<int64_t>(off) + 1;
  uint64_t len = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    uint8_t b;
    if (!mem.TryRead(p++, &b, 1)) return std::nullopt;
    len |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  if (len == 0 || len > 4096) return std::nullopt;
  std::string name(len, '\0');
  if (!mem.TryRead(p, name.data(), len)) return std::nullopt;
  if ((tflag & kTflagExtraStar) && name[0] == '*') name.erase(0, 1);
  return name;
}

std::optional<PanicValue> ReadPanicValue(GoRuntime& rt, uint64_t gp) {
  DwarfIndex& d = rt.dwarf();
  auto panic_field = d.Field("runtime.g", "_panic");
  auto arg = d.Field("runtime._panic", "arg");
  auto layout = TypeFields(d);
  if (!panic_field || !arg || !layout) return std::nullopt;
  const MemorySource& mem = rt.target().memory();
  uint64_t p, eface[2];
  if (!mem.TryRead(gp + panic_field->offset, &p, 8) || !p || !mem.TryRead(p + arg->offset, eface, sizeof eface) ||
      !eface[0])
    return std::nullopt;
  PanicValue v;
  v.type = RuntimeTypeName(rt, eface[0]).value_or("?");
  uint8_t kind = 0;
  mem.TryRead(eface[0] + layout->kind.offset, &kind, 1);
  kind &= kKindMask;
  if (kind == kKindString) {
    // A string in an interface is boxed: data points to its header.
    v.text = ShortGoString(mem, eface[1]);
    return v;
  }
  // errors.New, fmt.Errorf and most error types keep their text in a
  // string field: the first one declared, by the struct's DWARF.
  std::string strukt = v.type;
  if (kind == kKindPtr && !strukt.empty() && strukt[0] == '*') strukt.erase(0, 1);
  for (const auto& [name, f] : d.AllFields(strukt)) {
    if (name.find('.') != std::string::npos || f.type_name != "string") continue;
    // A pointer is stored in the interface itself; any other value is boxed.
    v.text = ShortGoString(mem, eface[1] + f.offset);
    break;
  }
  return v;
}

std::optional<std::string> ReadFatalError(GoRuntime& rt) {
  auto buf = rt.dwarf().Global("runtime.printBacklog");
  auto idx = rt.ReadGlobal("runtime.printBacklogIndex");
  if (!buf || !idx || buf->size == 0 || buf->size > 65536) return std::nullopt;
  std::string raw(buf->size, '\0');
  if (!rt.target().memory().TryRead(buf->address + rt.target().load_bias(), raw.data(), raw.size()))
    return std::nullopt;
  size_t i = std::min<size_t>(*idx, raw.size());
  std::string text = raw.substr(i) + raw.substr(0, i);  // oldest first
  const std::string marker = "fatal error: ";
  size_t at = text.rfind(marker);
  if (at == std::string::npos) return std::nullopt;
  size_t end = text.find('\n', at);
  if (end == std::string::npos) return std::nullopt;  // the line was not finished
  return text.substr(at + marker.size(), end - at - marker.size());
}

std::optional<std::string> ReadAbortMessage(Target& target) {
  const CoreFile* core = target.core();
  if (!core) return std::nullopt;
  // struct abort_msg_s { unsigned int size; char msg[]; } *__abort_msg
  // (glibc's stdlib/abort.c and assert/assert.c; GLIBC_PRIVATE symbol).
  uint64_t var = 0;
  if (uint64_t a = target.exe().SymbolAddress("__abort_msg")) var = a + target.load_bias();
  for (const auto& m : target.mappings()) {
    if (var) break;
    std::string base = m.path.substr(m.path.rfind('/') + 1);
    if (m.file_offset != 0 || (base.rfind("libc.so", 0) != 0 && base.rfind("libc-", 0) != 0)) continue;
    try {
      std::string local = target.LocalFile(m.path);
      if (local.empty()) continue;
      auto libc = ElfImage::Open(local);
      if (uint64_t a = libc->SymbolAddress("__abort_msg")) var = a + m.start - libc->FirstLoadAddress();
    } catch (const Error&) {
    }
  }
  const MemorySource& mem = target.memory();
  uint64_t msg;
  uint32_t size;
  if (!var || !mem.TryRead(var, &msg, 8) || !msg || !mem.TryRead(msg, &size, 4)) return std::nullopt;
  std::string text(std::min<uint32_t>(size, 4096), '\0');
  text.resize(mem.Read(msg + 4, text.data(), text.size()));
  text.resize(strnlen(text.data(), text.size()));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (text.empty()) return std::nullopt;
  return text;
}

}  // namespace cgostack
