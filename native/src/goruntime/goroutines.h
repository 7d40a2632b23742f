// Every goroutine the runtime knows (runtime.allgs, dead ones skipped) as the
// runtime itself would describe it: goid, status and wait reason (the
// runtime's own strings), its M and that M's OS thread, lock-to-thread state,
// creator and start function, and its Go stack.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string_view>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

#include "goruntime/go_runtime.h"
#include "stacks/go_unwind.h"

namespace cgostack {

struct Goroutine {
  uint64_t address = 0;  // the g
  uint64_t goid = 0;
  uint32_t raw_status = 0;
  std::string status;        // "waiting", "syscall", ...
  std::string wait_reason;   // runtime.waitReasonStrings[g.waitreason]; "" if none
  int64_t wait_since_ns = 0;
  std::optional<int64_t> m;  // id of g.m
  std::optional<int64_t> lwp;
  bool locked_to_thread = false;       // g.lockedm != 0
  std::optional<int64_t> locked_m;     // null if that M cannot be read
  std::optional<int64_t> locked_lwp;
  // Names below point into the executable's pc table (alive with GoRuntime).
  std::string_view created_by;    // function containing g.gopc
  std::string_view created_by_file;
  int32_t created_by_line = 0;
  std::optional<uint64_t> parent_goid;  // Go 1.21+
  std::string_view start;         // function at g.startpc
  std::vector<std::pair<std::string, std::string>> labels;  // pprof labels
  std::string labels_error;  // set when g.labels is set but cannot be decoded
  bool system = false;       // runtime-internal (runtime isSystemGoroutine)
  std::vector<StackFrame> frames;
  std::string frames_error;  // why the stack is missing or incomplete
  std::string error;         // why the g itself could not be read
};

struct GoroutineOptions {
  bool with_frames = true;
  // Go frames kept: the first head_frames and the last tail_frames with an
  // elided boundary between them (go_unwind.h), as the runtime's own
  // traceback; all_frames keeps every one.
  size_t head_frames = 50, tail_frames = 50;
  bool all_frames = false;
  // Called on every goroutine ReadAll returns, as soon as it is read.
  std::function<void(Goroutine*)> each;
};

class GoroutineReader {
 public:
  explicit GoroutineReader(GoRuntime& rt);
  // The g of every live goroutine, in goid order (the order reports list
  // them), from each g's status and goid alone, so that a report can then
  // read and write one goroutine at a time.  A g that cannot be read is
  // kept (first, as goid 0): Read() says why.
  std::vector<uint64_t> LiveInGoidOrder();
  // All live goroutines, in goid order.  One unreadable g is reported in its
  // entry and never stops the others.
  std::vector<Goroutine> ReadAll(const GoroutineOptions& opts);
  // One goroutine by the address of its g (g->error says why if unreadable).
  Goroutine Read(uint64_t gp, const GoroutineOptions& opts);
  // Why wait reasons could not be read (they are then shown as numbers).
  const std::string& wait_reasons_error() const { return wait_reasons_error_; }
  // Goroutines whose pprof labels were cut at kMaxLabelBytes (never silent:
  // a warning of the report).
  size_t labels_cut() const { return labels_cut_.load(); }
  static constexpr size_t kMaxLabelBytes = 4096;

 private:
  struct MInfo {
    int64_t id;
    std::optional<int64_t> lwp;
  };
  void ReadOne(uint64_t gp, const std::vector<uint8_t>& buf, const GoroutineOptions& opts, Goroutine* g);
  void Unwind(const std::vector<uint8_t>& buf, Goroutine* g, size_t max_frames, size_t keep_tail);
  // Where a running goroutine's frames start; false (with g->frames_error) if unknown.
  bool StartOfRunning(const std::vector<uint8_t>& buf, Goroutine* g, UnwindStart* start);
  // A goroutine _Gsyscall whose thread runs on the goroutine's stack (in
  // the system call, entersyscall/exitsyscall, runtime.cgocall's own part
  // of a cgo call, a callback from C): where its frames start (true), else
  // false (the runtime's rule: g.syscallsp/syscallpc).
  bool StartOfThreadInSyscall(const std::vector<uint8_t>& buf, Goroutine* g, UnwindStart* start);
  // The registers of g's thread where it runs Go (below any Go signal
  // handler it is in); false if its thread or their registers are unknown.
  bool ThreadRegisters(const Goroutine& g, Registers* regs, int* lwp) const;
  std::optional<MInfo> ReadM(uint64_t mp);
  uint64_t Get(const std::vector<uint8_t>& buf, const DwarfField& f) const;
  void LoadWaitReasons();
  void ReadLabels(uint64_t labels, Goroutine* g);
  // Where a go statement is and what a start pc means, decoded once per pc:
  // 100,000 goroutines are usually created by a handful of go statements.
  struct Creator {
    std::string_view function, file;
    int32_t line = 0;
  };
  struct Start {
    std::string_view function;
    bool system = false;
  };
  const Creator& CreatorAt(uint64_t gopc);
  const Start& StartAt(uint64_t startpc);

  GoRuntime& rt_;
  const GoPclntab& tab_;
  GoUnwinder unwinder_;
  uint64_t g_size_;
  DwarfField goid_, status_, waitreason_, waitsince_, m_, lockedm_, sched_pc_, sched_sp_, sched_lr_,
      syscallsp_, syscallpc_, stack_lo_, stack_hi_, gopc_, startpc_;
  std::optional<DwarfField> parent_goid_;
  std::optional<DwarfField> labels_;
  std::optional<uint64_t> label_list_offset_;  // of the []label in runtime/pprof.labelMap
  DwarfField m_id_, m_procid_;
  std::vector<std::string> wait_reasons_;
  std::string wait_reasons_error_;
  std::atomic<size_t> labels_cut_{0};
  std::map<uint64_t, MInfo> m_cache_;
  std::unordered_map<uint64_t, Creator> creators_;
  std::unordered_map<uint64_t, Start> starts_;
  std::vector<uint8_t> g_buf_;  // Read's copy of the g
};

}  // namespace cgostack
