#include "threads_report.h"

#include <map>

#include "error.h"
#include "signal_frame.h"

namespace cgostack {

namespace {

void WriteRegs(JsonWriter& w, const Registers& r) {
  w.BeginObject();
  w.Field("rip", r.rip).Field("rsp", r.rsp).Field("rbp", r.rbp);
  w.EndObject();
}

}  // namespace

void WriteThreadsReport(GoRuntime& rt, JsonWriter& w) {
  // m.procid is the thread id the M runs on (set by minit on the thread).
  std::map<int64_t, int64_t> m_of_lwp;
  for (uint64_t mp : rt.AllMs()) {
    try {
      uint64_t lwp = rt.ReadField("runtime.m", mp, "procid");
      if (lwp) m_of_lwp[static_cast<int64_t>(lwp)] = static_cast<int64_t>(rt.ReadField("runtime.m", mp, "id"));
    } catch (const Error&) {
    }
  }
  w.BeginObject();
  w.Field("go_version", rt.BuildVersion());
  w.Key("threads").BeginArray();
  for (const ThreadState& t : rt.target().threads()) {
    w.BeginObject();
    w.Field("lwp", static_cast<int64_t>(t.lwp));
    auto m = m_of_lwp.find(t.lwp);
    w.Key("m");
    if (m != m_of_lwp.end()) w.Int(m->second);
    else w.Null();
    w.Key("registers");
    if (t.has_registers) WriteRegs(w, t.regs);
    else w.Null();
    w.Key("signal_frames").BeginArray();
    if (t.has_registers) {
      for (const SignalFrame& sf : CrossGoSignalFrames(rt.Pclntab(), rt.target().memory(), t.regs)) {
        w.BeginObject();
        w.Field("ucontext", sf.ucontext).Field("blocked_signals", sf.blocked_signals);
        w.Key("interrupted");
        WriteRegs(w, sf.interrupted);
        w.EndObject();
      }
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace cgostack
