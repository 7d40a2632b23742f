// Every kind of lock the wait-for graph knows, in one table: its name in
// the JSON ("lock_kind"), the words its text label starts with, what reads
// its state, and which diagnoses apply to it.  Code switches on LockKind;
// only the JSON and the text use the names.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cgostack {

enum class LockKind : uint8_t {
  kPthreadMutex,
  kPthreadRwlock,
  kPthreadCond,
  kThreadJoin,
  kSemaphore,
  kRuntimeMutex,
  kFutex,  // a futex wait no function names
  kSyncMutex,
  kSyncRWMutex,
  kSyncWaitGroup,
  kChan,
  kPackageInit,
};

// What reads a lock's state from target memory.
enum class LockReader : uint8_t {
  kNone,           // nothing beyond the wait itself
  kPthreadMutex,   // pthread_objects.h ReadPthreadMutex: type, owner, count
  kPthreadRwlock,  // ReadPthreadRwlock: writer, readers
  kPthreadCond,    // ReadPthreadCond: waiters
  kJoinedThread,   // the joined thread (thread_waits.h JoinedThread)
  kGoSync,         // go_waits.h SyncObjectOf: the state word of sync.*
  kGoChannel,      // go_waits.h ChannelsOf: the hchan
};

struct LockKindInfo {
  LockKind kind;
  std::string_view name;   // "lock_kind" in the JSON (docs/json-schema.md)
  std::string_view label;  // the text label's first words: "pthread mutex 0x..."
  LockReader reader;
  // An owner thread can be recorded (held_by a thread): owner_exited and
  // self_deadlock apply, and polls_in_c counts it among the locks held.
  bool owned_by_thread;
  // A C lock a cgo call can leak or hold across a callback:
  // lock_leaked and held_across_callback apply.
  bool c_lock;
  // The text says "holder unknown" when no held_by edge is known (a
  // channel has no holder to know).
  bool has_holder;
};

const LockKindInfo& Info(LockKind kind);
inline std::string_view Name(LockKind kind) { return Info(kind).name; }
// The kind of a "lock_kind" name; nullopt for a name no kind has.
std::optional<LockKind> LockKindNamed(std::string_view name);

}  // namespace cgostack
