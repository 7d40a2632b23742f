// What goroutines wait on, from the runtime's own wait queues: the
// semaphore table (sync.Mutex, RWMutex, WaitGroup: runtime.semtable's
// treaps of sudogs, keyed by the semaphore word's address) and g.waiting
// (the sudogs of a channel operation or select, each naming its hchan).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "goruntime/goroutines.h"
#include "locks/key_index.h"
#include "locks/lock_kind.h"

namespace cgostack {

struct ChannelInfo {
  uint64_t address = 0;
  uint64_t qcount = 0, dataqsiz = 0, elemsize = 0;
  bool closed = false;
  std::vector<uint64_t> receivers, senders;  // goids waiting in recvq / sendq
};

struct SyncObject {
  LockKind kind = LockKind::kSemaphore;  // sync.Mutex, sync.RWMutex, sync.WaitGroup, or a bare semaphore
  uint64_t address = 0;   // the variable (not its semaphore word)
  bool locked = false, starving = false;
  uint32_t waiters = 0;   // sync.Mutex: waiter count from the state word
  int64_t counter = 0;    // sync.WaitGroup: the counter
};

class GoWaits {
 public:
  explicit GoWaits(GoRuntime& rt);
  // The semaphore word goroutine `g` (its g address) sleeps on, if any.
  std::optional<uint64_t> SemaOf(uint64_t g) const;
  // What that semaphore belongs to, from the sleeper's frames.
  SyncObject SyncObjectOf(uint64_t sema, const std::vector<StackFrame>& frames);
  // The channels g waits on (one for a send or receive, several for select),
  // read once each (thousands of goroutines wait on one channel).
  // `goid_of_g`: goid by g address.
  std::vector<const ChannelInfo*> ChannelsOf(const Goroutine& g, const KeyIndex& goid_of_g);
  // The channel closed when package init finishes (runtime.mainInitDoneChan,
  // runtime.main_init_done before Go 1.21).
  uint64_t InitDoneChannel() const { return init_done_; }
  const std::string& error() const { return error_; }

 private:
  void WalkSemtable();
  uint64_t ReadPtrField(uint64_t base, const std::optional<DwarfField>& f) const;
  // The sync.* fields SyncObjectOf reads, looked up once (thousands of
  // goroutines wait on sync objects).
  struct SyncLayouts {
    std::optional<DwarfField> mutex_sema, mutex_state, wg_sema, wg_state, rw_w, rw_writer_sem, rw_reader_sem;
  };
  const SyncLayouts& Sync();
  std::optional<SyncLayouts> sync_;

  GoRuntime& rt_;
  std::map<uint64_t, uint64_t> sema_of_g_;
  std::optional<DwarfField> sudog_g_, sudog_next_, sudog_prev_, sudog_elem_, sudog_waitlink_, sudog_c_, g_waiting_;
  std::optional<DwarfField> hchan_qcount_, hchan_dataqsiz_, hchan_elemsize_, hchan_closed_, hchan_recvq_, hchan_sendq_;
  std::map<uint64_t, ChannelInfo> channels_;
  uint64_t init_done_ = 0;
  std::string error_;
};

}  // namespace cgostack
