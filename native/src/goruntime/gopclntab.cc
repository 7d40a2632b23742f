#include "goruntime/gopclntab.h"

#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <mutex>
#include <cstring>

namespace cgostack {
namespace {

// pcHeader (runtime/symtab.go): magic u32, pad1 u8, pad2 u8, minLC u8,
// ptrSize u8, then 8 pointer-sized words: nfunc, nfiles, textStart,
// funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset.
// Identical for both magics.
constexpr int kHeaderWords = 8;

// FUNCDATA/PCDATA indices (runtime/symtab.go 1.19, internal/abi/symtab.go
// since 1.20); unchanged through 1.27.
constexpr uint32_t kPcdataInlTreeIndex = 2;
constexpr uint32_t kFuncdataInlTree = 3;

uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

uint64_t LoadWord(const uint8_t* p, uint8_t ptr_size) {
  if (ptr_size == 4) return Load32(p);
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

struct SpecialName {
  std::string_view name;
  GoFuncKind kind;
};

// cmd/internal/objabi/funcid.go `funcIDs` (keyed there without "runtime.").
// The union over 1.19..1.27; a name maps to its FuncID in every release that
// has it.  Functions that the linker marks with the wrapper ID by name
// (deferreturn, runOpenDeferFrame, deferCallSave) are not listed: a non-zero
// raw ID with an unlisted name is a wrapper.
constexpr SpecialName kSpecialNames[] = {
    {"runtime.abort", GoFuncKind::kAbort},
    {"runtime.asmcgocall", GoFuncKind::kAsmcgocall},
    {"runtime.asyncPreempt", GoFuncKind::kAsyncPreempt},
    {"runtime.cgocallback", GoFuncKind::kCgocallback},
    {"runtime.corostart", GoFuncKind::kCorostart},
    {"runtime.debugCallV2", GoFuncKind::kDebugCallV2},
    {"runtime.gcBgMarkWorker", GoFuncKind::kGcBgMarkWorker},
    {"runtime.rt0_go", GoFuncKind::kRt0Go},
    {"runtime.goexit", GoFuncKind::kGoexit},
    {"runtime.gogo", GoFuncKind::kGogo},
    {"runtime.gopanic", GoFuncKind::kGopanic},
    {"runtime.handleAsyncEvent", GoFuncKind::kHandleAsyncEvent},
    {"runtime.main", GoFuncKind::kRuntimeMain},
    {"runtime.mcall", GoFuncKind::kMcall},
    {"runtime.morestack", GoFuncKind::kMorestack},
    {"runtime.mstart", GoFuncKind::kMstart},
    {"runtime.panicwrap", GoFuncKind::kPanicwrap},
    {"runtime.runfinq", GoFuncKind::kRunfinq},
    {"runtime.runFinalizers", GoFuncKind::kRunFinalizers},
    {"runtime.runCleanups", GoFuncKind::kRunCleanups},
    {"runtime.sigpanic", GoFuncKind::kSigpanic},
    {"runtime.systemstack_switch", GoFuncKind::kSystemstackSwitch},
    {"runtime.systemstack", GoFuncKind::kSystemstack},
};

}  // namespace

std::string_view GoFuncKindName(GoFuncKind kind) {
  switch (kind) {
    case GoFuncKind::kNormal: return "normal";
    case GoFuncKind::kAbort: return "abort";
    case GoFuncKind::kAsmcgocall: return "asmcgocall";
    case GoFuncKind::kAsyncPreempt: return "asyncPreempt";
    case GoFuncKind::kCgocallback: return "cgocallback";
    case GoFuncKind::kCorostart: return "corostart";
    case GoFuncKind::kDebugCallV2: return "debugCallV2";
    case GoFuncKind::kGcBgMarkWorker: return "gcBgMarkWorker";
    case GoFuncKind::kGoexit: return "goexit";
    case GoFuncKind::kGogo: return "gogo";
    case GoFuncKind::kGopanic: return "gopanic";
    case GoFuncKind::kHandleAsyncEvent: return "handleAsyncEvent";
    case GoFuncKind::kMcall: return "mcall";
    case GoFuncKind::kMorestack: return "morestack";
    case GoFuncKind::kMstart: return "mstart";
    case GoFuncKind::kPanicwrap: return "panicwrap";
    case GoFuncKind::kRt0Go: return "rt0_go";
    case GoFuncKind::kRunfinq: return "runfinq";
    case GoFuncKind::kRunFinalizers: return "runFinalizers";
    case GoFuncKind::kRunCleanups: return "runCleanups";
    case GoFuncKind::kRuntimeMain: return "runtime_main";
    case GoFuncKind::kSigpanic: return "sigpanic";
    case GoFuncKind::kSystemstack: return "systemstack";
    case GoFuncKind::kSystemstackSwitch: return "systemstack_switch";
    case GoFuncKind::kWrapper: return "wrapper";
  }
  return "unknown";
}

std::string GoFuncNameForPrint(std::string_view name) {
  // The rules of funcNamePiecesForPrint (runtime/traceback.go, 1.21-1.27):
  // from the first '[' to the last ']'; if the interior has no '[' that is
  // one "[...]"; if it is "X]sep[Y" (depth returns to 0 once, then a new
  // '[' opens) it is "[...]sep[...]"; anything else is returned whole.
  const size_t i = name.find('[');
  const size_t j = name.rfind(']');
  if (i == std::string_view::npos || j == std::string_view::npos || j <= i) return std::string(name);
  const std::string_view interior = name.substr(i + 1, j - i - 1);
  const std::string head(name.substr(0, i)), tail(name.substr(j + 1));
  if (interior.find('[') == std::string_view::npos) return head + "[...]" + tail;
  int depth = 1;
  size_t rbr = std::string_view::npos, lbr = std::string_view::npos;
  for (size_t k = 0; k < interior.size(); k++) {
    char c = interior[k];
    if (c == '[') {
      if (++depth != 1) continue;
      lbr = k;
      break;
    }
    if (c == ']') {
      if (--depth < 0) break;
      if (depth == 0) rbr = k;
    }
  }
  if (depth == 1) {
    if (rbr != std::string_view::npos && lbr != std::string_view::npos && lbr > rbr)
      return head + "[...]" + std::string(interior.substr(rbr + 1, lbr - rbr - 1)) + "[...]" + tail;
    if (rbr == std::string_view::npos && lbr == std::string_view::npos) return head + "[...]" + tail;
  }
  return std::string(name);
}

std::unique_ptr<GoPclntab> GoPclntab::Load(const uint8_t* data, size_t size, uint64_t load_bias,
                                           std::string* error) {
  GoPclntabSource source;
  source.pclntab = data;
  source.pclntab_size = size;
  source.load_bias = load_bias;
  return Load(source, error);
}

std::unique_ptr<GoPclntab> GoPclntab::Load(const GoPclntabSource& source, std::string* error) {
  auto fail = [error](std::string message) -> std::unique_ptr<GoPclntab> {
    if (error) *error = "pclntab: " + std::move(message);
    return nullptr;
  };
  const uint8_t* d = source.pclntab;
  const uint64_t size = source.pclntab_size;
  if (d == nullptr || size < 8) return fail("too short for a pcHeader");
  uint32_t magic = Load32(d);
  if (magic != kGo118 && magic != kGo120) {
    char hex[16];
    snprintf(hex, sizeof hex, "%#x", magic);
    if (magic == 0xfffffffa || magic == 0xfffffffb)
      return fail(std::string("magic ") + hex + " is Go 1.2-1.17's, not supported (need Go 1.18+)");
    if (magic == 0xf0ffffff || magic == 0xf1ffffff)
      return fail(std::string("magic ") + hex + ": big-endian pclntab, not supported");
    return fail(std::string("bad magic ") + hex);
  }
  uint8_t pad1 = d[4], pad2 = d[5], min_lc = d[6], ptr_size = d[7];
  if (pad1 != 0 || pad2 != 0) return fail("pcHeader padding is not zero");
  if (min_lc != 1 && min_lc != 2 && min_lc != 4) return fail("bad pc quantum " + std::to_string(min_lc));
  if (ptr_size != 4 && ptr_size != 8) return fail("bad pointer size " + std::to_string(ptr_size));
  const uint64_t header_size = 8 + uint64_t(kHeaderWords) * ptr_size;
  if (size < header_size) return fail("too short for a pcHeader");
  uint64_t w[kHeaderWords];
  for (int i = 0; i < kHeaderWords; i++) w[i] = LoadWord(d + 8 + i * ptr_size, ptr_size);

  std::unique_ptr<GoPclntab> t(new GoPclntab());
  t->data_ = d;
  t->size_ = size;
  t->magic_ = magic;
  t->quantum_ = min_lc;
  t->ptr_size_ = ptr_size;
  t->nfunc_ = w[0];
  t->nfiles_ = w[1];
  t->bias_ = source.load_bias;
  const uint64_t text_start = source.text_start != 0 ? source.text_start : w[2];
  if (text_start == 0)
    return fail("text start unknown: pcHeader.textStart is 0 (Go 1.26+ no longer writes it); "
                "pass text_start (moduledata.text or the runtime.text symbol)");
  t->text_start_ = text_start + source.load_bias;
  t->func_header_size_ = magic == kGo118 ? 40 : 44;

  // Sub-tables, in the order the linker writes them (cmd/link/internal/ld/
  // pcln.go); each ends where the next-higher one starts, or at the end.
  const uint64_t offs[5] = {w[3], w[4], w[5], w[6], w[7]};
  Table* tables[5] = {&t->funcnametab_, &t->cutab_, &t->filetab_, &t->pctab_, &t->pclntable_};
  static const char* const kNames[5] = {"funcnametab", "cutab", "filetab", "pctab", "functab"};
  for (int i = 0; i < 5; i++) {
    if (offs[i] < header_size || offs[i] > size)
      return fail(std::string(kNames[i]) + " offset " + std::to_string(offs[i]) + " outside the " +
                  std::to_string(size) + "-byte table");
    uint64_t end = size;
    for (int j = 0; j < 5; j++)
      if (offs[j] > offs[i] && offs[j] < end) end = offs[j];
    *tables[i] = Table{offs[i], end};
  }

  // functab: nfunc+1 {entryoff, funcoff} pairs; the last entryoff is the end
  // of text.  Checking its bounds and order here makes FindFunc's binary
  // search sound; it is one pass over 8*nfunc bytes.
  const Table& ft = t->pclntable_;
  if (t->nfunc_ == 0) return fail("no functions");
  if (t->nfunc_ >= (ft.end - ft.begin) / 8)
    return fail("functab of " + std::to_string(t->nfunc_) + " functions does not fit");
  const uint8_t* p = d + ft.begin;
  uint32_t prev = 0;
  for (uint64_t i = 0; i <= t->nfunc_; i++) {
    uint32_t e = Load32(p + 8 * i);
    if (e < prev) return fail("functab not sorted at entry " + std::to_string(i));
    prev = e;
  }
  if (source.gofunc != nullptr && source.gofunc_size > 0) {
    t->gofunc_ = source.gofunc;
    t->gofunc_size_ = source.gofunc_size;
  }
  return t;
}

uint64_t GoPclntab::TextEnd() const {
  return text_start_ + Load32(data_ + pclntable_.begin + 8 * nfunc_);
}

bool GoPclntab::ReadU32(uint64_t off, uint32_t* v) const {
  if (off > size_ || size_ - off < 4) return false;
  *v = Load32(data_ + off);
  return true;
}

std::optional<GoPclntab::Func> GoPclntab::FuncAt(size_t index) const {
  if (index >= nfunc_) return std::nullopt;
  const uint8_t* ftab = data_ + pclntable_.begin;
  uint32_t entryoff = Load32(ftab + 8 * index);
  uint32_t funcoff = Load32(ftab + 8 * index + 4);
  uint32_t nextoff = Load32(ftab + 8 * (index + 1));
  // The _func, fixed part: see func_header_size_ and docs/gopclntab.md.
  uint64_t fo = pclntable_.begin + uint64_t(funcoff);
  if (fo + func_header_size_ > pclntable_.end) return std::nullopt;
  const uint8_t* q = data_ + fo;
  if (Load32(q) != entryoff) return std::nullopt;  // _func.entryoff must agree
  Func f;
  f.entry = text_start_ + entryoff;
  f.end = text_start_ + nextoff;
  f.index = uint32_t(index);
  f.off = funcoff;
  f.name_off = int32_t(Load32(q + 4));
  f.args = int32_t(Load32(q + 8));
  f.deferreturn = Load32(q + 12);
  f.pcsp = Load32(q + 16);
  f.pcfile = Load32(q + 20);
  f.pcln = Load32(q + 24);
  f.npcdata = Load32(q + 28);
  f.cu_offset = Load32(q + 32);
  const uint8_t* tail = q + func_header_size_ - 4;  // funcID, flag, pad, nfuncdata
  if (magic_ != kGo118) f.start_line = int32_t(Load32(q + 36));
  f.func_id = tail[0];
  f.flag = tail[1];
  f.nfuncdata = tail[3];
  return f;
}

std::optional<GoPclntab::Func> GoPclntab::FindFunc(uint64_t pc) const {
  if (pc < text_start_) return std::nullopt;
  uint64_t rel = pc - text_start_;
  const uint8_t* ftab = data_ + pclntable_.begin;
  if (rel >= Load32(ftab + 8 * nfunc_)) return std::nullopt;
  // Largest i with entryoff[i] <= rel (entries are sorted, checked in Load).
  size_t lo = 0, n = nfunc_;
  while (n > 1) {
    size_t half = n / 2;
    if (Load32(ftab + 8 * (lo + half)) <= rel) lo += half;
    n -= half;
  }
  if (Load32(ftab + 8 * lo) > rel) return std::nullopt;
  return FuncAt(lo);
}

std::string_view GoPclntab::CString(const Table& t, uint64_t off) const {
  if (off >= t.end - t.begin) return {};
  const char* s = reinterpret_cast<const char*>(data_ + t.begin + off);
  size_t max = t.end - t.begin - off;
  const void* nul = std::memchr(s, 0, max);
  if (nul == nullptr) return {};
  return std::string_view(s, static_cast<const char*>(nul) - s);
}

std::string_view GoPclntab::FuncName(const Func& f) const {
  if (f.name_off < 0) return {};
  return CString(funcnametab_, uint64_t(f.name_off));
}

GoFuncKind GoPclntab::KindOf(uint8_t raw_id, std::string_view name) const {
  if (raw_id == 0) return GoFuncKind::kNormal;
  std::call_once(kinds_once_, [this] { BuildKindMap(); });
  if (raw_kinds_[raw_id] != kRawIdUnseen) return GoFuncKind(raw_kinds_[raw_id]);
  // An ID no function in the functab has (only seen in an inline tree).
  for (const SpecialName& s : kSpecialNames)
    if (s.name == name) return s.kind;
  return GoFuncKind::kWrapper;
}

void GoPclntab::BuildKindMap() const {
  // The raw abi.FuncID numbering changes between releases, but the linker
  // assigns the IDs by name (cmd/internal/objabi/funcid.go GetFuncID), so
  // the binary tells its own numbering: a raw ID carried only by functions
  // of one special name is that special function's; the wrapper ID is the
  // one also carried by other names (autogenerated code, ABI wrappers that
  // have the wrapped function's name, runtime.deferreturn, ...).
  constexpr uint8_t kConflict = 0xfe;
  raw_kinds_.fill(kRawIdUnseen);
  const uint8_t* ftab = data_ + pclntable_.begin;
  for (uint64_t i = 0; i < nfunc_; i++) {
    uint64_t fo = pclntable_.begin + uint64_t(Load32(ftab + 8 * i + 4));
    if (fo + func_header_size_ > pclntable_.end) continue;
    const uint8_t* q = data_ + fo;
    uint8_t raw = q[func_header_size_ - 4];
    if (raw == 0 || raw_kinds_[raw] == kConflict) continue;
    int32_t name_off = int32_t(Load32(q + 4));
    std::string_view name = name_off >= 0 ? CString(funcnametab_, uint64_t(name_off)) : std::string_view();
    uint8_t kind = kConflict;
    for (const SpecialName& s : kSpecialNames)
      if (s.name == name) kind = uint8_t(s.kind);
    if (raw_kinds_[raw] == kRawIdUnseen) raw_kinds_[raw] = kind;
    else if (raw_kinds_[raw] != kind) raw_kinds_[raw] = kConflict;
  }
  for (uint8_t& k : raw_kinds_)
    if (k == kConflict) k = uint8_t(GoFuncKind::kWrapper);
}

GoFuncKind GoPclntab::Kind(const Func& f) const { return KindOf(f.func_id, FuncName(f)); }

GoPclntab::PcValueCache::PcValueCache(size_t entries) {
  size_t n = 16;
  while (n < entries && n < (size_t(1) << 24)) n <<= 1;
  entries_.resize(n);
}

void GoPclntab::PcValueCache::Clear() { std::fill(entries_.begin(), entries_.end(), Entry()); }

std::optional<int32_t> GoPclntab::PcValue(const Func& f, uint32_t off, uint64_t target,
                                          PcValueCache* cache) const {
  if (off == 0) return std::nullopt;
  PcValueCache::Entry* slot = nullptr;
  if (cache != nullptr) {
    if (cache->owner_ != this) {
      cache->Clear();
      cache->owner_ = this;
    }
    uint64_t h = (target ^ (uint64_t(off) << 20)) * 0x9e3779b97f4a7c15ull;
    slot = &cache->entries_[(h >> 40) & (cache->entries_.size() - 1)];
    if (slot->off == off && slot->pc == target) {
      if (!slot->ok) return std::nullopt;
      return slot->val;
    }
  }
  std::optional<int32_t> v = DecodePcValue(f, off, target);
  if (slot != nullptr) *slot = {target, off, v.value_or(0), v.has_value()};
  return v;
}

std::optional<int32_t> GoPclntab::DecodePcValue(const Func& f, uint32_t off, uint64_t target) const {
  // runtime.pcvalue/step: a sequence of (value delta, pc delta) pairs of
  // uvarints; value deltas are zigzag-encoded, pc deltas are multiplied by
  // the pc quantum; a 0 value delta after the first pair ends the table.
  // The value starts at -1 and the pc at the entry; the value applies to
  // [previous pc, new pc).
  uint64_t pos = pctab_.begin + uint64_t(off);
  const uint64_t end = pctab_.end;
  if (pos >= end || target < f.entry) return std::nullopt;
  uint64_t pc = f.entry;
  int32_t val = -1;
  bool first = true;
  auto uvarint = [&](uint32_t* out) -> bool {
    uint32_t v = 0, shift = 0;
    while (pos < end) {
      uint8_t b = data_[pos++];
      v |= uint32_t(b & 0x7f) << (shift & 31);
      if ((b & 0x80) == 0) {
        *out = v;
        return true;
      }
      shift += 7;
    }
    return false;
  };
  for (;;) {
    if (pos >= end) return std::nullopt;
    if (data_[pos] == 0 && !first) return std::nullopt;  // end of table, pc not covered
    uint32_t uvdelta, pcdelta;
    if (!uvarint(&uvdelta) || !uvarint(&pcdelta)) return std::nullopt;
    first = false;
    val = int32_t(uint32_t(val) + (-(uvdelta & 1) ^ (uvdelta >> 1)));  // wraps like Go's int32
    pc += uint64_t(pcdelta) * quantum_;
    if (target < pc) return val;
  }
}

std::optional<int32_t> GoPclntab::SpDelta(const Func& f, uint64_t pc, PcValueCache* cache) const {
  return PcValue(f, f.pcsp, pc, cache);
}

std::optional<int32_t> GoPclntab::PcData(const Func& f, uint32_t table, uint64_t pc,
                                          PcValueCache* cache) const {
  if (table >= f.npcdata) return -1;
  uint32_t off;
  if (!ReadU32(pclntable_.begin + uint64_t(f.off) + func_header_size_ + 4ull * table, &off))
    return std::nullopt;
  if (off == 0) return -1;  // the runtime's pcvalue returns -1 for a missing table
  return PcValue(f, off, pc, cache);
}

std::optional<uint32_t> GoPclntab::FuncDataOffset(const Func& f, uint32_t index) const {
  if (index >= f.nfuncdata) return std::nullopt;
  uint32_t off;
  uint64_t at = pclntable_.begin + uint64_t(f.off) + func_header_size_ + 4ull * f.npcdata + 4ull * index;
  if (!ReadU32(at, &off) || off == ~uint32_t(0)) return std::nullopt;
  return off;
}

bool GoPclntab::HasInlineTree(const Func& f) const {
  return FuncDataOffset(f, kFuncdataInlTree).has_value();
}

std::string_view GoPclntab::FileName(const Func& f, int32_t fileno) const {
  // runtime.funcfile: cutab[cuOffset+fileno] is an offset into filetab, or
  // ~0 for a corrupt table.
  uint64_t idx = uint64_t(f.cu_offset) + uint64_t(uint32_t(fileno));
  uint64_t at = cutab_.begin + 4 * idx;
  if (at + 4 > cutab_.end) return {};
  uint32_t fileoff = Load32(data_ + at);
  if (fileoff == ~uint32_t(0)) return {};
  return CString(filetab_, fileoff);
}

bool GoPclntab::FileLine(const Func& f, uint64_t pc, std::string_view* file, int32_t* line,
                         PcValueCache* cache) const {
  *file = "?";
  *line = 0;
  std::optional<int32_t> fileno = PcValue(f, f.pcfile, pc, cache);
  if (!fileno || *fileno < 0) return false;
  std::optional<int32_t> ln = PcValue(f, f.pcln, pc, cache);
  if (!ln || *ln < 0) return false;
  std::string_view name = FileName(f, *fileno);
  if (name.empty()) return false;
  *file = name;
  *line = *ln;
  return true;
}

bool GoPclntab::InlinedCall(uint32_t tree, int32_t ix, uint8_t* func_id, int32_t* name_off,
                            int32_t* parent_pc) const {
  // inlinedCall: 1.18/1.19 {parent i16, funcID u8, _ u8, file i32, line i32,
  // func_ i32, parentPc i32} (20 bytes, runtime/symtab.go); 1.20+ {funcID
  // u8, _ [3]u8, nameOff i32, parentPc i32, startLine i32} (16 bytes,
  // runtime/symtabinl.go or runtime/symtab.go).
  const uint64_t entry_size = magic_ == kGo118 ? 20 : 16;
  uint64_t at = uint64_t(tree) + entry_size * uint64_t(uint32_t(ix));
  if (ix < 0 || at > gofunc_size_ || gofunc_size_ - at < entry_size) return false;
  const uint8_t* e = gofunc_ + at;
  if (magic_ == kGo118) {
    *func_id = e[2];
    *name_off = int32_t(Load32(e + 12));
    *parent_pc = int32_t(Load32(e + 16));
  } else {
    *func_id = e[0];
    *name_off = int32_t(Load32(e + 4));
    *parent_pc = int32_t(Load32(e + 8));
  }
  return true;
}

std::vector<GoPclntab::Location> GoPclntab::Symbolize(const Func& f, uint64_t pc, PcValueCache* cache) const {
  std::vector<Location> out;
  Symbolize(f, pc, &out, cache);
  return out;
}

void GoPclntab::Symbolize(const Func& f, uint64_t pc, std::vector<Location>* out, PcValueCache* cache) const {
  out->clear();
  // The runtime's inline unwinder (traceback.go in 1.19, symtabinl.go since
  // 1.21): the InlTreeIndex at pc names the innermost inlined call (or -1
  // for none); its file:line are those at pc; then continue at
  // entry+parentPc, an instruction whose position is the call site.
  std::optional<uint32_t> tree;
  if (gofunc_ != nullptr) tree = FuncDataOffset(f, kFuncdataInlTree);
  uint64_t at = pc;
  if (tree) {
    // A damaged tree could loop; an inline depth beyond this is not real.
    for (int depth = 0; depth < 256; depth++) {
      std::optional<int32_t> ix = PcData(f, kPcdataInlTreeIndex, at, cache);
      if (!ix || *ix < 0) break;
      uint8_t func_id;
      int32_t name_off, parent_pc;
      if (!InlinedCall(*tree, *ix, &func_id, &name_off, &parent_pc)) break;
      Location loc;
      loc.function = name_off >= 0 ? CString(funcnametab_, uint64_t(name_off)) : std::string_view();
      loc.inlined = true;
      loc.kind = KindOf(func_id, loc.function);
      FileLine(f, at, &loc.file, &loc.line, cache);
      out->push_back(loc);
      at = f.entry + uint64_t(uint32_t(parent_pc));
    }
  }
  Location loc;
  loc.function = FuncName(f);
  loc.kind = Kind(f);
  FileLine(f, at, &loc.file, &loc.line, cache);
  out->push_back(loc);
}

namespace {

}  // namespace

const uint8_t* ElfBytesAt(Elf* elf, uint64_t addr, uint64_t* size) {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type == SHT_NOBITS || !(sh.sh_flags & SHF_ALLOC))
      continue;
    if (addr < sh.sh_addr || addr >= sh.sh_addr + sh.sh_size) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || data->d_buf == nullptr || data->d_size != sh.sh_size) return nullptr;
    uint64_t off = addr - sh.sh_addr;
    uint64_t avail = sh.sh_size - off;
    if (*size == 0) *size = avail;
    if (*size > avail) return nullptr;
    return static_cast<const uint8_t*>(data->d_buf) + off;
  }
  return nullptr;
}

namespace {

// Go 1.22 and older, linking externally a PIE or a shared library, merge
// the pc table into .data.rel.ro; stripped, nothing names it.  It starts
// with a pcHeader (runtime/symtab.go): magic 0xfffffff0 (Go 1.18-1.19) or
// 0xfffffff1 (1.20+), two zero bytes, the pc quantum, the pointer size,
// then nfunc, nfiles, textStart and five offsets from the header, in
// increasing order.  Exactly one such header must be there.
bool FindPcHeaderInDataRelRo(Elf* elf, size_t shstrndx, GoPclntabSource* source) {
  const uint8_t* found = nullptr;
  size_t found_size = 0;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type == SHT_NOBITS) continue;
    const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
    if (name == nullptr || std::strncmp(name, ".data.rel.ro", 12) != 0) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || data->d_buf == nullptr) continue;
    const uint8_t* p = static_cast<const uint8_t*>(data->d_buf);
    size_t n = data->d_size;
    constexpr size_t kHeader = 8 + 8 * 8;
    for (size_t at = 0; at + kHeader <= n; at += 8) {  // the header is pointer-aligned
      const uint8_t* h = p + at;
      if (!((h[0] == 0xf0 || h[0] == 0xf1) && h[1] == 0xff && h[2] == 0xff && h[3] == 0xff && h[4] == 0 &&
            h[5] == 0 && (h[6] == 1 || h[6] == 2 || h[6] == 4) && h[7] == 8))
        continue;
      uint64_t w[8];
      std::memcpy(w, h + 8, sizeof w);  // nfunc, nfiles, textStart, then the five offsets
      bool ok = w[0] > 0 && w[0] < (1u << 24) && w[1] < (1u << 24) && w[3] >= kHeader && w[7] < n - at;
      for (int i = 3; ok && i < 7; ++i) ok = w[i] <= w[i + 1];
      if (!ok) continue;
      if (found) return false;  // two: no answer rather than a guess
      found = h;
      found_size = n - at;
    }
  }
  if (!found) return false;
  source->pclntab = found;
  source->pclntab_size = found_size;
  return true;
}

}  // namespace

bool FindGoPclntabInElf(Elf* elf, GoPclntabSource* source, std::string* error) {
  *source = GoPclntabSource();
  size_t shstrndx;
  if (elf == nullptr || elf_getshdrstrndx(elf, &shstrndx) != 0) {
    if (error) *error = "not an ELF file with sections";
    return false;
  }
  uint64_t sym_pclntab = 0, sym_epclntab = 0, sym_gofunc = 0, sym_text = 0;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) continue;
    const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
    if (name != nullptr && source->pclntab == nullptr &&
        (std::strcmp(name, ".gopclntab") == 0 || std::strcmp(name, ".data.rel.ro.gopclntab") == 0) &&
        sh.sh_type != SHT_NOBITS) {
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (data != nullptr && data->d_buf != nullptr) {
        source->pclntab = static_cast<const uint8_t*>(data->d_buf);
        source->pclntab_size = data->d_size;
      }
    }
    if (sh.sh_type != SHT_SYMTAB) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || sh.sh_entsize == 0) continue;
    size_t count = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < count; i++) {
      GElf_Sym sym;
      if (gelf_getsym(data, int(i), &sym) == nullptr) continue;
      const char* s = elf_strptr(elf, sh.sh_link, sym.st_name);
      if (s == nullptr || s[0] == 0) continue;
      if (std::strcmp(s, "runtime.pclntab") == 0) sym_pclntab = sym.st_value;
      else if (std::strcmp(s, "runtime.epclntab") == 0) sym_epclntab = sym.st_value;
      else if (std::strcmp(s, "go:func.*") == 0 || std::strcmp(s, "go.func.*") == 0) sym_gofunc = sym.st_value;
      else if (std::strcmp(s, "runtime.text") == 0) sym_text = sym.st_value;
    }
  }
  if (source->pclntab == nullptr && sym_pclntab != 0 && sym_epclntab > sym_pclntab) {
    uint64_t size = sym_epclntab - sym_pclntab;
    source->pclntab = ElfBytesAt(elf, sym_pclntab, &size);
    if (source->pclntab != nullptr) source->pclntab_size = size;
  }
  if (source->pclntab == nullptr && !FindPcHeaderInDataRelRo(elf, shstrndx, source)) {
    if (error) *error = "no .gopclntab section nor runtime.pclntab symbol (not a Go 1.18+ executable?)";
    return false;
  }
  if (sym_gofunc != 0) {
    uint64_t size = 0;
    source->gofunc = ElfBytesAt(elf, sym_gofunc, &size);
    if (source->gofunc != nullptr) source->gofunc_size = size;
  }
  source->text_start = sym_text;
  return true;
}

}  // namespace cgostack
