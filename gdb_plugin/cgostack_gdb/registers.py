"""The target machine's registers by role (pc, stack pointer, frame
pointer, link register) under GDB's names, and the registers a frame
unwinder may hand GDB.  They come from the backend's architecture table
(native/src/arch/, Session.register_names()): the plugin names no machine
register itself, so x86-64 and aarch64 cores (gdb-multiarch) take the
same code paths."""

import gdb

_MASK = 0xFFFFFFFFFFFFFFFF


class Names:
    def __init__(self, table):
        self.machine = table["machine"]
        self.pc = table["pc"]
        self.sp = table["sp"]
        self.fp = table["fp"]
        self.lr = table["lr"]  # None: no link register (x86-64)
        self.unwound = tuple(table["unwound"])


_last = (None, None)  # (session, its Names): one target at a time


def of(session):
    """The Names of the session's target machine."""
    global _last
    if _last[0] is not session:
        _last = (session, Names(session.register_names()))
    return _last[1]


def forget():
    global _last
    _last = (None, None)


def read(frame, name):
    """A register of a gdb.Frame or gdb.PendingFrame as an unsigned 64-bit
    integer."""
    return int(frame.read_register(name)) & _MASK


def read_lr(frame, names):
    """The link register of the frame, 0 on machines without one or where
    GDB does not know it (an unwinder did not hand it over)."""
    if names.lr is None:
        return 0
    try:
        return read(frame, names.lr)
    except (gdb.error, ValueError):
        return 0
