"""cgo-threads: every OS thread with its M, P, goroutines, activity, blocked
signals and stitched C+Go stack (backend: threads_json)."""

import json

import gdb

from . import commands, native_frames, target, views


def _gdb_threads():
    return {t.ptid[1]: t.num for t in gdb.selected_inferior().threads()}


class CgoThreads(commands._Command):
    """List every OS thread: M, kind, activity, goroutine, P, blocked signals, C+Go stack.

Usage: cgo-threads [LWP...] [--no-frames] [--signal-frames] [--json] [--output FILE]

Every thread of the process, including C threads Go never saw and idle Ms:
  Thread 7 (LWP 2322): Go thread M5, in a cgo call, goroutine 20, P1 syscall (given up for the call: m.oldp):
      blocked signals: none
      futex_wait            ../sysdeps/nptl/futex-internal.h:146 [C libc.so.6]
      ___pthread_mutex_lock ./nptl/pthread_mutex_lock.c:93 [C libc.so.6]
      lock_C_blocking       deadlock.c:33 [C deadlock]
      ---- C code called from Go (runtime.cgocall -> asmcgocall, system stack above) ----
      runtime.cgocall       /usr/lib/go/src/runtime/cgocall.go:185
      main.cycleG1          /src/deadlock/main.go:120
C frames come from GDB's own unwinder (so they match `bt`); Go frames from
the runtime's pc tables.  A `!!` flags a thread that blocks a signal the Go
runtime needs (SIGURG for preemption, SIGPROF for profiling, ...).  In a core
written with GOTRACEBACK=crash every thread is inside the Go signal handler;
its frames are folded into one line (--signal-frames shows them).

  LWP...           only these threads
  --no-frames      headers only
  --signal-frames  show the Go signal handler's frames
  --json           one JSON object (schema: docs/json-schema.md)
  --output FILE    write the result to FILE instead of the screen

Since cgostack is loaded, `thread N` then `bt` also crosses from C frames
into the goroutine's Go frames (and back below a callback).

Examples:
  (gdb) cgo-threads
  (gdb) cgo-threads 2322 --signal-frames
  (gdb) cgo-threads --json --output /tmp/threads.json"""

    parser = views.threads_parser()

    def __init__(self):
        super().__init__("cgo-threads", gdb.COMMAND_STATUS)

    def _go(self, arg):
        args = self.parser.parse(arg)
        session = target.session()
        if not args.no_frames:
            native_frames.hand_over(session)
        gdb_threads = _gdb_threads()
        if args.json and args.output and not args.lwps:
            # Written by the backend: the one schema, no round trip.
            session.threads_json(with_frames=not args.no_frames, signal_frames=args.signal_frames,
                                 gdb_threads=gdb_threads, output=args.output)
            return
        data = json.loads(session.threads_json(with_frames=not args.no_frames,
                                                signal_frames=args.signal_frames,
                                                gdb_threads=gdb_threads))
        views.show_threads(args, data, gdb.write)


def register():
    """Called once, by commands.register()."""
    CgoThreads()
