"""cgo-lockgraph: the cross-language wait-for graph (backend: lockgraph_json)."""

import json

import gdb

from . import commands, lockgraph_text, native_frames, target, views


class CgoLockgraph(commands._Command):
    """Who waits for what, who holds it, and why nothing moves: across C and Go.

Usage: cgo-lockgraph [--dot FILE] [--json] [--output FILE]

Nodes are goroutines, OS threads and locks: pthread mutexes (owner from
glibc's __owner), rwlocks (the writer; readers are counted only), condition
variables, pthread_join, semaphores, sync.Mutex/RWMutex/WaitGroup (from the
runtime's semaphore table), channels (from g.waiting), package
initialization and runtime locks.  Edges are "waits_for", "held_by" (exact,
or inferred with the evidence: Go records no mutex owner) and "runs" (a
goroutine's cgo call on its thread, a thread's C frames below a callback).
Every cycle is found; diagnoses name the cause:
  deadlock_cycle  self_deadlock  owner_exited  lock_leaked
  held_across_callback  waits_for_package_init  signals_blocked  all_blocked

  --dot FILE      also write the graph for Graphviz (and FILE.svg when `dot` is installed)
  --json          one JSON object (schema: docs/json-schema.md)
  --output FILE   write the result to FILE instead of the screen

Works without libc debug symbols (glibc's object layouts are ABI).

Examples:
  (gdb) cgo-lockgraph
  (gdb) cgo-lockgraph --dot /tmp/locks.dot
  (gdb) cgo-lockgraph --json --output /tmp/locks.json"""

    parser = views.lockgraph_parser()

    def __init__(self):
        super().__init__("cgo-lockgraph", gdb.COMMAND_STATUS)

    def _go(self, arg):
        args = self.parser.parse(arg)
        session = target.session()
        native_frames.hand_over(session)
        if args.json and args.output and not args.dot:
            # Written by the backend: 100,000 waiting goroutines make a
            # graph of tens of megabytes, not worth a round trip through Python.
            session.lockgraph_json(output=args.output)
            return
        # Text needs only ten waiters per lock: the backend leaves the rest
        # out (100,000 goroutines on one channel), keeping their count.
        summary = -1 if args.json or args.dot else lockgraph_text.TEXT_WAITERS
        views.show_lockgraph(args, json.loads(session.lockgraph_json(max_waiters=summary)), gdb.write)


def register():
    """Called once, by commands.register()."""
    CgoLockgraph()
