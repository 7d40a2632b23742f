#include "locks/go_waits.h"

#include <set>
#include <unordered_set>

#include "error.h"

namespace cgostack {

namespace {

// Bounds for walks over target memory (a corrupt treap must not loop).
constexpr size_t kMaxSudogs = 10'000'000;
constexpr size_t kMaxChannelWaiters = 100'000;

// sync.Mutex state bits (sync/mutex.go, internal/sync/mutex.go 1.19-1.27).
constexpr int32_t kMutexLocked = 1, kMutexStarving = 4, kMutexWaiterShift = 3;

bool AnyFrame(const std::vector<StackFrame>& frames, std::string_view needle) {
  for (const StackFrame& f : frames)
    if (f.lang == FrameLang::kGo && f.function.find(needle) != std::string_view::npos) return true;
  return false;
}

}  // namespace

GoWaits::GoWaits(GoRuntime& rt) : rt_(rt) {
  DwarfIndex& dw = rt.dwarf();
  sudog_g_ = dw.Field("runtime.sudog", "g");
  sudog_next_ = dw.Field("runtime.sudog", "next");
  sudog_prev_ = dw.Field("runtime.sudog", "prev");
  sudog_elem_ = dw.Field("runtime.sudog", "elem");
  sudog_waitlink_ = dw.Field("runtime.sudog", "waitlink");
  sudog_c_ = dw.Field("runtime.sudog", "c");
  g_waiting_ = dw.Field("runtime.g", "waiting");
  hchan_qcount_ = dw.Field("runtime.hchan", "qcount");
  hchan_dataqsiz_ = dw.Field("runtime.hchan", "dataqsiz");
  hchan_elemsize_ = dw.Field("runtime.hchan", "elemsize");
  hchan_closed_ = dw.Field("runtime.hchan", "closed");
  hchan_recvq_ = dw.Field("runtime.hchan", "recvq.first");
  hchan_sendq_ = dw.Field("runtime.hchan", "sendq.first");
  // Closed when package initialization is done (runtime/proc.go): named
  // main_init_done before Go 1.21, mainInitDoneChan after.
  for (const char* name : {"runtime.mainInitDoneChan", "runtime.main_init_done"}) {
    try {
      init_done_ = rt.target().memory().ReadU64(rt.GlobalAddress(name));
      break;
    } catch (const Error&) {
    }
  }
  try {
    WalkSemtable();
  } catch (const Error& e) {
    error_ = std::string("semaphore table unreadable: ") + e.what();
  }
}

uint64_t GoWaits::ReadPtrField(uint64_t base, const std::optional<DwarfField>& f) const {
  if (!f || !base) return 0;
  // Go 1.26+ wraps sudog.elem and sudog.c in maybeTraceablePtr{vp, vu}: the
  // pointer is vp, or vu when the runtime hid it from the GC.
  uint64_t v[2] = {0, 0};
  size_t n = f->size >= 16 ? 16 : 8;
  if (!rt_.target().memory().TryRead(base + f->offset, v, n)) return 0;
  return v[0] ? v[0] : (n == 16 ? v[1] : 0);
}

void GoWaits::WalkSemtable() {
  DwarfIndex& dw = rt_.dwarf();
  auto table = dw.Global("runtime.semtable");
  auto treap = dw.Field("runtime.semaRoot", "treap");
  if (!table || !treap || !sudog_elem_ || !sudog_g_) throw Error("no runtime.semtable layout in DWARF");
  uint64_t count = dw.ArrayCount(table->type).value_or(0);
  uint64_t total = 0;
  for (const char* name : {"runtime.semTable", "runtime.semtable"})
    if (auto sz = dw.TypeSize(name)) total = *sz;
  if (count == 0 || count > 4096 || total == 0) throw Error("runtime.semtable has no usable size");
  uint64_t entry = total / count;
  uint64_t base = table->address + rt_.target().load_bias();
  const MemorySource& mem = rt_.target().memory();
  std::set<uint64_t> seen;
  std::vector<uint64_t> todo;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t root = 0;
    if (mem.TryRead(base + i * entry + treap->offset, &root, sizeof root) && root) todo.push_back(root);
  }
  // Each treap node is the first waiter on one address; the others hang off
  // it through waitlink (runtime/sema.go semaRoot.queue).
  while (!todo.empty() && seen.size() < kMaxSudogs) {
    uint64_t s = todo.back();
    todo.pop_back();
    if (!seen.insert(s).second) continue;
    uint64_t addr = ReadPtrField(s, sudog_elem_);
    for (uint64_t w = s; w && seen.size() < kMaxSudogs; w = ReadPtrField(w, sudog_waitlink_)) {
      if (w != s && !seen.insert(w).second) break;
      if (uint64_t g = ReadPtrField(w, sudog_g_)) sema_of_g_[g] = addr;
    }
    for (const auto& child : {sudog_prev_, sudog_next_})
      if (uint64_t c = ReadPtrField(s, child)) todo.push_back(c);
  }
}

std::optional<uint64_t> GoWaits::SemaOf(uint64_t g) const {
  auto it = sema_of_g_.find(g);
  if (it == sema_of_g_.end()) return std::nullopt;
  return it->second;
}

const GoWaits::SyncLayouts& GoWaits::Sync() {
  if (sync_) return *sync_;
  DwarfIndex& dw = rt_.dwarf();
  SyncLayouts l;
  // sync.Mutex is {state, sema} (Go 1.24+: it wraps internal/sync.Mutex).
  l.mutex_sema = dw.Field("sync.Mutex", "mu.sema");
  if (!l.mutex_sema) l.mutex_sema = dw.Field("sync.Mutex", "sema");
  l.mutex_state = dw.Field("sync.Mutex", "mu.state");
  if (!l.mutex_state) l.mutex_state = dw.Field("sync.Mutex", "state");
  l.wg_sema = dw.Field("sync.WaitGroup", "sema");
  if (!l.wg_sema) l.wg_sema = dw.Field("sync.WaitGroup", "state2");  // Go 1.19-1.20
  l.wg_state = dw.Field("sync.WaitGroup", "state");
  if (!l.wg_state) l.wg_state = dw.Field("sync.WaitGroup", "state1");
  l.rw_w = dw.Field("sync.RWMutex", "w");
  l.rw_writer_sem = dw.Field("sync.RWMutex", "writerSem");
  l.rw_reader_sem = dw.Field("sync.RWMutex", "readerSem");
  sync_ = l;
  return *sync_;
}

SyncObject GoWaits::SyncObjectOf(uint64_t sema, const std::vector<StackFrame>& frames) {
  const MemorySource& mem = rt_.target().memory();
  const SyncLayouts& l = Sync();
  const auto& mutex_sema = l.mutex_sema;
  const auto& mutex_state = l.mutex_state;
  SyncObject o;
  o.kind = LockKind::kSemaphore;
  o.address = sema;
  auto read_mutex = [&](uint64_t at) {
    int32_t state = 0;
    if (mutex_state && mem.TryRead(at + mutex_state->offset, &state, sizeof state)) {
      o.locked = state & kMutexLocked;
      o.starving = state & kMutexStarving;
      o.waiters = static_cast<uint32_t>(state) >> kMutexWaiterShift;
    }
  };
  if (AnyFrame(frames, "(*WaitGroup).Wait")) {
    const auto& f = l.wg_sema;
    o.kind = LockKind::kSyncWaitGroup;
    if (f) o.address = sema - f->offset;
    uint64_t state = 0;
    const auto& st = l.wg_state;
    if (st && mem.TryRead(o.address + st->offset, &state, sizeof state)) o.counter = static_cast<int32_t>(state >> 32);
  } else if (AnyFrame(frames, "(*RWMutex).")) {
    o.kind = LockKind::kSyncRWMutex;
    const auto& w = l.rw_w;
    const auto& ws = l.rw_writer_sem;
    const auto& rs = l.rw_reader_sem;
    if (AnyFrame(frames, "(*RWMutex).RLock") && rs) o.address = sema - rs->offset;
    else if (AnyFrame(frames, "(*Mutex).") && w && mutex_sema) o.address = sema - mutex_sema->offset - w->offset;
    else if (ws) o.address = sema - ws->offset;
    if (w) read_mutex(o.address + w->offset);
  } else if (AnyFrame(frames, "(*Mutex).")) {
    o.kind = LockKind::kSyncMutex;
    if (mutex_sema) o.address = sema - mutex_sema->offset;
    read_mutex(o.address);
  }
  return o;
}

std::vector<const ChannelInfo*> GoWaits::ChannelsOf(const Goroutine& g, const KeyIndex& goid_of_g) {
  std::vector<const ChannelInfo*> out;
  const MemorySource& mem = rt_.target().memory();
  uint64_t s = ReadPtrField(g.address, g_waiting_);
  std::set<uint64_t> seen;
  auto queue = [&](uint64_t first, std::vector<uint64_t>* goids) {
    std::unordered_set<uint64_t> q;  // a loop in a corrupt queue ends the walk
    for (uint64_t w = first; w && q.size() < kMaxChannelWaiters && q.insert(w).second; w = ReadPtrField(w, sudog_next_)) {
      if (auto goid = goid_of_g.Find(ReadPtrField(w, sudog_g_))) goids->push_back(*goid);
    }
  };
  for (; s && seen.size() < 4096 && seen.insert(s).second; s = ReadPtrField(s, sudog_waitlink_)) {
    uint64_t c = ReadPtrField(s, sudog_c_);
    if (!c) continue;
    auto cached = channels_.find(c);
    if (cached != channels_.end()) {
      out.push_back(&cached->second);
      continue;
    }
    ChannelInfo& ch = channels_[c];
    ch.address = c;
    auto rd = [&](const std::optional<DwarfField>& f) {
      uint64_t v = 0;
      if (f) mem.TryRead(c + f->offset, &v, f->size && f->size < 8 ? f->size : 8);
      return v;
    };
    ch.qcount = rd(hchan_qcount_);
    ch.dataqsiz = rd(hchan_dataqsiz_);
    ch.elemsize = rd(hchan_elemsize_);
    ch.closed = rd(hchan_closed_) != 0;
    queue(rd(hchan_recvq_), &ch.receivers);
    queue(rd(hchan_sendq_), &ch.senders);
    out.push_back(&ch);
  }
  return out;
}

}  // namespace cgostack
