"""A kernel-style core made from a qemu-user core of an aarch64 program.

qemu-user's cores have no NT_FILE note (the kernel writes one: every file
mapping, its page offset and the file's name); cgostack then finds the
libraries through the dynamic linker's list (link map) in the core's
memory.  Real arm64 machines' cores have NT_FILE, and there is no arm64
machine here, so this writes one into a copy of a qemu core: the mappings
are what the kernel would have listed for the objects the link map names
(each PT_LOAD of the file, page-aligned as ld.so maps it), named by where
the file is on this machine (as on the machine that took a kernel core).
The copy's link map can be cut (r_debug.r_map = 0), so that only NT_FILE
can tell where the libraries are.

Only ELF64 little-endian cores of non-PIE executables (Go's default) are
handled: what the arm64 lane's fixtures are."""

import os
import shutil
import struct

PT_LOAD, PT_DYNAMIC, PT_NOTE = 1, 2, 4
ET_EXEC = 2
DT_NULL, DT_DEBUG = 0, 21
NT_FILE = 0x46494C45  # "FILE"
PAGE = 4096


class Elf:
    """The ELF header fields and program headers this module needs."""

    def __init__(self, data):
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise ValueError("not an ELF64 little-endian file")
        self.data = data
        self.type = struct.unpack_from("<H", data, 16)[0]
        phoff, = struct.unpack_from("<Q", data, 32)
        phentsize, phnum = struct.unpack_from("<HH", data, 54)
        self.phoff, self.phentsize = phoff, phentsize
        self.phdrs = []
        for i in range(phnum):
            p_type, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz, _ = struct.unpack_from(
                "<IIQQQQQQ", data, phoff + i * phentsize)
            self.phdrs.append({"type": p_type, "flags": p_flags, "offset": p_offset, "vaddr": p_vaddr,
                               "filesz": p_filesz, "memsz": p_memsz})

    def of_type(self, t):
        return [p for p in self.phdrs if p["type"] == t]

    def file_offset(self, addr, size):
        """Where in the file (a core) `size` bytes at `addr` are."""
        for p in self.of_type(PT_LOAD):
            if p["vaddr"] <= addr and addr + size <= p["vaddr"] + p["filesz"]:
                return p["offset"] + addr - p["vaddr"]
        raise ValueError("%#x is not in the core" % addr)



class Memory:
    """The process's memory: the core's segments, then the executable's
    (a qemu core leaves out read-only file contents, such as the
    PT_INTERP string ld.so's own link map entry names it by)."""

    def __init__(self, *images):
        self.images = images

    def _at(self, addr, size):
        for img in self.images:
            try:
                return img.data, img.file_offset(addr, size)
            except ValueError:
                continue
        raise ValueError("%#x is neither in the core nor in the executable" % addr)

    def u64(self, addr):
        data, off = self._at(addr, 8)
        return struct.unpack_from("<Q", data, off)[0]

    def cstring(self, addr):
        data, off = self._at(addr, 1)
        return data[off:data.index(b"\0", off)].decode()


def _read_elf(path):
    with open(path, "rb") as f:
        return Elf(f.read())


def r_debug_address(mem, exe):
    """Where the executable's DT_DEBUG points in the core: ld.so's r_debug."""
    (dyn,) = exe.of_type(PT_DYNAMIC)
    addr = dyn["vaddr"]
    while True:
        tag, val = mem.u64(addr), mem.u64(addr + 8)
        if tag == DT_NULL:
            raise ValueError("the executable has no DT_DEBUG")
        if tag == DT_DEBUG:
            return val
        addr += 16


def link_map(mem, exe):
    """[(l_addr, l_name)] of the shared objects the dynamic linker lists
    (struct link_map: l_addr, l_name, l_ld, l_next)."""
    out = []
    lm = mem.u64(mem.u64(r_debug_address(mem, exe) + 8) + 24)  # the first entry is the executable's
    while lm:
        name = mem.cstring(mem.u64(lm + 8))
        if name:
            out.append((mem.u64(lm), name))
        lm = mem.u64(lm + 24)
    return out


def mappings(path, bias, local):
    """(start, end, page offset, name) of each PT_LOAD of the file `local`
    loaded at `bias`, page-aligned as ld.so (and the kernel for the
    executable) maps it: what the kernel's NT_FILE lists."""
    out = []
    for p in _read_elf(local).of_type(PT_LOAD):
        start = (bias + p["vaddr"]) & ~(PAGE - 1)
        end = (bias + p["vaddr"] + p["filesz"] + PAGE - 1) & ~(PAGE - 1)
        out.append((start, end, (p["offset"] & ~(PAGE - 1)) // PAGE, path))
    return out


def nt_file(maps):
    """The NT_FILE note (name "CORE"): count, page size, the ranges, the names."""
    desc = struct.pack("<QQ", len(maps), PAGE)
    desc += b"".join(struct.pack("<QQQ", s, e, o) for s, e, o, _ in maps)
    desc += b"".join(n.encode() + b"\0" for _, _, _, n in maps)
    name = b"CORE\0"
    note = struct.pack("<III", len(name), len(desc), NT_FILE)
    note += name + b"\0" * (-len(name) % 4) + desc + b"\0" * (-len(desc) % 4)
    return note


def make(qemu_core, exe_path, sysroot, out_path, cut_link_map=True):
    """Writes the kernel-style copy of `qemu_core` to `out_path`: its notes
    plus NT_FILE, each library named by its file under `sysroot`.  Returns
    the NT_FILE mappings."""
    core, exe = _read_elf(qemu_core), _read_elf(exe_path)
    if exe.type != ET_EXEC:
        raise ValueError("only non-PIE executables")
    maps = mappings(os.path.abspath(exe_path), 0, exe_path)
    mem = Memory(core, exe)
    for bias, name in link_map(mem, exe):
        local = os.path.join(sysroot, name.lstrip("/"))  # as GDB's `set sysroot` finds it
        maps += mappings(local, bias, local)
    shutil.copyfile(qemu_core, out_path)
    (note_ph,) = [i for i, p in enumerate(core.phdrs) if p["type"] == PT_NOTE]
    note = core.phdrs[note_ph]
    notes = core.data[note["offset"]:note["offset"] + note["filesz"]] + nt_file(maps)
    with open(out_path, "r+b") as f:
        # The notes move to the end of the file; the PT_NOTE header says so.
        f.seek(0, os.SEEK_END)
        where = f.tell()
        where += -where % 8
        f.seek(where)
        f.write(notes)
        ph = core.phoff + note_ph * core.phentsize
        f.seek(ph + 8)
        f.write(struct.pack("<QQQQ", where, 0, 0, len(notes)))  # p_offset, p_vaddr, p_paddr, p_filesz
        if cut_link_map:
            f.seek(core.file_offset(r_debug_address(mem, exe) + 8, 8))
            f.write(struct.pack("<Q", 0))
    return maps
