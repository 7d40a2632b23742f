"""cgo-goroutines / cgo-goroutine on synthetic reports: filters, grouping,
the text views and the JSON shapes (pure Python), the commands' plumbing in
GDB with a stub backend session, and 100,000 goroutines at once (the time
is printed for information, the output is checked)."""

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(SOURCE_DIR, "gdb_plugin"))

from cgostack_gdb import goroutine_filter as gf  # noqa: E402
from cgostack_gdb import goroutines_text as gt  # noqa: E402

MINUTE = 60 * 10**9


def frame(fn, file, line, pc, runtime=False, inlined=False, lang="go"):
    return {"lang": lang, "function": fn, "file": file, "line": line, "pc": pc,
            "inlined": inlined, "runtime": runtime}


PARK = [frame("runtime.gopark", "/go/src/runtime/proc.go", 435, 0x43a1ce, runtime=True),
        frame("runtime.goparkunlock", "/go/src/runtime/proc.go", 441, 0x43a1ce, runtime=True,
              inlined=True)]
LOCK = [frame("sync.(*Mutex).Lock", "/go/src/sync/mutex.go", 90, 0x46f00d, inlined=True)]
WORKER = [frame("main.worker", "/src/main.go", 30, 0x49a2f3)]


def goroutine(goid, status="waiting", reason="", frames=(), **kw):
    g = {"goid": goid, "address": 0xc000000000 + goid * 0x1a0, "status": status,
         "wait_reason": reason, "wait_since_ns": 0, "m": None, "lwp": None,
         "locked_to_thread": False, "locked_m": None, "locked_lwp": None,
         "created_by": "main.main", "created_by_file": "/src/main.go", "created_by_line": 25,
         "parent_goid": 1, "start": "main.worker", "labels": {}, "system": False,
         "frames": list(frames), "frames_error": None, "error": None,
         "gdb_thread": None, "locked_gdb_thread": None}
    g.update(kw)
    return g


def sample():
    return [
        goroutine(1, reason="chan receive",
                  frames=PARK + [frame("runtime.chanrecv1", "/go/src/runtime/chan.go", 489,
                                       0x40a1b0, runtime=True),
                                 frame("main.main", "/src/main.go", 40, 0x49a412)],
                  created_by="", created_by_file="", created_by_line=0, parent_goid=None,
                  start="main.main"),
        goroutine(2, reason="force gc (idle)", system=True,
                  frames=PARK + [frame("runtime.forcegchelper", "/go/src/runtime/proc.go", 348,
                                       0x43a01a, runtime=True)],
                  created_by="runtime.init.7", parent_goid=0,
                  created_by_file="/go/src/runtime/proc.go", created_by_line=336),
        goroutine(17, status="syscall",
                  frames=[frame("runtime.cgocall", "/go/src/runtime/cgocall.go", 167, 0x404f0b,
                                runtime=True),
                          frame("main._Cfunc_lock_it", "_cgo_gotypes.go", 61, 0x49a111)] + WORKER,
                  m=3, lwp=26296, gdb_thread=5, locked_to_thread=True, locked_m=3,
                  locked_lwp=26296, locked_gdb_thread=5, labels={"job": "sync", "a": "1"}),
        goroutine(18, reason="sync.Mutex.Lock", frames=PARK + LOCK + WORKER,
                  wait_since_ns=1000),
        goroutine(19, reason="sync.Mutex.Lock", frames=PARK + LOCK + WORKER, wait_since_ns=5000,
                  locked_to_thread=True, locked_m=4, locked_lwp=26297, locked_gdb_thread=6),
        goroutine(20, reason="sync.RWMutex.RLock", frames=[],
                  frames_error="cannot read stack at 0xc000400000: not in the core"),
        goroutine(21, status="?", frames=[], error="cannot read g at 0xc000123000",
                  created_by=None, created_by_file=None, created_by_line=None,
                  parent_goid=None, start=None),
    ]


def report(goroutines=None, **kw):
    data = {"go_version": "go1.27.3", "goroutines": sample() if goroutines is None else goroutines,
            "warnings": ["core file is truncated"]}
    data.update(kw)
    return data


def goids(gs):
    return [g["goid"] for g in gs]


class FilterTest(unittest.TestCase):
    def setUp(self):
        self.gs = sample()

    def test_default_hides_system_and_counts_it(self):
        sel = gf.select(self.gs)
        self.assertEqual(goids(sel.goroutines), [1, 17, 18, 19, 20, 21])
        self.assertEqual((sel.total, sel.hidden_system, sel.filtered_out), (7, 1, 0))

    def test_system_shows_all(self):
        sel = gf.select(self.gs, system=True)
        self.assertEqual(len(sel.goroutines), 7)
        self.assertEqual((sel.hidden_system, sel.filtered_out), (0, 0))

    def test_state_is_exact_status_or_reason_substring(self):
        self.assertEqual(goids(gf.select(self.gs, states=["syscall"]).goroutines), [17])
        self.assertEqual(goids(gf.select(self.gs, states=["mutex"]).goroutines), [18, 19, 20])
        self.assertEqual(goids(gf.select(self.gs, states=["SYNC.MUTEX.LOCK"]).goroutines),
                         [18, 19])
        # "wait" is not a status (waiting is) and in no wait reason here.
        self.assertEqual(gf.select(self.gs, states=["wait"]).goroutines, [])
        self.assertEqual(len(gf.select(self.gs, states=["waiting"]).goroutines), 4)

    def test_states_repeated_or_commas_are_any_of(self):
        states = gf.parse_states(["syscall, chan", "RLock"])
        self.assertEqual(states, ["syscall", "chan", "rlock"])
        sel = gf.select(self.gs, states=states)
        self.assertEqual(goids(sel.goroutines), [1, 17, 20])
        # the system goroutine matches no state here, so nothing is "hidden"
        self.assertEqual((sel.hidden_system, sel.filtered_out), (0, 4))

    def test_hidden_system_counts_only_matching_ones(self):
        sel = gf.select(self.gs, states=["force gc"])
        self.assertEqual((len(sel.goroutines), sel.hidden_system, sel.filtered_out), (0, 1, 6))

    def test_function_anywhere_in_stack_all_of_them(self):
        self.assertEqual(goids(gf.select(self.gs, functions=["Mutex"]).goroutines), [18, 19])
        self.assertEqual(goids(gf.select(self.gs, functions=["_Cfunc", "main.worker"]).goroutines),
                         [17])
        self.assertEqual(gf.select(self.gs, functions=["_Cfunc", "main.main"]).goroutines, [])
        # runtime frames count too, and so does the start function
        self.assertEqual(goids(gf.select(self.gs, functions=["runtime.cgocall"]).goroutines), [17])
        self.assertIn(20, goids(gf.select(self.gs, functions=["main.worker"]).goroutines))

    def test_goids_show_system_and_report_missing(self):
        sel = gf.select(self.gs, goids=[99, 2, 17])
        self.assertEqual(goids(sel.goroutines), [2, 17])
        self.assertEqual(sel.not_found, [99])
        self.assertEqual((sel.hidden_system, sel.filtered_out), (0, 5))

    def test_parse_goids(self):
        self.assertEqual(gf.parse_goids(["1", "17,42", ","]), [1, 17, 42])
        for bad in (["x"], ["-1"], ["1,2x"]):
            with self.assertRaises(ValueError):
                gf.parse_goids(bad)

    def test_sorted_by_goid(self):
        self.assertEqual(goids(gf.select(list(reversed(self.gs))).goroutines),
                         [1, 17, 18, 19, 20, 21])

    def test_find(self):
        self.assertEqual(gf.find(self.gs, 19)["goid"], 19)
        with self.assertRaises(gf.NotFound) as cm:
            gf.find(self.gs, 99)
        self.assertEqual(str(cm.exception),
                         "no goroutine 99 (there are 7 goroutines; see cgo-goroutines)")

    def test_label_is_reason_while_waiting_else_status(self):
        self.assertEqual(gf.label(self.gs[3]), "sync.Mutex.Lock")
        self.assertEqual(gf.label(self.gs[2]), "syscall")
        self.assertEqual(gf.label(goroutine(1, status="waiting")), "waiting")
        stale = goroutine(1, status="running", reason="chan receive")
        self.assertEqual(gf.label(stale), "running")
        self.assertFalse(gf.matches_state(stale, ["chan"]))
        self.assertEqual(gt.render_list(report([stale]), gf.select([stale])).splitlines()[0],
                         "goroutine 1 [running]:")


class GroupTest(unittest.TestCase):
    def test_identical_stacks_fold_largest_first(self):
        gs = [goroutine(i, reason="sync.Mutex.Lock", frames=PARK + LOCK + WORKER)
              for i in range(10, 15)]
        gs += [goroutine(3, reason="chan receive", frames=PARK + WORKER),
               goroutine(4, reason="chan receive", frames=PARK + WORKER),
               goroutine(5, reason="select", frames=PARK + WORKER)]
        groups = gf.group(gf.select(gs).goroutines)
        self.assertEqual([(e["count"], e["goids"], e["wait_reason"]) for e in groups],
                         [(5, [10, 11, 12, 13, 14], "sync.Mutex.Lock"),
                          (2, [3, 4], "chan receive"), (1, [5], "select")])
        self.assertEqual([f["function"] for f in groups[0]["frames"]],
                         ["runtime.gopark", "runtime.goparkunlock", "sync.(*Mutex).Lock",
                          "main.worker"])

    def test_same_lines_different_pcs_are_one_group(self):
        a = frame("main.f", "/src/main.go", 7, 0x1000)
        b = frame("main.f", "/src/main.go", 7, 0x1010)   # second call on the same line
        c = frame("main.f", "/src/main.go", 8, 0x1020)
        groups = gf.group([goroutine(1, frames=[a]), goroutine(2, frames=[b]),
                           goroutine(3, frames=[c])])
        self.assertEqual([e["goids"] for e in groups], [[1, 2], [3]])

    def test_frames_without_pc_group_by_content(self):
        a = frame("f", None, None, None, lang="c")
        b = frame("g", None, None, None, lang="c")
        groups = gf.group([goroutine(1, frames=[a]), goroutine(2, frames=[dict(a)]),
                           goroutine(3, frames=[b])])
        self.assertEqual([e["goids"] for e in groups], [[1, 2], [3]])

    def test_creation_site_and_errors_split_groups(self):
        gs = [goroutine(1, frames=WORKER), goroutine(2, frames=WORKER, created_by_line=26),
              goroutine(3, frames=WORKER, frames_error="x"),
              goroutine(4, frames=WORKER, parent_goid=7)]   # parent goid does not split
        self.assertEqual(sorted(e["goids"] for e in gf.group(gs)), [[1, 4], [2], [3]])

    def test_group_json_fields_and_locked_count(self):
        gs = [goroutine(1, frames=WORKER, locked_to_thread=True), goroutine(2, frames=WORKER)]
        e = gf.group(gs)[0]
        for k in ("count", "goids", "status", "wait_reason", "frames", "locked_to_thread",
                  "created_by", "created_by_file", "created_by_line", "frames_error", "error"):
            self.assertIn(k, e)
        self.assertEqual((e["count"], e["locked_to_thread"]), (2, 1))


class JsonTest(unittest.TestCase):
    def test_list_json_shape_and_counts(self):
        data = report(now_ns=5)
        out = gf.list_json(data, gf.select(data["goroutines"]))
        self.assertEqual(list(out)[:3], ["go_version", "goroutines", "warnings"])
        self.assertEqual(out["go_version"], "go1.27.3")
        self.assertEqual(out["now_ns"], 5)   # other backend fields pass through
        self.assertEqual((out["total"], out["filtered_out"]), (7, 1))
        self.assertNotIn("hidden_system", out)
        self.assertEqual(out["not_found"], [])
        # every frame, runtime ones included
        g1 = out["goroutines"][0]
        self.assertEqual(len(g1["frames"]), 4)
        json.dumps(out)

    def test_frame_limit_copies_and_counts_omitted(self):
        data = report()
        before = copy.deepcopy(data)
        out = gf.list_json(data, gf.select(data["goroutines"]), frame_limit=1)
        self.assertEqual(len(out["goroutines"][0]["frames"]), 1)
        self.assertEqual(out["goroutines"][0]["frames_omitted"], 3)
        self.assertNotIn("frames_omitted", out["goroutines"][4])   # 20 has no frames
        self.assertEqual(data, before)

    def test_groups_json(self):
        data = report()
        sel = gf.select(data["goroutines"])
        out = gf.groups_json(data, sel, gf.group(sel.goroutines))
        self.assertNotIn("goroutines", out)
        self.assertEqual(out["groups"][0]["goids"], [18, 19])

    def test_one_json(self):
        data = report()
        out = gf.one_json(data, data["goroutines"][2])
        self.assertEqual(goids(out["goroutines"]), [17])
        self.assertEqual(out["warnings"], ["core file is truncated"])


class ListTextTest(unittest.TestCase):
    def render(self, **kw):
        data = report(now_ns=kw.pop("now_ns", None))
        sel = gf.select(data["goroutines"], **{k: kw.pop(k) for k in list(kw)
                                              if k in ("goids", "states", "functions", "system")})
        return gt.render_list(data, sel, **kw)

    def block(self, text, goid):
        lines = text.splitlines()
        start = [i for i, l in enumerate(lines) if l.startswith("goroutine %d " % goid)][0]
        end = start + 1
        while end < len(lines) and lines[end].startswith(" "):
            end += 1
        return lines[start:end]

    def test_headers(self):
        text = self.render(now_ns=5 * MINUTE + 1000)
        self.assertEqual(self.block(text, 1)[0], "goroutine 1 [chan receive]:")
        self.assertEqual(self.block(text, 17)[0],
                         "goroutine 17 [syscall, locked to thread] on M3 (LWP 26296, thread 5) "
                         "{a=1, job=sync}:")
        self.assertEqual(self.block(text, 18)[0], "goroutine 18 [sync.Mutex.Lock, 5 minutes]:")
        self.assertEqual(self.block(text, 19)[0],
                         "goroutine 19 [sync.Mutex.Lock, 4 minutes, locked to thread] "
                         "locked to M4 (LWP 26297, thread 6):")

    def test_wait_under_a_minute_or_without_clock_is_not_shown(self):
        text = self.render(now_ns=MINUTE)
        self.assertEqual(self.block(text, 18)[0], "goroutine 18 [sync.Mutex.Lock]:")
        text = self.render()
        self.assertEqual(self.block(text, 18)[0], "goroutine 18 [sync.Mutex.Lock]:")
        g = goroutine(5, reason="select", wait_ns=MINUTE)
        self.assertEqual(gt.header(g), "goroutine 5 [select, 1 minute]:")

    def test_frames_aligned_runtime_hidden_created_by(self):
        self.assertEqual(self.block(self.render(), 17), [
            "goroutine 17 [syscall, locked to thread] on M3 (LWP 26296, thread 5) {a=1, job=sync}:",
            "    main._Cfunc_lock_it  _cgo_gotypes.go:61",
            "    main.worker          /src/main.go:30",
            "    created by main.main in goroutine 1 at /src/main.go:25"])
        self.assertEqual(self.block(self.render(), 18)[1:3], [
            "    sync.(*Mutex).Lock  /go/src/sync/mutex.go:90 (inlined)",
            "    main.worker         /src/main.go:30"])

    def test_runtime_frames_option(self):
        b = self.block(self.render(runtime_frames=True), 18)
        self.assertEqual(b[1], "    runtime.gopark        /go/src/runtime/proc.go:435")
        self.assertEqual(b[2], "    runtime.goparkunlock  /go/src/runtime/proc.go:441 (inlined)")
        self.assertEqual(len(b), 6)

    def test_all_runtime_stack_says_so(self):
        b = self.block(self.render(system=True), 2)
        self.assertEqual(b[1], "    (3 runtime frames hidden; --runtime-frames shows them)")
        self.assertEqual(b[2], "    created by runtime.init.7 in goroutine 0 at "
                               "/go/src/runtime/proc.go:336")

    def test_errors_inline(self):
        text = self.render()
        self.assertEqual(self.block(text, 20)[1],
                         "    stack error: cannot read stack at 0xc000400000: not in the core")
        self.assertEqual(self.block(text, 21),
                         ["goroutine 21 [?]:", "    error: cannot read g at 0xc000123000"])

    def test_frame_limit(self):
        b = self.block(self.render(frame_limit=1), 18)
        self.assertEqual(b[1:3], ["    sync.(*Mutex).Lock  /go/src/sync/mutex.go:90 (inlined)",
                                  "    ...1 more frame (--frames)"])

    def test_recursion_is_one_line_and_counts_once_against_the_limit(self):
        rec = frame("main.recurse", "/src/main.go", 95, 0x49a100)
        g = goroutine(1, frames=LOCK + [rec] * 15 + [frame("main.recurse", "/src/main.go", 101,
                                                           0x49a120)] + WORKER)
        lines = gt.render_list(report([g]), gf.select([g])).splitlines()
        self.assertEqual(lines[1:5], [
            "    sync.(*Mutex).Lock  /go/src/sync/mutex.go:90 (inlined)",
            "    main.recurse        /src/main.go:95 (15 times)",
            "    main.recurse        /src/main.go:101",
            "    main.worker         /src/main.go:30"])
        lines = gt.render_list(report([g]), gf.select([g]), frame_limit=2).splitlines()
        self.assertEqual(lines[2:4], ["    main.recurse        /src/main.go:95 (15 times)",
                                      "    ...2 more frames (--frames)"])
        # the full view and JSON keep every frame
        self.assertEqual(gt.render_full(report([g]), g).count("main.recurse "), 16)

    def test_frames_zero_is_one_line_each(self):
        lines = self.render(frame_limit=0).splitlines()
        self.assertEqual(lines[:2], ["goroutine 1 [chan receive]:",
                                     "goroutine 17 [syscall, locked to thread] on M3 "
                                     "(LWP 26296, thread 5) {a=1, job=sync}:"])
        self.assertIn("    error: cannot read g at 0xc000123000", lines)
        self.assertEqual(len(lines), 6 + 1 + 2)

    def test_summary_and_warnings(self):
        lines = self.render().splitlines()
        self.assertEqual(lines[-2], "6 of 7 goroutines shown (1 system goroutine hidden; "
                                    "--system shows it; runtime frames hidden; "
                                    "--runtime-frames shows them)")
        self.assertEqual(lines[-1], "warning: core file is truncated")
        lines = self.render(goids=[17, 99, 98]).splitlines()
        self.assertEqual(lines[-3], "no goroutine 98, 99")
        self.assertTrue(lines[-2].startswith("1 of 7 goroutines shown (6 filtered out;"), lines)
        lines = self.render(system=True, runtime_frames=True).splitlines()
        self.assertEqual(lines[-2], "7 goroutines shown")

    def test_fast_path_matches_general_path(self):
        data = report(now_ns=3 * MINUTE)
        sel = gf.select(data["goroutines"], system=True)
        fast = gt.render_list(data, sel)
        # Without a field the fast path reads, a goroutine takes header() and
        # _StackRenderer.render(); dropping the false-valued ones changes no text.
        slow_gs = [{k: v for k, v in g.items() if k not in ("system", "frames_error") or v}
                   for g in sel.goroutines]
        self.assertTrue(all("system" not in g or "frames_error" not in g for g in slow_gs))
        slow = gt.render_list(data, gf.Selection(slow_gs, sel.total, sel.hidden_system,
                                                 sel.filtered_out, sel.not_found))
        self.assertEqual(fast, slow)

    def test_header_rows_match_the_list_view(self):
        data = report(now_ns=3 * MINUTE)
        columns = sorted(data["goroutines"][0])
        rows = [[g.get(c) for c in columns] for g in reversed(data["goroutines"])]
        for system in (False, True):
            want = gt.render_list(data, gf.select(data["goroutines"], system=system), 0)
            self.assertEqual(gt.render_header_rows(data, columns, rows, system), want)

    def test_stack_cache_keeps_distinct_stacks_apart(self):
        gs = [goroutine(1, frames=[frame("main.a", "/a.go", 1, 0x10)]),
              goroutine(2, frames=[frame("main.b", "/b.go", 2, 0x20)]),
              goroutine(3, frames=[frame("main.a", "/a.go", 1, 0x10)]),
              goroutine(4, frames=[frame("c_fn", None, None, None, lang="c")]),
              goroutine(5, frames=[frame("c_other", None, None, None, lang="c")])]
        text = gt.render_list(report(gs), gf.select(gs))
        self.assertEqual([l for l in text.splitlines() if l.startswith("    main.")
                          or l.startswith("    c_")],
                         ["    main.a  /a.go:1", "    main.b  /b.go:2", "    main.a  /a.go:1",
                          "    c_fn  ? [C]", "    c_other  ? [C]"])

    def test_long_function_names_are_capped(self):
        long = "main.(*aVeryLongTypeNameThatGoesOnAndOn).SomeMethodNameThatIsLong.func1"
        g = goroutine(1, frames=[frame(long, "/a.go", 1, 0x10), frame("main.f", "/b.go", 2, 0x20)])
        lines = gt.render_list(report([g]), gf.select([g])).splitlines()
        self.assertEqual(lines[1], "    %s  /a.go:1" % long)
        self.assertEqual(lines[2], "    %s  /b.go:2" % "main.f".ljust(gt.FUNC_WIDTH_MAX))


class GroupTextTest(unittest.TestCase):
    def test_grouped_view(self):
        gs = [goroutine(i, reason="sync.Mutex.Lock", frames=PARK + LOCK + WORKER)
              for i in list(range(100, 112)) + [200, 300]]
        gs.append(goroutine(1, reason="chan receive", frames=PARK + WORKER, locked_to_thread=True))
        data = report(gs)
        sel = gf.select(gs)
        lines = gt.render_groups(data, sel, gf.group(sel.goroutines)).splitlines()
        self.assertEqual(lines, [
            "14 goroutines [sync.Mutex.Lock]: 100-111, 200, 300",
            "    sync.(*Mutex).Lock  /go/src/sync/mutex.go:90 (inlined)",
            "    main.worker         /src/main.go:30",
            "    created by main.main at /src/main.go:25",
            " 1 goroutine  [chan receive, locked to thread]: 1",
            "    main.worker  /src/main.go:30",
            "    created by main.main at /src/main.go:25",
            "15 goroutines shown in 2 groups (runtime frames hidden; --runtime-frames shows them)",
            "warning: core file is truncated"])

    def test_goid_runs(self):
        self.assertEqual(gt.goid_runs([1, 2, 3, 7, 9, 10]), "1-3, 7, 9-10")
        self.assertEqual(gt.goid_runs(list(range(0, 40, 2)), limit=3), "0, 2, 4 ... and 17 more")
        self.assertEqual(gt.goid_runs([]), "")


class FullTextTest(unittest.TestCase):
    def test_every_field_and_frame_with_pc(self):
        g = sample()[4]
        g["extra_field"] = {"x": 1}
        text = gt.render_full(report(now_ns=5 * MINUTE + 42 * 10**9), g)
        lines = text.splitlines()
        self.assertEqual(lines[0], "goroutine 19 [sync.Mutex.Lock, 5 minutes, locked to thread] "
                                   "locked to M4 (LWP 26297, thread 6):")
        rows = {l[2:20].strip(): l[20:] for l in lines[1:] if l.startswith("  ") and
                not l.startswith("    ")}
        self.assertEqual(rows["status"], "waiting")
        self.assertEqual(rows["wait reason"], "sync.Mutex.Lock")
        self.assertEqual(rows["waiting for"], "5m41s (since runtime nanotime 5000)")
        self.assertEqual(rows["g address"], "0x%x" % g["address"])
        self.assertEqual(rows["M"], "none")
        self.assertEqual(rows["locked to thread"], "yes, M4 (LWP 26297, GDB thread 6)")
        self.assertEqual(rows["created by"], "main.main in goroutine 1 at /src/main.go:25")
        self.assertEqual(rows["start function"], "main.worker")
        self.assertEqual(rows["pprof labels"], "none")
        self.assertEqual(rows["system goroutine"], "no")
        self.assertEqual(rows["error"], "none")
        self.assertEqual(rows["extra_field"], '{"x": 1}')
        self.assertEqual(rows["stack"], "4 frames, innermost first")
        frames = [l for l in lines if l.startswith("    #")]
        self.assertEqual(frames, [
            "    #0  0x43a1ce  runtime.gopark        /go/src/runtime/proc.go:435  [runtime]",
            "    #1  0x43a1ce  runtime.goparkunlock  /go/src/runtime/proc.go:441  "
            "[inlined, runtime]",
            "    #2  0x46f00d  sync.(*Mutex).Lock    /go/src/sync/mutex.go:90  [inlined]",
            "    #3  0x49a2f3  main.worker           /src/main.go:30"])
        self.assertEqual(lines[-1], "warning: core file is truncated")

    def test_on_an_m_and_errors_and_limit(self):
        g = sample()[2]
        text = gt.render_full(report(), g, frame_limit=1)
        self.assertIn("  M                 M3 (LWP 26296, GDB thread 5)", text)
        self.assertIn("  waiting for       not recorded", text)
        self.assertIn("  stack             3 frames, innermost first; 2 more not shown (--frames)",
                      text)
        self.assertEqual(len([l for l in text.splitlines() if l.startswith("    #")]), 1)
        g = sample()[5]
        self.assertIn("  stack error       cannot read stack at 0xc000400000: not in the core",
                      gt.render_full(report(), g))

    def test_duration(self):
        self.assertEqual([gt.duration(n) for n in (5000, 8 * 10**6, 42_300_000_000,
                                                  312 * 10**9, 7380 * 10**9)],
                         ["5us", "8ms", "42.3s", "5m12s", "2h03m"])


def synthetic(n, kinds=7, depth=13):
    """n goroutines, `kinds` distinct stacks of `depth` frames (4 of them
    runtime frames), and every 50th one a system goroutine."""
    stacks = []
    for k in range(kinds):
        fs = [frame("runtime.gopark", "/go/src/runtime/proc.go", 435, 0x43a1ce, runtime=True),
              frame("runtime.goparkunlock", "/go/src/runtime/proc.go", 441, 0x43a1ce,
                    runtime=True, inlined=True),
              frame("runtime.semacquire1", "/go/src/runtime/sema.go", 160, 0x4511aa, runtime=True)]
        fs += [frame("main.level%d" % j, "/src/main.go", 100 + 10 * j + k,
                     0x49a000 + 0x100 * j + k) for j in range(depth - 4)]
        fs.append(frame("runtime.goexit", "/go/src/runtime/asm_amd64.s", 1700, 0x46e001,
                        runtime=True))
        stacks.append(fs)
    gs = []
    for i in range(n):
        k = i % kinds
        gs.append(goroutine(i + 1, reason="sync.Mutex.Lock",
                            frames=[dict(f) for f in stacks[k]],
                            system=(i % 50 == 49)))
    return gs


class ScaleTest(unittest.TestCase):
    N = 100000

    def test_100000_goroutines(self):
        gs = synthetic(self.N)
        data = report(gs)
        clock = time.process_time   # CPU time: wall time on a busy machine says little
        t0 = clock()
        sel = gf.select(gs)
        t1 = clock()
        text = gt.render_list(data, sel)
        t2 = clock()
        groups = gf.group(sel.goroutines)
        grouped = gt.render_groups(data, sel, groups)
        t3 = clock()
        sys.stderr.write("\n%d goroutines x 13 frames, CPU time: select %.2fs, list view %.2fs "
                         "(%d lines), group + grouped view %.2fs\n"
                         % (self.N, t1 - t0, t2 - t1, text.count("\n"), t3 - t2))
        hidden = self.N // 50
        self.assertEqual(sel.hidden_system, hidden)
        shown = self.N - hidden
        # header + 9 non-runtime frames + created by, per goroutine; summary; warning
        self.assertEqual(text.count("\n"), shown * 11 + 2)
        self.assertEqual(text.count("\ngoroutine "), shown - 1)
        self.assertEqual(len(groups), 7)
        self.assertEqual(sum(e["count"] for e in groups), shown)
        self.assertEqual(grouped.count("goroutines [sync.Mutex.Lock]"), 7)
        self.assertIn("%d of %d goroutines shown in 7 groups" % (shown, self.N), grouped)
        # spot check: the stack of the last goroutine is its own
        last = sel.goroutines[-1]
        k = (last["goid"] - 1) % 7
        self.assertIn("    main.level8  /src/main.go:%d\n" % (180 + k),
                      text[text.rindex("goroutine %d " % last["goid"]):])


# A stand-in for the backend session, so the commands run in GDB without a
# Go target: it serves the JSON file named in CGOSTACK_TEST_REPORT.
STUB = r"""
import json, os
import cgostack_gdb.target as t
class _Stub:
    # Session.goroutines_json's signature and shapes: objects, or rows with
    # "columns" and a stack table.  No process: no native frames to take.
    def reset_threads(self):
        pass

    def set_native_chain(self, lwp, frames, error=""):
        raise AssertionError("the stub has no threads")

    def goroutines_json(self, with_frames=True, max_frames=-1, stack_table=False, rows=False,
                        gdb_threads=None, output="", fields=()):
        with open(os.environ["CGOSTACK_TEST_REPORT"]) as f:
            data = json.load(f)
        data["total"] = len(data["goroutines"])
        for g in data["goroutines"]:
            if not with_frames:
                del g["frames"]
            elif max_frames >= 0:
                g["frames"] = g["frames"][:max_frames]
        if rows:
            gs = data.pop("goroutines")
            if with_frames:
                data["stacks"] = [g.pop("frames") for g in gs]
                for i, g in enumerate(gs):
                    g["stack"] = i
            data["columns"] = [c for c in (sorted(set().union(*gs)) if gs else [])
                               if not fields or c in fields]
            data["rows"] = [[g.get(c) for c in data["columns"]] for g in gs]
        if output:
            with open(output, "w") as f:
                json.dump(data, f)
            return ""
        return json.dumps(data)
    # Session.goroutine_rows: the rows form, only `fields`, null for no labels.
    def goroutine_rows(self, fields=(), gdb_threads=None):
        data = json.loads(self.goroutines_json(with_frames=False, rows=True, fields=fields))
        for row in data["rows"]:
            for i, c in enumerate(data["columns"]):
                if c == "labels" and not row[i]:
                    row[i] = None
        return data
t.session = lambda: _Stub()
"""


@unittest.skipUnless(shutil.which("gdb"), "gdb not installed")
class CommandTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cgostack-goroutines-")
        cls.stub = os.path.join(cls.dir, "stub.py")
        with open(cls.stub, "w") as f:
            f.write(STUB)
        cls.report = os.path.join(cls.dir, "report.json")
        with open(cls.report, "w") as f:
            json.dump(report(), f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def gdb(self, *commands, stub=True):
        argv = ["gdb", "-nx", "-batch", "-iex", "set auto-load no", "-iex", "set pagination off",
                "-ex", "source " + os.path.join(SOURCE_DIR, "gdb_plugin", "cgostack.py")]
        if stub:
            argv += ["-ex", "source " + self.stub]
        for c in commands:
            argv += ["-ex", c]
        env = dict(os.environ, CGOSTACK_TEST_REPORT=self.report, PYTHONDONTWRITEBYTECODE="1")
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=env, stdin=subprocess.DEVNULL, timeout=120)
        return p.stdout, p.stderr

    def test_list_group_one(self):
        out, err = self.gdb("cgo-goroutines", "cgo-goroutines --group --frames 0",
                            "cgo-goroutine 17", "cgo-goroutines 18")
        self.assertIn("goroutine 18 [sync.Mutex.Lock]:\n    sync.(*Mutex).Lock", out)
        self.assertIn("6 of 7 goroutines shown (1 system", out)
        self.assertIn("2 goroutines [sync.Mutex.Lock, 1 locked to thread]: 18-19\n", out)
        self.assertIn("  pprof labels      a=1, job=sync\n", out)
        self.assertIn("    #2  0x49a2f3  main.worker", out)
        self.assertIn("goroutine 18 [sync.Mutex.Lock]:\n  status ", out)   # one GOID: full view
        self.assertEqual(err, "")

    def test_json_output_file(self):
        path = os.path.join(self.dir, "out.json")
        self.gdb("cgo-goroutines --state mutex --json --frames 2 --output " + path)
        with open(path) as f:
            out = json.load(f)
        self.assertEqual(goids(out["goroutines"]), [18, 19, 20])
        self.assertEqual(len(out["goroutines"][0]["frames"]), 2)
        self.assertEqual(out["goroutines"][0]["frames_omitted"], 2)
        self.assertIn("gdb_thread", out["goroutines"][0])
        self.assertEqual(out["filtered_out"], 4)

    def test_json_has_system_goroutines_and_every_frame(self):
        path = os.path.join(self.dir, "all.json")
        self.gdb("cgo-goroutines --json --output " + path)
        with open(path) as f:
            out = json.load(f)
        self.assertEqual(goids(out["goroutines"]), [1, 2, 17, 18, 19, 20, 21])
        self.assertEqual(len(out["goroutines"][0]["frames"]), 4)
        self.assertEqual(out["total"], 7)

    def test_frames_zero_skips_stacks_unless_needed(self):
        path = os.path.join(self.dir, "f0.json")
        self.gdb("cgo-goroutines --frames 0 --json --output " + path)
        with open(path) as f:
            self.assertEqual([g.get("frames", []) for g in json.load(f)["goroutines"]], [[]] * 7)
        out, _ = self.gdb("cgo-goroutines --frames 0 --function _Cfunc")
        self.assertTrue(out.startswith("goroutine 17 [syscall"), out)
        self.assertIn("1 of 7 goroutines shown (6 filtered out)", out)

    def test_errors_are_one_line(self):
        out, err = self.gdb("cgo-goroutine 99", "cgo-goroutines --nope", "cgo-goroutine",
                            "cgo-goroutines --frames x")
        self.assertEqual(err.splitlines(), [
            "cgostack: no goroutine 99 (there are 7 goroutines; see cgo-goroutines)",
            "cgostack: cgo-goroutines: unrecognized arguments: --nope "
            "(see `help cgo-goroutines`)",
            "cgostack: cgo-goroutine: the following arguments are required: GOID "
            "(see `help cgo-goroutine`)",
            "cgostack: cgo-goroutines: argument --frames: want a count >= 0 or `all`, not 'x' "
            "(see `help cgo-goroutines`)"])

    def test_no_target_is_one_line(self):
        out, err = self.gdb("cgo-goroutines", stub=False)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("cgostack: "), err)

    def test_help_and_completion(self):
        out, err = self.gdb("help cgo-goroutines", "complete cgo-goroutines --f",
                            "complete cgo-goroutine --j", "help cgostack")
        self.assertIn("Usage: cgo-goroutines [GOID...]", out)
        self.assertIn("Examples:", out)
        self.assertIn("cgo-goroutines --frames\ncgo-goroutines --function\n", out)
        self.assertIn("cgo-goroutine --json\n", out)
        self.assertIn("  cgo-goroutines  ", out)


if __name__ == "__main__":
    unittest.main()
