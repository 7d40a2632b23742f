"""Cores whose Go runtime structures were overwritten (memory corruption is
often why there is a core at all): the damaged goroutine or list is reported
with the reason, everything else is listed exactly as in the intact core,
and nothing hangs.  Each test copies a real kernel core of the deadlock
fixture and patches it at addresses GDB reads from the core's own DWARF."""

import json
import os
import shutil
import struct
import tempfile
import unittest

import gdbrun
from gdbrun import harness

GO = gdbrun.go_version_from_argv()

# Where the runtime keeps what the tests damage, asked of GDB itself.
FACTS = r"""
import gdb, json
def offsets(name):
    return {f.name: f.bitpos // 8 for f in gdb.lookup_type(name).fields()}
allgs = gdb.parse_and_eval("'runtime.allgs'")
g = offsets("runtime.g")
print("FACTS " + json.dumps({
    "allgs": int(allgs.address), "allgs_array": int(allgs["array"]), "allgs_len": int(allgs["len"]),
    "allm": int(gdb.parse_and_eval("'runtime.allm'")), "alllink": offsets("runtime.m")["alllink"],
    "sched": g["sched"], "stack": g["stack"], "syscallsp": g["syscallsp"],
    "gobuf": offsets("runtime.gobuf")}))
"""


def file_offset(core, vaddr):
    """The offset in the core file that holds virtual address vaddr."""
    with open(core, "rb") as f:
        eh = f.read(64)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        f.seek(phoff)
        for _ in range(phnum):
            p_type, _, off, va, _, filesz = struct.unpack("<IIQQQQ", f.read(40))
            f.seek(phentsize - 40, 1)
            if p_type == 1 and va <= vaddr < va + filesz:
                return off + vaddr - va
    raise AssertionError("address %#x is not in the core" % vaddr)


def frames(g):
    return [f.get("function", f.get("kind")) for f in g["frames"]]


class CorruptCoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cgostack-corrupt-")
        c = harness.kernel_core("deadlock", GO)
        cls.binary, cls.core = c["binary"], c["core"]
        with tempfile.NamedTemporaryFile("w", suffix=".py", dir=cls.tmp, delete=False) as f:
            f.write(FACTS)
        rc, out, err = gdbrun.gdb(["source " + f.name], cls.binary, cls.core)
        line = [l for l in out.splitlines() if l.startswith("FACTS ")]
        assert line, "GDB could not read the runtime's layout: %s" % err
        cls.facts = json.loads(line[0][6:])
        cls.intact = gdbrun.gdb_json("cgo-goroutines", cls.binary, cls.core)["goroutines"]
        # A user goroutine parked in a channel receive: traced from g.sched.
        cls.victim = next(g for g in cls.intact
                          if g["start"] == "main.chanWaiter" or g["wait_reason"] == "chan receive")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def damaged(self, patches):
        """A copy of the core with (vaddr, bytes) patches applied."""
        path = os.path.join(self.tmp, self.id().rsplit(".", 1)[1] + ".core")
        shutil.copyfile(self.core, path)
        with open(path, "r+b") as f:
            for vaddr, data in patches:
                f.seek(file_offset(path, vaddr))
                f.write(data)
        return path

    def goroutines(self, core):
        rc, out, err = gdbrun.gdb(["cgo-goroutines"], self.binary, core, timeout=120)
        self.assertNotIn("Traceback", out + err)
        return gdbrun.gdb_json("cgo-goroutines", self.binary, core)["goroutines"]

    def assert_others_intact(self, now, *damaged):
        before = {g["goid"]: g for g in self.intact if g["address"] not in damaged}
        after = {g["goid"]: g for g in now if g["address"] not in damaged}
        self.assertEqual(sorted(before), sorted(after))
        for goid, g in before.items():
            self.assertEqual((g["status"], frames(g)), (after[goid]["status"], frames(after[goid])), goid)

    def test_allgs_entry_pointing_nowhere(self):
        # allgs also holds dead gs, so find the victim's slot by value.
        with open(self.core, "rb") as f:
            f.seek(file_offset(self.core, self.facts["allgs_array"]))
            entries = struct.unpack("<%dQ" % self.facts["allgs_len"], f.read(8 * self.facts["allgs_len"]))
        slot = entries.index(self.victim["address"])
        core = self.damaged([(self.facts["allgs_array"] + 8 * slot, struct.pack("<Q", 0x10))])
        now = self.goroutines(core)
        bad = [g for g in now if g["address"] == 0x10]
        self.assertEqual(len(bad), 1, now)
        self.assertIn("cannot read the g", bad[0]["error"])
        self.assert_others_intact(now, self.victim["address"], 0x10)

    def test_garbage_saved_registers_and_stack_bounds(self):
        gp, f = self.victim["address"], self.facts
        junk = struct.pack("<Q", 0x4141414141414141)
        core = self.damaged([(gp + f["sched"] + f["gobuf"]["sp"], junk),
                             (gp + f["sched"] + f["gobuf"]["pc"], junk),
                             (gp + f["stack"], junk), (gp + f["stack"] + 8, struct.pack("<Q", 0x10)),
                             (gp + f["syscallsp"], struct.pack("<Q", 0))])
        now = self.goroutines(core)
        victim = [g for g in now if g["goid"] == self.victim["goid"]]
        self.assertEqual(len(victim), 1)
        self.assertEqual(victim[0]["status"], self.victim["status"])
        self.assertTrue(victim[0]["frames_error"], victim[0])
        self.assert_others_intact(now, gp)

    def test_allm_list_that_loops(self):
        m = self.facts["allm"]
        core = self.damaged([(m + self.facts["alllink"], struct.pack("<Q", m))])
        info = gdbrun.gdb_json("cgo-info", self.binary, core)
        self.assertEqual(info["ms"], 1)
        self.assertEqual(info["goroutines"], len(self.intact))

    def test_absurd_allgs_length(self):
        core = self.damaged([(self.facts["allgs"] + 8, struct.pack("<Q", 10_000_000))])
        rc, out, err = gdbrun.gdb(["cgo-goroutines"], self.binary, core, timeout=120)
        lines = [l for l in err.splitlines() if l.startswith("cgostack:")]
        self.assertEqual(len(lines), 1, err)
        self.assertIn("runtime.allgs", lines[0])
        self.assertNotIn("Traceback", out + err)
        # cgo-info still reports what does not depend on allgs.
        info = gdbrun.gdb_json("cgo-info", self.binary, core)
        self.assertIsNone(info["goroutines"])
        self.assertTrue(any("runtime.allgs" in w for w in info["warnings"]), info["warnings"])
        self.assertGreater(info["ms"], 0)
        rc, out, err = gdbrun.gdb(["cgo-info"], self.binary, core)
        self.assertIn("Goroutines", out)
        self.assertIn("unknown", out)


if __name__ == "__main__":
    unittest.main()
