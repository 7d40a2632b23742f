"""A GDB frame unwinder for Go frames, so that GDB's own `bt` (and `frame`,
`up`, `info locals` in C frames) crosses the places where the Go runtime
switches stacks: from C frames of a cgo call into the goroutine that made
it, from a Go callback back into the C code that called it, out of the Go
signal handler into the interrupted code, and from the scheduler into a
goroutine locked to the thread.  The rules are the backend's
(native/src/stacks/stack_switch.cc); this file only speaks GDB.

GDB stops a backtrace whose frames go "inward" (a caller's frame address
below its callee's, as when returning from the system stack to a goroutine
stack, which lives lower in memory).  Frames this unwinder produces get
frame ids whose stack address never goes below the previous frame's: the
real address where possible, else the previous one with the real address
as the id's `special` part, so frames stay distinct.

The Go signal handler's caller is left to GDB: runtime.sigtramp's return
address is the signal trampoline (sa_restorer: glibc's __restore_rt, or
runtime.sigreturn__sigaction without cgo), which GDB's own amd64-linux
sigtramp unwinder recognises by its code, shows as `<signal handler
called>` and unwinds from the kernel's ucontext.  So this unwinder gives
sigtramp's caller as that trampoline (its pc and the ucontext's address as
SP, as the kernel left them) and never claims the trampoline frame."""

import gdb
from gdb.unwinder import Unwinder

from . import target

# Registers GDB accepts from a Python unwinder here (eflags has a flags
# type that plain integers do not convert to).
_REGISTERS = ("rip", "rsp", "rbp", "rbx", "r12", "r13", "r14", "r15", "rax", "rcx", "rdx", "rsi",
              "rdi", "r8", "r9", "r10", "r11")


_u64 = None


def _u64_type():
    # A program without cgo has no C types in its debug info ("unsigned
    # long" is unknown there): ask the architecture, else Go's uintptr.
    global _u64
    if _u64 is None:
        try:
            _u64 = gdb.selected_inferior().architecture().integer_type(64, False)
        except (AttributeError, gdb.error, ValueError):
            try:
                _u64 = gdb.lookup_type("unsigned long")
            except gdb.error:
                _u64 = gdb.lookup_type("uintptr")
    return _u64


def _address(v):
    # GDB 13 takes frame-id parts only as gdb.Value.
    return gdb.Value(v & 0xFFFFFFFFFFFFFFFF).cast(_u64_type())


class _FrameId:
    def __init__(self, sp, pc, special=None):
        self.sp = _address(sp)
        self.pc = _address(pc)
        if special is not None:
            self.special = _address(special)


class GoFrameUnwinder(Unwinder):
    def __init__(self):
        super().__init__("cgostack-go")
        # (lwp, pc, sp) of frames this unwinder produced a caller for ->
        # (lowest stack address the caller's id may have, whether its pc is
        # exact: the context a signal interrupted, not a return address).
        self._callers = {}
        # (lwp, pc, sp) of signal trampoline frames: GDB's to unwind.
        self._trampolines = set()
        self._types = {}
        self.errors = 0

    def forget(self):
        self._callers.clear()
        self._trampolines.clear()

    def __call__(self, pending_frame):
        try:
            return self._unwind(pending_frame)
        except Exception:  # noqa: BLE001 - an unwinder must never break GDB's backtrace
            self.errors += 1
            return None

    def _value(self, pending_frame, name, v):
        t = self._types.get(name)
        if t is None:
            t = self._types[name] = pending_frame.read_register(name).type
        return _address(v).cast(t)

    def _unwind(self, pending_frame):
        session = target.unwinder_session()
        if session is None:
            return None
        pc = int(pending_frame.read_register("rip")) & 0xFFFFFFFFFFFFFFFF
        # Most frames GDB asks about are C: leave them before anything else
        # is read (the answer below depends on whether pc is a return
        # address only at a Go function's boundary).
        if not session.is_go_pc(pc, True) and not session.is_go_pc(pc, False):
            return None
        sp = int(pending_frame.read_register("rsp")) & 0xFFFFFFFFFFFFFFFF
        thread = gdb.selected_thread()
        if thread is None:
            return None
        lwp = thread.ptid[1]
        if pending_frame.level() == 0:
            # The thread's own registers: where a running goroutine is (its
            # stack or the system stack) decides which frames are its, and
            # so how deep in callbacks it is (goroutines.cc StartOfRunning).
            bp = int(pending_frame.read_register("rbp")) & 0xFFFFFFFFFFFFFFFF
            if target.note_thread_registers(lwp, pc, sp, bp):
                # The process ran since the session was made: start over.
                self.forget()
                session = target.unwinder_session()
                if session is None:
                    return None
        if (lwp, pc, sp) in self._trampolines:
            return None  # GDB's sigtramp unwinder: "<signal handler called>"
        floor, exact = self._callers.get((lwp, pc, sp), (0, False))
        return_address = pending_frame.level() > 0 and not exact
        if not session.is_go_pc(pc, return_address):
            return None
        bp = int(pending_frame.read_register("rbp")) & 0xFFFFFFFFFFFFFFFF
        step = session.go_frame_step(lwp, pc, sp, bp, return_address)
        if step is None:
            return None
        cfa = step["cfa"] or sp
        id_sp = max(cfa, sp, floor)
        frame_id = _FrameId(id_sp, step["entry"], special=cfa if id_sp != cfa else None)
        info = pending_frame.create_unwind_info(frame_id)
        regs = step["registers"]
        if step["outermost"]:
            # A caller at pc 0 ends GDB's backtrace quietly (a frame without
            # a saved pc ends it with an error); its SP keeps ids outward.
            regs = {"rip": 0, "rsp": id_sp + 8}
        elif step["switch"] == "signal":
            regs = self._trampoline(lwp, step, id_sp) or regs
        for name in _REGISTERS:
            if name in regs:
                info.add_saved_register(name, self._value(pending_frame, name, regs[name]))
        if "rip" in regs:
            self._callers[(lwp, regs["rip"], regs["rsp"])] = (id_sp, step["switch"] in ("signal", "sigpanic"))
        return info

    def _trampoline(self, lwp, step, id_sp):
        """runtime.sigtramp's caller as the kernel made it: the signal
        trampoline the handler returns to (the word below the ucontext,
        whose address is step["cfa"]) with SP at the ucontext, which is
        where GDB's sigtramp unwinder reads the interrupted registers.  The
        interrupted frame is remembered as exact (its pc is not a return
        address).  None if the word cannot be read."""
        ucontext = step["cfa"]
        try:
            word = bytes(gdb.selected_inferior().read_memory(ucontext - 8, 8))
        except (gdb.error, gdb.MemoryError, ValueError):
            return None
        restorer = int.from_bytes(word, "little")
        if not restorer:
            return None
        interrupted = step["registers"]
        if "rip" in interrupted and "rsp" in interrupted:
            self._callers[(lwp, interrupted["rip"], interrupted["rsp"])] = (id_sp, True)
        self._trampolines.add((lwp, restorer, ucontext))
        return {"rip": restorer, "rsp": ucontext}

    def interrupted(self, lwp, pc, sp):
        """Whether the frame at (pc, sp) is the context a signal interrupted:
        its pc is the faulting instruction, not a return address (GDB looks
        up pc-1 for it, as it cannot tell: a Python unwinder makes only
        normal frames)."""
        return self._callers.get((lwp, pc, sp), (0, False))[1]


_unwinder = None


def install(objfile):
    """Registers the unwinder for `objfile`, one that holds Go code (the
    executable, or a c-shared Go library): GDB asks it only for frames
    whose pc is in that objfile."""
    global _unwinder
    if _unwinder is None:
        _unwinder = GoFrameUnwinder()
    gdb.unwinder.register_unwinder(objfile, _unwinder, replace=True)
    return _unwinder


def current():
    """The unwinder (made on first use; registered by install())."""
    global _unwinder
    if _unwinder is None:
        _unwinder = GoFrameUnwinder()
    return _unwinder


def forget():
    if _unwinder is not None:
        _unwinder.forget()
